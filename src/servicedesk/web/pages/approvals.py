"""Refunds and compensation on the agent's pages: the ticket's side panel (request form and the
case's actions) and the approvers' queue at /agent/approvals.

Who may request, see, approve or reject is decided by `services.approvals`, so a form and an
API call are refused alike; these handlers parse, call and redirect.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.approvals import MAX_BASIS, MAX_NOTE, ActionKind
from servicedesk.domain.errors import Conflict, InvalidTransition, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.services import approvals
from servicedesk.services.access import access_ticket_by_id
from servicedesk.services.connectors import ORDER_STATUS_LABELS
from servicedesk.store.approvals import ServiceAction
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.present import problem_text, render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.pages.ticket_panels import panel

router = APIRouter(prefix="/agent")
Short = Annotated[str, Form(max_length=64)]


class Decide(Protocol):
    """`approvals.approve` or `approvals.reject`, as the page calls them."""

    def __call__(
        self, uow: UnitOfWork, actor: Principal, action_id: int, *, note: str
    ) -> Awaitable[ServiceAction]: ...


FIELDS = ("kind", "amount", "compensation", "order_no", "basis")


@panel("_approvals_panel.html", order=30)
async def approvals_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    if not me.role.is_staff:
        return None
    return await _form_context(uow, me, ticket, {}, {})


async def _form_context(
    uow: UnitOfWork, me: Principal, ticket: Ticket, values: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "actions": await approvals.actions_of(uow, me, ticket.id),
        "limits": await approvals.limits_of(uow, me.role),
        "kinds": list(ActionKind),
        "can_request": me.can(Permission.WORK_TICKETS) and ticket.status is not TicketStatus.CLOSED,
        "form": {f: values.get(f, "") for f in FIELDS},
        "errors": errors,
        "max_basis": MAX_BASIS,
        "max_note": MAX_NOTE,
        "order_labels": ORDER_STATUS_LABELS,
    }


@router.post("/tickets/{ticket_id}/actions")
async def request_action(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = "",
    kind: Short = "", amount: Short = "", compensation: Short = "", order_no: Short = "",
    basis: Annotated[str, Form(max_length=MAX_BASIS + 100)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    values = {
        "kind": kind,
        "amount": amount,
        "compensation": compensation,
        "order_no": order_no,
        "basis": basis,
    }
    try:
        async with uow() as u:
            await approvals.request_action(
                u, me, ticket_id, kind=kind, amount=amount, order_no=order_no, basis=basis,
                compensation=compensation or None,
            )  # fmt: skip
    except ValidationFailed as error:
        return await _request_page(
            request, me, uow, ticket_id, values, error.fields or {"": error.message}, 422
        )
    except (Conflict, InvalidTransition) as error:
        return await _request_page(request, me, uow, ticket_id, values, {"": error.message}, 409)
    return RedirectResponse(f"/agent/tickets/{ticket_id}#actions", status_code=303)


async def _request_page(
    request: Request, me: Principal, uow: UowFactory, ticket_id: int, values: dict[str, str],
    errors: dict[str, str], status_code: int,
) -> Response:  # fmt: skip
    """The request form again, with what was typed and what is wrong with it."""
    async with uow(write=False) as u:
        ticket = await access_ticket_by_id(u, me, ticket_id)
        context = {"ticket": ticket, "panel": await _form_context(u, me, ticket, values, errors)}
    return render_page(request, "approvals_request.html", me, context, status_code)


@router.get("/approvals")
async def approvals_page(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    return await _queue_page(request, me, uow)


async def _queue_page(
    request: Request, me: Principal, uow: UowFactory, errors: dict[int, str] | None = None,
    notes: dict[int, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    async with uow(write=False) as u:
        pending = await approvals.pending_for(u, me)
        limits = await approvals.limit_table(u, [role for role in Role if role.is_staff])
    context = {
        "pending": pending, "limits": limits, "kinds": list(ActionKind), "errors": errors or {},
        "notes": notes or {}, "max_note": MAX_NOTE, "order_labels": ORDER_STATUS_LABELS,
    }  # fmt: skip
    return render_page(request, "approvals.html", me, context, status_code)


def _back(back: str, ticket_id: int) -> str:
    return f"/agent/tickets/{ticket_id}#actions" if back == "ticket" else "/agent/approvals"


async def _decide(
    request: Request, me: Principal, uow: UowFactory, action_id: int, note: str, back: str, decide: Decide
) -> Response:
    try:
        async with uow() as u:
            action = await decide(u, me, action_id, note=note)
    except ValidationFailed as error:
        return await _queue_page(request, me, uow, {action_id: problem_text(error)}, {action_id: note}, 422)
    return RedirectResponse(_back(back, action.ticket_id), status_code=303)


@router.post("/actions/{action_id}/approve")
async def approve(
    action_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE + 100)] = "", back: Short = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    return await _decide(request, me, uow, action_id, note, back, approvals.approve)


@router.post("/actions/{action_id}/reject")
async def reject(
    action_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = "",
    note: Annotated[str, Form(max_length=MAX_NOTE + 100)] = "", back: Short = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    return await _decide(request, me, uow, action_id, note, back, approvals.reject)
