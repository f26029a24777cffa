"""The three tiers (R-HD-1): a case the front line cannot solve goes up to an expert team (L2),
and a major failure to the emergency group (L3) — with a reason, a clock for the experts'
solution, and a word to the customer about where their case is and when they will hear back.
"""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.domain.routing_rules import canonical_skills
from servicedesk.domain.sla import SlaMetric
from servicedesk.domain.text import one_line
from servicedesk.services import notifications, progress, routing, sla
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.store.models import AgentSkill, Team, TeamMember, Ticket
from servicedesk.store.uow import UnitOfWork

TOP_TIER = 3
MAX_REASON = 500


async def _next_team(uow: UnitOfWork, ticket: Ticket, current: Team | None, tier: int) -> Team | None:
    """The team of `tier` whose people know most of what the case needs (a technical fault goes
    to the technical experts, a complaint to the complaint handlers), then one in the same
    department as the current team, then the first."""
    candidates = list(await uow.session.scalars(select(Team).where(Team.tier == tier).order_by(Team.id)))
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    needs = await routing.needs_of(uow, ticket)
    wanted = {*needs.required, *needs.preferred}
    best: dict[tuple[int, str], int] = {}  # (team, skill code) → the best level among its members
    rows = await uow.session.execute(
        select(TeamMember.team_id, AgentSkill.skill, AgentSkill.level)
        .join(AgentSkill, AgentSkill.user_id == TeamMember.user_id)
        .where(TeamMember.team_id.in_([t.id for t in candidates]))
    )
    rules = routing.rules_for(uow.settings)
    for team_id, skill, level in rows:
        for code in canonical_skills({skill: level}, rules):
            if code in wanted:
                best[(team_id, code)] = max(level, best.get((team_id, code), 0))

    def fit(team: Team) -> tuple[int, bool]:
        same = current is not None and team.department_id == current.department_id
        return sum(level for (t, _), level in best.items() if t == team.id), same

    return max(candidates, key=fit)  # max keeps the first of equals: the lowest id


async def tier_of(uow: UnitOfWork, ticket: Ticket) -> int:
    """The tier of the case's team; a case without a team is with the front line."""
    team = await uow.session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    return team.tier if team is not None else 1


async def escalate_ticket(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, reason: str, team_id: int | None = None
) -> Ticket:
    """An agent sends the case up: to `team_id` if given (a higher tier), else to the next tier."""
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    reason = one_line(reason, "reason", MAX_REASON, message="a reason is required")
    target = await uow.session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and target is None:
        raise ValidationFailed("unknown team", fields={"team_id": f"no team {team_id}"})
    await escalate(uow, actor, ticket, reason=reason, target=target)
    await uow.commit()
    return ticket


async def escalate(
    uow: UnitOfWork, actor: Principal | None, ticket: Ticket, *, reason: str, target: Team | None = None
) -> Team:
    """Move the case to a higher tier; not committed. `actor` None: the SLA ladder did it."""
    current = await uow.session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    tier = await tier_of(uow, ticket)
    target = target or await _next_team(uow, ticket, current, min(tier + 1, TOP_TIER))
    if target is None or target.tier <= tier:
        raise ValidationFailed(
            "no higher tier", fields={"team_id": f"this case is at L{tier}; choose a team of a higher tier"}
        )
    before = {"team_id": ticket.team_id, "assignee_id": ticket.assignee_id, "tier": tier}
    ticket.team_id, ticket.assignee_id, ticket.updated_at = target.id, None, uow.now()
    uow.record(
        actor, "ticket.escalated", subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
        before=before, after={"team_id": target.id, "tier": target.tier, "reason": reason},
    )  # fmt: skip
    clock = await sla.start_metric(uow, ticket, SlaMetric.EXPERT_SOLUTION)
    await uow.session.flush()
    notifications.notify(
        uow, await notifications.leads_of(uow, target.id), "ticket.escalated", ticket_id=ticket.id,
        data={"tier": target.tier, "team": target.name, "reason": reason},
    )  # fmt: skip
    # to an expert of the new team, or its queue: a case that was waiting moves there with its
    # first arrival, and the higher tier is now its own, so it may go up
    if await routing.after_change(uow, ticket) is None:
        await routing.route(uow, ticket)
    promise = clock.due_at if clock is not None else None
    await progress.tell_escalated(uow, ticket, target.name, promise)  # one message, from where it is now
    return target
