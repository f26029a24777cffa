"""Service levels over HTTP: a case's clocks, escalation to a higher tier, staff notifications,
and the calendars and policies supervisors edit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from servicedesk.domain.errors import Forbidden
from servicedesk.domain.roles import Permission
from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.services import notifications, sla, sla_admin, tiers
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["service levels"])


class ClockOut(BaseModel):
    id: int
    metric: SlaMetric
    state: ClockState
    target_minutes: float
    started_at: datetime
    due_at: datetime | None
    remaining_seconds: int = Field(description="business seconds left; negative when overdue")
    breached_at: datetime | None
    stopped_at: datetime | None
    met: bool | None
    policy: str | None
    calendar: str

    @classmethod
    def of(cls, view: sla.ClockView) -> ClockOut:
        return cls(
            id=view.id, metric=view.metric, state=view.state, started_at=view.started_at,
            target_minutes=view.target.total_seconds() / 60, due_at=view.due_at,
            remaining_seconds=int(view.remaining.total_seconds()), breached_at=view.breached_at,
            stopped_at=view.stopped_at, met=view.met, policy=view.policy, calendar=view.calendar,
        )  # fmt: skip


class EscalateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    team_id: int | None = None


class EscalateOut(BaseModel):
    ticket_id: int
    team_id: int | None


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    ticket_id: int | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class ReadIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: Annotated[list[int], Field(max_length=500)] | None = None


class CalendarIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=100)]
    hours: Annotated[
        str, Field(max_length=500, examples=["mon-fri 08:00-12:00,13:00-22:00; sat 09:00-18:00"])
    ]
    time_zone: Annotated[str, Field(max_length=64)] = "Asia/Shanghai"
    holidays: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=1000)] = []
    workdays: Annotated[list[Annotated[str, Field(max_length=10)]], Field(max_length=1000)] = []
    china_official: bool = True
    holidays_staffed: bool = Field(
        default=False,
        description="people work on public holidays as on other days; false: the State Council's "
        "holidays close the calendar (with china_official)",
    )


class CalendarOut(CalendarIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    updated_at: datetime


class PolicyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(max_length=100)]
    calendar_id: int
    position: Annotated[int, Field(ge=0, le=100_000)] = 100
    active: bool = True
    tiers: Annotated[list[str], Field(max_length=20)] = []
    types: Annotated[list[str], Field(max_length=20)] = []
    priorities: Annotated[list[str], Field(max_length=20)] = []
    channels: Annotated[list[str], Field(max_length=20)] = []
    tags: Annotated[list[str], Field(max_length=50)] = []
    targets: dict[SlaMetric, int | None] = Field(description="business minutes per metric")


class PolicyOut(PolicyIn):
    model_config = ConfigDict(from_attributes=True)
    id: int
    updated_at: datetime


@router.get("/tickets/{ticket_id}/sla", response_model=list[ClockOut])
async def ticket_clocks(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> list[ClockOut]:
    """The response-time clocks of a case; internal, so staff only."""
    if not principal.role.is_staff:
        raise Forbidden("service-level clocks are for staff")
    async with uow(write=False) as u:
        await access_ticket_by_id(u, principal, ticket_id)
        views = await sla.clocks_of(u, ticket_id)
    return [ClockOut.of(v) for v in views]


@router.post("/tickets/{ticket_id}/escalate", response_model=EscalateOut)
async def escalate(
    ticket_id: int, body: EscalateIn, principal: CurrentPrincipal, uow: UowFactory
) -> EscalateOut:
    async with uow() as u:
        ticket = await tiers.escalate_ticket(
            u, principal, ticket_id, reason=body.reason, team_id=body.team_id
        )
    return EscalateOut(ticket_id=ticket.id, team_id=ticket.team_id)


@router.get("/notifications", response_model=list[NotificationOut])
async def my_notifications(principal: CurrentPrincipal, uow: UowFactory) -> list[NotificationOut]:
    async with uow(write=False) as u:
        return [
            NotificationOut.model_validate(n) for n in await notifications.list_notifications(u, principal)
        ]


@router.get("/notifications/unread")
async def unread(principal: CurrentPrincipal, uow: UowFactory) -> dict[str, int]:
    async with uow(write=False) as u:
        return {"unread": await notifications.unread_count(u, principal)}


@router.post("/notifications/read")
async def mark_read(body: ReadIn, principal: CurrentPrincipal, uow: UowFactory) -> dict[str, int]:
    async with uow() as u:
        return {"marked": await notifications.mark_read(u, principal, body.ids)}


@router.get("/sla/calendars", response_model=list[CalendarOut])
async def calendars(principal: CurrentPrincipal, uow: UowFactory) -> list[CalendarOut]:
    async with uow(write=False) as u:
        return [CalendarOut.model_validate(c) for c in await sla_admin.list_calendars(u, principal)]


@router.post("/sla/calendars", response_model=CalendarOut, status_code=201)
async def create_calendar(body: CalendarIn, principal: CurrentPrincipal, uow: UowFactory) -> CalendarOut:
    async with uow() as u:
        row = await sla_admin.save_calendar(u, principal, sla_admin.CalendarContent(**body.model_dump()))
        return CalendarOut.model_validate(row)


@router.put("/sla/calendars/{calendar_id}", response_model=CalendarOut)
async def replace_calendar(
    calendar_id: int, body: CalendarIn, principal: CurrentPrincipal, uow: UowFactory
) -> CalendarOut:
    content = sla_admin.CalendarContent(**body.model_dump())
    async with uow() as u:
        return CalendarOut.model_validate(
            await sla_admin.save_calendar(u, principal, content, calendar_id=calendar_id)
        )


@router.get("/sla/policies", response_model=list[PolicyOut])
async def policies(principal: CurrentPrincipal, uow: UowFactory) -> list[PolicyOut]:
    require(principal, Permission.WORK_TICKETS)
    async with uow(write=False) as u:
        return [PolicyOut.model_validate(p) for p in await sla_admin.list_policies(u, principal)]


@router.post("/sla/policies", response_model=PolicyOut, status_code=201)
async def create_policy(body: PolicyIn, principal: CurrentPrincipal, uow: UowFactory) -> PolicyOut:
    async with uow() as u:
        return PolicyOut.model_validate(await sla_admin.save_policy(u, principal, _policy(body)))


@router.put("/sla/policies/{policy_id}", response_model=PolicyOut)
async def replace_policy(
    policy_id: int, body: PolicyIn, principal: CurrentPrincipal, uow: UowFactory
) -> PolicyOut:
    async with uow() as u:
        return PolicyOut.model_validate(
            await sla_admin.save_policy(u, principal, _policy(body), policy_id=policy_id)
        )


def _policy(body: PolicyIn) -> sla_admin.PolicyContent:
    data = body.model_dump()
    return sla_admin.PolicyContent(**{**data, "targets": {k.value: v for k, v in body.targets.items()}})
