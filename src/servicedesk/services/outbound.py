"""Answer the customer where they wrote: a public reply on an email, WeChat, web-chat, Weibo or
Douyin case is queued in the outbox, in the same transaction as the reply itself.

The delivery rule, the same for every channel: where a reply goes is decided before it is
written (`route_for_ticket`, which the ticket page also shows the agent before they type). A
reply that cannot be queued at all — the channel is not configured, the customer has no
usable address on it, the platform's reply window has closed, there is nothing to answer — is
still stored, marked not delivered with the reason, and does not count as a response. One
that is queued counts at once; if the outbox later gives up on it, `services.delivery` takes
that back.

Cases opened in the help center or the API are read where they live (`route_for_ticket` is
None), so nothing is queued for them and a reply counts as before. The transport turns
`metadata` into the channel's own threading (email: a signed Message-ID made from ticket and
message ids; Weibo and Douyin: the comment or conversation the customer wrote in).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from servicedesk.channels.email.threading import message_id_of
from servicedesk.channels.message import Attachment as File
from servicedesk.channels.message import OutboundMessage
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.delivery import DeliveryProblem, DeliveryState, window_closes_at
from servicedesk.services.outbox import enqueue
from servicedesk.store.models import Conversation, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork

ANSWERED_ON_CHANNEL = frozenset(
    {Channel.EMAIL, Channel.WECHAT, Channel.WEB_CHAT, Channel.WEIBO, Channel.DOUYIN}
)
SOCIAL = frozenset({Channel.WEIBO, Channel.DOUYIN})
COMMENT, PRIVATE = "comment", "private_message"


@dataclass(frozen=True, slots=True)
class Route:
    """Where a reply goes, or why it cannot: `problem` None means it can be queued now."""

    channel: Channel
    recipient: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    problem: DeliveryProblem | None = None
    public: bool = False  # a comment reply: everyone who reads the post reads it too
    window_closes_at: datetime | None = None  # the platform's deadline for answering, when one applies

    @property
    def deliverable(self) -> bool:
        return self.problem is None


async def _recipient(uow: UnitOfWork, customer_id: int, channel: Channel) -> str | DeliveryProblem:
    rows = (
        await uow.session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.undeliverable_since)
            .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.channel == channel)
            .order_by(CustomerIdentity.verified.desc(), CustomerIdentity.id.desc())
        )
    ).all()
    usable = [external_id for external_id, bounced in rows if bounced is None]
    if usable:
        return usable[0]
    return DeliveryProblem.ADDRESS_BOUNCED if rows else DeliveryProblem.NO_ADDRESS


@dataclass(frozen=True, slots=True)
class _Inbound:
    external_id: str | None
    meta: Mapping[str, Any]
    created_at: datetime


async def _last_inbound(
    uow: UnitOfWork, channel: Channel, *, ticket_id: int | None = None, conversation_id: int | None = None
) -> _Inbound | None:
    """The customer's latest message on the case (or the bot's conversation) on this channel:
    what a reply answers."""
    stmt = select(Message.external_id, Message.meta, Message.created_at)
    stmt = stmt.where(Message.kind == MessageKind.INBOUND, Message.channel == channel)
    if ticket_id is not None:
        stmt = stmt.where(Message.ticket_id == ticket_id)
    else:
        stmt = stmt.where(Message.conversation_id == conversation_id)
    row = (await uow.session.execute(stmt.order_by(Message.id.desc()).limit(1))).first()
    return _Inbound(row.external_id, row.meta or {}, row.created_at) if row is not None else None


async def _last_private_at(uow: UnitOfWork, customer_id: int, channel: Channel) -> datetime | None:
    """When the customer last wrote to us privately on the channel, on any case: WeChat's and
    Weibo's windows run per person, not per case."""
    rows = await uow.session.execute(
        select(Message.created_at, Message.meta)
        .where(Message.author_customer_id == customer_id, Message.channel == channel)
        .where(Message.kind == MessageKind.INBOUND)
        .order_by(Message.id.desc())
        .limit(20)
    )
    for created_at, meta in rows:
        if (meta or {}).get("source") != COMMENT:
            found: datetime = created_at
            return found
    return None


def _usable(value: object) -> str | None:
    """An id we can send back: present and not masked on the way in (intake masks what looks
    like a phone or ID number in channel details)."""
    text = str(value or "").strip()
    return text if text and "*" not in text else None


def _social(channel: Channel, last: _Inbound | None) -> tuple[str, dict[str, str], bool]:
    """The comment or conversation a Weibo or Douyin reply answers: (source, metadata, known)."""
    meta = last.meta if last is not None else {}
    if meta.get("source") == COMMENT:
        comment_id, target = _usable(last.external_id if last else None), _usable(meta.get("target"))
        found = {"source": COMMENT, "comment_id": comment_id or "", "target": target or ""}
        return COMMENT, found, bool(comment_id and target)
    if channel is Channel.DOUYIN:  # an answer names the message it answers and its conversation
        reply_to = _usable(last.external_id if last else None)
        conversation = _usable(meta.get("conversation"))
        found = {"source": PRIVATE, "reply_to": reply_to or "", "conversation": conversation or ""}
        return PRIVATE, found, bool(reply_to and conversation)
    return PRIVATE, {"source": PRIVATE}, True  # Weibo answers the follower by uid


async def _route(
    uow: UnitOfWork, channel: Channel, customer_id: int, *, ticket_id: int | None, conversation_id: int | None
) -> Route | None:
    if channel not in ANSWERED_ON_CHANNEL:
        return None
    if channel not in uow.settings.sending_channels:
        return Route(channel, problem=DeliveryProblem.NOT_CONFIGURED)
    recipient = await _recipient(uow, customer_id, channel)
    if isinstance(recipient, DeliveryProblem):
        return Route(channel, problem=recipient)
    source, known = PRIVATE, True
    metadata: dict[str, str] = {}
    last: _Inbound | None = None
    if channel in SOCIAL:
        last = await _last_inbound(uow, channel, ticket_id=ticket_id, conversation_id=conversation_id)
        source, metadata, known = _social(channel, last)
    if not known:
        return Route(channel, recipient, metadata, DeliveryProblem.NO_TARGET, public=source == COMMENT)
    if channel is Channel.DOUYIN:  # the msg_id answered is what expires
        last_private = last.created_at if last is not None else None
    else:
        last_private = await _last_private_at(uow, customer_id, channel)
    closes = window_closes_at(channel, source, last_private)
    problem = DeliveryProblem.WINDOW_CLOSED if closes is not None and closes <= uow.now() else None
    return Route(channel, recipient, metadata, problem, public=source == COMMENT, window_closes_at=closes)


async def route_for_ticket(uow: UnitOfWork, ticket: Ticket) -> Route | None:
    """Where a reply on this case would go now; None when the case is read where it lives."""
    return await _route(uow, ticket.channel, ticket.customer_id, ticket_id=ticket.id, conversation_id=None)


async def route_for_conversation(uow: UnitOfWork, conversation: Conversation) -> Route | None:
    return await _route(
        uow, conversation.channel, conversation.customer_id, ticket_id=None, conversation_id=conversation.id
    )


def mark_undelivered(
    uow: UnitOfWork, message: Message, problem: DeliveryProblem, *, detail: str | None
) -> None:
    """The message stays on the case, visibly not delivered; recorded in the audit trail."""
    message.delivery, message.delivery_problem = DeliveryState.FAILED, problem
    message.delivery_detail = detail[:1000] if detail else None
    uow.record(
        None, "message.undelivered", subject_type="message", subject_id=message.id,
        ticket_id=message.ticket_id, after={"channel": message.channel.value, "problem": problem.value},
    )  # fmt: skip


def _held_back(uow: UnitOfWork, route: Route, reply: Message) -> bool:
    """Mark `reply` not delivered when its route says it cannot go; True when so."""
    if route.problem is None and route.recipient is not None:
        return False
    mark_undelivered(uow, reply, route.problem or DeliveryProblem.NO_ADDRESS, detail=None)
    return True


async def _enqueue(
    uow: UnitOfWork, reply: Message, message: OutboundMessage, *, ticket_id: int | None
) -> None:
    await enqueue(uow, message, ticket_id=ticket_id, dedupe_key=f"reply:{reply.id}")
    reply.delivery = DeliveryState.PENDING


async def queue_on(
    uow: UnitOfWork, route: Route | None, ticket: Ticket, reply: Message, *, files: Sequence[File] = ()
) -> Route | None:
    """Queue `reply` (flushed: it has its id) along `route`, or mark why it cannot go.
    `files` travel with an email; chat channels carry text, and the files stay on the case."""
    if route is None or _held_back(uow, route, reply):
        return route
    message = OutboundMessage(
        channel=ticket.channel, recipient=route.recipient or "", body=reply.body, subject=ticket.subject,
        thread_refs=await _their_message_ids(uow, ticket),
        metadata={"ticket_id": str(ticket.id), "message_id": str(reply.id), **route.metadata},
        attachments=tuple(files) if ticket.channel is Channel.EMAIL else (),
    )  # fmt: skip
    await _enqueue(uow, reply, message, ticket_id=ticket.id)
    return route


async def queue_reply(
    uow: UnitOfWork, ticket: Ticket, reply: Message, *, files: Sequence[File] = ()
) -> Route | None:
    """Route and queue a message for the customer on the case's channel (system notices,
    incident updates); what a person writes goes through `tickets.add_message`, which routes
    first so that an undeliverable reply does not count as a response."""
    return await queue_on(uow, await route_for_ticket(uow, ticket), ticket, reply, files=files)


async def queue_conversation_reply(
    uow: UnitOfWork, conversation: Conversation, reply: Message, *, sender: str = "agent"
) -> Route | None:
    """The same for a conversation that has no case (yet): the bot answering a chat, a WeChat,
    Weibo or Douyin message before any person is involved."""
    route = await route_for_conversation(uow, conversation)
    if route is None or _held_back(uow, route, reply):
        return route
    message = OutboundMessage(
        channel=conversation.channel, recipient=route.recipient or "", body=reply.body,
        metadata={"conversation_id": str(conversation.id), "message_id": str(reply.id), "from": sender,
                  **route.metadata},
    )  # fmt: skip
    await _enqueue(uow, reply, message, ticket_id=conversation.ticket_id)
    return route


async def _their_message_ids(uow: UnitOfWork, ticket: Ticket) -> tuple[str, ...]:
    ids = await uow.session.scalars(
        select(Message.external_id)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND)
        .where(Message.external_id.is_not(None))
        .order_by(Message.id)
    )
    return tuple(ref for i in ids if i and (ref := message_id_of(i)))


async def latest_conversation_id(uow: UnitOfWork, ticket_id: int) -> int | None:
    return await uow.session.scalar(
        select(Conversation.id)
        .where(Conversation.ticket_id == ticket_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
