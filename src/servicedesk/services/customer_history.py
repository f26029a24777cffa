"""The customer's whole story for whoever handles one of their cases (R-IN-2, 无需重复说明).

Visibility follows the case being handled: whoever may see case X sees every case of X's
customer, on every channel and in every team (number, subject, status, team, assignee, dates and
the public conversation), the customer's conversations with the bot, their channels and their
latest orders. Queues stay per team for *working* cases; reading the story of the customer one
is already serving is part of serving them, or the customer explains again on every contact.

Internal notes stay with the cases the viewer could open anyway (`Principal.sees`): another
team's notes are its working papers. Whoever cannot see X gets "not found", as for X itself.
Customers get "not found" too: this view names staff, teams and routing, and their own cases
are in the help center.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, true, tuple_
from sqlalchemy.orm import InstrumentedAttribute, joinedload

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.errors import NotFound, ValidationFailed
from servicedesk.domain.roles import Principal
from servicedesk.services.access import CUSTOMER_PROFILE, access_ticket_by_id, require_staff
from servicedesk.services.connectors import DemoOrders, OrderHistory, OrderSummary
from servicedesk.store.models import Conversation, Customer, Message, Ticket, User
from servicedesk.store.uow import UnitOfWork

PAGE = 10  # timeline entries (cases and bot conversations) per page
MAX_PAGE = 50
CONVERSATION_LINES = 30  # the latest lines of a conversation with the bot
ORDERS = 5
CURSOR = re.compile(r"(case|conversation)-(\d{1,18})")
_DEMO_ORDERS = DemoOrders()


class Speaker(StrEnum):
    CUSTOMER = "customer"
    STAFF = "staff"
    BOT = "bot"
    SYSTEM = "system"  # progress notices the platform wrote (R-HD-7)


@dataclass(frozen=True, slots=True)
class Line:
    message: Message
    speaker: Speaker
    name: str | None  # the customer's, the staff member's or the bot's name; None for the system

    @property
    def by_person(self) -> bool:
        return self.speaker in (Speaker.CUSTOMER, Speaker.STAFF)


@dataclass(frozen=True, slots=True)
class CaseEntry:
    ticket: Ticket  # team and assignee loaded
    current: bool  # the case being handled
    openable: bool  # the viewer may open the case itself; else only its read-only history
    lines: list[Line]  # oldest first; only the latest ones when the caller limited them
    message_count: int  # the messages of this case the viewer may read
    hidden_notes: int  # internal notes of a team the viewer is not in

    kind = "case"

    @property
    def at(self) -> datetime:
        return self.ticket.created_at

    @property
    def cursor(self) -> str:
        return f"case-{self.ticket.id}"

    @property
    def summary(self) -> Line | None:
        """The line that says where the case stands: the latest word of a person (customer or
        staff), else the latest message (a bot's answer, a notice)."""
        public = [line for line in self.lines if line.message.kind is not MessageKind.NOTE]
        spoken = [line for line in public if line.by_person]
        latest = spoken or public
        return latest[-1] if latest else None


@dataclass(frozen=True, slots=True)
class ConversationEntry:
    conversation: Conversation
    lines: list[Line]  # oldest first, the latest `CONVERSATION_LINES`
    message_count: int

    kind = "conversation"

    @property
    def at(self) -> datetime:
        return self.conversation.started_at

    @property
    def summary(self) -> Line | None:
        """The customer's latest words, else the bot's."""
        asked = [line for line in self.lines if line.by_person]
        latest = asked or self.lines
        return latest[-1] if latest else None

    @property
    def cursor(self) -> str:
        return f"conversation-{self.conversation.id}"


Entry = CaseEntry | ConversationEntry


@dataclass(frozen=True, slots=True)
class ChannelCount:
    channel: Channel
    cases: int
    conversations: int  # with the bot, no case opened


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    ticket_id: int  # the case being handled, through which all of this is read
    customer: Customer  # tags and identities loaded
    cases_total: int
    cases_active: int
    conversations_total: int
    channels: list[ChannelCount]
    timeline: list[Entry]  # newest first
    orders: list[OrderSummary]
    next_cursor: str | None  # `before` for the next, older page


@dataclass(frozen=True, slots=True)
class _Mark:
    """Where a page ends, in the timeline's order: newest first, a conversation before a case
    started at the same instant, then by id."""

    at: datetime
    rank: int  # 1 conversation, 0 case
    id: int


async def handled_case(uow: UnitOfWork, principal: Principal, ticket_id: int) -> Ticket:
    """The case the history is read through: staff who may see it, or "not found"."""
    require_staff(principal)
    return await access_ticket_by_id(uow, principal, ticket_id)


async def customer_history(
    uow: UnitOfWork,
    principal: Principal,
    ticket_id: int,
    *,
    before: str | None = None,
    limit: int = PAGE,
    lines_per_case: int | None = None,
    orders: OrderHistory = _DEMO_ORDERS,
) -> CustomerHistory:
    """The history of case `ticket_id`'s customer, one page of it newest first. `before` is a
    page's `next_cursor`; `lines_per_case` keeps only each case's latest messages (a panel)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed("limit out of range", fields={"limit": f"between 1 and {MAX_PAGE}"})
    handled = await handled_case(uow, principal, ticket_id)
    customer_id = handled.customer_id
    customer = await uow.session.get(Customer, customer_id, options=CUSTOMER_PROFILE, populate_existing=True)
    assert customer is not None  # a ticket's foreign key
    mark = await _mark(uow, customer_id, before) if before else None

    tickets = await _older_cases(uow, customer_id, mark, limit + 1)
    conversations = await _older_conversations(uow, customer_id, mark, limit + 1)
    merged = sorted(
        [(_Mark(t.created_at, 0, t.id), t) for t in tickets]
        + [(_Mark(c.started_at, 1, c.id), c) for c in conversations],
        key=lambda pair: (pair[0].at, pair[0].rank, pair[0].id),
        reverse=True,
    )
    page = merged[:limit]
    shown_tickets = [row for _, row in page if isinstance(row, Ticket)]
    shown_conversations = [row for _, row in page if isinstance(row, Conversation)]

    case_entries = await _case_entries(uow, principal, customer, handled.id, shown_tickets, lines_per_case)
    conversation_entries = await _conversation_entries(uow, customer, shown_conversations)
    by_key: dict[tuple[int, int], Entry] = {(0, e.ticket.id): e for e in case_entries}
    by_key |= {(1, e.conversation.id): e for e in conversation_entries}
    timeline = [by_key[(m.rank, m.id)] for m, _ in page]

    totals = await _totals(uow, customer_id)
    return CustomerHistory(
        ticket_id=handled.id,
        customer=customer,
        cases_total=totals.cases,
        cases_active=totals.active,
        conversations_total=totals.conversations,
        channels=totals.channels,
        timeline=timeline,
        orders=await orders.recent_orders(uow, customer_id=customer_id, limit=ORDERS),
        next_cursor=timeline[-1].cursor if len(merged) > limit and timeline else None,
    )


@dataclass(frozen=True, slots=True)
class CaseView:
    handled: Ticket
    customer: Customer
    entry: CaseEntry


async def case_through(uow: UnitOfWork, principal: Principal, ticket_id: int, case_id: int) -> CaseView:
    """Another case of the same customer, read-only, through the case being handled: its whole
    public conversation, and its notes only if the viewer could open that case anyway."""
    handled = await handled_case(uow, principal, ticket_id)
    ticket = await uow.session.scalar(
        _with_people(select(Ticket).where(Ticket.id == case_id, Ticket.customer_id == handled.customer_id))
    )
    if ticket is None:
        raise NotFound(f"ticket {case_id} not found")
    customer = await uow.session.get(Customer, handled.customer_id)
    assert customer is not None
    (entry,) = await _case_entries(uow, principal, customer, handled.id, [ticket], None)
    return CaseView(handled, customer, entry)


# --- pages of the timeline ----------------------------------------------------------------------


async def _mark(uow: UnitOfWork, customer_id: int, cursor: str) -> _Mark:
    found = CURSOR.fullmatch(cursor.strip())
    row = None
    if found:
        kind, raw_id = found.group(1), int(found.group(2))
        if kind == "case":
            at = await uow.session.scalar(
                select(Ticket.created_at).where(Ticket.id == raw_id, Ticket.customer_id == customer_id)
            )
            row = _Mark(at, 0, raw_id) if at is not None else None
        else:
            at = await uow.session.scalar(
                select(Conversation.started_at).where(
                    Conversation.id == raw_id, Conversation.customer_id == customer_id
                )
            )
            row = _Mark(at, 1, raw_id) if at is not None else None
    if row is None:
        raise ValidationFailed(
            "bad cursor",
            fields={"before": "not a cursor of this customer's history (case-N or conversation-N)"},
        )
    return row


def _older(
    at: InstrumentedAttribute[datetime], id_: InstrumentedAttribute[int], rank: int, mark: _Mark | None
) -> ColumnElement[bool]:
    """Rows of one kind that come after `mark` in the timeline's order."""
    if mark is None:
        return true()
    if rank < mark.rank:
        return at <= mark.at
    if rank > mark.rank:
        return at < mark.at
    return tuple_(at, id_) < tuple_(mark.at, mark.id)


def _with_people(stmt: Select[Any]) -> Select[Any]:
    return stmt.options(joinedload(Ticket.team), joinedload(Ticket.assignee))


async def _older_cases(uow: UnitOfWork, customer_id: int, mark: _Mark | None, n: int) -> list[Ticket]:
    stmt = _with_people(
        select(Ticket)
        .where(Ticket.customer_id == customer_id, _older(Ticket.created_at, Ticket.id, 0, mark))
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(n)
    )
    return list((await uow.session.scalars(stmt)).unique())


async def _older_conversations(
    uow: UnitOfWork, customer_id: int, mark: _Mark | None, n: int
) -> list[Conversation]:
    """Conversations no case took over (with the bot); the others are their case's messages."""
    stmt = (
        select(Conversation)
        .where(Conversation.customer_id == customer_id, Conversation.ticket_id.is_(None))
        .where(_older(Conversation.started_at, Conversation.id, 1, mark))
        .order_by(Conversation.started_at.desc(), Conversation.id.desc())
        .limit(n)
    )
    return list(await uow.session.scalars(stmt))


# --- what was said ------------------------------------------------------------------------------


def _readable(principal: Principal, cases: Sequence[Ticket]) -> ColumnElement[bool]:
    """Public messages anywhere; internal notes only on cases the viewer could open."""
    openable = [t.id for t in cases if _opens(principal, t)]
    return or_(Message.kind != MessageKind.NOTE, Message.ticket_id.in_(openable))


def _opens(principal: Principal, ticket: Ticket) -> bool:
    return principal.sees(
        customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=ticket.assignee_id
    )


def _latest(stmt: Select[Any], partition: InstrumentedAttribute[Any], limit: int | None) -> Select[Any]:
    """Only the latest `limit` messages of each case or conversation (a window function: one
    query whatever the number of cases)."""
    if limit is None:
        return stmt
    rank = func.row_number().over(
        partition_by=partition, order_by=(Message.created_at.desc(), Message.id.desc())
    )
    ranked = stmt.with_only_columns(Message.id, rank.label("rank")).subquery()
    return select(Message).where(Message.id.in_(select(ranked.c.id).where(ranked.c.rank <= limit)))


async def _case_entries(
    uow: UnitOfWork,
    principal: Principal,
    customer: Customer,
    current_id: int,
    cases: Sequence[Ticket],
    lines_per_case: int | None,
) -> list[CaseEntry]:
    if not cases:
        return []
    ids = [t.id for t in cases]
    readable = _readable(principal, cases)
    counted = await uow.session.execute(
        select(
            Message.ticket_id,
            func.sum(case((readable, 1), else_=0)),
            func.sum(case((readable, 0), else_=1)),
        )
        .where(Message.ticket_id.in_(ids))
        .group_by(Message.ticket_id)
    )
    counts = {int(tid): (int(shown or 0), int(hidden or 0)) for tid, shown, hidden in counted}
    stmt = _latest(
        select(Message).where(Message.ticket_id.in_(ids), readable), Message.ticket_id, lines_per_case
    )
    messages = list(await uow.session.scalars(stmt.order_by(Message.created_at, Message.id)))
    names = await _staff_names(uow, (m.author_user_id for m in messages))
    by_case: dict[int, list[Line]] = defaultdict(list)
    for m in messages:
        by_case[int(m.ticket_id or 0)].append(_line(m, customer, names))
    return [
        CaseEntry(
            ticket=t,
            current=t.id == current_id,
            openable=_opens(principal, t),
            lines=by_case[t.id],
            message_count=counts.get(t.id, (0, 0))[0],
            hidden_notes=counts.get(t.id, (0, 0))[1],
        )
        for t in cases
    ]


async def _conversation_entries(
    uow: UnitOfWork, customer: Customer, conversations: Sequence[Conversation]
) -> list[ConversationEntry]:
    if not conversations:
        return []
    ids = [c.id for c in conversations]
    said = and_(
        Message.conversation_id.in_(ids),
        Message.ticket_id.is_(None),
        Message.kind.in_((MessageKind.INBOUND, MessageKind.REPLY)),
    )
    counted = await uow.session.execute(
        select(Message.conversation_id, func.count()).where(said).group_by(Message.conversation_id)
    )
    counts = {int(cid or 0): int(n) for cid, n in counted}
    stmt = _latest(select(Message).where(said), Message.conversation_id, CONVERSATION_LINES)
    messages = list(await uow.session.scalars(stmt.order_by(Message.created_at, Message.id)))
    names = await _staff_names(uow, (m.author_user_id for m in messages))
    by_conversation: dict[int, list[Line]] = defaultdict(list)
    for m in messages:
        by_conversation[int(m.conversation_id or 0)].append(_line(m, customer, names))
    return [ConversationEntry(c, by_conversation[c.id], counts.get(c.id, 0)) for c in conversations]


async def _staff_names(uow: UnitOfWork, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = await uow.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {int(i): name for i, name in rows}


def _line(message: Message, customer: Customer, staff: Mapping[int, str]) -> Line:
    meta = message.meta or {}
    if message.kind is MessageKind.INBOUND:
        return Line(message, Speaker.CUSTOMER, customer.name)
    if meta.get("bot"):
        return Line(message, Speaker.BOT, str(meta["bot"]))
    if "system" in meta or message.author_user_id is None:
        return Line(message, Speaker.SYSTEM, None)
    return Line(message, Speaker.STAFF, staff.get(message.author_user_id))


# --- the whole history at a glance ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Totals:
    cases: int
    active: int
    conversations: int
    channels: list[ChannelCount]


async def _totals(uow: UnitOfWork, customer_id: int) -> _Totals:
    by_case = await uow.session.execute(
        select(Ticket.channel, Ticket.status, func.count())
        .where(Ticket.customer_id == customer_id)
        .group_by(Ticket.channel, Ticket.status)
    )
    cases: dict[Channel, int] = defaultdict(int)
    active = 0
    for channel, status, n in by_case:
        cases[channel] += n
        active += n if status.is_active else 0
    by_conversation = await uow.session.execute(
        select(Conversation.channel, func.count())
        .where(Conversation.customer_id == customer_id, Conversation.ticket_id.is_(None))
        .group_by(Conversation.channel)
    )
    conversations = {channel: int(n) for channel, n in by_conversation}
    channels = [
        ChannelCount(c, cases.get(c, 0), conversations.get(c, 0))
        for c in Channel
        if c in cases or c in conversations
    ]
    channels.sort(key=lambda c: c.cases + c.conversations, reverse=True)
    return _Totals(sum(cases.values()), active, sum(conversations.values()), channels)
