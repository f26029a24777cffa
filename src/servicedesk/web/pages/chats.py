"""Live chats for agents: every active case on a conversational channel (web chat, WeChat,
Weibo and Douyin messages) the agent may see, side by side, updated
as visitors write, each with its own reply box — several conversations at once; and, for those
who watch the bot, the conversations it is handling, with a button to step in."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.errors import NotFound
from servicedesk.domain.roles import Permission
from servicedesk.services import bot_chats
from servicedesk.services import ticket_queries as q
from servicedesk.services.assistant import BOT_CHANNELS, Assistant
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import SESSION_USER, UowFactory
from servicedesk.web.i18n import locale_of
from servicedesk.web.live import StaffHub
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf

router = APIRouter(prefix="/agent")
MAX_PANES = 12


@router.get("/chats")
async def live_chats(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    if not me.role.is_staff:
        raise NotFound("not found")
    filters = q.TicketFilter(view=q.View.ALL, channels=sorted(BOT_CHANNELS))  # the conversational ones
    async with uow(write=False) as u:
        page = await q.list_tickets(u, me, filters=filters, limit=MAX_PANES)
        panes = [await q.ticket_detail(u, me, t.id) for t in page.items]
        bot = await bot_chats.active_bot_chats(u, me, limit=MAX_PANES)
    can_reply = me.can(Permission.WORK_TICKETS)
    context = {"panes": panes, "can_reply": can_reply, "bot_chats": bot,
               "watches_bot": bot_chats.watches_the_bot(me)}  # fmt: skip
    return render_page(request, "agent_chats.html", me, context)


@router.post("/chats/bot/{conversation_id}/take")
async def take_over(
    conversation_id: int, request: Request, me: PagePrincipal, uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Step in for the bot: the conversation becomes my case and I land on it."""
    check_csrf(request, csrf)
    assistant: Assistant = request.app.state.assistant
    async with uow() as u:
        ticket = await assistant.take_over(u, me, conversation_id)
    return RedirectResponse(f"/agent/tickets/{ticket.id}", status_code=303)


def _same_origin(websocket: WebSocket) -> bool:
    """A staff socket carries the session cookie: only our own pages may open it."""
    origin = websocket.headers.get("origin")
    return origin is None or urlparse(origin).netloc == websocket.headers.get("host")


@router.websocket("/live")
async def live(websocket: WebSocket) -> None:
    """The socket every staff page keeps open (static/live.js): visitors' chat lines for the
    chats page, new notifications for the badge on all pages (web/bell.py)."""
    db: Database = websocket.app.state.db
    hub: StaffHub = websocket.app.state.staff_hub
    user_id = websocket.session.get(SESSION_USER)
    principal = None
    if isinstance(user_id, int) and _same_origin(websocket):
        async with UnitOfWork(db, write=False) as uow:
            principal = await principal_by_user_id(uow, user_id)
    if principal is None or not principal.role.is_staff:
        await websocket.close(code=4403)
        return
    await websocket.accept()
    key = hub.join(principal, websocket.send_json, locale=locale_of(websocket))
    try:
        while True:
            await websocket.receive_text()  # the page only listens; anything it says is ignored
    except WebSocketDisconnect:
        pass
    finally:
        hub.leave(key)
