"""Collaboration requests (R-HD-5, 跨部门协作): from a case, staff ask another department
(technical, finance, logistics…) for something by a due time.

Decisions:
- **Due time.** By default the request gets the case policy's `collaboration_reply` target, in
  business time on the policy's calendar. An explicit due time overrides it: the business time
  between now and that instant becomes the target, so the deadline is the given time when it
  falls in opening hours, or the close of the last open interval before it (the earliest
  instant the same business time is used up). A due time with no business time before it, in
  the past or more than a year ahead is refused. No policy, or a policy without the target and
  no due time given, is a 422: a request always runs on a clock.
- **The clock.** An SLA clock (`collaboration_reply`, `ref` = the request's id) started in the
  same transaction; the SLA worker warns and escalates on it like on any other, and the answer
  or a cancellation stops it.
- **Who is told.** The department's lead (`Department.lead_id`); without one, members of its
  teams with the department-lead role; else the leads of its teams; else the supervisors.
- **Who answers.** The department's lead and the active members of its teams; a department
  with nobody in it is answered by the supervisors (who were told). Answering needs no sight
  of the case: the request carries what the department must know.
- **The answer returns to the case** as an internal note (author: who answered) and a
  notification to the requester and the case's assignee. Customers never see requests,
  answers or notes: the request API answers them 403/404, and notes are never shown to them.
- **Cancel.** Whoever may work the case withdraws an open request; its clock stops.
- A second identical open request (same case, department and text) is a 409, so a repeated
  click stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import CursorResult, select, update

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.labels import register
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.domain.sla import ClockState, PolicyTerms, SlaMetric
from servicedesk.domain.text import one_line, paragraph
from servicedesk.services import notifications, progress, sla
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.staff import names_of
from servicedesk.store.collaboration import CollaborationRequest
from servicedesk.store.models import Department, Team, TeamMember, Ticket, User
from servicedesk.store.sla import SlaClock
from servicedesk.store.uow import UnitOfWork

METRIC = SlaMetric.COLLABORATION_REPLY
MAX_BODY = 5_000
MAX_ANSWER = 20_000
MAX_REASON = 500
MAX_AHEAD = timedelta(days=366)
MIN_BUSINESS = timedelta(minutes=1)


class RequestStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CANCELLED = "cancelled"


for _value, _zh, _en in [
    (RequestStatus.OPEN, "待答复", "Open"),
    (RequestStatus.ANSWERED, "已答复", "Answered"),
    (RequestStatus.CANCELLED, "已撤回", "Cancelled"),
]:
    register(_value, _zh, _en)


# --- the department's people ----------------------------------------------------------------


async def _department(uow: UnitOfWork, department_id: int) -> Department:
    department = await uow.session.get(Department, department_id)
    if department is None:
        raise ValidationFailed(
            "unknown department", fields={"department_id": f"no department {department_id}"}
        )
    return department


def _members_query(department_id: int) -> Any:
    return (
        select(User.id)
        .join(TeamMember, TeamMember.user_id == User.id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.department_id == department_id, User.is_active.is_(True))
    )


async def _active(uow: UnitOfWork, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return bool(await uow.session.scalar(select(User.is_active).where(User.id == user_id)))


async def leads_of_department(uow: UnitOfWork, department: Department) -> list[int]:
    """Whom a new request is for: the lead, else department-lead members, else team leads,
    else the supervisors."""
    if await _active(uow, department.lead_id):
        return [cast(int, department.lead_id)]
    members = _members_query(department.id)
    for query in (
        members.where(User.role == Role.DEPARTMENT_LEAD),
        members.where(TeamMember.is_lead.is_(True)),
    ):
        found = list(dict.fromkeys(await uow.session.scalars(query.order_by(User.id))))
        if found:
            return found
    return await notifications.supervisors(uow)


async def late_notice(uow: UnitOfWork, request_id: int) -> tuple[list[int], dict[str, Any]]:
    """Who hears that a request's answer is late (the SLA worker), and what they are told: the
    department's lead and the person who asked — not the case's assignee, who cannot make
    another department answer."""
    request = await uow.session.get(CollaborationRequest, request_id)
    if request is None:
        return await notifications.supervisors(uow), {"request_id": request_id}
    department = await _department(uow, request.department_id)
    people = [*await leads_of_department(uow, department), request.requested_by_id]
    return people, {"request_id": request.id, "team": department.name, "reason": request.body[:80]}


async def answerers(uow: UnitOfWork, department: Department) -> set[int]:
    people = set(await uow.session.scalars(_members_query(department.id)))
    if await _active(uow, department.lead_id):
        people.add(cast(int, department.lead_id))
    return people or set(await notifications.supervisors(uow))


async def my_department_ids(uow: UnitOfWork, actor: Principal) -> set[int]:
    """The departments whose requests `actor` answers."""
    if not actor.role.is_staff:
        return set()
    led = select(Department.id).where(Department.lead_id == actor.user_id)
    member = (
        select(Team.department_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.user_id == actor.user_id, Team.department_id.is_not(None))
    )
    ids = {i for i in await uow.session.scalars(led)} | {
        cast(int, i) for i in await uow.session.scalars(member)
    }
    if actor.role is Role.SUPERVISOR:  # departments with nobody in them fall to the supervisors
        for department in await uow.session.scalars(select(Department)):
            if department.id not in ids and actor.user_id in await answerers(uow, department):
                ids.add(department.id)
    return ids


# --- asking ---------------------------------------------------------------------------------


async def _terms(uow: UnitOfWork, ticket: Ticket, due_at: datetime | None) -> PolicyTerms:
    """The policy the request's clock starts on, its target set from `due_at` when given."""
    policy = await sla.policy_for(uow, ticket)
    if policy is None:
        raise ValidationFailed(
            "no service-level policy applies to this case", fields={"due_at": "an admin must set a policy"}
        )
    if due_at is None:
        if METRIC not in policy.targets:
            raise ValidationFailed(
                "the case's policy sets no collaboration-reply target",
                fields={"due_at": f"required: policy {policy.name} sets no collaboration-reply target"},
            )
        return policy
    now = uow.now()
    if due_at.tzinfo is None:
        raise ValidationFailed("a due time needs its time zone", fields={"due_at": "with a UTC offset"})
    if not now < due_at <= now + MAX_AHEAD:
        raise ValidationFailed("due time out of range", fields={"due_at": "in the future, within a year"})
    business = (await sla.calendar_by_id(uow, policy.calendar_id)).elapsed(now, due_at)
    if business < MIN_BUSINESS:
        raise ValidationFailed(
            "no business time before this due time",
            fields={"due_at": "the service calendar is closed until then; choose a later time"},
        )
    return replace(policy, targets={METRIC: business})


async def create_request(
    uow: UnitOfWork,
    actor: Principal,
    ticket_id: int,
    *,
    department_id: int,
    body: str,
    due_at: datetime | None = None,
) -> CollaborationRequest:
    """Ask a department from the case; its lead is told and its clock starts. Committed."""
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    if not ticket.status.is_active:
        raise ValidationFailed(
            "the case is solved", fields={"ticket_id": "reopen the case to ask a department"}
        )
    body = paragraph(body, "body", MAX_BODY)
    department = await _department(uow, department_id)
    terms = await _terms(uow, ticket, due_at)
    await _refuse_repeat(uow, ticket.id, department.id, body)
    now = uow.now()
    request = CollaborationRequest(
        ticket_id=ticket.id, department_id=department.id, requested_by_id=actor.user_id, body=body,
        due_at=now, status=RequestStatus.OPEN.value, created_at=now,
    )  # fmt: skip
    uow.session.add(request)
    await uow.session.flush()
    clock = await sla.start_metric(uow, ticket, METRIC, policy=terms, ref=str(request.id))
    if clock is None or clock.due_at is None:  # _terms guarantees a target
        raise RuntimeError("a collaboration request started without a clock")
    request.due_at = clock.due_at
    uow.record(
        actor, "collaboration.requested", subject_type="collaboration_request", subject_id=request.id,
        ticket_id=ticket.id,
        after={"co_department": department.name, "due_at": clock.due_at.isoformat(), "length": len(body)},
    )  # fmt: skip
    notifications.notify(
        uow, await leads_of_department(uow, department), "collaboration.requested", ticket_id=None,
        data={"request_id": request.id, "case": ticket.id, "team": department.name,
              "due_at": clock.due_at.isoformat(), "reason": body[:80]},
    )  # fmt: skip
    await uow.commit()
    return request


async def _refuse_repeat(uow: UnitOfWork, ticket_id: int, department_id: int, body: str) -> None:
    same = await uow.session.scalar(
        select(CollaborationRequest.id).where(
            CollaborationRequest.ticket_id == ticket_id,
            CollaborationRequest.department_id == department_id,
            CollaborationRequest.status == RequestStatus.OPEN.value,
            CollaborationRequest.body == body,
        )
    )
    if same is not None:
        raise Conflict(f"the same request is already open (#{same})", fields={"body": "already asked"})


# --- answering and withdrawing --------------------------------------------------------------


async def _sees_ticket(uow: UnitOfWork, actor: Principal, ticket_id: int) -> bool:
    try:
        await access_ticket_by_id(uow, actor, ticket_id)
    except NotFound:
        return False
    return True


async def _load(uow: UnitOfWork, actor: Principal, request_id: int) -> tuple[CollaborationRequest, bool]:
    """The request if `actor` may know of it (its department, or sight of the case), and whether
    they answer for the department. Anyone else — customers included — gets "not found"."""
    row = await uow.session.get(CollaborationRequest, request_id)
    if row is None or not actor.role.is_staff:
        raise NotFound(f"collaboration request {request_id} not found")
    department = await _department(uow, row.department_id)
    answers = actor.user_id in await answerers(uow, department)
    if not answers and not await _sees_ticket(uow, actor, row.ticket_id):
        raise NotFound(f"collaboration request {request_id} not found")
    return row, answers


async def _close(uow: UnitOfWork, row: CollaborationRequest, status: RequestStatus) -> None:
    """open → `status` by compare-and-swap: of two people answering at once, one wins."""
    if row.status != RequestStatus.OPEN.value:
        raise Conflict(f"this request is already {row.status}", fields={"status": row.status})
    result = await uow.session.execute(
        update(CollaborationRequest)
        .where(CollaborationRequest.id == row.id, CollaborationRequest.status == RequestStatus.OPEN.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Conflict("this request was closed by someone else just now", fields={"status": "changed"})
    row.status = status.value


async def answer_request(
    uow: UnitOfWork, actor: Principal, request_id: int, *, answer: str
) -> CollaborationRequest:
    """The department answers: the clock stops, the answer becomes an internal note on the case,
    and the requester is told. Committed."""
    row, answers = await _load(uow, actor, request_id)
    department = await _department(uow, row.department_id)
    if not answers or not actor.can(Permission.WORK_TICKETS):
        raise Forbidden(f"requests to {department.name} are answered by its lead and its members")
    answer = paragraph(answer, "answer", MAX_ANSWER)
    await _close(uow, row, RequestStatus.ANSWERED)
    now = uow.now()
    row.answer, row.answered_by_id, row.answered_at = answer, actor.user_id, now
    stopped = await sla.stop_ref(uow, row.ticket_id, METRIC, str(row.id))
    ticket = await uow.session.get(Ticket, row.ticket_id)
    assert ticket is not None  # a request's case is never deleted
    await progress.post(
        uow, ticket, MessageKind.NOTE, _note(department, row), meta={"collaboration_request": row.id},
        author_user_id=actor.user_id,
    )  # fmt: skip
    ticket.updated_at = now
    met = sla.clock_of(stopped[0]).met if stopped else None
    uow.record(
        actor, "collaboration.answered", subject_type="collaboration_request", subject_id=row.id,
        ticket_id=ticket.id, after={"co_department": department.name, "length": len(answer), "co_met": met},
    )  # fmt: skip
    told = [row.requested_by_id, *([ticket.assignee_id] if ticket.assignee_id else [])]
    notifications.notify(
        uow, [u for u in told if u != actor.user_id], "collaboration.answered", ticket_id=ticket.id,
        data={"request_id": row.id, "team": department.name},
    )  # fmt: skip
    await uow.commit()
    return row


def _note(department: Department, row: CollaborationRequest) -> str:
    return f"【协作答复 · {department.name}】\n问：{row.body}\n答：{row.answer}"


async def cancel_request(
    uow: UnitOfWork, actor: Principal, request_id: int, *, reason: str = ""
) -> CollaborationRequest:
    """The asking side withdraws an open request; its clock stops and the department is told."""
    row, _ = await _load(uow, actor, request_id)
    if not await _sees_ticket(uow, actor, row.ticket_id):  # the department answers, it does not withdraw
        raise Forbidden("a request is withdrawn by the side that asked it")
    require(actor, Permission.WORK_TICKETS)
    reason = one_line(reason, "reason", MAX_REASON, required=False)
    await _close(uow, row, RequestStatus.CANCELLED)
    await sla.stop_ref(uow, row.ticket_id, METRIC, str(row.id))
    department = await _department(uow, row.department_id)
    uow.record(
        actor, "collaboration.cancelled", subject_type="collaboration_request", subject_id=row.id,
        ticket_id=row.ticket_id, after={"co_department": department.name, "reason": reason or None},
    )  # fmt: skip
    notifications.notify(
        uow, await leads_of_department(uow, department), "collaboration.cancelled", ticket_id=None,
        data={"request_id": row.id, "case": row.ticket_id, "team": department.name, "reason": reason},
    )  # fmt: skip
    await uow.commit()
    return row


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as the panel, the inbox and the API show it; deadline and time left come from
    its clock (business time), which is what the SLA worker acts on."""

    id: int
    ticket_id: int
    ticket_subject: str
    department_id: int
    department: str
    requested_by: str
    body: str
    status: RequestStatus
    created_at: datetime
    due_at: datetime
    remaining: timedelta | None
    clock_state: ClockState | None
    met: bool | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.remaining is not None and self.remaining < timedelta(0)


async def _clocks(uow: UnitOfWork, rows: Sequence[CollaborationRequest]) -> dict[str, SlaClock]:
    if not rows:
        return {}
    found = await uow.session.scalars(
        select(SlaClock)
        .where(SlaClock.ticket_id.in_({r.ticket_id for r in rows}), SlaClock.metric == METRIC)
        .where(SlaClock.ref.in_([str(r.id) for r in rows]))
        .order_by(SlaClock.id)
    )
    return {c.ref or "": c for c in found}


async def _views(uow: UnitOfWork, rows: Sequence[CollaborationRequest]) -> list[RequestView]:
    names = await names_of(uow, [r.requested_by_id for r in rows] + [r.answered_by_id for r in rows])
    departments = {i: n for i, n in await uow.session.execute(select(Department.id, Department.name))}
    read = select(Ticket.id, Ticket.subject).where(Ticket.id.in_({r.ticket_id for r in rows}))
    subjects = {i: subject for i, subject in await uow.session.execute(read)}
    clocks = await _clocks(uow, rows)
    calendars = await sla.calendars_by_id(uow, {c.calendar_id for c in clocks.values()})
    now = uow.now()
    views = []
    for r in rows:
        row = clocks.get(str(r.id))
        clock = sla.clock_of(row) if row is not None else None
        remaining = None
        if clock is not None and row is not None and r.status == RequestStatus.OPEN.value:
            remaining = clock.remaining(now, calendars[row.calendar_id])
        view = RequestView(
            id=r.id, ticket_id=r.ticket_id, ticket_subject=subjects.get(r.ticket_id, ""),
            department_id=r.department_id, department=departments.get(r.department_id, ""),
            requested_by=names.get(r.requested_by_id, f"#{r.requested_by_id}"), body=r.body,
            status=RequestStatus(r.status), created_at=r.created_at,
            due_at=row.due_at if row is not None and row.due_at else r.due_at, remaining=remaining,
            clock_state=row.state if row is not None else None, met=clock.met if clock else None,
            answer=r.answer, answered_by=names.get(r.answered_by_id) if r.answered_by_id else None,
            answered_at=r.answered_at,
        )  # fmt: skip
        views.append(view)
    return views


def _staff_only(actor: Principal) -> None:
    if not actor.role.is_staff:
        raise Forbidden("collaboration requests are internal")


async def requests_of_ticket(uow: UnitOfWork, actor: Principal, ticket_id: int) -> list[RequestView]:
    _staff_only(actor)
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    rows = await uow.session.scalars(
        select(CollaborationRequest)
        .where(CollaborationRequest.ticket_id == ticket.id)
        .order_by(CollaborationRequest.id)
    )
    return await _views(uow, list(rows))


async def get_request(uow: UnitOfWork, actor: Principal, request_id: int) -> RequestView:
    row, _ = await _load(uow, actor, request_id)
    return (await _views(uow, [row]))[0]


async def department_inbox(
    uow: UnitOfWork, actor: Principal, *, status: RequestStatus = RequestStatus.OPEN, limit: int = 200
) -> list[RequestView]:
    """Requests to my departments, the most urgent first."""
    _staff_only(actor)
    mine = await my_department_ids(uow, actor)
    if not mine:
        return []
    rows = await uow.session.scalars(
        select(CollaborationRequest)
        .where(CollaborationRequest.department_id.in_(mine), CollaborationRequest.status == status.value)
        .order_by(
            CollaborationRequest.due_at if status is RequestStatus.OPEN else CollaborationRequest.id.desc()
        )
        .limit(limit)
    )
    return await _views(uow, list(rows))


# --- demo data --------------------------------------------------------------------------------


async def seed_demo(uow: UnitOfWork, requester: Principal, ticket_ids: Sequence[int]) -> list[int]:
    """For the demo: give each department that has teams a lead (its first expert, else its
    first member) and ask each such department about one of `ticket_ids` (open cases the
    requester may work). Returns the new request ids; each request is committed."""
    departments = list(await uow.session.scalars(select(Department).order_by(Department.id)))
    for department in departments:
        if department.lead_id is None:
            experts = _members_query(department.id).where(User.role == Role.EXPERT).order_by(User.id)
            anyone = _members_query(department.id).order_by(User.id)
            department.lead_id = await uow.session.scalar(experts.limit(1)) or await uow.session.scalar(
                anyone.limit(1)
            )
    await uow.session.flush()
    staffed = [d for d in departments if d.lead_id is not None]
    made: list[int] = []
    for ticket_id, department in zip(ticket_ids, staffed, strict=False):
        request = await create_request(
            uow, requester, ticket_id, department_id=department.id,
            body="请协助确认该问题的原因，并给出处理建议。",
        )  # fmt: skip
        made.append(request.id)
    return made
