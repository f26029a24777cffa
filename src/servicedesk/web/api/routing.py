"""Skill routing over HTTP: my presence, the agents' availability, the queue and its actions,
and one case's routing. Staff read; changing someone else, or the queue, is for supervisors and
admins (the services check it, so the pages and the API refuse alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from servicedesk.domain.catalog import Channel, Priority
from servicedesk.domain.errors import Forbidden
from servicedesk.domain.roles import Principal
from servicedesk.domain.routing_rules import Presence, RoutingPolicy, Workload
from servicedesk.services import availability, routing, routing_queue
from servicedesk.services.availability import AgentRecord
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["routing"])


def _staff(principal: Principal) -> None:
    if not principal.role.is_staff:
        raise Forbidden("routing is for staff")


class AvailabilityOut(BaseModel):
    user_id: int
    name: str
    routed: bool = Field(description="false until the person first sets a presence")
    presence: Presence
    presence_changed_at: datetime | None
    on_shift: bool
    working_hours: str | None
    chat_capacity: int
    ticket_capacity: int
    chats: int = Field(description="open chats assigned now")
    tickets: int = Field(description="open tickets assigned now")

    @classmethod
    def of(cls, r: AgentRecord) -> AvailabilityOut:
        return cls(
            user_id=r.user_id, name=r.name, routed=True, presence=r.presence,
            presence_changed_at=r.presence_changed_at, on_shift=r.on_shift, working_hours=r.working_hours,
            chat_capacity=r.capacity[Workload.CHAT], ticket_capacity=r.capacity[Workload.TICKET],
            chats=r.load.get(Workload.CHAT, 0), tickets=r.load.get(Workload.TICKET, 0),
        )  # fmt: skip


class PresenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presence: Presence


class MovedOut(BaseModel):
    ticket_id: int
    agent_id: int | None
    queue_position: int | None
    expected_wait_seconds: int | None

    @classmethod
    def of(cls, r: routing.Routed) -> MovedOut:
        wait = int(r.expected_wait.total_seconds()) if r.expected_wait is not None else None
        return cls(
            ticket_id=r.ticket_id, agent_id=r.agent_id, queue_position=r.position, expected_wait_seconds=wait
        )


class PresenceOut(AvailabilityOut):
    moved: list[MovedOut] = Field(description="cases handed on (going offline) or taken from the queue")


class AvailabilityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    presence: Presence | None = None
    chat_capacity: Annotated[int, Field(ge=0, le=20)] | None = None
    ticket_capacity: Annotated[int, Field(ge=0, le=200)] | None = None
    working_hours: Annotated[
        str | None,
        Field(max_length=500, description="e.g. mon-fri 09:00-18:00; empty string: the service hours"),
    ] = None


class QueueItemOut(BaseModel):
    entry_id: int
    ticket_id: int
    subject: str
    customer: str
    is_vip: bool
    priority: Priority
    channel: Channel
    workload: Workload
    queue: str
    position: int
    enqueued_at: datetime
    waited_seconds: int
    expected_wait_seconds: int | None = Field(description="None: nobody who could take it is on duty")
    assignable: bool
    blockers: dict[str, int] = Field(description="signed-in agents by the first check they fail")

    @classmethod
    def of(cls, i: routing_queue.QueueItem) -> QueueItemOut:
        wait = int(i.expected_wait.total_seconds()) if i.expected_wait is not None else None
        return cls(
            entry_id=i.entry_id, ticket_id=i.ticket_id, subject=i.subject, customer=i.customer,
            is_vip=i.is_vip, priority=i.priority, channel=i.channel, workload=i.kind, queue=i.queue_key,
            position=i.position, enqueued_at=i.enqueued_at, waited_seconds=int(i.waited.total_seconds()),
            expected_wait_seconds=wait, assignable=i.assignable,
            blockers={k.value: v for k, v in i.blockers.items()},
        )  # fmt: skip


class QueueOut(BaseModel):
    policy: RoutingPolicy
    items: list[QueueItemOut]


class MoveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    direction: Literal["up", "down"]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: int


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReasonOut(BaseModel):
    code: str
    text: str


class RoutingOut(BaseModel):
    ticket_id: int
    action: str | None = Field(description="the last routing event: routing.assigned, routing.queued…")
    at: datetime | None
    agent_id: int | None
    agent_name: str | None
    policy: RoutingPolicy | None
    reasons: list[ReasonOut]
    queue_wait_seconds: int | None
    waiting: QueueItemOut | None


async def _mine(uow: UowFactory, principal: Principal) -> AvailabilityOut:
    async with uow(write=False) as u:
        record = await availability.my_record(u, principal)
    if record is not None:
        return AvailabilityOut.of(record)
    capacity = routing.rules_for(u.settings).default_capacity
    return AvailabilityOut(
        user_id=principal.user_id, name=principal.name, routed=False, presence=Presence.OFFLINE,
        presence_changed_at=None, on_shift=True, working_hours=None, chat_capacity=capacity[Workload.CHAT],
        ticket_capacity=capacity[Workload.TICKET], chats=0, tickets=0,
    )  # fmt: skip


@router.get("/me/presence", response_model=AvailabilityOut)
async def my_presence(principal: CurrentPrincipal, uow: UowFactory) -> AvailabilityOut:
    _staff(principal)
    return await _mine(uow, principal)


@router.put("/me/presence", response_model=PresenceOut)
async def set_my_presence(body: PresenceIn, principal: CurrentPrincipal, uow: UowFactory) -> PresenceOut:
    """Online, away or offline. Offline hands your unanswered cases on; online takes from the queue."""
    _staff(principal)
    async with uow() as u:
        change = await routing.set_presence(u, principal, body.presence)
    mine = await _mine(uow, principal)
    return PresenceOut(**mine.model_dump(), moved=[MovedOut.of(m) for m in change.moved])


@router.get("/availability", response_model=list[AvailabilityOut])
async def agents(principal: CurrentPrincipal, uow: UowFactory) -> list[AvailabilityOut]:
    _staff(principal)
    async with uow(write=False) as u:
        return [AvailabilityOut.of(r) for r in await availability.list_records(u, principal)]


@router.put("/availability/{user_id}", response_model=PresenceOut)
async def edit_agent(
    user_id: int, body: AvailabilityIn, principal: CurrentPrincipal, uow: UowFactory
) -> PresenceOut:
    """A supervisor sets an agent's capacities, hours or presence; fields left out stay."""
    _staff(principal)
    hours = body.working_hours
    async with uow() as u:
        _row, moved = await routing.edit_availability(
            u, principal, user_id, presence=body.presence, chat_capacity=body.chat_capacity,
            ticket_capacity=body.ticket_capacity, working_hours=hours or None,
            clear_hours=hours is not None and not hours.strip(),
        )  # fmt: skip
    async with uow(write=False) as u:
        record = (await availability.load_agents(u, user_ids=[user_id], include_offline=True))[0]
    return PresenceOut(**AvailabilityOut.of(record).model_dump(), moved=[MovedOut.of(m) for m in moved])


@router.get("/queue", response_model=QueueOut)
async def queue(principal: CurrentPrincipal, uow: UowFactory) -> QueueOut:
    """Every waiting case, queue by queue in order, with its position and expected wait."""
    _staff(principal)
    async with uow(write=False) as u:
        items = await routing_queue.queue_items(u, principal)
        policy = u.settings.routing_policy
    return QueueOut(policy=policy, items=[QueueItemOut.of(i) for i in items])


@router.post("/queue/{entry_id}/move")
async def move(entry_id: int, body: MoveIn, principal: CurrentPrincipal, uow: UowFactory) -> dict[str, int]:
    _staff(principal)
    async with uow() as u:
        return {"position": await routing_queue.move(u, principal, entry_id, body.direction)}


@router.post("/queue/{entry_id}/assign")
async def assign(
    entry_id: int, body: AssignIn, principal: CurrentPrincipal, uow: UowFactory
) -> dict[str, int]:
    _staff(principal)
    async with uow() as u:
        ticket = await routing_queue.assign(u, principal, entry_id, body.agent_id)
    return {"ticket_id": ticket.id, "agent_id": body.agent_id}


@router.post("/queue/{entry_id}/withdraw", status_code=204)
async def withdraw(entry_id: int, body: WithdrawIn, principal: CurrentPrincipal, uow: UowFactory) -> None:
    _staff(principal)
    async with uow() as u:
        await routing_queue.withdraw(u, principal, entry_id, reason=body.reason)


@router.post("/queue/drain", response_model=list[MovedOut])
async def drain(principal: CurrentPrincipal, uow: UowFactory) -> list[MovedOut]:
    """Assign every waiting case someone can take now (after a shift starts, for instance)."""
    _staff(principal)
    async with uow() as u:
        return [MovedOut.of(m) for m in await routing_queue.drain_now(u, principal)]


@router.get("/tickets/{ticket_id}/routing", response_model=RoutingOut | None)
async def ticket_routing(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> RoutingOut | None:
    """Who the case was routed to and why, or where it waits; null when routing never saw it."""
    _staff(principal)
    async with uow(write=False) as u:
        found = await routing_queue.case_routing_by_id(u, principal, ticket_id)
        locale = u.settings.default_locale
    if found is None:
        return None
    return RoutingOut(
        ticket_id=found.ticket_id, action=found.action, at=found.at, agent_id=found.agent_id,
        agent_name=found.agent_name, policy=found.policy,
        reasons=[ReasonOut(code=w.code.value, text=w.text(locale)) for w in found.reasons],
        queue_wait_seconds=int(found.queue_wait.total_seconds()) if found.queue_wait is not None else None,
        waiting=QueueItemOut.of(found.waiting) if found.waiting is not None else None,
    )  # fmt: skip
