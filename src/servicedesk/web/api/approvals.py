"""Service actions over HTTP: request a refund or compensation on a case, list a case's actions,
and the approvers' queue with approve / reject. The services decide who may do what; amounts
travel as decimal strings ("500.01") so no float ever rounds money."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from servicedesk.domain.approvals import MAX_BASIS, MAX_NOTE, ActionKind, ActionStatus
from servicedesk.services import approvals
from servicedesk.services.approvals import ActionView
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["service actions"])


def _as_text(value: object) -> object:
    """JSON numbers as their shortest decimal text (500.01, not 500.009999…); true/false are
    not amounts. The services then read the text exactly."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("a number of yuan such as 499.99")
    return str(value)


Money = Annotated[
    str,
    BeforeValidator(_as_text),
    Field(description='yuan with at most two decimals, best sent as a string: "500.01"'),
]


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Annotated[str, Field(max_length=32, examples=[k.value for k in ActionKind])]
    amount: Money
    order_no: Annotated[str, Field(max_length=64)]
    basis: Annotated[str, Field(max_length=MAX_BASIS + 100)]
    compensation: Money | None = Field(
        default=None, description="reship_and_compensation only: the compensation part of `amount`"
    )


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: Annotated[str, Field(max_length=MAX_NOTE + 100)] = ""


class PersonOut(BaseModel):
    id: int
    name: str


class ActionOut(BaseModel):
    id: int
    ticket_id: int
    ticket_number: str
    ticket_subject: str
    kind: ActionKind
    status: ActionStatus
    amount: Decimal
    currency: str
    compensation: Decimal | None
    order_no: str
    basis: str
    requested_by: PersonOut
    requested_at: datetime
    limit_amount: Decimal | None = Field(description="the requester's limit when asked; null = no limit")
    approver: PersonOut | None = Field(description="null when within the requester's own limit")
    decided_at: datetime | None
    decision_note: str | None
    executed_at: datetime | None
    connector_ref: str | None
    result: dict[str, Any]
    failure: str | None
    can_decide: bool = Field(description="whether the caller may approve or reject it now")

    @classmethod
    def of(cls, view: ActionView) -> ActionOut:
        a = view.action
        part = a.details.get("compensation")
        approver = PersonOut(id=a.approver_id, name=view.approver or "") if a.approver_id else None
        return cls(
            id=a.id, ticket_id=a.ticket_id, ticket_number=view.ticket_number,
            ticket_subject=view.ticket_subject, kind=view.kind, status=view.status, amount=a.amount,
            currency=a.currency,
            compensation=Decimal(part) if part else None, order_no=str(a.details.get("order_no", "")),
            basis=a.basis, requested_by=PersonOut(id=a.requested_by_id, name=view.requested_by),
            requested_at=a.requested_at, limit_amount=a.limit_amount, approver=approver,
            decided_at=a.decided_at, decision_note=a.decision_note, executed_at=a.executed_at,
            connector_ref=a.connector_ref, result=a.details.get("result", {}), failure=a.failure,
            can_decide=view.can_decide,
        )  # fmt: skip


async def _one(uow: UowFactory, principal: CurrentPrincipal, ticket_id: int, action_id: int) -> ActionOut:
    async with uow(write=False) as u:
        views = await approvals.actions_of(u, principal, ticket_id)
    return ActionOut.of(next(v for v in views if v.action.id == action_id))


@router.post("/tickets/{ticket_id}/actions", response_model=ActionOut, status_code=201)
async def request_action(
    ticket_id: int, body: ActionIn, principal: CurrentPrincipal, uow: UowFactory
) -> ActionOut:
    """Within the caller's limit the action is carried out at once (status `executed` or
    `failed`); above it, it waits as `pending_approval`."""
    async with uow() as u:
        action = await approvals.request_action(
            u, principal, ticket_id, kind=body.kind, amount=body.amount, order_no=body.order_no,
            basis=body.basis, compensation=body.compensation,
        )  # fmt: skip
    return await _one(uow, principal, ticket_id, action.id)


@router.get("/tickets/{ticket_id}/actions", response_model=list[ActionOut])
async def ticket_actions(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> list[ActionOut]:
    async with uow(write=False) as u:
        return [ActionOut.of(v) for v in await approvals.actions_of(u, principal, ticket_id)]


@router.get("/approvals", response_model=list[ActionOut])
async def pending(principal: CurrentPrincipal, uow: UowFactory) -> list[ActionOut]:
    """What waits for approval, oldest first; `can_decide` is false for the caller's own
    requests and those above their own limit."""
    async with uow(write=False) as u:
        return [ActionOut.of(v) for v in await approvals.pending_for(u, principal)]


@router.post("/actions/{action_id}/approve", response_model=ActionOut)
async def approve(
    action_id: int, body: DecisionIn, principal: CurrentPrincipal, uow: UowFactory
) -> ActionOut:
    async with uow() as u:
        action = await approvals.approve(u, principal, action_id, note=body.note)
    return await _one(uow, principal, action.ticket_id, action.id)


@router.post("/actions/{action_id}/reject", response_model=ActionOut)
async def reject(action_id: int, body: DecisionIn, principal: CurrentPrincipal, uow: UowFactory) -> ActionOut:
    async with uow() as u:
        action = await approvals.reject(u, principal, action_id, note=body.note)
    return await _one(uow, principal, action.ticket_id, action.id)
