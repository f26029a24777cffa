"""The routing queue as people see and change it: every waiting case with its position, expected
wait and why nobody has taken it; a supervisor's moves, hand assignments and withdrawals; and
one case's routing story for its ticket page (who got it and why, or where it waits).

Staff read; supervisors and admins change (`availability.require_manager`), and every change is
an audit event on the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select

from servicedesk.domain.catalog import Channel, CustomerTier, Priority
from servicedesk.domain.errors import Conflict, NotFound, ValidationFailed
from servicedesk.domain.roles import Principal, Role
from servicedesk.domain.routing import Exclusion, Why, choose
from servicedesk.domain.routing_rules import Presence, RoutingPolicy, Workload
from servicedesk.domain.text import one_line
from servicedesk.services import availability, routing
from servicedesk.services.access import access_ticket_by_id, require_staff
from servicedesk.store.models import Customer, Event, Ticket, User
from servicedesk.store.routing import QueueEntry
from servicedesk.store.uow import UnitOfWork

MAX_REASON = 500
Direction = Literal["up", "down"]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One waiting case. `blockers` count the agents signed in by the first check they fail
    (full, off shift, missing a skill…); `assignable` means someone has room now and the next
    drain will take it."""

    entry_id: int
    ticket_id: int
    subject: str
    customer: str
    customer_tier: CustomerTier
    is_vip: bool
    priority: Priority
    channel: Channel
    kind: Workload
    queue_key: str
    team_id: int | None
    position: int
    enqueued_at: datetime
    waited: timedelta
    expected_wait: timedelta | None
    assignable: bool
    blockers: Mapping[Exclusion, int]


async def queue_items(uow: UnitOfWork, actor: Principal, *, ticket_id: int | None = None) -> list[QueueItem]:
    """The waiting cases the actor may see — a case without a team is offered to everyone on
    the floor, so everyone sees it wait; a team's case only its team and supervisors — queue by
    queue in order (or the one entry of `ticket_id`); staff only."""
    require_staff(actor)
    queue = await routing.waiting(uow, tidy=False)
    if ticket_id is not None and not any(t.id == ticket_id for _, t in queue):
        return []
    floor, settings, now = await routing.floor(uow), uow.settings, uow.now()
    agents = [a for a, _ in floor.agents if a.presence is not Presence.OFFLINE]  # who a decision sees
    rules = routing.rules_for(settings)
    customers = await _customers(uow, {t.customer_id for _, t in queue})
    positions: dict[str, int] = {}
    items = []
    for entry, ticket in queue:
        position = positions[entry.queue_key] = positions.get(entry.queue_key, 0) + 1
        if ticket_id is not None and ticket.id != ticket_id:
            continue
        if ticket.team_id is not None and not actor.sees(
            customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=None
        ):
            continue  # counted for the positions behind it, but another team's case is not shown
        needs = routing.needs_from_json(entry.needs)
        decision = choose(needs, agents, now=now, policy=settings.routing_policy, rules=rules)
        assignable = decision.agent_id is not None
        pickup = now if assignable else floor.pickup(needs, position, now=now)
        wait = pickup - now if pickup is not None else None
        name, tier = customers.get(ticket.customer_id, ("", CustomerTier.REGULAR))
        item = QueueItem(
            entry_id=entry.id, ticket_id=ticket.id, subject=ticket.subject, customer=name, customer_tier=tier,
            is_vip=needs.is_vip, priority=ticket.priority, channel=ticket.channel, kind=needs.kind,
            queue_key=entry.queue_key, team_id=needs.team_id, position=position,
            enqueued_at=entry.enqueued_at, waited=now - entry.enqueued_at, expected_wait=wait,
            assignable=assignable, blockers=dict(decision.excluded),
        )  # fmt: skip
        items.append(item)
    return sorted(items, key=lambda i: (i.queue_key, i.position))


async def _customers(uow: UnitOfWork, ids: set[int]) -> dict[int, tuple[str, CustomerTier]]:
    if not ids:
        return {}
    rows = await uow.session.execute(
        select(Customer.id, Customer.name, Customer.tier).where(Customer.id.in_(sorted(ids)))
    )
    return {cid: (name, tier) for cid, name, tier in rows}


async def _waiting_entry(uow: UnitOfWork, entry_id: int) -> QueueEntry:
    entry = await uow.session.get(QueueEntry, entry_id)
    if entry is None:
        raise NotFound(f"queue entry {entry_id} not found")
    if entry.left_at is not None:
        raise Conflict(
            f"this case already left the queue ({entry.outcome})", fields={"entry_id": "not waiting"}
        )
    return entry


async def move(uow: UnitOfWork, actor: Principal, entry_id: int, direction: Direction) -> int:
    """Swap the entry with its neighbour in its queue; its new 1-based position. At the front
    (or the back) it stays where it is."""
    availability.require_manager(actor)
    entry = await _waiting_entry(uow, entry_id)
    entries = [e for e, _ in await routing.waiting(uow, queue_key=entry.queue_key)]
    index = next((i for i, e in enumerate(entries) if e.id == entry.id), None)
    if index is None:  # its case was assigned or closed meanwhile: `waiting` just retired it
        raise Conflict("this case already left the queue", fields={"entry_id": "not waiting"})
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(entries):
        return index + 1
    entries[index].rank, entries[other].rank = entries[other].rank, entries[index].rank
    entries[index], entries[other] = entries[other], entries[index]
    routing.renumber(entries)
    uow.record(
        actor, "routing.queue_moved", subject_type="ticket", subject_id=entry.ticket_id,
        ticket_id=entry.ticket_id, before={"queue_position": index + 1}, after={"queue_position": other + 1},
    )  # fmt: skip
    await uow.commit()
    return other + 1


async def assign(uow: UnitOfWork, actor: Principal, entry_id: int, agent_id: int) -> Ticket:
    """A supervisor hands a waiting case to a named agent, whatever their load or presence:
    the routing rules are the default, not a cage."""
    availability.require_manager(actor)
    entry = await _waiting_entry(uow, entry_id)
    agent = await uow.session.get(User, agent_id)
    if agent is None or not agent.is_active or agent.role in (Role.CUSTOMER, Role.QUALITY_INSPECTOR):
        raise ValidationFailed("unknown agent", fields={"agent_id": f"no active agent {agent_id}"})
    ticket = await uow.session.get(Ticket, entry.ticket_id)
    assert ticket is not None  # a foreign key
    if ticket.assignee_id is not None or ticket.status not in availability.LOADED:
        raise Conflict("this case is no longer waiting", fields={"entry_id": "not waiting"})
    await routing.assign_by_hand(uow, actor, ticket, agent_id, entry=entry)
    await uow.commit()
    return ticket


async def withdraw(uow: UnitOfWork, actor: Principal, entry_id: int, *, reason: str) -> None:
    """Take a case out of the queue: it stays with its team, unassigned, for people to pick."""
    availability.require_manager(actor)
    reason = one_line(reason, "reason", MAX_REASON, message="a reason is required")
    entry = await _waiting_entry(uow, entry_id)
    routing.leave(uow, entry, routing.WITHDRAWN, actor=actor)
    uow.record(
        actor, "routing.queue_withdrawn", subject_type="ticket", subject_id=entry.ticket_id,
        ticket_id=entry.ticket_id, after={"reason": reason},
    )  # fmt: skip
    await uow.commit()


async def drain_now(uow: UnitOfWork, actor: Principal) -> list[routing.Routed]:
    """A supervisor asks for every waiting case that someone can take to be assigned now."""
    availability.require_manager(actor)
    done = await routing.drain(uow, actor)
    await uow.commit()
    return done


# --------------------------------------------------------------------------- one case


@dataclass(frozen=True, slots=True)
class CaseRouting:
    """The last routing decision on a case and, while it waits, its place in the queue."""

    ticket_id: int
    action: str | None = None
    at: datetime | None = None
    agent_id: int | None = None
    agent_name: str | None = None
    policy: RoutingPolicy | None = None
    reasons: list[Why] = field(default_factory=list)
    queue_wait: timedelta | None = None  # how long it waited before this assignment
    by_hand: bool = False
    waiting: QueueItem | None = None


async def case_routing(uow: UnitOfWork, actor: Principal, ticket: Ticket) -> CaseRouting | None:
    """None when routing never touched the case."""
    require_staff(actor)
    event = await uow.session.scalar(
        select(Event)
        .where(Event.ticket_id == ticket.id, Event.action.like("routing.%"))
        .where(Event.action != "routing.queue_moved")
        .order_by(Event.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    items = await queue_items(uow, actor, ticket_id=ticket.id)
    after = event.after or {}
    agent_id = after.get("assignee_id")
    agent = await uow.session.get(User, agent_id) if isinstance(agent_id, int) else None
    policy = after.get("routing_policy")
    waited = after.get("queue_wait_s")
    return CaseRouting(
        ticket.id, event.action, event.occurred_at, agent.id if agent else None,
        agent.name if agent else None, RoutingPolicy(policy) if policy in set(RoutingPolicy) else None,
        routing.reasons_from_json(after.get("routing_reasons") or []),
        timedelta(seconds=waited) if isinstance(waited, int) else None,
        event.action == "routing.queue_assigned", items[0] if items else None,
    )  # fmt: skip


async def case_routing_by_id(uow: UnitOfWork, actor: Principal, ticket_id: int) -> CaseRouting | None:
    require_staff(actor)
    return await case_routing(uow, actor, await access_ticket_by_id(uow, actor, ticket_id))
