"""Major incidents (R-HD-1): one failure behind many cases, handled once.

A supervisor (or the expert / emergency group) declares the incident, groups the affected cases
under it, writes each progress update once, and resolves it with a final message; every
affected customer hears each update exactly once, on the channel they wrote on, and resolving
the incident resolves its open cases through the ordinary status path (SLA clocks stop, events
are recorded).

Decisions:

- **Who leads.** Declaring, posting updates and resolving need `WORK_TICKETS` and either
  `VIEW_ALL_TICKETS` (supervisors, administrators) or membership of an L2/L3 team (the expert
  teams and the emergency group of R-HD-1). No new permission: the tiers already say who handles
  what a front-line agent cannot. A front-line agent may still link a case they can see to an
  open incident (they are the ones who notice the pattern), and unlink it again.
- **Who sees.** Incidents are internal: any staff member may read them; customers are told
  "not found". The cases listed under an incident follow the reader's visibility rule, so an
  incident page never shows a case its ticket page would refuse; leaders act on every linked
  case, seen or not, because resolving an outage is their job.
- **Which cases.** Only active cases (new, open, pending) can join: a resolved or closed case
  has nothing left to tell (422, nothing linked). A case belongs to one open incident at a
  time (409 naming the other), so its customer hears one stream of updates. Unknown or
  invisible ids fail the whole request (422 listing them); ids already linked are skipped.
- **Once per customer.** An update goes to the customers of the incident's *active* linked
  cases: one public system message per customer, on their most recently updated case (its
  channel: chat, email, WeChat…; help-center cases are read in place). Their other linked
  cases get an internal note saying where it was sent. `recipients` counts the customers.
- **Written once.** The incident row is locked while an update is written; the same text
  posted again within `DUPLICATE_WINDOW` is refused (409) as a double submit, and resolving a
  resolved incident is refused, so nothing is sent twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Permission, Principal
from servicedesk.domain.text import one_line
from servicedesk.services import progress, routing
from servicedesk.services.access import require, require_staff, ticket_scope
from servicedesk.services.staff import names_of
from servicedesk.services.ticket_queries import ACTIVE, TicketFilter, list_tickets
from servicedesk.services.tickets import apply_status
from servicedesk.store.incidents import Incident, IncidentTicket, IncidentUpdate
from servicedesk.store.models import Event, Team, Ticket
from servicedesk.store.uow import UnitOfWork

OPEN, RESOLVED = "open", "resolved"
TIERS = (2, 3)
MAX_TITLE = 200
MAX_SUMMARY = 5000
MAX_UPDATE = 2000  # one message a customer reads on a phone
MAX_LINK = 500
MAX_SHOWN = 500  # cases listed on the incident's page and in its API detail; the counts are exact
DUPLICATE_WINDOW = timedelta(seconds=60)
TICKET_ROWS = (joinedload(Ticket.customer), joinedload(Ticket.team), joinedload(Ticket.assignee))


@dataclass(frozen=True, slots=True)
class IncidentSummary:
    incident: Incident
    linked: int
    active: int


@dataclass(frozen=True, slots=True)
class IncidentView:
    incident: Incident
    tickets: list[Ticket]  # the linked cases the reader may see (the first MAX_SHOWN), with people
    visible: int  # all the linked cases the reader may see
    hidden: int  # linked cases outside the reader's visibility
    updates: list[IncidentUpdate]  # newest first
    events: list[Event]
    names: dict[int, str]  # staff user id → name, for creator, resolver, authors, actors
    team: Team | None
    can_lead: bool


@dataclass(frozen=True, slots=True)
class Candidate:
    ticket: Ticket
    incident_id: int | None  # the open incident it already belongs to


@dataclass(frozen=True, slots=True)
class Linked:
    linked: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)


# --- who may do what ------------------------------------------------------------------------


async def may_lead(uow: UnitOfWork, actor: Principal) -> bool:
    if not actor.role.is_staff or not actor.can(Permission.WORK_TICKETS):
        return False
    if actor.can(Permission.VIEW_ALL_TICKETS):
        return True
    if not actor.team_ids:
        return False
    top = await uow.session.scalar(select(func.max(Team.tier)).where(Team.id.in_(sorted(actor.team_ids))))
    return (top or 1) >= min(TIERS)


async def require_lead(uow: UnitOfWork, actor: Principal) -> None:
    require_staff(actor)
    if not await may_lead(uow, actor):
        raise Forbidden("major incidents are led by supervisors, administrators and members of L2/L3 teams")


# --- reading --------------------------------------------------------------------------------


async def list_incidents(
    uow: UnitOfWork, actor: Principal, *, status: str | None = None, limit: int = 100
) -> list[IncidentSummary]:
    """Open incidents first, then the most recent; with counts of linked and active cases."""
    require_staff(actor)
    if status is not None and status not in (OPEN, RESOLVED):
        raise ValidationFailed("unknown status", fields={"status": "open or resolved"})
    active = func.sum(case((Ticket.status.in_(ACTIVE), 1), else_=0))
    stmt = (
        select(Incident, func.count(IncidentTicket.ticket_id), active)
        .outerjoin(IncidentTicket, IncidentTicket.incident_id == Incident.id)
        .outerjoin(Ticket, Ticket.id == IncidentTicket.ticket_id)
        .group_by(Incident.id)
        .order_by(case((Incident.status == OPEN, 0), else_=1), Incident.id.desc())
        .limit(limit)
    )
    if status is not None:
        stmt = stmt.where(Incident.status == status)
    rows = (await uow.session.execute(stmt)).all()
    return [IncidentSummary(i, int(n or 0), int(a or 0)) for i, n, a in rows]


async def get_incident(uow: UnitOfWork, actor: Principal, incident_id: int) -> Incident:
    require_staff(actor)
    incident = await uow.session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    return incident


async def incident_view(uow: UnitOfWork, actor: Principal, incident_id: int) -> IncidentView:
    incident = await get_incident(uow, actor, incident_id)
    linked = select(IncidentTicket.ticket_id).where(IncidentTicket.incident_id == incident.id)
    seen = (Ticket.id.in_(linked), ticket_scope(actor))
    rows = select(Ticket).where(*seen).options(*TICKET_ROWS).order_by(Ticket.id).limit(MAX_SHOWN)
    tickets = list((await uow.session.scalars(rows)).unique())
    total = await uow.session.scalar(select(func.count()).select_from(linked.subquery()))
    visible = await uow.session.scalar(select(func.count()).select_from(Ticket).where(*seen))
    updates = await list_updates(uow, actor, incident.id)
    events = list(
        await uow.session.scalars(
            select(Event)
            .where(Event.subject_type == "incident", Event.subject_id == incident.id)
            .order_by(Event.id.desc())
            .limit(200)
        )
    )
    people = {incident.created_by_id, incident.resolved_by_id, *(u.author_id for u in updates)}
    people |= {e.actor_user_id for e in events}
    names = await names_of(uow, people)
    team = await uow.session.get(Team, incident.team_id) if incident.team_id is not None else None
    return IncidentView(
        incident, tickets, int(visible or 0), int(total or 0) - int(visible or 0), updates, events,
        names, team, await may_lead(uow, actor),
    )  # fmt: skip


async def list_updates(uow: UnitOfWork, actor: Principal, incident_id: int) -> list[IncidentUpdate]:
    require_staff(actor)
    rows = await uow.session.scalars(
        select(IncidentUpdate)
        .where(IncidentUpdate.incident_id == incident_id)
        .order_by(IncidentUpdate.id.desc())
    )
    return list(rows)


async def incidents_of_ticket(uow: UnitOfWork, actor: Principal, ticket: Ticket) -> list[Incident]:
    """The incidents a case belongs to, the open one first; `ticket` was read through access."""
    require_staff(actor)
    rows = await uow.session.scalars(
        select(Incident)
        .join(IncidentTicket, IncidentTicket.incident_id == Incident.id)
        .where(IncidentTicket.ticket_id == ticket.id)
        .order_by(case((Incident.status == OPEN, 0), else_=1), Incident.id.desc())
    )
    return list(rows)


async def candidate_tickets(
    uow: UnitOfWork, actor: Principal, *, q: str = "", tag: str = "", limit: int = 100
) -> list[Candidate]:
    """Active cases the actor can see matching a search term (number, subject, customer) or a
    tag, so a supervisor can group many at once; each says which open incident holds it."""
    require_staff(actor)
    q, tag = q.strip(), tag.strip()
    if not q and not tag:
        raise ValidationFailed("search for something", fields={"q": "a search term or a tag"})
    page = await list_tickets(
        uow, actor, filters=TicketFilter(status=ACTIVE, q=q or None, tag=tag or None), limit=limit
    )
    held = await _held_by_open_incidents(uow, [t.id for t in page.items])
    return [Candidate(t, held.get(t.id)) for t in page.items]


async def _held_by_open_incidents(uow: UnitOfWork, ticket_ids: Sequence[int]) -> dict[int, int]:
    """ticket id → the open incident holding it, for those of `ticket_ids` that are held."""
    if not ticket_ids:
        return {}
    rows = await uow.session.execute(
        select(IncidentTicket.ticket_id, IncidentTicket.incident_id)
        .join(Incident, Incident.id == IncidentTicket.incident_id)
        .where(IncidentTicket.ticket_id.in_(list(ticket_ids)), Incident.status == OPEN)
    )
    return {t: i for t, i in rows.all()}


# --- writing --------------------------------------------------------------------------------


def _message(body: str) -> str:
    """The text customers receive: required, trimmed, short enough for a chat bubble."""
    cleaned = body.strip()
    if not cleaned or len(cleaned) > MAX_UPDATE:
        raise ValidationFailed("invalid update", fields={"body": f"1 to {MAX_UPDATE} characters"})
    return cleaned


async def _locked_open(uow: UnitOfWork, incident_id: int) -> Incident:
    """The incident, locked until commit (PostgreSQL; SQLite's writers queue anyway), so two
    updates or an update and the resolution never interleave."""
    incident = await uow.session.scalar(
        select(Incident)
        .where(Incident.id == incident_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if incident is None:
        raise NotFound(f"incident {incident_id} not found")
    if incident.status != OPEN:
        raise Conflict(f"incident {incident_id} is already resolved; declare a new one")
    return incident


async def declare_incident(
    uow: UnitOfWork,
    actor: Principal,
    *,
    title: str,
    summary: str = "",
    tier: int = 3,
    team_id: int | None = None,
    ticket_ids: Iterable[int] = (),
) -> Incident:
    """Open an incident, optionally with its first cases (all of them or none)."""
    await require_lead(uow, actor)
    title = one_line(title, "title", MAX_TITLE)
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY:
        raise ValidationFailed("summary too long", fields={"summary": f"at most {MAX_SUMMARY} characters"})
    if tier not in TIERS:
        raise ValidationFailed("invalid tier", fields={"tier": "2 (expert teams) or 3 (emergency group)"})
    if team_id is not None and await uow.session.get(Team, team_id) is None:
        raise ValidationFailed("unknown team", fields={"team_id": f"no team {team_id}"})
    now = uow.now()
    incident = Incident(
        title=title, summary=summary, status=OPEN, tier=tier, team_id=team_id,
        created_by_id=actor.user_id, created_at=now, updated_at=now,
    )  # fmt: skip
    uow.session.add(incident)
    await uow.session.flush()
    uow.record(
        actor, "incident.declared", subject_type="incident", subject_id=incident.id,
        after={"title": title, "tier": tier, "team_id": team_id},
    )  # fmt: skip
    ids = list(ticket_ids)
    if ids:
        await _link(uow, actor, incident, ids)
    await uow.commit()
    return incident


async def link_tickets(
    uow: UnitOfWork, actor: Principal, incident_id: int, ticket_ids: Iterable[int]
) -> Linked:
    """Group cases under an open incident: all or nothing; ids already linked are skipped."""
    require_staff(actor)
    require(actor, Permission.WORK_TICKETS)
    incident = await _locked_open(uow, incident_id)
    result = await _link(uow, actor, incident, list(ticket_ids))
    await uow.commit()
    return result


async def _link(uow: UnitOfWork, actor: Principal, incident: Incident, ticket_ids: list[int]) -> Linked:
    ids = list(dict.fromkeys(ticket_ids))
    if not ids or len(ids) > MAX_LINK:
        raise ValidationFailed("no cases", fields={"ticket_ids": f"1 to {MAX_LINK} ticket ids"})
    found = {
        t.id: t
        for t in await uow.session.scalars(
            select(Ticket).where(Ticket.id.in_(ids), ticket_scope(actor)).with_for_update()
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            "unknown tickets", fields={"ticket_ids": "no such tickets: " + _numbers(missing)}
        )
    finished = [i for i in ids if not found[i].status.is_active]
    if finished:
        raise ValidationFailed(
            "only active cases can join an incident",
            fields={"ticket_ids": "already resolved or closed: " + _numbers(finished)},
        )
    held = await _held_by_open_incidents(uow, ids)
    elsewhere = {t: i for t, i in held.items() if i != incident.id}
    if elsewhere:
        named = ", ".join(f"#{t} (incident {i})" for t, i in sorted(elsewhere.items()))
        raise Conflict("cases already belong to another open incident", fields={"ticket_ids": named})
    now = uow.now()
    new = [i for i in ids if i not in held]
    for ticket_id in new:
        link = IncidentTicket(incident_id=incident.id, ticket_id=ticket_id, linked_at=now)
        link.linked_by_id = actor.user_id
        uow.session.add(link)
        uow.record(
            actor, "incident.ticket_linked", subject_type="incident", subject_id=incident.id,
            ticket_id=ticket_id, after={"incident_id": incident.id, "incident_title": incident.title},
        )  # fmt: skip
    if new:
        incident.updated_at = now
        await uow.session.flush()
        for ticket_id in new:  # a waiting case may now go up to the incident's tier
            await routing.after_change(uow, found[ticket_id], actor)
    return Linked(linked=new, already=sorted(held))


def _numbers(ids: Iterable[int]) -> str:
    return ", ".join(f"#{i}" for i in ids)


async def unlink_ticket(uow: UnitOfWork, actor: Principal, incident_id: int, ticket_id: int) -> None:
    """Take a case out of an open incident (linked by mistake, or a different cause after all)."""
    require_staff(actor)
    require(actor, Permission.WORK_TICKETS)
    incident = await _locked_open(uow, incident_id)
    ticket = await uow.session.scalar(select(Ticket).where(Ticket.id == ticket_id, ticket_scope(actor)))
    row = await uow.session.get(IncidentTicket, (incident.id, ticket_id)) if ticket is not None else None
    if row is None:
        raise NotFound(f"ticket {ticket_id} is not linked to incident {incident_id}")
    await uow.session.delete(row)
    incident.updated_at = uow.now()
    uow.record(
        actor, "incident.ticket_unlinked", subject_type="incident", subject_id=incident.id,
        ticket_id=ticket_id, before={"incident_id": incident.id, "incident_title": incident.title},
    )  # fmt: skip
    await uow.commit()


async def post_update(uow: UnitOfWork, actor: Principal, incident_id: int, *, body: str) -> IncidentUpdate:
    """A progress update, written once and sent to each affected customer once."""
    await require_lead(uow, actor)
    body = _message(body)
    incident = await _locked_open(uow, incident_id)
    await _refuse_repeat(uow, incident, body)
    update, _cases = await _broadcast(uow, actor, incident, body, final=False)
    await uow.commit()
    return update


async def resolve_incident(
    uow: UnitOfWork, actor: Principal, incident_id: int, *, body: str
) -> IncidentUpdate:
    """Close the incident: the final message to every affected customer, then every active
    linked case resolved through the ordinary status path (its clocks stop, its events are
    recorded). Returns the final update."""
    await require_lead(uow, actor)
    body = _message(body)
    incident = await _locked_open(uow, incident_id)
    update, cases = await _broadcast(uow, actor, incident, body, final=True)
    for ticket in cases:
        await apply_status(uow, actor, ticket, TicketStatus.RESOLVED)
    now = uow.now()
    incident.status, incident.resolved_at, incident.resolved_by_id = RESOLVED, now, actor.user_id
    incident.updated_at = now
    uow.record(
        actor, "incident.resolved", subject_type="incident", subject_id=incident.id,
        before={"status": OPEN},
        after={"status": RESOLVED, "cases_resolved": len(cases), "recipients": update.recipients},
    )  # fmt: skip
    await uow.commit()
    return update


async def _refuse_repeat(uow: UnitOfWork, incident: Incident, body: str) -> None:
    """The same words again within a minute are a double submit (a second click, a retried
    request), not news: refused, so customers never get the same message twice."""
    since = uow.now() - DUPLICATE_WINDOW
    earlier = await uow.session.scalar(
        select(IncidentUpdate.id)
        .where(IncidentUpdate.incident_id == incident.id, IncidentUpdate.body == body)
        .where(IncidentUpdate.created_at >= since)
        .limit(1)
    )
    if earlier is not None:
        raise Conflict(
            "this update was just posted",
            fields={"body": f"the same text was sent less than {DUPLICATE_WINDOW.seconds} seconds ago"},
        )


async def _active_cases(uow: UnitOfWork, incident_id: int) -> list[Ticket]:
    """Active linked cases, each customer's most recently updated first."""
    rows = await uow.session.scalars(
        select(Ticket)
        .join(IncidentTicket, IncidentTicket.ticket_id == Ticket.id)
        .where(IncidentTicket.incident_id == incident_id, Ticket.status.in_(ACTIVE))
        .order_by(Ticket.customer_id, Ticket.updated_at.desc(), Ticket.id.desc())
    )
    return list(rows)


async def _broadcast(
    uow: UnitOfWork, actor: Principal, incident: Incident, body: str, *, final: bool
) -> tuple[IncidentUpdate, list[Ticket]]:
    """One public message per customer on their most recent active case; a note on the rest."""
    cases = await _active_cases(uow, incident.id)
    carriers: dict[int, Ticket] = {}
    for ticket in cases:
        carriers.setdefault(ticket.customer_id, ticket)
    for ticket in carriers.values():
        await progress.tell_customer(uow, ticket, body, reason="incident")
    for ticket in cases:
        carrier = carriers[ticket.customer_id]
        if carrier is not ticket:
            await _note_sent_elsewhere(uow, ticket, incident, carrier, body)
    now = uow.now()
    update = IncidentUpdate(
        incident_id=incident.id, body=body, final=final, recipients=len(carriers),
        author_id=actor.user_id, created_at=now,
    )  # fmt: skip
    uow.session.add(update)
    await uow.session.flush()
    incident.updated_at = now
    uow.record(
        actor, "incident.update_posted", subject_type="incident", subject_id=incident.id,
        after={"update_id": update.id, "final": final, "recipients": len(carriers), "cases": len(cases)},
    )  # fmt: skip
    return update, cases


async def _note_sent_elsewhere(
    uow: UnitOfWork, ticket: Ticket, incident: Incident, carrier: Ticket, body: str
) -> None:
    said = f"重大事件「{incident.title}」的进展已在工单 {carrier.number} 通知该客户（每位客户只发一次）"
    meta = {"system": "incident", "incident_id": incident.id, "sent_on": carrier.id}
    await progress.post(uow, ticket, MessageKind.NOTE, f"{said}：\n{body}", meta=meta)


async def demo_incident(
    uow: UnitOfWork, actor: Principal, *, tag: str, title: str, summary: str, update: str
) -> Incident | None:
    """For the demo: declare an incident over the active cases tagged `tag` that no open
    incident holds yet, and post one update. None when no such case exists."""
    candidates = await candidate_tickets(uow, actor, tag=tag, limit=MAX_LINK)
    ids = [c.ticket.id for c in candidates if c.incident_id is None]
    if not ids:
        return None
    incident = await declare_incident(uow, actor, title=title, summary=summary, ticket_ids=ids)
    await post_update(uow, actor, incident.id, body=update)
    return incident
