"""The complex-case track (R-HD-4): assess → task group → plan → approval → implement → monitor →
acceptance → lessons learned → done.

A case on this track is more than one person's work, so each stage has a guard that keeps the
track honest: nobody plans without a task group, nobody implements an unapproved plan, the
owner does not approve their own plan, and the lessons are written down before it closes.
Pure: the service hands in what the guards look at (`Track`) and copies the result back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from servicedesk.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from servicedesk.domain.labels import register
from servicedesk.domain.roles import Role


class CaseStage(StrEnum):
    ASSESS = "assess"
    TASK_GROUP = "task_group"
    PLAN = "plan"
    APPROVAL = "approval"
    IMPLEMENT = "implement"
    MONITOR = "monitor"
    ACCEPTANCE = "acceptance"
    LESSONS = "lessons"
    DONE = "done"


for _value, _zh, _en in [
    (CaseStage.ASSESS, "问题评估", "Assessment"),
    (CaseStage.TASK_GROUP, "组建任务组", "Task group"),
    (CaseStage.PLAN, "制定方案", "Plan"),
    (CaseStage.APPROVAL, "方案审批", "Approval"),
    (CaseStage.IMPLEMENT, "实施", "Implementation"),
    (CaseStage.MONITOR, "效果监控", "Monitoring"),
    (CaseStage.ACCEPTANCE, "验收", "Acceptance"),
    (CaseStage.LESSONS, "经验总结", "Lessons learned"),
    (CaseStage.DONE, "已完成", "Done"),
]:
    register(_value, _zh, _en)

STAGES: tuple[CaseStage, ...] = tuple(CaseStage)
APPROVERS = frozenset({Role.SUPERVISOR, Role.DEPARTMENT_LEAD})
MEMBER_STAGES = frozenset(
    {CaseStage.TASK_GROUP, CaseStage.PLAN, CaseStage.APPROVAL, CaseStage.IMPLEMENT, CaseStage.MONITOR}
)
MAX_TEXT = 10_000
MAX_TITLE = 200

# what the person advancing from a stage writes: (field, required)
STAGE_FIELDS: dict[CaseStage, tuple[tuple[str, bool], ...]] = {
    CaseStage.ASSESS: (("assessment", True),),
    CaseStage.APPROVAL: (("outcome", False), ("note", False)),
    CaseStage.MONITOR: (("monitoring", True),),
    CaseStage.ACCEPTANCE: (("outcome", False), ("acceptance", True)),
    CaseStage.LESSONS: (("lessons", True), ("title", False)),
}
# approval and acceptance may send the plan back instead of letting it through
RETURNED = "returned"
PASSED = {CaseStage.APPROVAL: "approved", CaseStage.ACCEPTANCE: "accepted"}


@dataclass(frozen=True, slots=True)
class StepFacts:
    owner_id: int
    due_at: datetime
    done: bool


@dataclass(frozen=True, slots=True)
class Track:
    """What the guards look at."""

    stage: CaseStage
    owner_id: int
    member_ids: frozenset[int] = frozenset()
    steps: tuple[StepFacts, ...] = ()


@dataclass(frozen=True, slots=True)
class Move:
    """The outcome of advancing: where the track goes, and the cleaned data of the stage left."""

    before: CaseStage
    after: CaseStage
    values: dict[str, str]

    @property
    def returned(self) -> bool:
        return self.values.get("outcome") == RETURNED


def following(stage: CaseStage) -> CaseStage:
    if stage is CaseStage.DONE:
        raise InvalidTransition("the track is done; nothing follows", fields={"stage": "done"})
    return STAGES[STAGES.index(stage) + 1]


def clean_stage_data(stage: CaseStage, data: Mapping[str, str | None]) -> dict[str, str]:
    """The fields of `stage`, stripped; a field of another stage or a missing required one is a
    precise 422 rather than silently ignored."""
    allowed = dict(STAGE_FIELDS.get(stage, ()))
    given = {k: v.strip() for k, v in data.items() if v is not None and v.strip()}
    stray = sorted(set(given) - set(allowed))
    if stray:
        expected = ", ".join(allowed) or "nothing"
        raise ValidationFailed(
            f"not data of the {stage.value} stage",
            fields={k: f"the {stage.value} stage takes {expected}" for k in stray},
        )
    problems = {k: "required" for k, required in allowed.items() if required and k not in given}
    for key, value in given.items():
        limit = MAX_TITLE if key == "title" else MAX_TEXT
        if len(value) > limit:
            problems[key] = f"at most {limit} characters"
    outcome = given.get("outcome")
    if outcome is not None and outcome not in (PASSED.get(stage), RETURNED):
        problems["outcome"] = f"{PASSED.get(stage)} or {RETURNED}"
    if outcome == RETURNED and stage is CaseStage.APPROVAL and not given.get("note"):
        problems["note"] = "say why the plan goes back"
    if problems:
        raise ValidationFailed(f"incomplete data for the {stage.value} stage", fields=problems)
    return given


def _guard(track: Track, actor_id: int, actor_role: Role) -> None:
    """Why the track cannot leave its stage yet (raises), given who is moving it."""
    match track.stage:
        case CaseStage.TASK_GROUP if not track.member_ids:
            raise InvalidTransition("a task group needs at least one member", fields={"members": "add one"})
        case CaseStage.PLAN if not track.steps:
            raise InvalidTransition(
                "a plan needs at least one step with an owner and a due date", fields={"steps": "add one"}
            )
        case CaseStage.APPROVAL if actor_role not in APPROVERS:
            raise Forbidden("a plan is approved by a supervisor or a department lead")
        case CaseStage.APPROVAL if actor_id == track.owner_id:
            raise Forbidden("the owner of a case cannot approve its own plan")
        case CaseStage.IMPLEMENT if not all(s.done for s in track.steps):
            left = sum(1 for s in track.steps if not s.done)
            raise InvalidTransition(
                f"implementation finishes when every step is done ({left} open)",
                fields={"steps": f"{left} open"},
            )
        case CaseStage.DONE:
            raise InvalidTransition("the track is done; nothing follows", fields={"stage": "done"})


def advance(track: Track, *, actor_id: int, actor_role: Role, data: Mapping[str, str | None]) -> Move:
    """Leave the current stage with its data. A plan returned at approval or at acceptance goes
    back to `plan` (new steps, a new approval); everything else moves one stage on."""
    _guard(track, actor_id, actor_role)
    values = clean_stage_data(track.stage, data)
    if values.get("outcome") == RETURNED:
        return Move(track.stage, CaseStage.PLAN, values)
    if track.stage in PASSED:
        values.setdefault("outcome", PASSED[track.stage])
    return Move(track.stage, following(track.stage), values)


def may_add_member(stage: CaseStage) -> None:
    if stage not in MEMBER_STAGES:
        raise InvalidTransition(
            f"members join the task group from the task-group stage, not at {stage.value}",
            fields={"stage": stage.value},
        )


def may_add_step(track: Track, owner_id: int, due_at: datetime, now: datetime) -> None:
    """Steps belong to the plan: added while planning, owned by the case owner or a member,
    due in the future."""
    if track.stage is not CaseStage.PLAN:
        raise InvalidTransition(
            f"steps are planned in the plan stage, not at {track.stage.value}",
            fields={"stage": track.stage.value},
        )
    if owner_id != track.owner_id and owner_id not in track.member_ids:
        raise ValidationFailed(
            "not in the task group", fields={"owner_id": "the owner or a task-group member"}
        )
    if due_at <= now:
        raise ValidationFailed("a step is due in the future", fields={"due_at": "later than now"})


def may_finish_step(stage: CaseStage) -> None:
    if stage is not CaseStage.IMPLEMENT:
        raise InvalidTransition(
            f"steps are done during implementation, not at {stage.value}", fields={"stage": stage.value}
        )
