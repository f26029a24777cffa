"""The demo's standard-handling scenes (issue 5): something to see on every page the moment the
demo opens — agents on shift with VIP advisors (so new cases route), a major incident with an
update sent, a request to each department, a complex case on its track, and a refund above the
front line's limit waiting for the supervisor.

Everything goes through the real services as the people who would do it; a scene whose
material the generated history happens not to hold (no open case of the kind) is left out
rather than faked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal, Role
from servicedesk.services import approvals, availability, collaboration, complex_cases, incidents
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.models import Team, TeamMember, Ticket, TicketTag, User
from servicedesk.store.uow import UnitOfWork

ACTIVE = (TicketStatus.NEW, TicketStatus.OPEN, TicketStatus.PENDING)


@dataclass
class Showcase:
    agents_on_shift: int = 0
    incident_id: int | None = None
    requests: int = 0
    complex_case_ticket: int | None = None
    pending_approval: int | None = None


async def _principal(uow: UnitOfWork, name: str) -> Principal:
    user_id = await uow.session.scalar(select(User.id).where(User.name == name))
    found = await principal_by_user_id(uow, user_id) if user_id is not None else None
    if found is None:
        raise LookupError(f"the demo has no staff member {name}")
    return found


async def _open_cases_of(uow: UnitOfWork, team: str, *, limit: int) -> list[int]:
    rows = await uow.session.scalars(
        select(Ticket.id)
        .join(Team, Team.id == Ticket.team_id)
        .where(Team.name == team, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.updated_at.desc())
        .limit(limit)
    )
    return list(rows)


async def _refund_case(uow: UnitOfWork, team: str) -> tuple[int, DemoOrder] | None:
    """An open case of `team` whose customer has a demo order worth more than 500 yuan."""
    row = (
        await uow.session.execute(
            select(Ticket.id, DemoOrder)
            .join(Team, Team.id == Ticket.team_id)
            .join(DemoOrder, DemoOrder.customer_id == Ticket.customer_id)
            .where(Team.name == team, Ticket.status.in_(ACTIVE), DemoOrder.amount > Decimal(500))
            .order_by(Ticket.updated_at.desc())
            .limit(1)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def stage(db: Database, *, first_line: str, tech: str) -> Showcase:
    shown = Showcase()
    async with UnitOfWork(db) as uow:
        shown.agents_on_shift = await availability.install_demo_availability(uow)
        await uow.commit()
    async with UnitOfWork(db) as uow:
        supervisor = await _principal(uow, "郑晓梅")
        tagged = await uow.session.scalar(
            select(TicketTag.tag)
            .join(Ticket, Ticket.id == TicketTag.ticket_id)
            .where(TicketTag.tag == "物流", Ticket.status.in_(ACTIVE))
            .limit(1)
        )
        if tagged is not None:
            incident = await incidents.demo_incident(
                uow, supervisor, tag="物流", title="华东仓发货延迟",
                summary="华东仓分拣线故障，部分订单发货延迟 1–2 天。",
                update="您好，华东仓分拣线故障已定位，正在抢修，预计明天 18:00 前恢复发货，延迟订单将优先发出。",
            )  # fmt: skip
            shown.incident_id = incident.id if incident is not None else None
    async with UnitOfWork(db) as uow:
        agent = await _principal(uow, "王芳")
        mine = list(
            await uow.session.scalars(
                select(Ticket.id)
                .where(Ticket.assignee_id == agent.user_id, Ticket.status.in_(ACTIVE))
                .order_by(Ticket.updated_at.desc())
                .limit(4)
            )
        )
        shown.requests = len(await collaboration.seed_demo(uow, agent, mine))
    async with UnitOfWork(db) as uow:
        expert = await _principal(uow, "赵敏")
        member = await uow.session.scalar(select(User.id).where(User.name == "黄强"))
        cases = await _open_cases_of(uow, tech, limit=1)
        if cases and member is not None:
            await complex_cases.seed_demo(
                uow, expert, cases[0], member_id=member, step_due=uow.now() + timedelta(days=2)
            )
            shown.complex_case_ticket = cases[0]
    async with UnitOfWork(db) as uow:
        found = await _refund_case(uow, first_line)
        if found is not None:
            ticket_id, order = found
            holder = await uow.session.scalar(
                select(TeamMember.user_id)
                .join(User, User.id == TeamMember.user_id)
                .join(Team, Team.id == TeamMember.team_id)
                .where(Team.name == first_line, User.role == Role.AGENT)
                .order_by(User.id)
                .limit(1)
            )
            assert holder is not None
            asker = await principal_by_user_id(uow, holder)
            assert asker is not None
            action = await approvals.request_action(
                uow, asker, ticket_id, kind="refund", amount=order.amount, order_no=order.order_no,
                basis="商品到货即损坏，客户拒绝换货，按售后政策全额退款。",
            )  # fmt: skip
            shown.pending_approval = action.id
    return shown
