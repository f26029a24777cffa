"""Queue outbound messages in the caller's transaction; list and retry dead letters (admins).

Nothing here sends: `jobs.outbox.Dispatcher` delivers after commit. A message that is never
committed is never sent; one that is committed is delivered even if this process dies.
"""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select

from servicedesk.channels.message import Attachment, OutboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryState
from servicedesk.domain.errors import Conflict, NotFound
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services.access import require
from servicedesk.store.models import Message, Outbox, OutboxStatus
from servicedesk.store.uow import UnitOfWork


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def to_payload(message: OutboundMessage) -> dict[str, Any]:
    return {
        "channel": message.channel.value,
        "recipient": message.recipient,
        "body": message.body,
        "subject": message.subject,
        "message_id": message.message_id,
        "thread_refs": list(message.thread_refs),
        "metadata": dict(message.metadata),
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode(),
            }
            for a in message.attachments
        ],
    }


def from_payload(payload: dict[str, Any]) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel(payload["channel"]),
        recipient=payload["recipient"],
        body=payload["body"],
        subject=payload.get("subject"),
        message_id=payload.get("message_id"),
        thread_refs=tuple(payload.get("thread_refs", ())),
        metadata=payload.get("metadata", {}),
        attachments=tuple(
            Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
            for a in payload.get("attachments", ())
        ),
    )


async def enqueue(
    uow: UnitOfWork,
    message: OutboundMessage,
    *,
    ticket_id: int | None = None,
    dedupe_key: str | None = None,
) -> Outbox:
    """Add `message` to the caller's transaction. `dedupe_key` makes a second enqueue of the
    same logical message (a retried webhook, say) a no-op returning the first row."""
    if dedupe_key is not None:
        existing = await uow.session.scalar(select(Outbox).where(Outbox.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    now = uow.now()
    row = Outbox(
        channel=message.channel, recipient=message.recipient, payload=to_payload(message),
        ticket_id=ticket_id, dedupe_key=dedupe_key, status=OutboxStatus.PENDING, attempts=0,
        next_attempt_at=now, created_at=now,
    )  # fmt: skip
    uow.session.add(row)
    uow.wake_outbox_after_commit()
    return row


async def list_outbox(
    uow: UnitOfWork, actor: Principal, *, status: OutboxStatus | None = OutboxStatus.DEAD, limit: int = 100
) -> list[Outbox]:
    require(actor, Permission.MANAGE_SYSTEM)
    stmt = select(Outbox).order_by(Outbox.id.desc()).limit(limit)
    if status is not None:
        stmt = stmt.where(Outbox.status == status)
    return list(await uow.session.scalars(stmt))


async def retry_dead(uow: UnitOfWork, actor: Principal, outbox_id: int) -> Outbox:
    """Give a dead message a fresh set of attempts, now; recorded in the audit trail."""
    require(actor, Permission.MANAGE_SYSTEM)
    row = await uow.session.get(Outbox, outbox_id)
    if row is None:
        raise NotFound(f"outbox message {outbox_id} not found")
    if row.status is not OutboxStatus.DEAD:
        raise Conflict(f"only dead messages can be retried; this one is {row.status.value}")
    before = {"status": row.status.value, "attempts": row.attempts, "last_error": row.last_error}
    row.status, row.attempts, row.next_attempt_at = OutboxStatus.PENDING, 0, uow.now()
    row.claimed_by = row.claimed_until = None
    await _sending_again(uow, row)
    uow.record(
        actor, "outbox.retried", subject_type="outbox", subject_id=row.id, ticket_id=row.ticket_id,
        before=before, after={"status": row.status.value},
    )  # fmt: skip
    await uow.commit()
    return row


async def _sending_again(uow: UnitOfWork, row: Outbox) -> None:
    """The message on the case is sending again. It keeps its problem until it is sent, so it
    does not count as a response before then (`services.delivery`)."""
    raw = str((row.payload.get("metadata") or {}).get("message_id", ""))
    message = await uow.session.get(Message, int(raw)) if raw.isdigit() else None
    if message is not None:
        message.delivery = DeliveryState.PENDING
