"""The complex-case track on a case (R-HD-4): the stages and guards are `domain.complex_cases`;
this module loads what the guards look at, applies the move and writes an audit event for every
change (each stage change is its own action, `complex_case.to_<stage>`).

Who may do what:
- Staff who may work the case (see it, WORK_TICKETS) open the track, add members and steps, and
  move it on; approval is the domain's rule (a supervisor or department lead, not the owner).
- The task group is often from other departments and may not see the case: members and step
  owners read the track and mark their own steps done without sight of the case — they never
  read the case's messages through it. Customers get "not found" everywhere.
- Lessons learned become a knowledge-base draft through `knowledge.add_article` in the same
  transaction (the author needs WRITE_KNOWLEDGE), linked from the case and the article.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, func, select, update

from servicedesk.domain import complex_cases as track_rules
from servicedesk.domain.complex_cases import STAGE_FIELDS, CaseStage, Move, StepFacts, Track
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.domain.text import one_line
from servicedesk.services import knowledge, notifications
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.staff import names_of
from servicedesk.store.collaboration import ComplexCase, ComplexCaseMember, ComplexCaseStep
from servicedesk.store.knowledge import Article
from servicedesk.store.models import Department, Team, TeamMember, Ticket, TicketTag, User
from servicedesk.store.uow import UnitOfWork

MAX_DUTY = 100
MAX_NOTE = 2_000
TEXT_FIELDS = ("assessment", "monitoring", "acceptance", "lessons")


# --- access ---------------------------------------------------------------------------------


async def _case_row(uow: UnitOfWork, ticket_id: int) -> ComplexCase | None:
    return await uow.session.scalar(select(ComplexCase).where(ComplexCase.ticket_id == ticket_id))


async def _sees(uow: UnitOfWork, actor: Principal, ticket_id: int) -> Ticket | None:
    try:
        return await access_ticket_by_id(uow, actor, ticket_id)
    except NotFound:
        return None


async def _in_group(uow: UnitOfWork, case: ComplexCase, user_id: int) -> bool:
    if case.owner_id == user_id:
        return True
    member = await uow.session.get(ComplexCaseMember, (case.id, user_id))
    owns_step = await uow.session.scalar(
        select(ComplexCaseStep.id).where(
            ComplexCaseStep.case_id == case.id, ComplexCaseStep.owner_id == user_id
        )
    )
    return member is not None or owns_step is not None


async def _readable(uow: UnitOfWork, actor: Principal, ticket_id: int) -> ComplexCase:
    """The track, for whoever sees the case or belongs to its task group."""
    missing = NotFound(f"no complex-case track on ticket {ticket_id}")
    if not actor.role.is_staff:
        raise missing
    case = await _case_row(uow, ticket_id)
    sees = await _sees(uow, actor, ticket_id)
    if case is None or not (sees is not None or await _in_group(uow, case, actor.user_id)):
        raise missing
    return case


async def _writable(uow: UnitOfWork, actor: Principal, ticket_id: int) -> tuple[Ticket, ComplexCase]:
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    case = await _case_row(uow, ticket.id)
    if case is None:
        raise NotFound(f"no complex-case track on ticket {ticket_id}")
    return ticket, case


async def _staff_member(uow: UnitOfWork, user_id: int, field: str) -> User:
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active or not user.role.is_staff or user.role is Role.QUALITY_INSPECTOR:
        raise ValidationFailed(
            "not an active member of staff", fields={field: f"no such colleague {user_id}"}
        )
    return user


async def _track(uow: UnitOfWork, case: ComplexCase) -> Track:
    members = await uow.session.scalars(
        select(ComplexCaseMember.user_id).where(ComplexCaseMember.case_id == case.id)
    )
    steps = await uow.session.scalars(select(ComplexCaseStep).where(ComplexCaseStep.case_id == case.id))
    return Track(
        CaseStage(case.stage),
        case.owner_id,
        frozenset(members),
        tuple(StepFacts(s.owner_id, s.due_at, s.done_at is not None) for s in steps),
    )


# --- opening and moving on ------------------------------------------------------------------


async def open_case(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, owner_id: int | None = None
) -> ComplexCase:
    """Put the case on the complex track, at `assess`, owned by `owner_id` (default: me)."""
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    if not ticket.status.is_active:
        raise ValidationFailed("the case is solved", fields={"ticket_id": "reopen the case first"})
    owner = actor.user_id if owner_id is None else (await _staff_member(uow, owner_id, "owner_id")).id
    if await _case_row(uow, ticket.id) is not None:
        raise Conflict("this case is already on the complex-case track", fields={"ticket_id": "already open"})
    now = uow.now()
    case = ComplexCase(
        ticket_id=ticket.id, stage=CaseStage.ASSESS.value, owner_id=owner, assessment="", monitoring="",
        acceptance="", lessons="", created_at=now, updated_at=now,
    )  # fmt: skip
    uow.session.add(case)
    await uow.session.flush()
    uow.record(
        actor, "complex_case.opened", subject_type="complex_case", subject_id=case.id, ticket_id=ticket.id,
        after={"cc_stage": CaseStage.ASSESS.value, "cc_owner_id": owner},
    )  # fmt: skip
    await uow.commit()
    return case


async def advance_case(
    uow: UnitOfWork,
    actor: Principal,
    ticket_id: int,
    *,
    data: Mapping[str, str | None],
    expected_stage: CaseStage | None = None,
) -> ComplexCase:
    """Leave the current stage with its data (`STAGE_FIELDS`). `expected_stage` is the stage
    the caller saw: if the track moved meanwhile, a 409 instead of a second move."""
    ticket, case = await _writable(uow, actor, ticket_id)
    if expected_stage is not None and expected_stage.value != case.stage:
        raise Conflict(
            f"the track is at {case.stage}, not {expected_stage.value}; reload", fields={"stage": case.stage}
        )
    move = track_rules.advance(
        await _track(uow, case), actor_id=actor.user_id, actor_role=actor.role, data=data
    )
    if move.before is CaseStage.LESSONS:
        require(actor, Permission.WRITE_KNOWLEDGE)
    await _claim_stage(uow, case, move)
    now = uow.now()
    for field in TEXT_FIELDS:
        if field in move.values:
            setattr(case, field, move.values[field])
    if move.before is CaseStage.APPROVAL and not move.returned:
        case.approved_by_id, case.approved_at = actor.user_id, now
    if move.before is CaseStage.LESSONS:
        case.article_id = (await _lessons_draft(uow, actor, ticket, case, move.values.get("title"))).id
    case.updated_at = now
    uow.record(
        actor, f"complex_case.to_{move.after.value}", subject_type="complex_case", subject_id=case.id,
        ticket_id=ticket.id, before={"cc_stage": move.before.value}, after=_summary(move),
    )  # fmt: skip
    if move.after is CaseStage.APPROVAL:
        await _ask_approvers(uow, ticket, case)
    await uow.commit()
    return case


async def _claim_stage(uow: UnitOfWork, case: ComplexCase, move: Move) -> None:
    """Compare-and-swap on the stage, so two people pressing "next" move the track once."""
    result = await uow.session.execute(
        update(ComplexCase)
        .where(ComplexCase.id == case.id, ComplexCase.stage == move.before.value)
        .values(stage=move.after.value)
        .execution_options(synchronize_session=False)
    )
    if cast(CursorResult[Any], result).rowcount != 1:
        raise Conflict("the track was moved by someone else just now; reload", fields={"stage": "changed"})
    case.stage = move.after.value


def _summary(move: Move) -> dict[str, Any]:
    """What the audit trail keeps: the new stage, the outcome, the length of each text."""
    after: dict[str, Any] = {"cc_stage": move.after.value}
    if "outcome" in move.values:
        after["cc_outcome"] = move.values["outcome"]
    if "note" in move.values:
        after["reason"] = move.values["note"][:500]
    for field in TEXT_FIELDS:
        if field in move.values:
            after["length"] = len(move.values[field])
    return after


async def _ask_approvers(uow: UnitOfWork, ticket: Ticket, case: ComplexCase) -> None:
    """Supervisors and the department leads of the case's team, never the owner."""
    leads: list[int] = []
    if ticket.team_id is not None:
        leads = list(
            await uow.session.scalars(
                select(User.id)
                .join(TeamMember, TeamMember.user_id == User.id)
                .join(Team, Team.id == TeamMember.team_id)
                .where(
                    Team.department_id
                    == select(Team.department_id).where(Team.id == ticket.team_id).scalar_subquery()
                )
                .where(User.role == Role.DEPARTMENT_LEAD, User.is_active.is_(True))
            )
        )
        led = await uow.session.scalar(
            select(Department.lead_id)
            .join(Team, Team.department_id == Department.id)
            .where(Team.id == ticket.team_id)
        )
        leads += [led] if led is not None else []
    people = [p for p in [*await notifications.supervisors(uow), *leads] if p != case.owner_id]
    notifications.notify(uow, people, "complex_case.approval", ticket_id=ticket.id, data={"case_id": case.id})


async def _lessons_draft(
    uow: UnitOfWork, actor: Principal, ticket: Ticket, case: ComplexCase, title: str | None
) -> Article:
    """The lessons learned as a draft article, with the assessment and the plan around them so
    an editor has the whole story; a person edits it before anyone publishes it."""
    steps = await uow.session.scalars(
        select(ComplexCaseStep).where(ComplexCaseStep.case_id == case.id).order_by(ComplexCaseStep.position)
    )
    plan = "\n".join(f"{i}. {s.title}" + (f" — {s.note}" if s.note else "") for i, s in enumerate(steps, 1))
    sections = [("问题评估", case.assessment), ("处理方案", plan), ("效果监控", case.monitoring),
                ("验收结果", case.acceptance), ("经验总结", case.lessons)]  # fmt: skip
    body = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections if text.strip())
    tags = list(await uow.session.scalars(select(TicketTag.tag).where(TicketTag.ticket_id == ticket.id)))
    content = knowledge.Content(
        title=(title or f"经验总结：{ticket.subject}")[: knowledge.MAX_TITLE],
        body=body[: knowledge.MAX_BODY],
        tags=tuple(tags[: knowledge.MAX_TAGS]),
    )
    note = f"lessons learned on the complex-case track of ticket #{ticket.id}"
    return await knowledge.add_article(uow, actor, content.cleaned(), note=note, source_ticket_id=ticket.id)


# --- the task group and the plan ------------------------------------------------------------


async def add_member(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, user_id: int, duty: str = ""
) -> ComplexCaseMember:
    ticket, case = await _writable(uow, actor, ticket_id)
    track_rules.may_add_member(CaseStage(case.stage))
    await _staff_member(uow, user_id, "user_id")
    duty = one_line(duty, "duty", MAX_DUTY, required=False)
    already = await uow.session.get(ComplexCaseMember, (case.id, user_id))
    if user_id == case.owner_id or already is not None:
        raise Conflict("already in the task group", fields={"user_id": "already a member"})
    member = ComplexCaseMember(case_id=case.id, user_id=user_id, duty=duty)
    uow.session.add(member)
    case.updated_at = uow.now()
    uow.record(
        actor, "complex_case.member_added", subject_type="complex_case", subject_id=case.id,
        ticket_id=ticket.id, after={"cc_member_id": user_id, "cc_duty": duty or None},
    )  # fmt: skip
    notifications.notify(
        uow, [user_id] if user_id != actor.user_id else [], "complex_case.member", ticket_id=None,
        data={"case_id": case.id, "reason": f"#{ticket.id}" + (f" · {duty}" if duty else "")},
    )  # fmt: skip
    await uow.commit()
    return member


async def add_step(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, title: str, owner_id: int, due_at: datetime
) -> ComplexCaseStep:
    ticket, case = await _writable(uow, actor, ticket_id)
    title = one_line(title, "title", track_rules.MAX_TITLE, message="invalid step")
    if due_at.tzinfo is None:
        raise ValidationFailed("a due time needs its time zone", fields={"due_at": "with a UTC offset"})
    track_rules.may_add_step(await _track(uow, case), owner_id, due_at, uow.now())
    last = await uow.session.scalar(
        select(func.max(ComplexCaseStep.position)).where(ComplexCaseStep.case_id == case.id)
    )
    step = ComplexCaseStep(
        case_id=case.id, position=(last or 0) + 1, title=title, owner_id=owner_id, due_at=due_at, note=""
    )
    uow.session.add(step)
    await uow.session.flush()
    case.updated_at = uow.now()
    uow.record(
        actor, "complex_case.step_added", subject_type="complex_case", subject_id=case.id,
        ticket_id=ticket.id, after={"cc_step": title, "cc_owner_id": owner_id, "due_at": due_at.isoformat()},
    )  # fmt: skip
    notifications.notify(
        uow, [owner_id] if owner_id != actor.user_id else [], "complex_case.step", ticket_id=None,
        data={"case_id": case.id, "due_at": due_at.isoformat(), "reason": f"#{ticket.id} {title}"},
    )  # fmt: skip
    await uow.commit()
    return step


async def finish_step(
    uow: UnitOfWork, actor: Principal, ticket_id: int, step_id: int, *, note: str = ""
) -> ComplexCaseStep:
    """A step is done: marked by its owner, or by anyone who may work the case."""
    case = await _readable(uow, actor, ticket_id)
    step = await uow.session.get(ComplexCaseStep, step_id)
    if step is None or step.case_id != case.id:
        raise NotFound(f"step {step_id} not found")
    if step.owner_id != actor.user_id:
        await _writable(uow, actor, ticket_id)  # not mine: only the case's own side may tick it off
    elif not actor.can(Permission.WORK_TICKETS):
        raise Forbidden(f"your role ({actor.role.value}) may not work on cases")
    track_rules.may_finish_step(CaseStage(case.stage))
    if step.done_at is not None:
        raise Conflict("this step is already done", fields={"step_id": "done"})
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed("note too long", fields={"note": f"at most {MAX_NOTE} characters"})
    now = uow.now()
    step.done_at, step.note = now, note
    case.updated_at = now
    uow.record(
        actor, "complex_case.step_done", subject_type="complex_case", subject_id=case.id,
        ticket_id=case.ticket_id, after={"cc_step": step.title, "length": len(note)},
    )  # fmt: skip
    await uow.commit()
    return step


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    name: str
    duty: str


@dataclass(frozen=True, slots=True)
class StepView:
    id: int
    position: int
    title: str
    owner_id: int
    owner: str
    due_at: datetime
    done_at: datetime | None
    note: str
    overdue: bool


@dataclass(frozen=True, slots=True)
class CaseView:
    id: int
    ticket_id: int
    stage: CaseStage
    owner_id: int
    owner: str
    assessment: str
    approved_by: str | None
    approved_at: datetime | None
    monitoring: str
    acceptance: str
    lessons: str
    article_id: int | None
    created_at: datetime
    updated_at: datetime
    members: list[MemberView]
    steps: list[StepView]

    @property
    def fields(self) -> tuple[str, ...]:
        """What moving on from the current stage takes."""
        return tuple(name for name, _ in STAGE_FIELDS.get(self.stage, ()))

    @property
    def done(self) -> bool:
        return self.stage is CaseStage.DONE


async def _view(uow: UnitOfWork, case: ComplexCase) -> CaseView:
    members = list(
        await uow.session.scalars(
            select(ComplexCaseMember)
            .where(ComplexCaseMember.case_id == case.id)
            .order_by(ComplexCaseMember.user_id)
        )
    )
    steps = list(
        await uow.session.scalars(
            select(ComplexCaseStep)
            .where(ComplexCaseStep.case_id == case.id)
            .order_by(ComplexCaseStep.position)
        )
    )
    ids = {case.owner_id, *(m.user_id for m in members), *(s.owner_id for s in steps)}
    names = await names_of(uow, ids | ({case.approved_by_id} if case.approved_by_id else set()))
    now = uow.now()
    return CaseView(
        id=case.id, ticket_id=case.ticket_id, stage=CaseStage(case.stage), owner_id=case.owner_id,
        owner=names.get(case.owner_id, f"#{case.owner_id}"), assessment=case.assessment,
        approved_by=names.get(case.approved_by_id) if case.approved_by_id else None,
        approved_at=case.approved_at, monitoring=case.monitoring, acceptance=case.acceptance,
        lessons=case.lessons, article_id=case.article_id, created_at=case.created_at,
        updated_at=case.updated_at,
        members=[MemberView(m.user_id, names.get(m.user_id, f"#{m.user_id}"), m.duty) for m in members],
        steps=[
            StepView(s.id, s.position, s.title, s.owner_id, names.get(s.owner_id, f"#{s.owner_id}"), s.due_at,
                     s.done_at, s.note, s.done_at is None and s.due_at < now)
            for s in steps
        ],
    )  # fmt: skip


async def get_case(uow: UnitOfWork, actor: Principal, ticket_id: int) -> CaseView:
    return await _view(uow, await _readable(uow, actor, ticket_id))


async def case_of_ticket(uow: UnitOfWork, actor: Principal, ticket_id: int) -> CaseView | None:
    """For the ticket page (access already checked): the track, or None when there is none."""
    case = await _case_row(uow, ticket_id)
    return await _view(uow, case) if case is not None and actor.role.is_staff else None


@dataclass(frozen=True, slots=True)
class MyStep:
    ticket_id: int
    stage: CaseStage
    step: StepView


async def my_open_steps(uow: UnitOfWork, actor: Principal, *, limit: int = 100) -> list[MyStep]:
    """Steps I own that are not done, on tracks not yet done — the task group's to-do list."""
    if not actor.role.is_staff:
        return []
    rows = await uow.session.execute(
        select(ComplexCaseStep, ComplexCase.ticket_id, ComplexCase.stage)
        .join(ComplexCase, ComplexCase.id == ComplexCaseStep.case_id)
        .where(ComplexCaseStep.owner_id == actor.user_id, ComplexCaseStep.done_at.is_(None))
        .where(ComplexCase.stage != CaseStage.DONE.value)
        .order_by(ComplexCaseStep.due_at, ComplexCaseStep.id)
        .limit(limit)
    )
    now = uow.now()
    found = []
    for s, ticket_id, stage in rows:
        view = StepView(
            s.id, s.position, s.title, s.owner_id, actor.name, s.due_at, None, s.note, s.due_at < now
        )
        found.append(MyStep(ticket_id, CaseStage(stage), view))
    return found


# --- demo data --------------------------------------------------------------------------------


async def seed_demo(
    uow: UnitOfWork, owner: Principal, ticket_id: int, *, member_id: int, step_due: datetime
) -> ComplexCase:
    """For the demo: one case on the track at the plan stage, assessed, with `member_id` in the
    task group and one step of the plan owned by them — ready to be sent for approval. Committed."""
    await open_case(uow, owner, ticket_id)
    await advance_case(
        uow, owner, ticket_id, data={"assessment": "多名客户反馈同类故障，需技术、物流协同排查。"}
    )
    await add_member(uow, owner, ticket_id, user_id=member_id, duty="技术排查")
    await advance_case(uow, owner, ticket_id, data={})
    await add_step(uow, owner, ticket_id, title="复现故障并定位原因", owner_id=member_id, due_at=step_due)
    case = await _case_row(uow, ticket_id)
    assert case is not None
    return case
