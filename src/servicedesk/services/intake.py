"""Channel intake: one inbound message from any channel → one customer, stored exactly once,
on the right case (R-IN-1, R-IN-2).

- Who: the sender's identity on the channel (email address, WeChat openid, phone number)
  resolves to one customer; an unknown sender becomes a new customer with an unverified
  identity, to be verified (phone code) and merged later.
- Once: the channel's own message id is unique per channel in `messages`; a retried or
  duplicated delivery finds the first copy and changes nothing. Email keys on the sender as
  well (`storage_key`): anyone can write any Message-ID, so one sender's id must not silence
  another's mail.
- Where: a thread hint the channel has authenticated (email: a Message-ID we signed) names the
  case, but only if it is this customer's; otherwise chat-like channels continue the
  customer's active case on that channel, and anything else opens a new case.
- Automatic mail (auto-replies, bounces) never opens, reopens or answers a case.
- Mail with no address anywhere (`sender == ""`, flagged by the parser) still becomes a case,
  on a customer without an email identity: nothing is dropped, and nothing is sent anywhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.errors import Conflict
from servicedesk.domain.lifecycle import TicketStatus, confirms_resolution
from servicedesk.domain.pii import mask_text, normalize_mobile
from servicedesk.services import attachments, sla
from servicedesk.services.customers import create_customer
from servicedesk.services.outbound import latest_conversation_id
from servicedesk.services.tickets import apply_status, open_case
from servicedesk.store.models import Conversation, Customer, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork

if TYPE_CHECKING:
    from servicedesk.services.assistant import Assistant, BotOutcome

CONTINUING_CHANNELS = frozenset(
    {Channel.WEB_CHAT, Channel.WECHAT, Channel.WEIBO, Channel.DOUYIN, Channel.PHONE}
)
ACTIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)
REOPENING = (TicketStatus.PENDING, TicketStatus.RESOLVED)
# what a new message on a chat channel continues: a resolved case too, which the reply confirms
# or reopens (R-HD-7), as in Zendesk
CONTINUED = (*ACTIVE, TicketStatus.RESOLVED)


@dataclass(frozen=True, slots=True)
class Intake:
    customer_id: int | None = None
    ticket_id: int | None = None
    message_id: int | None = None
    new_ticket: bool = False
    duplicate: bool = False
    ignored: str | None = None  # why nothing was stored: "automatic", "event"
    conversation_id: int | None = None
    bot: BotOutcome | None = None  # what the bot did, when it had the message


def identity_key(channel: Channel, sender: str) -> str:
    """The form an identity is stored in: email addresses lower-cased, mobiles normalised."""
    sender = sender.strip()
    if channel is Channel.EMAIL:
        return sender.lower()
    if channel is Channel.PHONE:
        return normalize_mobile(sender) or sender
    return sender


UNKNOWN_SENDER = "未知发件人"


def storage_key(inbound: InboundMessage) -> str | None:
    """What a channel message is stored once under: the channel's own id; for email the
    Message-ID and the sender's address (`<id> <address>`: neither holds a space). Keys past the
    column's 255 characters are hashed."""
    if inbound.message_id is None:
        return None
    key = inbound.message_id
    if inbound.channel is Channel.EMAIL:
        key = f"{key} {identity_key(Channel.EMAIL, inbound.sender)}".rstrip()
    return key if len(key) <= 255 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


async def resolve_customer(uow: UnitOfWork, channel: Channel, sender: str, name: str | None) -> Customer:
    key = identity_key(channel, sender)
    if channel is Channel.EMAIL and ("@" not in key or len(key) > 254):  # no address to know them by
        display = (name or "").strip() or UNKNOWN_SENDER
        return await create_customer(uow, None, name=display[:100], commit=False)
    known = await uow.session.scalar(
        select(Customer)
        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
        .where(CustomerIdentity.channel == channel, CustomerIdentity.external_id == key)
    )
    if known is not None:
        return known
    display = (name or "").strip() or key
    if channel is Channel.EMAIL:
        return await create_customer(uow, None, name=display[:100], email=key, commit=False)
    if channel is Channel.PHONE and normalize_mobile(key):
        return await create_customer(uow, None, name=display[:100], phone=key, commit=False)
    customer = await create_customer(uow, None, name=display[:100], commit=False)
    customer.identities.append(
        CustomerIdentity(channel=channel, external_id=key, verified=False, created_at=uow.now())
    )
    await uow.session.flush()
    return customer


async def _already_stored(uow: UnitOfWork, inbound: InboundMessage) -> Message | None:
    key = storage_key(inbound)
    if key is None:
        return None
    stored = await uow.session.scalar(
        select(Message).where(Message.channel == inbound.channel, Message.external_id == key)
    )
    if stored is None and inbound.channel is Channel.EMAIL and key != inbound.message_id:
        # stored before the sender was part of the key: the bare Message-ID, by this sender
        stored = await uow.session.scalar(
            select(Message)
            .join(CustomerIdentity, CustomerIdentity.customer_id == Message.author_customer_id)
            .where(Message.channel == Channel.EMAIL, Message.external_id == inbound.message_id)
            .where(
                CustomerIdentity.channel == Channel.EMAIL,
                CustomerIdentity.external_id == identity_key(Channel.EMAIL, inbound.sender),
            )
            .limit(1)
        )
    return stored


async def _case_for(
    uow: UnitOfWork, customer: Customer, inbound: InboundMessage, hint: int | None
) -> Ticket | None:
    if hint is not None:
        hinted = await uow.session.get(Ticket, hint)
        if (
            hinted is not None
            and hinted.customer_id == customer.id
            and hinted.status is not TicketStatus.CLOSED
        ):
            return hinted
    if inbound.channel not in CONTINUING_CHANNELS:
        return None
    return await uow.session.scalar(
        select(Ticket)
        .where(
            # a resolved case too: the reply confirms it or reopens it (R-HD-7), as in Zendesk
            Ticket.customer_id == customer.id,
            Ticket.channel == inbound.channel,
            Ticket.status.in_((*ACTIVE, TicketStatus.RESOLVED)),
        )
        .order_by(Ticket.updated_at.desc())
        .limit(1)
    )


def _masked(inbound: InboundMessage) -> dict[str, str]:
    return {k: mask_text(v) for k, v in inbound.metadata.items()}


def _subject_of(inbound: InboundMessage) -> str:
    text = (inbound.subject or "").strip() or " ".join(inbound.body.split())[:60]
    return text[:200] or f"{inbound.channel.value} message"


async def _append(uow: UnitOfWork, ticket: Ticket, customer: Customer, inbound: InboundMessage) -> Message:
    conversation_id = await latest_conversation_id(uow, ticket.id)
    message = Message(
        conversation_id=conversation_id, ticket_id=ticket.id, kind=MessageKind.INBOUND,
        channel=inbound.channel, author_customer_id=customer.id, body=inbound.body,
        external_id=storage_key(inbound), created_at=uow.now(), attachments=[], meta=_masked(inbound) or None,
    )  # fmt: skip
    uow.session.add(message)
    if ticket.status is TicketStatus.RESOLVED and confirms_resolution(inbound.body):
        await apply_status(uow, None, ticket, TicketStatus.CLOSED)  # 确认解决 on their channel
    elif ticket.status in REOPENING:
        await apply_status(uow, None, ticket, TicketStatus.OPEN)
    await sla.on_customer_message(uow, ticket)
    ticket.updated_at = uow.now()
    await uow.session.flush()
    uow.record(
        None, "message.inbound", subject_type="message", subject_id=message.id, ticket_id=ticket.id,
        after={"kind": "inbound", "channel": inbound.channel.value, "length": len(inbound.body)},
    )  # fmt: skip
    return message


async def receive(
    uow: UnitOfWork,
    inbound: InboundMessage,
    *,
    thread_hint: int | None = None,
    assistant: Assistant | None = None,
) -> Intake:
    """Store `inbound` once, on the right customer and case, and commit.

    With an `assistant` that handles the channel, a message that no person's case continues
    goes to the bot's conversation instead, and the bot answers in the same transaction (it
    opens a case when it hands over).

    `thread_hint` must come from something the channel authenticated (a signed Message-ID), never
    from a subject line; a hint naming another customer's case is ignored. Two deliveries racing
    (a retried webhook, or the first two messages of a new sender) meet at a unique constraint;
    the loser starts over once and finds what the winner stored.
    """
    for attempt in (1, 2):
        try:
            return await _receive_once(uow, inbound, thread_hint, assistant)
        except (IntegrityError, Conflict):
            await uow.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def _receive_once(
    uow: UnitOfWork, inbound: InboundMessage, thread_hint: int | None, assistant: Assistant | None
) -> Intake:
    if inbound.kind is InboundKind.AUTOMATIC:
        return Intake(ignored="automatic")
    stored = await _already_stored(uow, inbound)
    if stored is not None:
        return Intake(customer_id=stored.author_customer_id, ticket_id=stored.ticket_id,
                      message_id=stored.id, duplicate=True)  # fmt: skip
    customer = await resolve_customer(uow, inbound.channel, inbound.sender, inbound.sender_name)
    if inbound.kind is InboundKind.EVENT:
        details = _masked(inbound)  # no whole numbers in the audit log
        uow.record(
            None, "channel.event", subject_type="customer", subject_id=customer.id,
            after={"channel": inbound.channel.value, **details},
        )  # fmt: skip
        if assistant is not None and inbound.metadata.get("event") == "subscribe":
            recipient = identity_key(inbound.channel, inbound.sender)
            key = inbound.message_id or f"{inbound.channel.value}:{recipient}"
            channel = inbound.channel
            await assistant.greet(uow, customer=customer, channel=channel, recipient=recipient, key=key)
        await uow.commit()
        return Intake(customer_id=customer.id, ignored="event")
    ticket = await _case_for(uow, customer, inbound, thread_hint)
    if ticket is None and assistant is not None and await assistant.handles(uow, inbound.channel):
        return await _to_bot(uow, assistant, customer, inbound)
    new_ticket = ticket is None
    if ticket is None:
        hint = None
        if assistant is not None and inbound.body:  # the bot's model as evidence for the type (R-CL-1)
            hint = await assistant.recognise(uow, inbound.body)
        ticket, message = await open_case(
            uow, None, customer=customer, subject=_subject_of(inbound), body=inbound.body or "(空)",
            channel=inbound.channel, external_id=storage_key(inbound), meta=_masked(inbound) or None,
            hint=hint, rules=assistant.config.rules if assistant is not None else None,
        )  # fmt: skip
    else:
        message = await _append(uow, ticket, customer, inbound)
    if inbound.attachments:  # an email's photos and documents stay with its message
        await attachments.keep(uow, message, inbound.attachments)
    await uow.commit()
    return Intake(customer.id, ticket.id, message.id, new_ticket=new_ticket)


async def _bot_conversation(uow: UnitOfWork, customer: Customer, channel: Channel) -> Conversation:
    """The customer's conversation with the bot on this channel that no case has taken yet."""
    current = await uow.session.scalar(
        select(Conversation)
        .where(Conversation.customer_id == customer.id, Conversation.channel == channel)
        .where(Conversation.ticket_id.is_(None), Conversation.ended_at.is_(None))
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    if current is None:
        current = Conversation(customer_id=customer.id, channel=channel, started_at=uow.now())
        uow.session.add(current)
        await uow.session.flush()
    return current


async def _to_bot(
    uow: UnitOfWork, assistant: Assistant, customer: Customer, inbound: InboundMessage
) -> Intake:
    conversation = await _bot_conversation(uow, customer, inbound.channel)
    message = Message(
        conversation_id=conversation.id, kind=MessageKind.INBOUND, channel=inbound.channel,
        author_customer_id=customer.id, body=inbound.body or "(空)", external_id=storage_key(inbound),
        created_at=uow.now(), attachments=[], meta=_masked(inbound) or None,
    )  # fmt: skip
    uow.session.add(message)
    await uow.session.flush()
    uow.record(
        None, "message.inbound", subject_type="message", subject_id=message.id,
        after={"kind": "inbound", "channel": inbound.channel.value, "length": len(inbound.body),
               "conversation_id": conversation.id},
    )  # fmt: skip
    outcome = await assistant.respond(uow, customer=customer, conversation=conversation, message=message)
    await uow.commit()
    return Intake(
        customer.id, outcome.ticket_id, message.id, new_ticket=outcome.ticket_id is not None,
        conversation_id=conversation.id, bot=outcome,
    )  # fmt: skip


__all__ = ["Intake", "identity_key", "receive", "resolve_customer", "storage_key"]
