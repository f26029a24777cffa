"""Demo data: the service desk of a consumer-electronics web shop, in Simplified Chinese.

`load_demo` fills an empty database with staff, teams, 200 customers and 1,000 tickets spread
over the last 90 days, with their conversations and status changes. Everything is written
through the ordinary services, so the audit events, first-response and resolution stamps are
exactly what real use would produce; only the clock is simulated (`db.clock` is swapped while
loading and restored afterwards, so do not run this against a database a live server is
using at the same time).

The data is the same on every run (one seeded `random.Random`, times relative to the clock),
and loading is idempotent: the demo admin is created last, as the marker that a load
finished, and a second call only reports what is there.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal, Protocol, TypeVar

from sqlalchemy import func, select, update

from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.errors import Conflict
from servicedesk.domain.labels import label
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.pii import resident_id_check_char
from servicedesk.domain.roles import Principal, Role
from servicedesk.services import customers as customer_service
from servicedesk.services import demo_showcase
from servicedesk.services import staff as staff_service
from servicedesk.services import tickets as ticket_service
from servicedesk.services.assistant import Assistant, AssistantConfig
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.demo_content import (
    _ACKS,
    _ASK_ANY,
    _ASK_DEVICE,
    _CHANNELS,
    _CITIES,
    _CLOSING,
    _COLORS,
    _COMPANIES,
    _COURIERS,
    _DAY_WEIGHTS,
    _ESCALATE_REASON,
    _GENERIC_ACKS,
    _GENERIC_NOTES,
    _GIVEN,
    _HANDLES,
    _HOUR_WEIGHTS,
    _MAIL_HOSTS,
    _MOBILE_PREFIXES,
    _REGIONS,
    _REOPEN_FIX,
    _REOPEN_NOTE,
    _STATUS_BY_AGE,
    _SURNAMES,
    _TITLE,
    _TRANSFER_REASON,
    _VIP_NOTE,
    _WORKING,
    COMPLAINTS,
    EMERGENCY,
    PRODUCTS,
    SCENARIOS,
    TECH,
    TICKET_DAYS,
    TIER1,
    _CustomerSpec,
    _Scenario,
)
from servicedesk.services.demo_knowledge import load_knowledge, play_demo_chats
from servicedesk.services.sla_defaults import install_defaults
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, Message, Team, TeamMember, Ticket, User
from servicedesk.store.uow import UnitOfWork

Progress = Callable[[str, int, int], None]
_K = TypeVar("_K")

SEED = 20261122
DEMO_DOMAIN = "demo.servicedesk.cn"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"
ADMIN_PASSWORD = "demo-admin-2026"  # noqa: S105 - published demo login
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published demo login
CUSTOMER_LOGIN_EMAIL = f"customer@{DEMO_DOMAIN}"
CUSTOMER_COUNT = 200
TICKET_COUNT = 1000

_CST = timezone(timedelta(hours=8))  # business hours are Beijing time


@dataclass(frozen=True)
class DemoSummary:
    """What the database holds after the load (counted, not assumed) and how to sign in."""

    created: bool
    teams: int
    agents: int
    customers: int
    tickets: int
    messages: int
    logins: list[tuple[str, str, str]] = field(default_factory=list)


# --------------------------------------------------------------------------- organisation

DEPARTMENTS = ("客户服务部", "技术部", "财务部", "物流部")
TEAMS: tuple[tuple[str, str, int], ...] = (
    (TIER1, "客户服务部", 1),
    (TECH, "技术部", 2),
    (COMPLAINTS, "客户服务部", 2),
    (EMERGENCY, "技术部", 3),  # L3: major failures (R-HD-1)
)


@dataclass(frozen=True)
class _StaffSpec:
    email: str
    name: str
    role: Role
    password: str
    team: str | None
    skills: dict[str, int]


def _agent_specs() -> list[_StaffSpec]:
    rows: list[tuple[str, Role, str, dict[str, int]]] = [
        ("王芳", Role.AGENT, TIER1, {"退款": 4, "物流": 3, "发票": 2}),
        ("李娜", Role.AGENT, TIER1, {"物流": 4, "退款": 3, "英语": 4}),
        ("张伟", Role.AGENT, TIER1, {"发票": 5, "退款": 3}),
        ("刘洋", Role.AGENT, TIER1, {"物流": 3, "技术": 2}),
        ("陈静", Role.AGENT, TIER1, {"退款": 3, "物流": 3, "发票": 3}),
        ("杨磊", Role.AGENT, TIER1, {"技术": 3, "物流": 2, "英语": 3}),
        ("赵敏", Role.EXPERT, TECH, {"技术": 5, "英语": 4}),
        ("黄强", Role.EXPERT, TECH, {"技术": 5, "物流": 2}),
        ("周婷", Role.EXPERT, TECH, {"技术": 4, "发票": 2}),
        ("吴昊", Role.AGENT, COMPLAINTS, {"投诉处理": 5, "退款": 4}),
        ("徐丽", Role.AGENT, COMPLAINTS, {"投诉处理": 4, "英语": 3}),
        ("孙杰", Role.AGENT, COMPLAINTS, {"投诉处理": 3, "退款": 3, "物流": 3}),
        ("马超", Role.EXPERT, EMERGENCY, {"技术": 5, "投诉处理": 4}),
    ]
    return [
        _StaffSpec(f"agent{i:02d}@{DEMO_DOMAIN}", name, role, DEMO_PASSWORD, team, skills)
        for i, (name, role, team, skills) in enumerate(rows, start=1)
    ]


_SUPERVISOR = _StaffSpec(
    f"supervisor@{DEMO_DOMAIN}", "郑晓梅", Role.SUPERVISOR, DEMO_PASSWORD, None, {"投诉处理": 4}
)
_INSPECTOR = _StaffSpec(f"qa@{DEMO_DOMAIN}", "林雪", Role.QUALITY_INSPECTOR, DEMO_PASSWORD, None, {})
_ADMIN = _StaffSpec(ADMIN_EMAIL, "系统管理员", Role.ADMIN, ADMIN_PASSWORD, None, {})

_StepKind = Literal["reply", "note", "inbound", "status", "update"]


@dataclass
class _Step:
    at: datetime
    kind: _StepKind
    actor: Principal
    body: str = ""
    status: TicketStatus | None = None
    changes: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass
class _TicketPlan:
    created_at: datetime
    subject: str
    body: str
    type: TicketType
    priority: Priority
    channel: Channel
    customer_id: int
    team_id: int | None
    assignee_id: int | None
    tags: list[str]
    creator: Principal
    steps: list[_Step]
    ticket_id: int | None = None


def _weighted(rng: random.Random, weights: Mapping[_K, float]) -> _K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Fill(Protocol):
    def __call__(self, template: str, **extra: str) -> str: ...


class _Timeline:
    """The steps of one ticket, each a random number of minutes after the one before."""

    def __init__(self, rng: random.Random, start: datetime) -> None:
        self.rng = rng
        self.at = start
        self.steps: list[_Step] = []

    def wait(self, low: float, high: float) -> None:
        self.at += timedelta(minutes=self.rng.uniform(low, high))

    def add(self, kind: _StepKind, actor: Principal, **details: Any) -> None:
        self.steps.append(_Step(at=self.at, kind=kind, actor=actor, **details))


class _SimulatedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


async def load_demo(db: Database, *, progress: Progress | None = None) -> DemoSummary:
    """Fill `db` with the demo organisation, customers and tickets; no-op if already loaded.

    `progress(stage, done, total)` is called as work advances; the stages are "staff",
    "customers" and "tickets" (for tickets, `done`/`total` count the planned service calls:
    creations, messages and status changes). Raises Conflict if an earlier load stopped half
    way (demo accounts exist but not the admin): start again from an empty database.
    """
    if await _demo_user_exists(db, ADMIN_EMAIL):
        return await _summary(db, created=False)
    if await _demo_user_exists(db, f"%@{DEMO_DOMAIN}", like=True):
        raise Conflict(
            "a previous demo load did not finish (demo accounts exist without the demo admin); "
            "load the demo into an empty database"
        )
    report: Progress = progress or (lambda _stage, _done, _total: None)
    real_clock = db.clock
    now = real_clock()
    clock = _SimulatedClock(now)
    db.clock = clock
    try:
        await _Loader(db, clock, now, report).run()
    finally:
        db.clock = real_clock
    return await _summary(db, created=True)


async def _demo_user_exists(db: Database, email: str, *, like: bool = False) -> bool:
    async with UnitOfWork(db, write=False) as uow:
        condition = User.email.like(email) if like else User.email == email
        return await uow.session.scalar(select(User.id).where(condition).limit(1)) is not None


async def _summary(db: Database, *, created: bool) -> DemoSummary:
    async with UnitOfWork(db, write=False) as uow:

        async def count(model: type[Any], *where: Any) -> int:
            return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        return DemoSummary(
            created=created,
            teams=await count(Team),
            agents=await count(User, User.role.in_((Role.AGENT, Role.EXPERT))),
            customers=await count(Customer),
            tickets=await count(Ticket),
            messages=await count(Message),
            logins=_logins(),
        )


def _logins() -> list[tuple[str, str, str]]:
    staff = [_ADMIN, _SUPERVISOR, _INSPECTOR, *_agent_specs()]
    rows = [(label(s.role), s.email, s.password) for s in staff]
    rows.append((label(Role.CUSTOMER), CUSTOMER_LOGIN_EMAIL, DEMO_PASSWORD))
    return rows


class _Loader:
    def __init__(self, db: Database, clock: _SimulatedClock, now: datetime, report: Progress):
        self.db = db
        self.clock = clock
        self.now = now
        self.report = report
        self.rng = random.Random(SEED)
        self.team_ids: dict[str, int] = {}
        self.team_members: dict[str, list[Principal]] = {}
        self.supervisor: Principal | None = None
        self.customer_ids: list[int] = []
        self.customer_specs: list[_CustomerSpec] = []
        self.helpcenter: Principal | None = None

    def at(self, moment: datetime) -> None:
        self.clock.at = moment

    async def run(self) -> None:
        await self._organisation_and_customers()
        plans = self._plan_tickets()
        await self._execute(plans)
        self.at(self.now)
        async with UnitOfWork(self.db) as uow:  # the shop's knowledge, scripts, intents, orders
            await load_knowledge(uow, order_customers=self.customer_ids)
            await uow.commit()
        # agents on shift (new cases route from here on), an incident, requests, approvals
        await demo_showcase.stage(self.db, first_line=TIER1, tech=TECH)
        bot = Assistant(AssistantConfig())
        await play_demo_chats(self.db, self.customer_ids, bot)
        self.at(self.now - timedelta(days=400))
        async with UnitOfWork(self.db) as uow:  # last: it marks the load as complete
            await staff_service.create_user(
                uow, None, email=_ADMIN.email, name=_ADMIN.name, role=_ADMIN.role,
                password=_ADMIN.password,
            )  # fmt: skip

    # ----------------------------------------------------------------- staff and customers

    async def _organisation_and_customers(self) -> None:
        """One transaction: departments, teams, staff, customers (and the help-center login)."""
        agents = _agent_specs()
        staff = [_SUPERVISOR, _INSPECTOR, *agents]
        customers = self._customer_specs()
        self.customer_specs = customers
        user_ids: dict[str, int] = {}
        async with UnitOfWork(self.db) as uow:
            self.at(self.now - timedelta(days=400))
            await install_defaults(uow)  # the seeds' response-time standard, before any case
            departments: dict[str, int] = {}
            for name in DEPARTMENTS:
                dept = await staff_service.create_department(uow, None, name=name, commit=False)
                departments[name] = dept.id
            for name, dept_name, tier in TEAMS:
                team = await staff_service.create_team(
                    uow, None, name=name, department_id=departments[dept_name], tier=tier,
                    commit=False,
                )  # fmt: skip
                self.team_ids[name] = team.id
            for done, spec in enumerate(staff, start=1):
                self.at(self.now - timedelta(days=380 - done))
                if spec.team is not None:
                    team_ids = [self.team_ids[spec.team]]
                elif spec.role is Role.SUPERVISOR:
                    team_ids = list(self.team_ids.values())
                else:
                    team_ids = []
                user = await staff_service.create_user(
                    uow, None, email=spec.email, name=spec.name, role=spec.role,
                    password=spec.password, team_ids=team_ids, skills=spec.skills, commit=False,
                )  # fmt: skip
                user_ids[spec.email] = user.id
                self.report("staff", done, len(staff))
            await uow.session.execute(  # the supervisor leads every team: SLA breaches reach her
                update(TeamMember)
                .where(TeamMember.user_id == user_ids[_SUPERVISOR.email])
                .values(is_lead=True)
            )
            for done, c in enumerate(customers, start=1):
                self.at(c.created_at)
                user_id = None
                if c.user_email is not None:
                    user = await staff_service.create_user(
                        uow, None, email=c.user_email, name=c.name, role=Role.CUSTOMER,
                        password=DEMO_PASSWORD, commit=False,
                    )  # fmt: skip
                    user_id = user_ids[c.user_email] = user.id
                customer = await customer_service.create_customer(
                    uow, None, name=c.name, email=c.email, phone=c.phone, id_number=c.id_number,
                    tier=c.tier, tags=c.tags, user_id=user_id, commit=False,
                )  # fmt: skip
                self.customer_ids.append(customer.id)
                if done % 20 == 0 or done == len(customers):
                    self.report("customers", done, len(customers))
            await uow.commit()

        async with UnitOfWork(self.db, write=False) as uow:

            async def principal(email: str) -> Principal:
                found = await principal_by_user_id(uow, user_ids[email])
                assert found is not None
                return found

            self.supervisor = await principal(_SUPERVISOR.email)
            self.helpcenter = await principal(CUSTOMER_LOGIN_EMAIL)
            for spec in agents:
                assert spec.team is not None
                self.team_members.setdefault(spec.team, []).append(await principal(spec.email))

    def _customer_specs(self) -> list[_CustomerSpec]:
        rng = self.rng
        phones: set[str] = set()
        emails: set[str] = {CUSTOMER_LOGIN_EMAIL}
        specs: list[_CustomerSpec] = []
        companies = list(_COMPANIES)
        for index in range(CUSTOMER_COUNT):
            first = index == 0
            company = not first and bool(companies) and rng.random() < 0.06
            male = first or rng.random() < 0.5
            name = "陈晓明" if first else companies.pop(0) if company else self._person_name(male)
            phone = self._unique(phones, self._mobile)
            if first:
                email: str | None = CUSTOMER_LOGIN_EMAIL
            elif company:
                email = self._unique(emails, lambda: f"purchase@corp{rng.randrange(1000, 9999)}.cn")
            elif rng.random() < 0.85:
                email = self._unique(emails, self._email)
            else:
                email = None
            tier = CustomerTier.VIP1 if first else self._tier()
            created_at = self.now - timedelta(
                days=rng.uniform(TICKET_DAYS + 5, 720), minutes=rng.randrange(1440)
            )
            tags: set[str] = set()
            if first or ((self.now - created_at).days > 365 and rng.random() < 0.7):
                tags.add("老客户")
            if tier in (CustomerTier.VIP2, CustomerTier.VIP3) and rng.random() < 0.85:
                tags.add("高价值")
            if company:
                tags.add("企业客户")
            elif rng.random() < 0.05:
                tags.add("以旧换新")
            id_number = None
            if not company and (first or rng.random() < 0.35):
                id_number = self._resident_id(male)
            specs.append(
                _CustomerSpec(
                    name=name,
                    male=male,
                    email=email,
                    phone=phone,
                    id_number=id_number,
                    tier=tier,
                    tags=sorted(tags),
                    created_at=created_at,
                    weight=rng.paretovariate(1.6) * (1.8 if tier.is_vip else 1.0),
                    user_email=CUSTOMER_LOGIN_EMAIL if first else None,
                )
            )
        return specs

    def _person_name(self, male: bool) -> str:
        rng = self.rng
        two, one = _GIVEN[male]
        return rng.choice(_SURNAMES) + (rng.choice(two) if rng.random() < 0.6 else rng.choice(one))

    def _mobile(self) -> str:
        return self.rng.choice(_MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _email(self) -> str:
        rng = self.rng
        if rng.random() < 0.45:
            return f"{rng.randrange(10**5, 10**10)}@qq.com"
        return f"{rng.choice(_HANDLES)}{rng.randrange(10, 9999)}@{rng.choice(_MAIL_HOSTS)}"

    def _tier(self) -> CustomerTier:
        roll = self.rng.random()
        if roll < 0.80:
            return CustomerTier.REGULAR
        if roll < 0.90:
            return CustomerTier.VIP1
        return CustomerTier.VIP2 if roll < 0.96 else CustomerTier.VIP3

    def _resident_id(self, male: bool) -> str:
        """GB 11643: region, birth date, a sequence whose last digit is odd for men, check."""
        rng = self.rng
        born = date(1965, 1, 1) + timedelta(days=rng.randrange(365 * 40))
        sequence = rng.randrange(50) * 20 + rng.randrange(5) * 2 + (1 if male else 0)
        first17 = f"{rng.choice(_REGIONS)}{born:%Y%m%d}{sequence:03d}"
        return first17 + resident_id_check_char(first17)

    @staticmethod
    def _unique(seen: set[str], make: Callable[[], str]) -> str:
        while (value := make()) in seen:
            pass
        seen.add(value)
        return value

    # ----------------------------------------------------------------- planning tickets

    def _plan_tickets(self) -> list[_TicketPlan]:
        rng = self.rng
        moments = sorted(self._ticket_moment() for _ in range(TICKET_COUNT))
        statuses = [self._status_for(self.now - m) for m in moments]
        # The help-center customer gets a handful of cases, one in each state, plus one more.
        mine: set[int] = set()
        for wanted in (*TicketStatus, TicketStatus.CLOSED):
            candidates = [i for i, s in enumerate(statuses) if s is wanted and i not in mine]
            if candidates:
                mine.add(candidates[-1] if wanted is TicketStatus.CLOSED else rng.choice(candidates))
        weights = [c.weight for c in self.customer_specs[1:]]
        plans: list[_TicketPlan] = []
        for index, (created_at, status) in enumerate(zip(moments, statuses, strict=True)):
            customer = 0
            if index not in mine:
                customer = 1 + rng.choices(range(len(weights)), weights=weights)[0]
            plans.append(self._plan_ticket(created_at, status, customer))
        return plans

    def _ticket_moment(self) -> datetime:
        """A creation time in the last 88 days, busier lately and in Beijing business hours."""
        rng = self.rng
        today = self.now.astimezone(_CST).replace(hour=0, minute=0, second=0, microsecond=0)
        while True:
            day = rng.choices(range(len(_DAY_WEIGHTS)), weights=_DAY_WEIGHTS)[0]
            start = today - timedelta(days=day)
            if start.weekday() >= 5 and rng.random() < 0.3:
                continue  # fewer contacts at weekends
            hour = rng.choices(range(24), weights=_HOUR_WEIGHTS)[0]
            moment = start + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))
            if moment < self.now - timedelta(minutes=20):
                return moment.astimezone(UTC)

    def _status_for(self, age: timedelta) -> TicketStatus:
        weights = next(w for older, w in _STATUS_BY_AGE if age >= older)
        return _weighted(self.rng, weights)

    def _plan_ticket(self, created_at: datetime, status: TicketStatus, customer: int) -> _TicketPlan:
        rng = self.rng
        assert self.supervisor is not None
        assert self.helpcenter is not None
        spec = self.customer_specs[customer]
        helpcenter = customer == 0
        scenario = rng.choices(SCENARIOS, weights=[s.weight for s in SCENARIOS])[0]
        fill = self._fill(scenario, spec)
        priority = self._priority(scenario, spec)
        channel = Channel.WEB_FORM if helpcenter else self._channel()
        tags = set(scenario.tags)

        team = scenario.team
        transfer = (
            scenario.type is TicketType.PRODUCT_QUALITY
            and team == TIER1
            and status is not TicketStatus.NEW
            and rng.random() < 0.2
        )
        members = self.team_members[team]
        assigned = True
        team_known = True
        if status is TicketStatus.NEW:
            roll = rng.random()
            assigned, team_known = roll < 0.3, roll < 0.65
        elif rng.random() < 0.06:
            assigned = False
        handler = self._pick_agent(members)
        assignee = handler if assigned else None

        timeline = _Timeline(rng, created_at)
        after, step = timeline.wait, timeline.add
        team_id = self.team_ids[team] if team_known else None
        assignee_id = assignee.user_id if assignee else None
        if helpcenter:
            creator = self.helpcenter
            if team_known:  # triage by the supervisor
                after(3, 45)
                step("update", self.supervisor, changes={"team_id": team_id, "assignee_id": assignee_id})
            create_team, create_assignee = None, None
        else:
            creator = handler if team_known else rng.choice(self.team_members[TIER1])
            create_team, create_assignee = team_id, assignee_id

        if status is TicketStatus.NEW:
            if rng.random() < 0.3:
                after(5, 90)
                note_by = handler if team_known else self.supervisor
                step("note", note_by, body=self._note(scenario, spec, fill))
        else:
            first = {Priority.HIGH: (3, 45), Priority.MEDIUM: (10, 240), Priority.LOW: (30, 720)}
            single_reply = (
                status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
                and scenario.type in (TicketType.CONSULTATION, TicketType.OTHER)
                and rng.random() < 0.4
            )
            after(*first[priority])
            fix = fill(scenario.fix) + _CLOSING
            if single_reply:
                step("reply", handler, body=fill("您好{name}，") + fix)
            else:
                step("reply", handler, body=fill(self._ack(scenario.type), agent=handler.name))
            if transfer:
                expert = self._pick_agent(self.team_members[TECH])
                after(20, 240)
                changes = {"team_id": self.team_ids[TECH], "assignee_id": expert.user_id}
                step("update", handler, changes=changes, reason=_TRANSFER_REASON)
                handler = expert
            elif priority is not Priority.HIGH and scenario.urgent and rng.random() < 0.5:
                after(30, 300)
                step("update", handler, changes={"priority": Priority.HIGH}, reason=_ESCALATE_REASON)
            # At most five messages a ticket: the help-center path has its own extra two.
            reopen = (
                not helpcenter
                and status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
                and rng.random() < 0.06
            )
            if not (reopen or helpcenter) and (scenario.note or spec.tier.is_vip) and rng.random() < 0.45:
                after(10, 180)
                step("note", handler, body=self._note(scenario, spec, fill))
            if status is TicketStatus.PENDING or (helpcenter and status is not TicketStatus.OPEN):
                after(5, 90)
                device = scenario.type in (TicketType.PRODUCT_QUALITY, TicketType.TECHNICAL)
                ask, answer = rng.choice(_ASK_DEVICE if device else _ASK_ANY)
                step("reply", handler, body=ask)
                after(1, 10)
                step("status", handler, status=TicketStatus.PENDING)
                if helpcenter and status is not TicketStatus.PENDING:
                    after(30, 1440)
                    step("inbound", self.helpcenter, body=answer)
            if status is TicketStatus.OPEN and rng.random() < 0.35:
                after(60, 1440)
                step("reply", handler, body=_WORKING)
            if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
                slow = scenario.type in (TicketType.TECHNICAL, TicketType.PRODUCT_QUALITY)
                if not single_reply:
                    after(60, 4320 if slow else 1440)
                    step("reply", handler, body=fix)
                after(1, 30)
                step("status", handler, status=TicketStatus.RESOLVED)
                if reopen:
                    after(600, 4320)
                    step("status", handler, status=TicketStatus.OPEN)
                    step("note", handler, body=_REOPEN_NOTE)
                    after(30, 600)
                    step("reply", handler, body=_REOPEN_FIX)
                    after(1, 10)
                    step("status", handler, status=TicketStatus.RESOLVED)
                if status is TicketStatus.CLOSED:
                    after(1440, 7 * 1440)
                    closer = self.helpcenter if helpcenter else handler
                    step("status", closer, status=TicketStatus.CLOSED)
        steps = timeline.steps
        self._fit(created_at, steps)
        return _TicketPlan(
            created_at=created_at,
            subject=fill(scenario.subject),
            body=fill(scenario.body),
            type=scenario.type,
            priority=priority,
            channel=channel,
            customer_id=self.customer_ids[customer],
            team_id=create_team,
            assignee_id=create_assignee,
            tags=sorted(tags),
            creator=creator,
            steps=steps,
        )

    def _fit(self, created_at: datetime, steps: list[_Step]) -> None:
        """Squeeze the steps proportionally when the last one would lie in the future."""
        if not steps:
            return
        room = self.now - timedelta(minutes=1) - created_at
        span = steps[-1].at - created_at
        if span > room:
            scale = room * self.rng.uniform(0.6, 0.98) / span
            for s in steps:
                s.at = created_at + (s.at - created_at) * scale

    def _fill(self, scenario: _Scenario, spec: _CustomerSpec) -> _Fill:
        rng = self.rng
        fitting = [p for p in PRODUCTS if not scenario.kinds or p.kind in scenario.kinds]
        product = rng.choice(fitting)
        courier = rng.choice(_COURIERS)
        values = {
            "name": spec.name if len(spec.name) > 4 else spec.name[0] + _TITLE[spec.male],
            "order": f"2026{rng.randrange(10**10):010d}",
            "product": product.name,
            "courier": courier,
            "tracking": self._tracking(courier),
            "amount": str(
                product.price if rng.random() < 0.7 else rng.randrange(20, product.price // 3 + 21)
            ),
            "drop": str(max(10, round(product.price * rng.uniform(0.05, 0.2) / 10) * 10)),
            "days": str(rng.randrange(3, 12)),
            "city": rng.choice(_CITIES),
            "color": rng.choice(_COLORS),
            "tier": label(spec.tier),
        }

        def fill(template: str, **extra: str) -> str:
            return template.format_map(values | extra)

        return fill

    def _tracking(self, courier: str) -> str:
        rng = self.rng
        prefix = {"顺丰速运": "SF", "京东物流": "JD", "圆通速递": "YT"}.get(courier, "7")
        return prefix + f"{rng.randrange(10**12):012d}"

    def _priority(self, scenario: _Scenario, spec: _CustomerSpec) -> Priority:
        weights = [35, 50, 15] if scenario.urgent else [8, 50, 42]
        if spec.tier.is_vip:
            weights = [weights[0] + 10, weights[1], max(weights[2] - 10, 5)]
        return self.rng.choices((Priority.HIGH, Priority.MEDIUM, Priority.LOW), weights=weights)[0]

    def _channel(self) -> Channel:
        return _weighted(self.rng, _CHANNELS)

    def _pick_agent(self, members: Sequence[Principal]) -> Principal:
        # Not everyone carries the same load: the first of a team takes the most.
        return self.rng.choices(members, weights=[len(members) - i + 2 for i in range(len(members))])[0]

    def _ack(self, type: TicketType) -> str:
        return self.rng.choice(_ACKS.get(type, _GENERIC_ACKS))

    def _note(self, scenario: _Scenario, spec: _CustomerSpec, fill: _Fill) -> str:
        if spec.tier.is_vip and self.rng.random() < 0.4:
            return fill(_VIP_NOTE)
        if scenario.note and self.rng.random() < 0.75:
            return fill(scenario.note)
        return self.rng.choice(_GENERIC_NOTES)

    # ----------------------------------------------------------------- writing tickets

    async def _execute(self, plans: list[_TicketPlan]) -> None:
        """Run all steps of all plans in time order, so ids and events follow the calendar."""
        queue: list[tuple[datetime, int, int]] = []
        for p, plan in enumerate(plans):
            queue.append((plan.created_at, p, -1))
            queue.extend((step.at, p, s) for s, step in enumerate(plan.steps))
        queue.sort()
        total = len(queue)
        for done, (at, p, s) in enumerate(queue, start=1):
            self.at(at)
            plan = plans[p]
            if s < 0:
                await self._create(plan)
            else:
                await self._apply(plan, plan.steps[s])
            if done % 25 == 0 or done == total:
                self.report("tickets", done, total)

    async def _create(self, plan: _TicketPlan) -> None:
        async with UnitOfWork(self.db) as uow:
            ticket = await ticket_service.create_ticket(
                uow, plan.creator, subject=plan.subject, body=plan.body,
                customer_id=plan.customer_id, type=plan.type, priority=plan.priority,
                channel=plan.channel, team_id=plan.team_id, assignee_id=plan.assignee_id,
                tags=plan.tags,
            )  # fmt: skip
            plan.ticket_id = ticket.id

    async def _apply(self, plan: _TicketPlan, step: _Step) -> None:
        assert plan.ticket_id is not None
        ticket_id = plan.ticket_id
        async with UnitOfWork(self.db) as uow:
            match step.kind:
                case "reply" | "note" | "inbound":
                    await ticket_service.add_message(  # history: it happened, nothing is sent now
                        uow, step.actor, ticket_id, kind=MessageKind(step.kind), body=step.body, send=False
                    )
                case "status":
                    assert step.status is not None
                    await ticket_service.transition_ticket(uow, step.actor, ticket_id, to=step.status)
                case "update":
                    await ticket_service.update_ticket(
                        uow, step.actor, ticket_id, changes=step.changes, reason=step.reason
                    )
