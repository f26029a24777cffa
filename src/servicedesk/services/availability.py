"""Who can take work now (R-HD-2): each agent's presence, capacity per workload, working hours
(their own shift, else the service hours), and the load they already carry.

The rows change here; what a change sets in motion (a queue drained when someone comes online,
unanswered cases re-routed when someone leaves) is `services.routing`, which calls these
functions inside its own transaction and commits. An agent with no row is not routed to at all,
so a deployment that never sets presence keeps the plain help desk: cases wait in their team.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, case, func, select

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.catalog import Channel, CustomerTier
from servicedesk.domain.errors import Forbidden, NotFound, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.domain.routing_rules import DEFAULT_RULES, Presence, Workload, workload_of
from servicedesk.services import service_hours
from servicedesk.services.access import require, require_staff
from servicedesk.store.models import AgentSkill, Customer, Team, TeamMember, Ticket, User
from servicedesk.store.routing import Availability
from servicedesk.store.uow import UnitOfWork

# A case holds a place while someone works on it; one waiting on the customer (pending) does not.
LOADED = (TicketStatus.NEW, TicketStatus.OPEN)
_CHAT_CHANNELS = [c for c in Channel if workload_of(c) is Workload.CHAT]
_PRESENCE, _WORKLOAD = {p.value: p for p in Presence}, {w.value: w for w in Workload}  # a lookup, not a call
MAX_CAPACITY = {Workload.CHAT: 20, Workload.TICKET: 200}
MAX_HOURS = 500


@lru_cache(maxsize=1024)
def shift_calendar(spec: str, time_zone: str) -> BusinessCalendar:
    """The weekly hours in the person's zone; parsed once per spec, since every decision asks."""
    return BusinessCalendar.parse(spec, time_zone=time_zone)


def check_hours(spec: str | None, time_zone: str) -> str | None:
    """The cleaned spec, None for the service hours; a clear 422 for what cannot be read."""
    cleaned = " ".join((spec or "").split())
    if not cleaned:
        return None
    if len(cleaned) > MAX_HOURS:
        raise ValidationFailed(
            "working hours too long", fields={"working_hours": f"at most {MAX_HOURS} chars"}
        )
    try:
        return shift_calendar(cleaned, time_zone).spec()
    except ValueError as error:
        raise ValidationFailed("unreadable working hours", fields={"working_hours": str(error)}) from error


@lru_cache(maxsize=1024)
def working_calendar(spec: str | None, time_zone: str, service: BusinessCalendar) -> BusinessCalendar:
    """When the person works: their own weekly hours, closed and opened on the service
    calendar's dates (public holidays when they are not staffed, make-up working days); the
    service hours themselves when they have none (R-IN-5)."""
    if spec is None:
        return service
    return BusinessCalendar.parse(
        spec, time_zone=time_zone, holidays=service.holidays, workdays=service.workdays
    )


@dataclass(slots=True)
class AgentRecord:
    """One routed agent as read from the tables: what routing and the queue page both need."""

    user_id: int
    name: str
    role: Role
    time_zone: str
    presence: Presence
    presence_changed_at: datetime
    capacity: dict[Workload, int]
    working_hours: str | None
    last_assigned_at: datetime | None
    on_shift: bool = True
    hours: BusinessCalendar = field(default_factory=BusinessCalendar)  # `working_calendar`
    skills: dict[str, int] = field(default_factory=dict)
    team_ids: frozenset[int] = frozenset()
    tier: int = 1  # the highest tier of their teams; `min_tier` the lowest (1 without a team)
    min_tier: int = 1
    load: dict[Workload, int] = field(default_factory=dict)


async def routing_enabled(uow: UnitOfWork) -> bool:
    """Anyone has an availability row: until then nothing is routed (see the module note)."""
    return await uow.session.scalar(select(Availability.user_id).limit(1)) is not None


async def load_agents(
    uow: UnitOfWork,
    *,
    user_ids: Iterable[int] | None = None,
    team_id: int | None = None,
    include_offline: bool = False,
) -> list[AgentRecord]:
    """Active staff with a row, with skills, teams and loads: four reads whatever the number.
    `team_id` keeps the members of one team (a case that belongs to it); offline agents are
    left out unless asked for, since they can take nothing."""
    stmt = (
        select(*_COLUMNS, User.name, User.role, User.time_zone)  # columns: no ORM objects to build
        .join(User, User.id == Availability.user_id)
        .where(User.is_active.is_(True), User.role != Role.CUSTOMER)
        .order_by(Availability.user_id)
    )
    if user_ids is not None:
        stmt = stmt.where(Availability.user_id.in_(sorted(set(user_ids))))
    if team_id is not None:
        members = select(TeamMember.user_id).where(TeamMember.team_id == team_id)
        stmt = stmt.where(Availability.user_id.in_(members))
    if not include_offline:
        stmt = stmt.where(Availability.presence != Presence.OFFLINE.value)
    now, service = uow.now(), (await service_hours.current(uow)).calendar
    rows = (await uow.session.execute(stmt)).all()
    records = {row.user_id: _record(row, now, service) for row in rows}
    if records:
        await _fill(uow, records)
    return list(records.values())


_COLUMNS = (
    Availability.user_id, Availability.presence, Availability.presence_changed_at, Availability.chat_capacity,
    Availability.ticket_capacity, Availability.working_hours, Availability.last_assigned_at,
)  # fmt: skip


def _record(row: Row[*tuple[Any, ...]], now: datetime, service: BusinessCalendar) -> AgentRecord:
    capacity = {Workload.CHAT: row.chat_capacity, Workload.TICKET: row.ticket_capacity}
    hours = working_calendar(row.working_hours, row.time_zone, service)
    return AgentRecord(
        row.user_id, row.name, row.role, row.time_zone, _PRESENCE[row.presence], row.presence_changed_at,
        capacity, row.working_hours, row.last_assigned_at, hours.is_open(now), hours=hours,
    )  # fmt: skip


async def _fill(uow: UnitOfWork, records: dict[int, AgentRecord]) -> None:
    ids = sorted(records)
    for user_id, skill, level in await uow.session.execute(
        select(AgentSkill.user_id, AgentSkill.skill, AgentSkill.level).where(AgentSkill.user_id.in_(ids))
    ):
        records[user_id].skills[skill] = level
    teams: dict[int, set[int]] = {}
    tiers: dict[int, list[int]] = {}
    for user_id, team_id, tier in await uow.session.execute(
        select(TeamMember.user_id, TeamMember.team_id, Team.tier)
        .join(Team, Team.id == TeamMember.team_id)
        .where(TeamMember.user_id.in_(ids))
    ):
        teams.setdefault(user_id, set()).add(team_id)
        tiers.setdefault(user_id, []).append(tier)
    for user_id, member_of in teams.items():
        record = records[user_id]
        record.team_ids = frozenset(member_of)
        record.tier, record.min_tier = max(1, *tiers[user_id]), min(tiers[user_id])
    for user_id, load in (await loads(uow, ids)).items():
        records[user_id].load = load


async def loads(uow: UnitOfWork, user_ids: Sequence[int]) -> dict[int, dict[Workload, int]]:
    """Open assigned cases per agent and workload (a chat channel's cases are chats)."""
    counted: dict[int, dict[Workload, int]] = {u: {Workload.CHAT: 0, Workload.TICKET: 0} for u in user_ids}
    kind = case((Ticket.channel.in_(_CHAT_CHANNELS), Workload.CHAT.value), else_=Workload.TICKET.value)
    rows = await uow.session.execute(  # grouped by workload, not channel: a third of the rows
        select(Ticket.assignee_id, kind, func.count())
        .where(Ticket.assignee_id.in_(list(user_ids)), Ticket.status.in_(LOADED))
        .group_by(Ticket.assignee_id, kind)
    )
    for user_id, workload, count in rows:
        if user_id is not None:
            counted[user_id][_WORKLOAD[workload]] += int(count)
    return counted


def _snapshot(row: Availability) -> dict[str, Any]:
    return {
        "presence": row.presence, "chat_capacity": row.chat_capacity,
        "ticket_capacity": row.ticket_capacity, "working_hours": row.working_hours,
    }  # fmt: skip


async def _routable_user(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active or not user.role.is_staff:
        raise NotFound(f"no active staff user {user_id}")
    if user.role is Role.QUALITY_INSPECTOR:
        raise ValidationFailed("quality inspectors take no cases", fields={"user_id": "not an agent"})
    return user


def may_manage(actor: Principal) -> bool:
    """Supervisors and admins run the floor: others' capacities, hours and presence, the queue."""
    return actor.can(Permission.MANAGE_SERVICE_LEVELS)


def require_manager(actor: Principal) -> None:
    if not may_manage(actor):
        raise Forbidden(f"your role ({actor.role.value}) may not change routing for others")


async def _row_for(uow: UnitOfWork, user_id: int) -> Availability:
    """The person's row, created with the default capacities (and offline) on first use."""
    row = await uow.session.get(Availability, user_id)
    if row is None:
        capacity = DEFAULT_RULES.default_capacity
        row = Availability(
            user_id=user_id, presence=Presence.OFFLINE.value, presence_changed_at=uow.now(),
            chat_capacity=capacity[Workload.CHAT], ticket_capacity=capacity[Workload.TICKET],
        )  # fmt: skip
        uow.session.add(row)
    return row


async def apply_presence(
    uow: UnitOfWork, actor: Principal | None, user_id: int, presence: Presence
) -> tuple[Presence, Presence]:
    """Set someone's presence; (before, after). Anyone who works cases sets their own; a
    supervisor or admin sets anyone's. Not committed: `routing.set_presence` reacts first."""
    if actor is not None:
        require(actor, Permission.WORK_TICKETS)
        if user_id != actor.user_id:
            require_manager(actor)
    await _routable_user(uow, user_id)
    row = await _row_for(uow, user_id)
    before = Presence(row.presence)
    if before is not presence:
        row.presence, row.presence_changed_at = presence.value, uow.now()
        uow.record(
            actor, "availability.presence", subject_type="user", subject_id=user_id,
            before={"presence": before.value}, after={"presence": presence.value},
        )  # fmt: skip
        await uow.session.flush()
    return before, presence


async def apply_settings(
    uow: UnitOfWork,
    actor: Principal | None,
    user_id: int,
    *,
    chat_capacity: int | None = None,
    ticket_capacity: int | None = None,
    working_hours: str | None = None,
    clear_hours: bool = False,
) -> Availability:
    """Capacities and working hours, which supervisors and admins set; not committed.
    `working_hours` None leaves the hours alone, `clear_hours` removes them."""
    if actor is not None:
        require_manager(actor)
    user = await _routable_user(uow, user_id)
    row = await _row_for(uow, user_id)
    before = _snapshot(row)
    for kind, value in ((Workload.CHAT, chat_capacity), (Workload.TICKET, ticket_capacity)):
        if value is not None and not 0 <= value <= MAX_CAPACITY[kind]:
            raise ValidationFailed(
                "capacity out of range", fields={f"{kind.value}_capacity": f"0 to {MAX_CAPACITY[kind]}"}
            )
    if chat_capacity is not None:
        row.chat_capacity = chat_capacity
    if ticket_capacity is not None:
        row.ticket_capacity = ticket_capacity
    if clear_hours:
        row.working_hours = None
    elif working_hours is not None:
        row.working_hours = check_hours(working_hours, user.time_zone)
    after = _snapshot(row)
    changed = [k for k in after if before[k] != after[k]]
    if changed:
        uow.record(
            actor, "availability.updated", subject_type="user", subject_id=user_id,
            before={k: before[k] for k in changed}, after={k: after[k] for k in changed},
        )  # fmt: skip
        await uow.session.flush()
    return row


async def list_records(uow: UnitOfWork, actor: Principal) -> list[AgentRecord]:
    """Every routed agent, offline ones too, for the floor view; staff only."""
    require_staff(actor)
    return await load_agents(uow, include_offline=True)


async def my_record(uow: UnitOfWork, actor: Principal) -> AgentRecord | None:
    """The caller's own row, None when they have never set a presence (not routed)."""
    require_staff(actor)
    found = await load_agents(uow, user_ids=[actor.user_id], include_offline=True)
    return found[0] if found else None


# ------------------------------------------------------------------------------------ demo

# weekly hours of the demo's floor: the front line works the service
# day in two overlapping shifts, the experts office hours; one agent is away and one is off.
DEMO_SHIFTS: dict[str, str] = {
    "王芳": "daily 08:00-16:30",
    "李娜": "daily 13:30-22:00",
    "张伟": "daily 08:00-16:30",
    "刘洋": "daily 13:30-22:00",
    "陈静": "daily 08:00-22:00",
    "杨磊": "mon-fri 08:00-17:00",
    "赵敏": "mon-fri 09:00-18:00",
    "黄强": "mon-fri 09:00-18:00",
    "周婷": "mon-fri 09:00-18:00",
    "吴昊": "daily 08:00-22:00",
    "徐丽": "daily 08:00-22:00",
    "孙杰": "mon-sat 09:00-18:00",
    "马超": "daily 08:00-22:00",
}
DEMO_AWAY, DEMO_OFFLINE = frozenset({"刘洋"}), frozenset({"周婷"})
DEMO_ADVISORS = ("吴昊", "徐丽")  # the complaints team looks after the VIP customers


async def install_demo_availability(uow: UnitOfWork) -> int:
    """Presence, shifts and capacities for the demo's agents, and a dedicated advisor for each
    VIP customer (alternating between the complaints specialists). Idempotent: agents who
    already have a row and customers who already have an advisor are left alone. Call it after
    the demo's tickets exist (it does not route them); not committed. Returns the rows added."""
    users = {
        u.name: u
        for u in await uow.session.scalars(
            select(User).where(User.name.in_(list(DEMO_SHIFTS)), User.is_active.is_(True))
        )
    }
    added = 0
    for name, hours in DEMO_SHIFTS.items():
        user = users.get(name)
        if user is None or await uow.session.get(Availability, user.id) is not None:
            continue
        presence = Presence.AWAY if name in DEMO_AWAY else Presence.OFFLINE if name in DEMO_OFFLINE else None
        row = await _row_for(uow, user.id)
        row.working_hours = check_hours(hours, user.time_zone)
        row.presence = (presence or Presence.ONLINE).value
        added += 1
    advisors = [users[n].id for n in DEMO_ADVISORS if n in users]
    if advisors:
        vips = await uow.session.scalars(
            select(Customer)
            .where(Customer.tier != CustomerTier.REGULAR, Customer.advisor_id.is_(None))
            .where(Customer.merged_into_id.is_(None))
            .order_by(Customer.id)
        )
        for i, customer in enumerate(vips):
            customer.advisor_id = advisors[i % len(advisors)]
    await uow.session.flush()
    return added
