"""The web-chat WebSocket: the widget's one connection.

Frames are JSON. From the server: `hello` (the visitor id to keep, the welcome text),
`history` (the visitor's current case), `ack` (a message was stored), `message` (an agent
replied), `error` (a frame was refused; the connection stays). From the widget: `message`
with a client id (a frame sent twice is stored once), `typing`, `read`.

A visitor is known by the random id the widget keeps in local storage; whoever holds it can
read that chat, as with any anonymous chat widget. Reconnecting with it resumes the history.
"""

from __future__ import annotations

import html
import json
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from servicedesk.channels.message import InboundMessage
from servicedesk.channels.webchat.hub import ChatHub
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.errors import DomainError
from servicedesk.services import progress, service_hours
from servicedesk.services.assistant import Assistant
from servicedesk.services.intake import Intake, receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.models import Conversation, CustomerIdentity, Message, Ticket
from servicedesk.store.routing import QueueEntry
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.live import StaffHub, tell_staff

router = APIRouter(prefix="/webchat")
VISITOR = re.compile(r"[A-Za-z0-9_-]{16,64}")
CLIENT_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_FRAME = 16 * 1024
MAX_BODY = 5000


async def _history(db: Database, visitor: str, limit: int = 50) -> list[dict[str, Any]]:
    """The visitor's latest conversation, with the bot or with a person (a case adopts the
    bot's conversation when it hands over, so one history covers both)."""
    async with UnitOfWork(db, write=False) as uow:
        conversation_id = await uow.session.scalar(
            select(Conversation.id)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Conversation.customer_id)
            .where(CustomerIdentity.channel == Channel.WEB_CHAT, CustomerIdentity.external_id == visitor)
            .where(Conversation.channel == Channel.WEB_CHAT)
            .order_by(Conversation.id.desc())
            .limit(1)
        )
        if conversation_id is None:
            return []
        rows = await uow.session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.kind != MessageKind.NOTE)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(limit)
        )
        return [_frame(m) for m in reversed(list(rows))]


def _frame(m: Message) -> dict[str, Any]:
    who = "visitor" if m.kind is MessageKind.INBOUND else "bot" if (m.meta or {}).get("bot") else "agent"
    return {"type": "message", "from": who, "body": m.body, "id": str(m.id), "at": m.created_at.isoformat()}


def _refusal(reason: str, client_id: str | None = None) -> dict[str, Any]:
    return {"type": "error", "message": reason, "id": client_id}


async def closed_notice(db: Database, result: Intake) -> dict[str, Any] | None:
    """Outside service hours the visitor is told when a person will answer (R-IN-5), by the
    service calendar the deadlines count in — unless the case they just opened waits in the
    queue, whose message already said so."""
    async with UnitOfWork(db, write=False) as uow:
        now, hours = uow.now(), await service_hours.current(uow)
        ticket = await uow.session.get(Ticket, result.ticket_id) if result.ticket_id is not None else None
        if hours.is_open(now) or ticket is None:
            return None
        if result.new_ticket and await uow.session.scalar(
            select(QueueEntry.id).where(QueueEntry.ticket_id == ticket.id, QueueEntry.left_at.is_(None))
        ):
            return None
        locale = await progress.customer_locale(uow, ticket)
    opening = hours.next_open(now)
    opens = progress.when_text(opening, hours.calendar.time_zone, locale)
    body = progress.text(
        "closed_notice", locale, hours=hours.describe(locale), number=ticket.number, opens=opens
    )
    local = opening.astimezone(ZoneInfo(hours.calendar.time_zone))
    return {"type": "notice", "body": body, "opens_at": local.isoformat()}


async def _on_frame(
    raw: str,
    *,
    visitor: str,
    db: Database,
    assistant: Assistant | None = None,
) -> tuple[list[dict[str, Any]], Intake | None]:
    """The frames that answer one frame from the visitor, and what intake did with it (None
    when the frame was refused)."""
    if len(raw) > MAX_FRAME:
        return [_refusal(f"frame larger than {MAX_FRAME} bytes")], None
    try:
        frame = json.loads(raw)
    except json.JSONDecodeError as error:
        return [_refusal(f"not JSON: {error.msg} at column {error.colno}")], None
    if not isinstance(frame, dict):
        return [_refusal("a frame is a JSON object")], None
    kind, client_id = frame.get("type"), frame.get("id")
    if kind in ("typing", "read"):
        return [], None
    if kind != "message":
        return [_refusal(f"unknown frame type {kind!r}")], None
    body = frame.get("body")
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        return [_refusal("a message needs an id of 1-64 letters, digits or _.:-")], None
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        return [_refusal(f"a message needs a body of 1-{MAX_BODY} characters", client_id)], None
    inbound = InboundMessage(
        channel=Channel.WEB_CHAT, sender=visitor, sender_name=f"网页访客 {visitor[:6]}", body=body,
        received_at=db.clock(), message_id=f"{visitor}:{client_id}",
    )  # fmt: skip
    try:
        async with UnitOfWork(db) as uow:
            result = await receive(uow, inbound, assistant=assistant)
    except DomainError as error:
        return [_refusal(error.message, client_id)], None
    ack = {"type": "ack", "id": client_id, "ticket_id": result.ticket_id, "duplicate": result.duplicate}
    # the bot answers around the clock and says itself when a person will come
    quiet = result.duplicate or result.bot is not None
    notice = None if quiet else await closed_notice(db, result)
    return ([ack] if notice is None else [ack, notice]), result


DEMO_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>在线客服演示 · chat demo</title></head>
<body><h1>演示商店</h1><p>这是一个普通的网页，只嵌入了一行脚本：</p>
<pre>&lt;script src="{origin}/static/widget.js" defer&gt;&lt;/script&gt;</pre>
<script src="/static/widget.js" defer></script></body></html>"""


@router.get("/demo", response_class=HTMLResponse)
async def demo(request: Request) -> str:
    """A plain page with nothing but the embed snippet: what a customer's site does."""
    return DEMO_PAGE.replace("{origin}", html.escape(str(request.base_url).rstrip("/")))


async def _welcome(websocket: WebSocket, db: Database, settings: Settings) -> str:
    """The web chat's welcome script (R-IN-4) in the visitor's language, else the setting."""
    assistant: Assistant = websocket.app.state.assistant
    lang = websocket.query_params.get("lang", "")
    locale = "en" if lang.startswith("en") else "zh"
    async with UnitOfWork(db, write=False) as uow:
        text = await assistant.welcome(uow, Channel.WEB_CHAT, locale)
        hours = (await service_hours.current(uow)).hours_text("zh")  # the setting is in Chinese
    return text or settings.webchat_welcome.replace("{service_hours}", hours)


@router.websocket("/ws")
async def chat(websocket: WebSocket, visitor: str | None = None) -> None:
    settings: Settings = websocket.app.state.settings
    db: Database = websocket.app.state.db
    hub: ChatHub = websocket.app.state.chat_hub
    staff: StaffHub = websocket.app.state.staff_hub
    await websocket.accept()
    if not visitor or not VISITOR.fullmatch(visitor):
        visitor = secrets.token_urlsafe(16)
    send = websocket.send_json
    hub.connect(visitor, send)
    try:
        await send({"type": "hello", "visitor": visitor, "welcome": await _welcome(websocket, db, settings)})
        await send({"type": "history", "messages": await _history(db, visitor)})
        while True:
            raw = await websocket.receive_text()
            answers, stored = await _on_frame(
                raw, visitor=visitor, db=db, assistant=websocket.app.state.assistant,
            )  # fmt: skip
            for answer in answers:
                await send(answer)
            if stored is not None:  # after the ack: the visitor never waits on the staff's pages
                await tell_staff(staff, db, stored, json.loads(raw)["body"])
    except WebSocketDisconnect:
        pass
    finally:
        hub.disconnect(visitor, send)
