"""The customer's history through the case being handled (R-IN-2): every case on every channel
and team, conversations with the bot, channels, tier and latest orders.

Same rule as the ticket itself: whoever may read the case reads its customer's history, with
other teams' internal notes left out; anyone else, customers included, gets 404.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from servicedesk.domain.catalog import Channel, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services import customer_history as history
from servicedesk.services.connectors import OrderSummary
from servicedesk.web.api.schemas import CustomerOut, MessageOut, Ref, json_response
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(prefix="/tickets", tags=["tickets"])


class HistoryMessageOut(MessageOut):
    speaker: history.Speaker
    author_name: str | None = Field(description="the customer, staff member or bot; null for a system notice")

    @classmethod
    def of_line(cls, line: history.Line) -> HistoryMessageOut:
        return cls(**MessageOut.of(line.message).model_dump(), speaker=line.speaker, author_name=line.name)


class HistoryCaseOut(BaseModel):
    type: Literal["case"] = "case"
    id: int
    number: str
    subject: str
    channel: Channel
    status: TicketStatus
    ticket_type: TicketType
    priority: Priority
    team: Ref | None
    assignee: Ref | None
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    current: bool = Field(description="the case this history was read through")
    openable: bool = Field(description="the caller may open the case itself (GET /tickets/{id})")
    summary: str | None = Field(description="the latest word of a person on the case")
    message_count: int
    hidden_notes: int = Field(description="internal notes of teams the caller is not in, left out")
    messages: list[HistoryMessageOut] = Field(
        description="oldest first: public messages, and notes where openable"
    )

    @classmethod
    def of(cls, entry: history.CaseEntry) -> HistoryCaseOut:
        t, summary = entry.ticket, entry.summary
        return cls(
            id=t.id, number=t.number, subject=t.subject, channel=t.channel, status=t.status,
            ticket_type=t.type, priority=t.priority,
            team=Ref(id=t.team.id, name=t.team.name) if t.team else None,
            assignee=Ref(id=t.assignee.id, name=t.assignee.name) if t.assignee else None,
            created_at=t.created_at, updated_at=t.updated_at, resolved_at=t.resolved_at,
            closed_at=t.closed_at, current=entry.current, openable=entry.openable,
            summary=summary.message.body if summary else None, message_count=entry.message_count,
            hidden_notes=entry.hidden_notes, messages=[HistoryMessageOut.of_line(x) for x in entry.lines],
        )  # fmt: skip


class HistoryConversationOut(BaseModel):
    type: Literal["conversation"] = "conversation"
    id: int
    channel: Channel
    started_at: datetime
    ended_at: datetime | None
    message_count: int
    messages: list[HistoryMessageOut] = Field(
        description=f"the latest {history.CONVERSATION_LINES}, oldest first"
    )

    @classmethod
    def of(cls, entry: history.ConversationEntry) -> HistoryConversationOut:
        c = entry.conversation
        return cls(
            id=c.id, channel=c.channel, started_at=c.started_at, ended_at=c.ended_at,
            message_count=entry.message_count, messages=[HistoryMessageOut.of_line(x) for x in entry.lines],
        )  # fmt: skip


class ChannelCountOut(BaseModel):
    channel: Channel
    cases: int
    conversations: int


class OrderOut(BaseModel):
    order_no: str
    status: str = Field(description="the shop's status code (pending_payment, paid, shipped, …)")
    items: str
    amount: Decimal
    placed_at: datetime
    carrier: str | None
    tracking_no: str | None
    eta: date | None


class CustomerHistoryOut(BaseModel):
    ticket_id: int
    customer: CustomerOut = Field(description="phone, ID number and phone identities masked")
    cases_total: int
    cases_active: int
    conversations_total: int
    channels: list[ChannelCountOut]
    timeline: list[Annotated[HistoryCaseOut | HistoryConversationOut, Field(discriminator="type")]] = Field(
        description="cases and conversations with the bot, newest first"
    )
    orders: list[OrderOut] = Field(description=f"the latest {history.ORDERS}, from the order connector")
    next_cursor: str | None = Field(description="pass as `before` for older entries; null on the last page")


@router.get("/{ticket_id}/customer-history", response_model=CustomerHistoryOut)
async def customer_history(
    ticket_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    before: Annotated[str | None, Query(max_length=40, description="a page's `next_cursor`")] = None,
    limit: Annotated[int, Query(ge=1, le=history.MAX_PAGE)] = 20,
) -> Response:
    async with uow(write=False) as u:
        found = await history.customer_history(u, principal, ticket_id, before=before, limit=limit)
        out = CustomerHistoryOut(
            ticket_id=found.ticket_id,
            customer=CustomerOut.of(found.customer),
            cases_total=found.cases_total,
            cases_active=found.cases_active,
            conversations_total=found.conversations_total,
            channels=[ChannelCountOut(channel=c.channel, cases=c.cases, conversations=c.conversations)
                      for c in found.channels],
            timeline=[
                HistoryCaseOut.of(e) if isinstance(e, history.CaseEntry) else HistoryConversationOut.of(e)
                for e in found.timeline
            ],
            orders=[_order(o) for o in found.orders],
            next_cursor=found.next_cursor,
        )  # fmt: skip
    return json_response(out)


def _order(o: OrderSummary) -> OrderOut:
    return OrderOut(
        order_no=o.order_no, status=o.status, items=o.items, amount=o.amount, placed_at=o.placed_at,
        carrier=o.carrier, tracking_no=o.tracking_no, eta=o.eta,
    )  # fmt: skip
