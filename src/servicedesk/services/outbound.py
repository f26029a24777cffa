"""Answer the customer where they wrote: a public reply on an email, WeChat or web-chat case is
queued in the outbox, in the same transaction as the reply itself.

Cases opened in the help center or the API are read where they live, so nothing is queued for
them here. The transport turns `metadata` into the channel's own threading (email:
a signed Message-ID made from ticket and message ids, stable across retries).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from servicedesk.channels.email.threading import message_id_of
from servicedesk.channels.message import Attachment as File
from servicedesk.channels.message import OutboundMessage
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.services.outbox import enqueue
from servicedesk.store.models import Conversation, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork

ANSWERED_ON_CHANNEL = frozenset({Channel.EMAIL, Channel.WECHAT, Channel.WEB_CHAT})


async def _recipient(uow: UnitOfWork, customer_id: int, channel: Channel) -> str | None:
    return await uow.session.scalar(
        select(CustomerIdentity.external_id)
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.channel == channel)
        .where(CustomerIdentity.undeliverable_since.is_(None))
        .order_by(CustomerIdentity.verified.desc(), CustomerIdentity.id.desc())
        .limit(1)
    )


async def _their_message_ids(uow: UnitOfWork, ticket: Ticket) -> tuple[str, ...]:
    ids = await uow.session.scalars(
        select(Message.external_id)
        .where(Message.ticket_id == ticket.id, Message.kind == MessageKind.INBOUND)
        .where(Message.external_id.is_not(None))
        .order_by(Message.id)
    )
    return tuple(ref for i in ids if i and (ref := message_id_of(i)))


async def queue_reply(uow: UnitOfWork, ticket: Ticket, reply: Message, *, files: Sequence[File] = ()) -> bool:
    """Queue `reply` for the customer on the case's channel; False when the case's channel is
    read in place or the customer has no identity on it (the agent sees the reply either way).
    `files` travel with an email; chat channels carry text, and the files stay on the case."""
    if ticket.channel not in ANSWERED_ON_CHANNEL:
        return False
    recipient = await _recipient(uow, ticket.customer_id, ticket.channel)
    if recipient is None:
        return False
    message = OutboundMessage(
        channel=ticket.channel, recipient=recipient, body=reply.body, subject=ticket.subject,
        thread_refs=await _their_message_ids(uow, ticket),
        metadata={"ticket_id": str(ticket.id), "message_id": str(reply.id)},
        attachments=tuple(files) if ticket.channel is Channel.EMAIL else (),
    )  # fmt: skip
    await enqueue(uow, message, ticket_id=ticket.id, dedupe_key=f"reply:{reply.id}")
    return True


async def queue_conversation_reply(
    uow: UnitOfWork, conversation: Conversation, reply: Message, *, sender: str = "agent"
) -> bool:
    """The same for a conversation that has no case (yet): the bot answering a chat or a
    WeChat message before any person is involved."""
    if conversation.channel not in ANSWERED_ON_CHANNEL:
        return False
    recipient = await _recipient(uow, conversation.customer_id, conversation.channel)
    if recipient is None:
        return False
    message = OutboundMessage(
        channel=conversation.channel, recipient=recipient, body=reply.body,
        metadata={"conversation_id": str(conversation.id), "message_id": str(reply.id), "from": sender},
    )  # fmt: skip
    await enqueue(uow, message, dedupe_key=f"reply:{reply.id}")
    return True


async def latest_conversation_id(uow: UnitOfWork, ticket_id: int) -> int | None:
    return await uow.session.scalar(
        select(Conversation.id)
        .where(Conversation.ticket_id == ticket_id)
        .order_by(Conversation.id.desc())
        .limit(1)
    )
