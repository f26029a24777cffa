"""What the outbox's outcome means for the message on the case (the second half of the
delivery rule; the first, before writing, is `services.outbound`).

- Sent: the message shows as sent. One that had failed before and an admin retried counts as
  the response now, at the moment it left.
- Retried: it stays "sending", with the platform's last words for the curious.
- Given up (dead letter): it shows as not delivered with the reason; the SLA clocks it had
  stopped run again as if never stopped (so a deadline passed meanwhile is an honest breach,
  and the ladder acts on it), or stop at the next reply that did count; the case's first
  response moves to that reply; and whoever owns the case is told.

Called by the dispatcher in the transaction that records the outcome, only while it holds the
lease, so each outcome is applied once.
"""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.delivery import DeliveryState
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.sla import ClockState
from servicedesk.services import notifications, sla
from servicedesk.services.outbound import mark_undelivered
from servicedesk.store.models import Message, Ticket
from servicedesk.store.sla import SlaClock
from servicedesk.store.uow import UnitOfWork

DETAIL_MAX = 1000


def _message_id(message: OutboundMessage) -> int | None:
    raw = message.metadata.get("message_id", "")
    return int(raw) if raw.isdigit() else None


async def settle(
    uow: UnitOfWork, message: OutboundMessage, outcome: str, error: TransportError | None
) -> None:
    """Apply the dispatcher's outcome (sent / retried / dead) to the message it carried."""
    message_id = _message_id(message)
    row = await uow.session.get(Message, message_id) if message_id is not None else None
    if row is None:  # a welcome, a verification code: nothing on a case to update
        return
    if outcome == "sent":
        await _sent(uow, row)
    elif outcome == "retried" and error is not None:
        row.delivery, row.delivery_detail = DeliveryState.PENDING, error.reason[:DETAIL_MAX]
    elif outcome == "dead" and error is not None:
        await _given_up(uow, row, error)


async def _sent(uow: UnitOfWork, row: Message) -> None:
    late = row.delivery_problem is not None  # it had failed; an admin's retry got it out
    row.delivery, row.delivered_at = DeliveryState.SENT, uow.now()
    row.delivery_problem = row.delivery_detail = None
    if not late or row.ticket_id is None:
        return
    uow.record(
        None, "message.delivered", subject_type="message", subject_id=row.id, ticket_id=row.ticket_id,
        after={"channel": row.channel.value},
    )  # fmt: skip
    ticket = await uow.session.get(Ticket, row.ticket_id)
    if ticket is not None and row.counts_as_response:
        if ticket.first_response_at is None:
            ticket.first_response_at = uow.now()
        await sla.on_reply(uow, ticket, by=row.id)


async def _given_up(uow: UnitOfWork, row: Message, error: TransportError) -> None:
    counted = row.counts_as_response
    mark_undelivered(uow, row, error.final_problem, detail=error.reason)
    if row.ticket_id is None:
        return
    ticket = await uow.session.get(Ticket, row.ticket_id)
    if ticket is None:
        return
    if counted:
        await _take_back(uow, ticket, row)
    notifications.notify(
        uow, await notifications.on_duty_for(uow, ticket), "message.undelivered", ticket_id=ticket.id,
        data={"message_id": row.id, "problem": error.final_problem.value},
    )  # fmt: skip


async def _counted_replies(uow: UnitOfWork, ticket_id: int, *, after_id: int = 0) -> list[Message]:
    rows = await uow.session.scalars(
        select(Message)
        .where(Message.ticket_id == ticket_id, Message.kind == MessageKind.REPLY, Message.id > after_id)
        .where(Message.author_user_id.is_not(None), Message.delivery_problem.is_(None))
        .order_by(Message.id)
    )
    return [m for m in rows if m.counts_as_response]


async def _take_back(uow: UnitOfWork, ticket: Ticket, row: Message) -> None:
    """The reply never reached the customer: it was no response after all."""
    ladder = uow.settings.sla_ladder
    later = next(iter(await _counted_replies(uow, ticket.id, after_id=row.id)), None)
    # answered after all by the next reply that did count; or the case was resolved meanwhile,
    # which stops every clock (met if by then), as it would have stopped this one
    done = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    ended = (ticket.resolved_at or ticket.closed_at) if done else None
    stop_at = later.created_at if later is not None else ended
    clocks = list(
        await uow.session.scalars(
            select(SlaClock)
            .where(SlaClock.ticket_id == ticket.id, SlaClock.stopped_by_message_id == row.id)
            .where(SlaClock.state == ClockState.STOPPED)
        )
    )
    for clock_row in clocks:
        calendar = await sla.calendar_by_id(uow, clock_row.calendar_id)
        clock = sla.clock_of(clock_row).restore(calendar, ladder)
        if stop_at is not None:
            clock = clock.stop(max(stop_at, clock_row.stopped_at or stop_at), calendar)
        clock_row.stopped_by_message_id = later.id if later is not None else None
        sla.write_clock(clock_row, clock, calendar, ladder)
        if stop_at is None:
            uow.record(
                None, "sla.reopened", subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
                after={"metric": clock_row.metric.value},
            )  # fmt: skip
    first = next(iter(await _counted_replies(uow, ticket.id)), None)
    ticket.first_response_at = first.created_at if first is not None else None
