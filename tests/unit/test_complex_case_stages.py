"""The complex-case stage machine (R-HD-4): order, guards, stage data, returns."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.domain.complex_cases import (
    STAGES,
    CaseStage,
    StepFacts,
    Track,
    advance,
    clean_stage_data,
    following,
    may_add_member,
    may_add_step,
    may_finish_step,
)
from servicedesk.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from servicedesk.domain.labels import label
from servicedesk.domain.roles import Role

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
OWNER, MEMBER, SUE = 1, 2, 3
S = CaseStage

# what a well-behaved team writes when it leaves each stage, and who moves it on
DATA: dict[CaseStage, dict[str, str]] = {
    S.ASSESS: {"assessment": "同批次 30 台设备黑屏"},
    S.MONITOR: {"monitoring": "一周内无复发"},
    S.ACCEPTANCE: {"acceptance": "客户确认恢复"},
    S.LESSONS: {"lessons": "出厂前加测固件版本"},
}


def ready(stage: CaseStage) -> Track:
    """A track at `stage` whose guards are all satisfied."""
    return Track(stage, OWNER, frozenset({MEMBER}), (StepFacts(MEMBER, T0 + timedelta(days=1), True),))


def mover(stage: CaseStage) -> tuple[int, Role]:
    return (SUE, Role.SUPERVISOR) if stage is S.APPROVAL else (OWNER, Role.AGENT)


def test_it_walks_every_stage_in_order_to_done() -> None:
    track, seen = ready(S.ASSESS), [S.ASSESS]
    while track.stage is not S.DONE:
        actor, role = mover(track.stage)
        move = advance(track, actor_id=actor, actor_role=role, data=DATA.get(track.stage, {}))
        track = replace(track, stage=move.after)
        seen.append(move.after)
    assert seen == list(STAGES)
    assert [label(s) for s in seen][:3] == ["问题评估", "组建任务组", "制定方案"]


def test_nothing_follows_done() -> None:
    with pytest.raises(InvalidTransition):
        following(S.DONE)
    with pytest.raises(InvalidTransition):
        advance(ready(S.DONE), actor_id=OWNER, actor_role=Role.AGENT, data={})


def test_a_task_group_needs_a_member() -> None:
    empty = replace(ready(S.TASK_GROUP), member_ids=frozenset())
    with pytest.raises(InvalidTransition, match="at least one member"):
        advance(empty, actor_id=OWNER, actor_role=Role.AGENT, data={})


def test_a_plan_needs_a_step() -> None:
    with pytest.raises(InvalidTransition, match="at least one step"):
        advance(replace(ready(S.PLAN), steps=()), actor_id=OWNER, actor_role=Role.AGENT, data={})


@pytest.mark.parametrize(
    ("actor", "role", "allowed"),
    [
        (SUE, Role.SUPERVISOR, True),
        (SUE, Role.DEPARTMENT_LEAD, True),
        (OWNER, Role.SUPERVISOR, False),  # the owner never approves their own plan
        (OWNER, Role.DEPARTMENT_LEAD, False),
        (MEMBER, Role.AGENT, False),
        (MEMBER, Role.EXPERT, False),
        (MEMBER, Role.ADMIN, False),
    ],
)
def test_approval_is_by_a_supervisor_or_department_lead_other_than_the_owner(
    actor: int, role: Role, allowed: bool
) -> None:
    track = ready(S.APPROVAL)
    if allowed:
        move = advance(track, actor_id=actor, actor_role=role, data={})
        assert (move.after, move.values) == (S.IMPLEMENT, {"outcome": "approved"})
    else:
        with pytest.raises(Forbidden):
            advance(track, actor_id=actor, actor_role=role, data={})


def test_a_returned_plan_goes_back_to_planning_with_a_reason() -> None:
    track = ready(S.APPROVAL)
    with pytest.raises(ValidationFailed) as missing:
        advance(track, actor_id=SUE, actor_role=Role.SUPERVISOR, data={"outcome": "returned"})
    assert missing.value.fields == {"note": "say why the plan goes back"}
    move = advance(
        track, actor_id=SUE, actor_role=Role.SUPERVISOR, data={"outcome": "returned", "note": "缺少回滚方案"}
    )
    assert (move.after, move.returned) == (S.PLAN, True)


def test_acceptance_records_the_outcome_and_may_send_the_plan_back() -> None:
    track = ready(S.ACCEPTANCE)
    passed = advance(track, actor_id=OWNER, actor_role=Role.AGENT, data={"acceptance": "客户确认"})
    assert (passed.after, passed.values["outcome"]) == (S.LESSONS, "accepted")
    failed = advance(
        track, actor_id=OWNER, actor_role=Role.AGENT, data={"acceptance": "仍有复发", "outcome": "returned"}
    )
    assert failed.after is S.PLAN
    with pytest.raises(ValidationFailed) as wrong:
        advance(track, actor_id=OWNER, actor_role=Role.AGENT, data={"acceptance": "x", "outcome": "approved"})
    assert wrong.value.fields == {"outcome": "accepted or returned"}


def test_implementation_finishes_when_every_step_is_done() -> None:
    steps = (StepFacts(MEMBER, T0, True), StepFacts(OWNER, T0, False))
    with pytest.raises(InvalidTransition, match="1 open"):
        advance(replace(ready(S.IMPLEMENT), steps=steps), actor_id=OWNER, actor_role=Role.AGENT, data={})
    done = (StepFacts(MEMBER, T0, True), StepFacts(OWNER, T0, True))
    move = advance(replace(ready(S.IMPLEMENT), steps=done), actor_id=OWNER, actor_role=Role.AGENT, data={})
    assert move.after is S.MONITOR


@pytest.mark.parametrize("stage", [S.ASSESS, S.MONITOR, S.ACCEPTANCE, S.LESSONS])
def test_each_writing_stage_requires_its_text(stage: CaseStage) -> None:
    with pytest.raises(ValidationFailed) as missing:
        advance(ready(stage), actor_id=OWNER, actor_role=Role.AGENT, data={next(iter(DATA[stage])): "   "})
    assert set(missing.value.fields.values()) == {"required"}


def test_data_of_another_stage_is_refused_by_name() -> None:
    with pytest.raises(ValidationFailed) as stray:
        clean_stage_data(S.ASSESS, {"assessment": "ok", "lessons": "too early"})
    assert list(stray.value.fields) == ["lessons"]
    assert clean_stage_data(S.ASSESS, {"assessment": "  ok  ", "lessons": "", "monitoring": None}) == {
        "assessment": "ok"
    }


def test_texts_have_a_length_limit() -> None:
    with pytest.raises(ValidationFailed) as long:
        clean_stage_data(S.LESSONS, {"lessons": "x" * 10_001, "title": "t" * 201})
    assert long.value.fields == {"lessons": "at most 10000 characters", "title": "at most 200 characters"}


def test_members_join_from_the_task_group_stage_and_steps_only_in_planning() -> None:
    with pytest.raises(InvalidTransition):
        may_add_member(S.ASSESS)
    for stage in (S.TASK_GROUP, S.PLAN, S.IMPLEMENT):
        may_add_member(stage)
    with pytest.raises(InvalidTransition):
        may_add_step(ready(S.APPROVAL), MEMBER, T0 + timedelta(days=1), T0)
    may_add_step(ready(S.PLAN), MEMBER, T0 + timedelta(days=1), T0)
    with pytest.raises(ValidationFailed) as outsider:
        may_add_step(ready(S.PLAN), 99, T0 + timedelta(days=1), T0)
    assert "owner_id" in outsider.value.fields
    with pytest.raises(ValidationFailed) as past:
        may_add_step(ready(S.PLAN), OWNER, T0, T0)
    assert "due_at" in past.value.fields
    with pytest.raises(InvalidTransition):
        may_finish_step(S.MONITOR)
    may_finish_step(S.IMPLEMENT)


@given(st.sampled_from(STAGES), st.sampled_from(list(Role)), st.integers(1, 4), st.booleans())
def test_a_move_is_one_stage_on_or_back_to_the_plan(
    stage: CaseStage, role: Role, actor: int, returned: bool
) -> None:
    data = dict(DATA.get(stage, {}))
    if returned and stage in (S.APPROVAL, S.ACCEPTANCE):
        data |= {"outcome": "returned", "note": "redo"} if stage is S.APPROVAL else {"outcome": "returned"}
    try:
        move = advance(ready(stage), actor_id=actor, actor_role=role, data=data)
    except (Forbidden, InvalidTransition):
        assert stage is S.DONE or (
            stage is S.APPROVAL and (actor == OWNER or role not in {Role.SUPERVISOR, Role.DEPARTMENT_LEAD})
        )
        return
    assert move.before is stage
    assert move.after is (S.PLAN if move.returned else STAGES[STAGES.index(stage) + 1])
