"""Hard bounces: the address is marked undeliverable and the case says so — never a new case,
never a reopened one, never an answer (which would only bounce again)."""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.services.outbound import latest_conversation_id
from servicedesk.store.models import CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork


async def record_hard_bounce(uow: UnitOfWork, *, ticket_id: int, address: str, status: str) -> bool:
    """Mark `address` undeliverable for the customer of `ticket_id` and leave a note there;
    False when the ticket or the address is not that customer's (a forged or stale bounce)."""
    ticket = await uow.session.get(Ticket, ticket_id)
    if ticket is None:
        return False
    identity = await uow.session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.customer_id == ticket.customer_id,
            CustomerIdentity.channel == Channel.EMAIL,
            CustomerIdentity.external_id == address.strip().lower(),
        )
    )
    if identity is None:
        return False
    now = uow.now()
    identity.undeliverable_since = identity.undeliverable_since or now
    text = (
        f"退信：邮件地址 {identity.external_id} 无法投递（{status}），"
        "后续回复不再发往该地址，请通过其他渠道联系客户。"
    )
    note = Message(
        conversation_id=await latest_conversation_id(uow, ticket.id), ticket_id=ticket.id,
        kind=MessageKind.NOTE, channel=Channel.EMAIL, body=text, created_at=now, attachments=[],
    )  # fmt: skip
    uow.session.add(note)
    await uow.session.flush()
    uow.record(
        None, "email.bounced", subject_type="customer", subject_id=ticket.customer_id, ticket_id=ticket.id,
        after={"address": identity.external_id, "status": status},
    )  # fmt: skip
    await uow.commit()
    return True
