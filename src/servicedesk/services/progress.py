"""Keeping the customer informed (R-HD-7): when their case changes hands, they hear where it is
and when to expect an answer, on the channel they wrote on — without any agent typing it.

These messages are public replies from the system (`meta.system`), so they are not a person's
response and stop no SLA clock.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from servicedesk.domain.catalog import MessageKind
from servicedesk.services.outbound import queue_reply
from servicedesk.services.tickets import latest_conversation_id
from servicedesk.store.models import Customer, Message, Ticket
from servicedesk.store.uow import UnitOfWork

TEXTS: dict[str, tuple[str, str]] = {
    "escalated": (
        "您好，您的问题（工单 {number}）已转交{team}进一步处理{due}。处理有进展我们会第一时间通知您。",
        "Your case {number} has been passed to {team} for further handling{due}. "
        "We will let you know as soon as there is progress.",
    ),
    "escalated_due": ("，预计 {when} 前给您答复", "; expect an answer by {when}"),
}


def when_text(moment: datetime, time_zone: str, locale: str) -> str:
    local = moment.astimezone(ZoneInfo(time_zone))
    return f"{local:%m-%d %H:%M}" if locale == "en" else f"{local.month}月{local.day}日 {local:%H:%M}"


def text(key: str, locale: str, **values: str) -> str:
    zh, en = TEXTS[key]
    return (en if locale == "en" else zh).format(**values)


async def tell_customer(uow: UnitOfWork, ticket: Ticket, body: str, *, reason: str) -> Message:
    """A public system message on the case, delivered on its channel through the outbox."""
    message = Message(
        conversation_id=await latest_conversation_id(uow, ticket.id), ticket_id=ticket.id,
        kind=MessageKind.REPLY, channel=ticket.channel, body=body, created_at=uow.now(), attachments=[],
        meta={"system": reason},
    )  # fmt: skip
    uow.session.add(message)
    await uow.session.flush()
    await queue_reply(uow, ticket, message)
    return message


async def customer_locale(uow: UnitOfWork, ticket: Ticket) -> str:
    customer = await uow.session.get(Customer, ticket.customer_id)
    return customer.locale if customer is not None else "zh"
