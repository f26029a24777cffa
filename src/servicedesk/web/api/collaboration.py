"""Collaboration requests to other departments (R-HD-5) and the complex-case track (R-HD-4).

Both are internal: a customer is refused on a case's list (403, as for its SLA clocks) and gets
"not found" for a single request or track, so an id reveals nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from servicedesk.domain.complex_cases import MAX_TEXT, MAX_TITLE, CaseStage
from servicedesk.domain.sla import ClockState
from servicedesk.services import collaboration as co
from servicedesk.services import complex_cases as cc
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["collaboration"])


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- collaboration requests -----------------------------------------------------------------


class CollaborationRequestIn(_Input):
    department_id: int
    body: Annotated[str, Field(min_length=1, max_length=co.MAX_BODY)]
    due_at: AwareDatetime | None = Field(
        None, description="left out: the policy's collaboration-reply target in business time"
    )


class CollaborationAnswerIn(_Input):
    answer: Annotated[str, Field(min_length=1, max_length=co.MAX_ANSWER)]


class CollaborationCancelIn(_Input):
    reason: Annotated[str, Field(max_length=co.MAX_REASON)] = ""


class CollaborationRequestOut(BaseModel):
    id: int
    ticket_id: int
    department_id: int
    department: str
    requested_by: str
    body: str
    status: co.RequestStatus
    created_at: datetime
    due_at: datetime
    remaining_seconds: int | None = Field(
        description="business seconds left while open; negative when overdue"
    )
    clock_state: ClockState | None
    met: bool | None
    answer: str | None
    answered_by: str | None
    answered_at: datetime | None

    @classmethod
    def of(cls, v: co.RequestView) -> CollaborationRequestOut:
        return cls(
            id=v.id, ticket_id=v.ticket_id, department_id=v.department_id, department=v.department,
            requested_by=v.requested_by, body=v.body, status=v.status, created_at=v.created_at,
            due_at=v.due_at, remaining_seconds=int(v.remaining.total_seconds()) if v.remaining else None,
            clock_state=v.clock_state, met=v.met, answer=v.answer, answered_by=v.answered_by,
            answered_at=v.answered_at,
        )  # fmt: skip


async def _request_out(
    uow: UowFactory, principal: CurrentPrincipal, request_id: int
) -> CollaborationRequestOut:
    async with uow(write=False) as u:
        return CollaborationRequestOut.of(await co.get_request(u, principal, request_id))


@router.post("/tickets/{ticket_id}/collaboration", response_model=CollaborationRequestOut, status_code=201)
async def ask_department(
    ticket_id: int, body: CollaborationRequestIn, principal: CurrentPrincipal, uow: UowFactory
) -> CollaborationRequestOut:
    """Ask a department from the case; its lead is notified and the request's clock starts."""
    async with uow() as u:
        request = await co.create_request(
            u, principal, ticket_id, department_id=body.department_id, body=body.body, due_at=body.due_at
        )
    return await _request_out(uow, principal, request.id)


@router.get("/tickets/{ticket_id}/collaboration", response_model=list[CollaborationRequestOut])
async def ticket_requests(
    ticket_id: int, principal: CurrentPrincipal, uow: UowFactory
) -> list[CollaborationRequestOut]:
    async with uow(write=False) as u:
        return [CollaborationRequestOut.of(v) for v in await co.requests_of_ticket(u, principal, ticket_id)]


@router.get("/collaboration/inbox", response_model=list[CollaborationRequestOut])
async def department_inbox(
    principal: CurrentPrincipal, uow: UowFactory, status: co.RequestStatus = co.RequestStatus.OPEN
) -> list[CollaborationRequestOut]:
    """Requests to the departments I answer for; open ones most urgent first."""
    async with uow(write=False) as u:
        return [CollaborationRequestOut.of(v) for v in await co.department_inbox(u, principal, status=status)]


@router.get("/collaboration/requests/{request_id}", response_model=CollaborationRequestOut)
async def get_request(
    request_id: int, principal: CurrentPrincipal, uow: UowFactory
) -> CollaborationRequestOut:
    return await _request_out(uow, principal, request_id)


@router.post("/collaboration/requests/{request_id}/answer", response_model=CollaborationRequestOut)
async def answer(
    request_id: int, body: CollaborationAnswerIn, principal: CurrentPrincipal, uow: UowFactory
) -> CollaborationRequestOut:
    """The department's answer; it returns to the case as an internal note."""
    async with uow() as u:
        await co.answer_request(u, principal, request_id, answer=body.answer)
    return await _request_out(uow, principal, request_id)


@router.post("/collaboration/requests/{request_id}/cancel", response_model=CollaborationRequestOut)
async def cancel(
    request_id: int, body: CollaborationCancelIn, principal: CurrentPrincipal, uow: UowFactory
) -> CollaborationRequestOut:
    async with uow() as u:
        await co.cancel_request(u, principal, request_id, reason=body.reason)
    return await _request_out(uow, principal, request_id)


# --- the complex-case track -----------------------------------------------------------------


class ComplexCaseOpenIn(_Input):
    owner_id: int | None = Field(None, description="left out: the caller owns the track")


Text = Annotated[str, Field(max_length=MAX_TEXT)]


class ComplexCaseAdvanceIn(_Input):
    """The data of the stage being left: assess → assessment; approval → outcome (approved |
    returned) and note; monitor → monitoring; acceptance → acceptance and outcome (accepted |
    returned); lessons → lessons and an optional title for the draft article."""

    stage: CaseStage | None = Field(None, description="the stage you saw; 409 if the track moved")
    assessment: Text | None = None
    outcome: Annotated[str, Field(max_length=20)] | None = None
    note: Text | None = None
    monitoring: Text | None = None
    acceptance: Text | None = None
    lessons: Text | None = None
    title: Annotated[str, Field(max_length=MAX_TITLE)] | None = None


class ComplexCaseMemberIn(_Input):
    user_id: int
    duty: Annotated[str, Field(max_length=cc.MAX_DUTY)] = ""


class ComplexCaseStepIn(_Input):
    title: Annotated[str, Field(min_length=1, max_length=MAX_TITLE)]
    owner_id: int
    due_at: AwareDatetime


class ComplexCaseStepDoneIn(_Input):
    note: Annotated[str, Field(max_length=cc.MAX_NOTE)] = ""


class ComplexCaseMemberOut(BaseModel):
    user_id: int
    name: str
    duty: str


class ComplexCaseStepOut(BaseModel):
    id: int
    position: int
    title: str
    owner_id: int
    owner: str
    due_at: datetime
    done_at: datetime | None
    note: str
    overdue: bool


class ComplexCaseOut(BaseModel):
    id: int
    ticket_id: int
    stage: CaseStage
    next_fields: list[str] = Field(description="what advancing from the current stage takes")
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
    members: list[ComplexCaseMemberOut]
    steps: list[ComplexCaseStepOut]

    @classmethod
    def of(cls, v: cc.CaseView) -> ComplexCaseOut:
        return cls(
            id=v.id, ticket_id=v.ticket_id, stage=v.stage, next_fields=list(v.fields), owner_id=v.owner_id,
            owner=v.owner, assessment=v.assessment, approved_by=v.approved_by, approved_at=v.approved_at,
            monitoring=v.monitoring, acceptance=v.acceptance, lessons=v.lessons, article_id=v.article_id,
            created_at=v.created_at, updated_at=v.updated_at,
            members=[ComplexCaseMemberOut(user_id=m.user_id, name=m.name, duty=m.duty) for m in v.members],
            steps=[ComplexCaseStepOut.model_validate(s, from_attributes=True) for s in v.steps],
        )  # fmt: skip


class ComplexCaseMyStepOut(BaseModel):
    ticket_id: int
    stage: CaseStage
    step: ComplexCaseStepOut


async def _case_out(uow: UowFactory, principal: CurrentPrincipal, ticket_id: int) -> ComplexCaseOut:
    async with uow(write=False) as u:
        return ComplexCaseOut.of(await cc.get_case(u, principal, ticket_id))


@router.post("/tickets/{ticket_id}/complex-case", response_model=ComplexCaseOut, status_code=201)
async def open_case(
    ticket_id: int, body: ComplexCaseOpenIn, principal: CurrentPrincipal, uow: UowFactory
) -> ComplexCaseOut:
    async with uow() as u:
        await cc.open_case(u, principal, ticket_id, owner_id=body.owner_id)
    return await _case_out(uow, principal, ticket_id)


@router.get("/tickets/{ticket_id}/complex-case", response_model=ComplexCaseOut)
async def get_case(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> ComplexCaseOut:
    return await _case_out(uow, principal, ticket_id)


@router.post("/tickets/{ticket_id}/complex-case/advance", response_model=ComplexCaseOut)
async def advance(
    ticket_id: int, body: ComplexCaseAdvanceIn, principal: CurrentPrincipal, uow: UowFactory
) -> ComplexCaseOut:
    data = body.model_dump(exclude={"stage"}, exclude_none=True)
    async with uow() as u:
        await cc.advance_case(u, principal, ticket_id, data=data, expected_stage=body.stage)
    return await _case_out(uow, principal, ticket_id)


@router.post("/tickets/{ticket_id}/complex-case/members", response_model=ComplexCaseOut, status_code=201)
async def add_member(
    ticket_id: int, body: ComplexCaseMemberIn, principal: CurrentPrincipal, uow: UowFactory
) -> ComplexCaseOut:
    async with uow() as u:
        await cc.add_member(u, principal, ticket_id, user_id=body.user_id, duty=body.duty)
    return await _case_out(uow, principal, ticket_id)


@router.post("/tickets/{ticket_id}/complex-case/steps", response_model=ComplexCaseOut, status_code=201)
async def add_step(
    ticket_id: int, body: ComplexCaseStepIn, principal: CurrentPrincipal, uow: UowFactory
) -> ComplexCaseOut:
    async with uow() as u:
        await cc.add_step(
            u, principal, ticket_id, title=body.title, owner_id=body.owner_id, due_at=body.due_at
        )
    return await _case_out(uow, principal, ticket_id)


@router.post("/tickets/{ticket_id}/complex-case/steps/{step_id}/done", response_model=ComplexCaseOut)
async def finish_step(
    ticket_id: int, step_id: int, body: ComplexCaseStepDoneIn, principal: CurrentPrincipal, uow: UowFactory
) -> ComplexCaseOut:
    async with uow() as u:
        await cc.finish_step(u, principal, ticket_id, step_id, note=body.note)
    return await _case_out(uow, principal, ticket_id)


@router.get("/complex-cases/my-steps", response_model=list[ComplexCaseMyStepOut])
async def my_steps(principal: CurrentPrincipal, uow: UowFactory) -> list[ComplexCaseMyStepOut]:
    """The steps I own on tracks not yet done — for task-group members outside the case's team."""
    async with uow(write=False) as u:
        steps = await cc.my_open_steps(u, principal)
    return [
        ComplexCaseMyStepOut(
            ticket_id=s.ticket_id,
            stage=s.stage,
            step=ComplexCaseStepOut.model_validate(s.step, from_attributes=True),
        )
        for s in steps
    ]
