"""Skill routing as a service (R-HD-2): a new case goes to the agent `domain.routing.choose`
picks from the floor as the tables show it now, or waits in the queue with its position and an
honest expected wait; a freed slot or an agent coming online takes from the queue; an agent
going offline hands their unanswered cases on. Every decision is an audit event on the case
with its reasons, and the agent it went to is notified.

Called from the ticket write paths inside their transaction (`route` after a case opens,
`after_status` when a case stops holding a place), and by the presence and capacity use cases
below, which commit. Nothing is routed while no agent has an availability row.

The queue: entries are ordered by `rank`, then `enqueued_at`. A case enters after everything of
its band (urgent first, a VIP a level higher: `queue_band`) that arrived before it; ranks are
`band × RANK_STEP` plus room, and kept distinct within a queue, so a supervisor's move up or
down is an exchange of two ranks and `enqueued_at` stays the true arrival (waits are measured
from it). Position and expected wait count within the entry's queue (`queue_name`): cases of
one workload and team compete for the same agents.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.catalog import Channel, Priority
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal
from servicedesk.domain.routing import AgentState, Decision, RouteReason, Why, choose, choose_many, next_for
from servicedesk.domain.routing import reroute_from as plan_reroute
from servicedesk.domain.routing_rules import (
    CaseNeeds,
    LanguageSource,
    Presence,
    RoutingPolicy,
    RoutingRules,
    Workload,
    canonical_skills,
    needs_for,
    queue_band,
    tier_ceiling,
    workload_of,
)
from servicedesk.domain.waiting import helper_of, pickup_at
from servicedesk.services import availability, notifications, sla
from servicedesk.services.availability import LOADED, AgentRecord
from servicedesk.services.customer_language import case_language
from servicedesk.settings import Settings
from servicedesk.store.incidents import Incident, IncidentTicket
from servicedesk.store.models import AgentSkill, Customer, CustomerTag, Team, TeamMember, Ticket, User
from servicedesk.store.routing import Availability, QueueEntry
from servicedesk.store.uow import UnitOfWork

RANK_STEP = 1000  # rank room per band: order is exact for up to this many waiting per band
MAX_RANK = 32767  # SMALLINT
HISTORY = 200  # recent resolved cases per status read for the mean handling time
MIN_HISTORY = 20  # fewer than this and the setting's figure is used instead
ASSIGNED, WITHDRAWN, REQUEUED = "assigned", "withdrawn", "requeued"
BY_HAND = {"zh": "主管从排队中指派", "en": "Assigned from the queue by a supervisor"}
_POLICY_REASONS = frozenset({RouteReason.BEST_MATCH, RouteReason.LEAST_RECENT, RouteReason.LEAST_LOADED})


@lru_cache(maxsize=8)
def _rules(reroute: frozenset[Workload]) -> RoutingRules:
    return RoutingRules(reroute_kinds=reroute)


def rules_for(settings: Settings) -> RoutingRules:
    return _rules(frozenset(settings.routing_reroute))


def state_of(record: AgentRecord, skills: Mapping[str, int]) -> AgentState:
    return AgentState(
        id=record.user_id, presence=record.presence, on_shift=record.on_shift, skills=skills,
        capacity=record.capacity, load=record.load, tier=record.tier, team_ids=record.team_ids,
        last_assigned_at=record.last_assigned_at, min_tier=record.min_tier,
    )  # fmt: skip


def _skill_codes(records: Iterable[AgentRecord], rules: RoutingRules) -> list[dict[str, int]]:
    """`canonical_skills` per agent, folding each distinct name once: a floor of 500 agents
    types a dozen skill names, and folding one costs as much as the rest of the state."""
    codes: dict[str, str] = {}
    folded = []
    for record in records:
        skills: dict[str, int] = {}
        for name, level in record.skills.items():
            code = codes.get(name)
            if code is None:
                code = codes[name] = next(iter(canonical_skills({name: 1}, rules)))
            skills[code] = max(level, skills.get(code, 0))
        folded.append(skills)
    return folded


async def _records_and_states(
    uow: UnitOfWork, *, user_ids: Iterable[int] | None = None, include_offline: bool = False
) -> tuple[list[AgentRecord], list[AgentState]]:
    records = await availability.load_agents(uow, user_ids=user_ids, include_offline=include_offline)
    skills = _skill_codes(records, rules_for(uow.settings))
    return records, [state_of(r, s) for r, s in zip(records, skills, strict=True)]


async def agent_states(uow: UnitOfWork, *, user_ids: Iterable[int] | None = None) -> list[AgentState]:
    """Everyone signed in (online or away), as routing sees them now. Not narrowed to the
    case's team: the decision's own team and tier checks do that and count who failed them,
    and a VIP's advisor from another team must be seen to be reported as such."""
    return (await _records_and_states(uow, user_ids=user_ids))[1]


async def needs_of(uow: UnitOfWork, ticket: Ticket) -> CaseNeeds:
    """The case's needs from its type, channel and tags, the customer's tier, profile tags and
    advisor, the language they write, and its tiers.

    The language is read from the customer's latest messages on the case; the profile's only
    when they wrote nothing that shows one. The tiers: a case may go to its team's tier and no
    higher; without a team, to the front line's, or to the lowest tier with a skill it calls for
    that the front line lacks (`tier_ceiling`). An escalation raises it by giving the case a
    higher team, and a declared major incident it belongs to raises it to the incident's tier."""
    customer = await uow.session.get(Customer, ticket.customer_id)
    assert customer is not None  # a foreign key
    profile = await uow.session.scalars(select(CustomerTag.tag).where(CustomerTag.customer_id == customer.id))
    team = await uow.session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    language, source = await case_language(uow, ticket, customer)
    rules = rules_for(uow.settings)
    needs = needs_for(
        ticket_type=ticket.type, channel=ticket.channel, tags=[*(t.tag for t in ticket.tags), *profile],
        language=language, language_source=source, customer_tier=customer.tier,
        advisor_id=customer.advisor_id, priority=ticket.priority, tier=team.tier if team is not None else 1,
        team_id=ticket.team_id, rules=rules,
    )  # fmt: skip
    own = team.tier if team is not None else tier_ceiling(needs, await skill_holders(uow, rules), rules)
    return replace(needs, max_tier=max(own, await _incident_tier(uow, ticket) or 0))


async def skill_holders(uow: UnitOfWork, rules: RoutingRules) -> dict[str, dict[int, int]]:
    """Skill code → {team tier: the best level among the routed members of teams of that tier}:
    where on the ladder each skill lives, whoever is signed in now, so a case's ceiling does
    not move with the shifts. One grouped read over the skill matrix."""
    rows = await uow.session.execute(
        select(AgentSkill.skill, Team.tier, func.max(AgentSkill.level))
        .join(TeamMember, TeamMember.user_id == AgentSkill.user_id)
        .join(Team, Team.id == TeamMember.team_id)
        .join(Availability, Availability.user_id == AgentSkill.user_id)
        .join(User, User.id == AgentSkill.user_id)
        .where(User.is_active.is_(True))
        .group_by(AgentSkill.skill, Team.tier)
    )
    holders: dict[str, dict[int, int]] = {}
    for name, tier, level in rows:
        for code in canonical_skills({name: level}, rules):
            at = holders.setdefault(code, {})
            at[tier] = max(level, at.get(tier, 0))
    return holders


async def _incident_tier(uow: UnitOfWork, ticket: Ticket) -> int | None:
    """The tier of the open major incident the case is linked to, if any."""
    return await uow.session.scalar(
        select(func.max(Incident.tier))
        .join(IncidentTicket, IncidentTicket.incident_id == Incident.id)
        .where(IncidentTicket.ticket_id == ticket.id, Incident.status == "open")
    )


def needs_json(needs: CaseNeeds) -> dict[str, Any]:
    return {
        "kind": needs.kind.value, "required": dict(needs.required), "preferred": list(needs.preferred),
        "tier": needs.tier, "is_vip": needs.is_vip, "advisor_id": needs.advisor_id,
        "priority": needs.priority.value, "team_id": needs.team_id, "exclude": sorted(needs.exclude),
        "max_tier": needs.max_tier, "language": needs.language,
        "language_source": needs.language_source.value,
    }  # fmt: skip


def needs_from_json(data: dict[str, Any]) -> CaseNeeds:
    """An entry queued before the tier ceiling existed gets its own tier as the ceiling."""
    return CaseNeeds(
        kind=Workload(data["kind"]), required={str(k): int(v) for k, v in data["required"].items()},
        preferred=tuple(data["preferred"]), tier=int(data["tier"]), is_vip=bool(data["is_vip"]),
        advisor_id=data.get("advisor_id"), priority=Priority(data["priority"]), team_id=data.get("team_id"),
        exclude=frozenset(int(u) for u in data.get("exclude", ())),
        max_tier=data.get("max_tier", int(data["tier"])), language=str(data.get("language", "zh")),
        language_source=LanguageSource(data.get("language_source", LanguageSource.PROFILE.value)),
    )  # fmt: skip


def reasons_json(reasons: Iterable[Why]) -> list[dict[str, Any]]:
    return [{"code": w.code.value, "params": dict(w.params)} for w in reasons]


def reasons_from_json(data: Iterable[dict[str, Any]]) -> list[Why]:
    return [
        Why(RouteReason(r["code"]), r.get("params") or {}) for r in data if r.get("code") in set(RouteReason)
    ]


def queue_name(needs: CaseNeeds) -> str:
    """Cases that compete for the same agents: one workload, one team (or none)."""
    return needs.kind.value if needs.team_id is None else f"{needs.kind.value}:team{needs.team_id}"


async def mean_handle_seconds(uow: UnitOfWork, kind: Workload) -> float | None:
    """How long a case of `kind` holds a place, from the latest resolved ones (opening to
    resolution); the setting's figure until there are MIN_HISTORY of them; None when that is
    unset too, so the wait shows as unknown rather than invented."""
    rules = rules_for(uow.settings)
    channels = [c for c in Channel if workload_of(c, rules) is kind]
    spans: list[float] = []
    for status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):  # each walks (status, updated_at)
        rows = await uow.session.execute(
            select(Ticket.created_at, Ticket.resolved_at)
            .where(Ticket.status == status, Ticket.channel.in_(channels), Ticket.resolved_at.is_not(None))
            .order_by(Ticket.updated_at.desc())
            .limit(HISTORY)
        )
        spans += [(resolved - created).total_seconds() for created, resolved in rows if resolved is not None]
    if len(spans) >= MIN_HISTORY:
        return max(statistics.fmean(spans), 1.0)
    minutes = (
        uow.settings.routing_chat_handle_minutes
        if kind is Workload.CHAT
        else uow.settings.routing_ticket_handle_minutes
    )
    return minutes * 60 if minutes else None


@dataclass(frozen=True, slots=True)
class Floor:
    """Everyone routed, offline too, with their working calendars, and the mean handling time
    per workload: what the queue's estimate counts on (`domain.waiting`)."""

    agents: Sequence[tuple[AgentState, BusinessCalendar]]
    means: Mapping[Workload, timedelta | None]
    rules: RoutingRules

    def pickup(self, needs: CaseNeeds, position: int, *, now: datetime) -> datetime | None:
        """When the case at `position` of its queue is expected to be taken; None: nobody who
        could take it is expected (or it must wait for work to finish and no handling time
        is known)."""
        helpers = [helper_of(agent, hours, needs, now=now, rules=self.rules) for agent, hours in self.agents]
        return pickup_at(
            position, [h for h in helpers if h is not None], now=now, mean_handle=self.means.get(needs.kind)
        )


async def floor(uow: UnitOfWork, kinds: Collection[Workload] = tuple(Workload)) -> Floor:
    records, states = await _records_and_states(uow, include_offline=True)
    means = {}
    for kind in kinds:
        seconds = await mean_handle_seconds(uow, kind)
        means[kind] = timedelta(seconds=seconds) if seconds else None
    return Floor(list(zip(states, (r.hours for r in records), strict=True)), means, rules_for(uow.settings))


@dataclass(frozen=True, slots=True)
class Routed:
    """What became of one case: `agent_id`, or a queue `position` and `expected_wait` (None:
    nobody who could take it is expected, or no handling time is known)."""

    ticket_id: int
    agent_id: int | None
    decision: Decision | None = None
    position: int | None = None
    expected_wait: timedelta | None = None


def _summary(uow: UnitOfWork, reasons: Sequence[Why]) -> str:
    locale = uow.settings.default_locale
    return ("; " if locale == "en" else "；").join(w.text(locale) for w in reasons)


async def _has_room(uow: UnitOfWork, agent: AgentState, kind: Workload) -> bool:
    """On PostgreSQL, lock the agent's row and count again: two cases routed at once in two
    transactions must not both take an agent's last place. SQLite runs one writer at a time."""
    if uow.dialect != "postgresql":
        return True
    await uow.session.execute(
        select(Availability.user_id).where(Availability.user_id == agent.id).with_for_update()
    )
    load = (await availability.loads(uow, [agent.id]))[agent.id][kind]
    return load < agent.capacity.get(kind, 0)


async def _assign(
    uow: UnitOfWork,
    actor: Principal | None,
    ticket: Ticket,
    agent_id: int,
    *,
    action: str,
    reasons: Sequence[Why],
    policy: RoutingPolicy | None,
    entry: QueueEntry | None = None,
) -> None:
    now, previous = uow.now(), ticket.assignee_id
    ticket.assignee_id, ticket.updated_at = agent_id, now
    row = await uow.session.get(Availability, agent_id)
    if row is not None:
        row.last_assigned_at = now
    why = _summary(uow, reasons) if reasons else BY_HAND[uow.settings.default_locale]
    after: dict[str, Any] = {"assignee_id": agent_id, "routing_why": why}
    after |= {"routing_reasons": reasons_json(reasons), "routing_policy": policy.value if policy else None}
    if entry is not None:
        leave(uow, entry, ASSIGNED, agent_id=agent_id, actor=actor)
        after["queue_wait_s"] = int((now - entry.enqueued_at).total_seconds())
    uow.record(
        actor, action, subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
        before={"assignee_id": previous} if previous is not None else None, after=after,
    )  # fmt: skip
    notifications.notify(
        uow, [agent_id], "routing.assigned", ticket_id=ticket.id, data={"reason": after["routing_why"]}
    )


def leave(
    uow: UnitOfWork, entry: QueueEntry, outcome: str, *, agent_id: int | None = None, actor: Principal | None
) -> None:
    entry.left_at, entry.outcome, entry.agent_id = uow.now(), outcome, agent_id
    entry.changed_by_id = actor.user_id if actor is not None else None


async def waiting(
    uow: UnitOfWork, *, queue_key: str | None = None, tidy: bool = True
) -> list[tuple[QueueEntry, Ticket]]:
    """The waiting entries in queue order with their cases. An entry whose case was assigned
    by hand or stopped being open meanwhile is not waiting: with `tidy` it leaves the queue
    (a write transaction; on PostgreSQL the rows are locked, skipping ones another routing
    transaction holds, so two drains never hand out one case twice)."""
    stmt = (
        select(QueueEntry, Ticket)
        .join(Ticket, Ticket.id == QueueEntry.ticket_id)
        .where(QueueEntry.left_at.is_(None))
        .order_by(QueueEntry.rank, QueueEntry.enqueued_at, QueueEntry.id)
    )
    if queue_key is not None:
        stmt = stmt.where(QueueEntry.queue_key == queue_key)
    if tidy and uow.dialect == "postgresql":
        stmt = stmt.with_for_update(of=QueueEntry, skip_locked=True)
    found = []
    for entry, ticket in (await uow.session.execute(stmt)).all():
        if ticket.assignee_id is None and ticket.status in LOADED:
            found.append((entry, ticket))
        elif tidy:
            outcome = ASSIGNED if ticket.assignee_id is not None else WITHDRAWN
            leave(uow, entry, outcome, agent_id=ticket.assignee_id, actor=None)
    return found


def _place(entries: list[QueueEntry], new: QueueEntry, band: int) -> int:
    """Insert `new` after everything of its band or better that arrived no later, keeping the
    ranks distinct and increasing (bumping the entries behind it only when there is no room);
    its 0-based index."""
    low, high = band * RANK_STEP, (band + 1) * RANK_STEP
    index = next(
        (
            i
            for i, e in enumerate(entries)
            if e.rank >= high or (e.rank >= low and e.enqueued_at > new.enqueued_at)
        ),
        len(entries),
    )
    new.rank = max(low, entries[index - 1].rank + 1) if index else low
    entries.insert(index, new)
    renumber(entries[index:])
    return index


def renumber(entries: Sequence[QueueEntry]) -> None:
    """Make ranks strictly increase along `entries`, moving as few as possible."""
    for before, entry in pairwise(entries):
        if entry.rank <= before.rank:
            entry.rank = min(before.rank + 1, MAX_RANK)


async def _enqueue(
    uow: UnitOfWork,
    actor: Principal | None,
    ticket: Ticket,
    needs: CaseNeeds,
    decision: Decision,
    *,
    action: str = "routing.queued",
    enqueued_at: datetime | None = None,
    before: dict[str, Any] | None = None,
) -> Routed:
    key, band = queue_name(needs), queue_band(needs.priority, needs.is_vip, rules_for(uow.settings))
    entry = QueueEntry(
        ticket_id=ticket.id, queue_key=key, rank=band * RANK_STEP, needs=needs_json(needs),
        enqueued_at=enqueued_at or uow.now(),
    )  # fmt: skip
    entries = [e for e, _ in await waiting(uow, queue_key=key)]
    position = _place(entries, entry, band) + 1
    now = uow.now()
    entry.expected_at = (await floor(uow, [needs.kind])).pickup(needs, position, now=now)
    uow.session.add(entry)
    wait = entry.expected_at - now if entry.expected_at is not None else None
    after = {
        "assignee_id": None, "queue_position": position,
        "expected_wait_s": int(wait.total_seconds()) if wait is not None else None,
        "routing_why": _summary(uow, decision.reasons), "routing_reasons": reasons_json(decision.reasons),
        "routing_policy": decision.policy.value,
    }  # fmt: skip
    uow.record(
        actor, action, subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id, before=before,
        after=after,
    )  # fmt: skip
    await uow.session.flush()
    await sla.warn_if_late(uow, ticket, entry.expected_at)  # waiting past a deadline: the ladder starts
    return Routed(ticket.id, None, decision, position, wait)


async def _decide(uow: UnitOfWork, needs: CaseNeeds, agents: list[AgentState], now: datetime) -> Decision:
    """`choose`, re-asked without an agent whose last place another transaction just took."""
    settings = uow.settings
    for _ in range(3):
        decision = choose(needs, agents, now=now, policy=settings.routing_policy, rules=rules_for(settings))
        chosen = next((a for a in agents if a.id == decision.agent_id), None)
        if chosen is None or await _has_room(uow, chosen, needs.kind):
            return decision
        agents = [a for a in agents if a.id != chosen.id]
    return choose(needs, [], now=now, policy=settings.routing_policy, rules=rules_for(settings))


async def route(uow: UnitOfWork, ticket: Ticket, actor: Principal | None = None) -> Routed | None:
    """Assign an unassigned open case, or queue it; not committed. None when routing is not in
    use (no availability rows) or the case already has an agent."""
    if ticket.assignee_id is not None or not await availability.routing_enabled(uow):
        return None
    return await _route(uow, ticket, await needs_of(uow, ticket), actor)


async def _route(
    uow: UnitOfWork,
    ticket: Ticket,
    needs: CaseNeeds,
    actor: Principal | None,
    *,
    since: QueueEntry | None = None,
) -> Routed:
    """Assign or queue; a case that was already waiting (`since`) keeps its first arrival.
    Nothing is said to the customer here: the caller words one message from where the case
    ended up (`progress.standing`)."""
    decision = await _decide(uow, needs, await agent_states(uow), uow.now())
    if decision.agent_id is None:
        if since is not None:
            before = {"queue_key": since.queue_key}
            return await _enqueue(uow, actor, ticket, needs, decision, action="routing.requeued",
                                  enqueued_at=since.enqueued_at, before=before)  # fmt: skip
        return await _enqueue(uow, actor, ticket, needs, decision)
    await _assign(
        uow, actor, ticket, decision.agent_id, action="routing.assigned", reasons=decision.reasons,
        policy=decision.policy,
    )  # fmt: skip
    return Routed(ticket.id, decision.agent_id, decision)


async def assign_by_hand(
    uow: UnitOfWork, actor: Principal, ticket: Ticket, agent_id: int, *, entry: QueueEntry
) -> None:
    """A supervisor gives a waiting case to a named agent; not committed."""
    await _assign(
        uow, actor, ticket, agent_id, action="routing.queue_assigned", reasons=(), policy=None, entry=entry
    )


async def drain_for(uow: UnitOfWork, agent_id: int, actor: Principal | None = None) -> list[Routed]:
    """`agent_id` has room or came online: they take the queued cases that fit them, first
    come first served within each band (their own VIPs first), until they are full."""
    row = await uow.session.get(Availability, agent_id)
    if row is None or row.presence == Presence.OFFLINE.value:  # not routed: one key lookup
        return []
    if uow.dialect == "postgresql":  # serialise with routing decisions that chose them
        await uow.session.execute(
            select(Availability.user_id).where(Availability.user_id == agent_id).with_for_update()
        )
    states = await agent_states(uow, user_ids=[agent_id])
    if not states:
        return []
    agent, rules, done = states[0], rules_for(uow.settings), []
    queue = await waiting(uow)
    needs = [needs_from_json(e.needs) for e, _ in queue]
    while (index := next_for(agent, needs, rules)) is not None:
        (entry, ticket), case = queue.pop(index), needs.pop(index)
        single = choose(case, [agent], now=uow.now(), policy=uow.settings.routing_policy, rules=rules)
        reasons = [w for w in single.reasons if w.code not in _POLICY_REASONS]  # a freed place chose
        await _assign(
            uow, actor, ticket, agent.id, action="routing.assigned", entry=entry, reasons=reasons, policy=None
        )
        done.append(Routed(ticket.id, agent.id, single))
        agent = agent.took(case.kind, uow.now())
    return done


async def drain(uow: UnitOfWork, actor: Principal | None = None) -> list[Routed]:
    """Offer the whole queue to everyone on duty, in queue order (for shift starts, which no
    event announces, and a supervisor's "assign what can be"); not committed."""
    queue = await waiting(uow)
    if not queue:
        return []
    agents, now, settings = await agent_states(uow), uow.now(), uow.settings
    cases = [needs_from_json(e.needs) for e, _ in queue]
    decisions = choose_many(cases, agents, now=now, policy=settings.routing_policy, rules=rules_for(settings))
    by_id, done = {a.id: a for a in agents}, []
    for (entry, ticket), case, decision in zip(queue, cases, decisions, strict=True):
        agent = by_id.get(decision.agent_id) if decision.agent_id is not None else None
        if agent is None or not await _has_room(uow, agent, case.kind):
            continue
        await _assign(
            uow, actor, ticket, agent.id, action="routing.assigned", entry=entry, reasons=decision.reasons,
            policy=decision.policy,
        )  # fmt: skip
        done.append(Routed(ticket.id, agent.id, decision))
    return done


async def _first_enqueued(uow: UnitOfWork, ticket: Ticket) -> datetime:
    first = await uow.session.scalar(
        select(QueueEntry.enqueued_at)
        .where(QueueEntry.ticket_id == ticket.id)
        .order_by(QueueEntry.id)
        .limit(1)
    )
    return first or ticket.created_at


async def reroute_agent(uow: UnitOfWork, agent_id: int, actor: Principal | None = None) -> list[Routed]:
    """`agent_id` went offline: their open cases with no first response yet, of the workloads
    in `routing_reroute`, go to someone else or back to the queue at their first arrival."""
    tickets = list(
        await uow.session.scalars(
            select(Ticket)
            .where(Ticket.assignee_id == agent_id, Ticket.status.in_(LOADED))
            .where(Ticket.first_response_at.is_(None))
            .order_by(Ticket.id)
        )
    )
    if not tickets:
        return []
    settings, done = uow.settings, []
    cases = [await needs_of(uow, t) for t in tickets]
    plans = plan_reroute(
        agent_id, cases, await agent_states(uow), now=uow.now(), policy=settings.routing_policy,
        rules=rules_for(settings),
    )  # fmt: skip
    for ticket, case, decision in zip(tickets, cases, plans, strict=True):
        if decision is None:
            continue
        if decision.agent_id is not None:
            await _assign(
                uow, actor, ticket, decision.agent_id, action="routing.rerouted", reasons=decision.reasons,
                policy=decision.policy,
            )  # fmt: skip
            done.append(Routed(ticket.id, decision.agent_id, decision))
            continue
        ticket.assignee_id, ticket.updated_at = None, uow.now()
        first = await _first_enqueued(uow, ticket)
        queued = await _enqueue(
            uow, actor, ticket, case, decision, action="routing.rerouted", enqueued_at=first,
            before={"assignee_id": agent_id},
        )  # fmt: skip
        done.append(queued)
    return done


async def after_change(uow: UnitOfWork, ticket: Ticket, actor: Principal | None = None) -> Routed | None:
    """The case's type, priority, tags or team changed, its customer's tier, or it joined a
    major incident: a waiting case is offered again with what it needs now (a case turned
    urgent, or a customer turned VIP, may find someone at once, or moves up a band; one
    escalated to a higher team goes to its queue), keeping its first arrival; not committed.
    An assigned case keeps its agent."""
    if ticket.assignee_id is not None:
        return None
    entry = await uow.session.scalar(
        select(QueueEntry).where(QueueEntry.ticket_id == ticket.id, QueueEntry.left_at.is_(None))
    )
    if entry is None:
        return None
    needs = await needs_of(uow, ticket)
    if needs_json(needs) == entry.needs:
        return None
    leave(uow, entry, REQUEUED, actor=actor)
    return await _route(uow, ticket, needs, actor, since=entry)


async def after_status(uow: UnitOfWork, ticket: Ticket, before: TicketStatus, after: TicketStatus) -> None:
    """A case stopped holding a place (waiting on the customer, resolved, closed): its agent
    takes the next queued case that fits; an unassigned one leaves the queue."""
    if before not in LOADED or after in LOADED:
        return
    if ticket.assignee_id is not None:
        await drain_for(uow, ticket.assignee_id)
        return
    entry = await uow.session.scalar(
        select(QueueEntry).where(QueueEntry.ticket_id == ticket.id, QueueEntry.left_at.is_(None))
    )
    if entry is not None:
        leave(uow, entry, WITHDRAWN, actor=None)


@dataclass(frozen=True, slots=True)
class PresenceChange:
    user_id: int
    before: Presence
    after: Presence
    moved: list[Routed]  # cases handed on (going offline) or taken from the queue


async def set_presence(
    uow: UnitOfWork, actor: Principal, presence: Presence, *, user_id: int | None = None
) -> PresenceChange:
    """My presence (or, for a supervisor, anyone's), with what it sets in motion; commits."""
    target = actor.user_id if user_id is None else user_id
    before, after = await availability.apply_presence(uow, actor, target, presence)
    moved: list[Routed] = []
    if before is not after:
        if after is Presence.OFFLINE:
            moved = await reroute_agent(uow, target, actor)
        else:
            moved = await drain_for(uow, target, actor)
    await uow.commit()
    return PresenceChange(target, before, after, moved)


async def edit_availability(
    uow: UnitOfWork,
    actor: Principal,
    user_id: int,
    *,
    presence: Presence | None = None,
    chat_capacity: int | None = None,
    ticket_capacity: int | None = None,
    working_hours: str | None = None,
    clear_hours: bool = False,
) -> tuple[Availability, list[Routed]]:
    """A supervisor changes someone's capacities, hours or presence in one step; going offline
    hands their unanswered cases on, and anyone signed in takes what now fits from the queue.
    Commits."""
    row = await availability.apply_settings(
        uow, actor, user_id, chat_capacity=chat_capacity, ticket_capacity=ticket_capacity,
        working_hours=working_hours, clear_hours=clear_hours,
    )  # fmt: skip
    moved: list[Routed] = []
    if presence is not None:
        before, after = await availability.apply_presence(uow, actor, user_id, presence)
        if after is Presence.OFFLINE and before is not after:
            moved = await reroute_agent(uow, user_id, actor)
    if row.presence != Presence.OFFLINE.value:
        moved += await drain_for(uow, user_id, actor)
    await uow.commit()
    return row, moved
