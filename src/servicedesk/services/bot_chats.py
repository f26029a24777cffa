"""The conversations the bot is handling now, for the people who watch it and may step in
(`Assistant.take_over`).

A conversation with no case belongs to no team, so under the one visibility rule only staff who
see every case (supervisors, quality inspectors, admins) see these; taking one over also needs
the right to work cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.roles import Principal, Visibility
from servicedesk.store.models import Conversation, Customer, Message
from servicedesk.store.uow import UnitOfWork

RECENT = timedelta(hours=2)  # a conversation quiet for longer is over as far as watching goes
MAX_LINES = 30


@dataclass(frozen=True)
class Line:
    speaker: str  # "visitor" or "bot"
    body: str
    at: datetime


@dataclass(frozen=True)
class BotChat:
    conversation_id: int
    customer_id: int
    customer_name: str
    channel: Channel
    lines: list[Line]


def watches_the_bot(actor: Principal) -> bool:
    return actor.role.is_staff and actor.visibility is Visibility.ALL


async def active_bot_chats(uow: UnitOfWork, actor: Principal, *, limit: int = 12) -> list[BotChat]:
    """The bot's open conversations with a message in the last `RECENT`, latest first, each
    with its last `MAX_LINES` lines; nothing for whoever may not watch."""
    if not watches_the_bot(actor):
        return []
    since = uow.now() - RECENT
    latest = (
        select(Message.conversation_id, Conversation.customer_id, Conversation.channel, Customer.name)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Customer, Customer.id == Conversation.customer_id)
        .where(Conversation.ticket_id.is_(None), Conversation.ended_at.is_(None), Message.created_at >= since)
        .group_by(Message.conversation_id, Conversation.customer_id, Conversation.channel, Customer.name)
        .order_by(func.max(Message.created_at).desc())
        .limit(limit)
    )
    heads = (await uow.session.execute(latest)).all()
    if not heads:
        return []
    rows = await uow.session.execute(
        select(Message.conversation_id, Message.kind, Message.body, Message.created_at)
        .where(Message.conversation_id.in_([h.conversation_id for h in heads]))
        .where(Message.kind.in_((MessageKind.INBOUND, MessageKind.REPLY)))
        .order_by(Message.id)
    )
    lines: dict[int, list[Line]] = {h.conversation_id: [] for h in heads}
    for conversation_id, kind, body, at in rows:
        speaker = "visitor" if kind is MessageKind.INBOUND else "bot"
        lines[int(conversation_id or 0)].append(Line(speaker, body, at))  # in_() above: never None
    return [
        BotChat(h.conversation_id, h.customer_id, h.name, h.channel, lines[h.conversation_id][-MAX_LINES:])
        for h in heads
    ]
