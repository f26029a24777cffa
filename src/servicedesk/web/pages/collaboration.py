"""Collaboration requests (R-HD-5) and the complex-case track (R-HD-4) in the agent workspace:
two side panels of the ticket page, and the department inbox at /agent/collaboration where a
department answers the requests sent to it and task-group members find their steps.

Staff only. Forms post here and come back with a redirect; a refusal from the services (bad
input, a guard of the track, the wrong department) is the error page with its 4xx status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.complex_cases import APPROVERS, MEMBER_STAGES, STAGES, CaseStage
from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import collaboration as co
from servicedesk.services import complex_cases as cc
from servicedesk.services.staff import list_agents, list_departments
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import optional_id
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.pages.ticket_panels import panel
from servicedesk.web.templating import viewer_zone

router = APIRouter(prefix="/agent")
Csrf = Annotated[str, Form()]
Short = Annotated[str, Form(max_length=200)]
Text = Annotated[str, Form(max_length=20_000)]
INBOX = "/agent/collaboration"


def _due(request: Request, me: Principal, raw: str, field: str = "due_at") -> datetime | None:
    """A form's `datetime-local` value, read in the zone the person sees times in."""
    if not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationFailed("invalid date and time", fields={field: "YYYY-MM-DD HH:MM"}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(viewer_zone(request, me)))
    return moment.astimezone(UTC)


def _required_id(raw: str, field: str) -> int:
    found = optional_id(raw, field)
    if found is None:
        raise ValidationFailed(f"no {field} chosen", fields={field: "required"})
    return found


def _back(back: str, ticket_id: int, anchor: str) -> RedirectResponse:
    target = INBOX if back == "inbox" else f"/agent/tickets/{ticket_id}#{anchor}"
    return RedirectResponse(target, status_code=303)


# --- the ticket page's panels ---------------------------------------------------------------


@panel("_collaboration_panel.html", order=60)
async def collaboration_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    if not me.role.is_staff:
        return None
    return {
        "requests": await co.requests_of_ticket(uow, me, ticket.id),
        "departments": await list_departments(uow, me),
        "mine": await co.my_department_ids(uow, me),
        "can_work": me.can(Permission.WORK_TICKETS) and ticket.status.is_active,
    }


@panel("_complex_case_panel.html", order=70)
async def complex_case_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    if not me.role.is_staff:
        return None
    case = await cc.case_of_ticket(uow, me, ticket.id)
    can_work = me.can(Permission.WORK_TICKETS)
    if case is None and not (can_work and ticket.status.is_active):
        return None
    return {
        "case": case,
        "stages": STAGES,
        "at": STAGES.index(case.stage) if case else 0,
        "agents": await list_agents(uow, me) if can_work else [],
        "can_work": can_work,
        "can_approve": case is not None and me.role in APPROVERS and case.owner_id != me.user_id,
        "member_stage": case is not None and case.stage in MEMBER_STAGES,
        "me_id": me.user_id,
    }


# --- collaboration requests -----------------------------------------------------------------


@router.post("/tickets/{ticket_id}/collaboration")
async def ask_department(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    department_id: Annotated[str, Form(max_length=20)] = "",
    body: Annotated[str, Form(max_length=co.MAX_BODY)] = "", due_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    department = _required_id(department_id, "department_id")
    due = _due(request, me, due_at)
    async with uow() as u:
        await co.create_request(u, me, ticket_id, department_id=department, body=body, due_at=due)
    return _back("", ticket_id, "collaboration")


@router.post("/collaboration/{request_id}/answer")
async def answer(
    request_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    answer: Annotated[str, Form(max_length=co.MAX_ANSWER)] = "", back: Short = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        row = await co.answer_request(u, me, request_id, answer=answer)
    return _back(back, row.ticket_id, "collaboration")


@router.post("/collaboration/{request_id}/cancel")
async def cancel(
    request_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=co.MAX_REASON)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        row = await co.cancel_request(u, me, request_id, reason=reason)
    return _back("", row.ticket_id, "collaboration")


@router.get("/collaboration")
async def inbox(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    """Open requests to my departments, most urgent first, each with its answer form; and the
    steps of complex cases that are mine."""
    staff_only(me)
    async with uow(write=False) as u:
        context = {
            "requests": await co.department_inbox(u, me),
            "answered": await co.department_inbox(u, me, status=co.RequestStatus.ANSWERED, limit=20),
            "steps": await cc.my_open_steps(u, me),
            "departments": await co.my_department_ids(u, me),
        }
    return render_page(request, "collaboration_inbox.html", me, context)


# --- the complex-case track -----------------------------------------------------------------


@router.post("/tickets/{ticket_id}/complex-case")
async def open_case(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    owner_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        await cc.open_case(u, me, ticket_id, owner_id=optional_id(owner_id, "owner_id"))
    return _back("", ticket_id, "complex-case")


@router.post("/tickets/{ticket_id}/complex-case/advance")
async def advance(ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    """The form of the current stage: only the stage's own fields are passed on, so an empty
    field of another stage (forms send every field) is not a stray."""
    form = await request.form()
    values = {k: str(v)[:20_000] for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, values.pop("csrf", ""))
    staff_only(me)
    raw_stage = values.pop("stage", "")
    try:
        seen = CaseStage(raw_stage) if raw_stage else None
    except ValueError:
        raise ValidationFailed("unknown stage", fields={"stage": raw_stage[:40]}) from None
    async with uow() as u:
        await cc.advance_case(u, me, ticket_id, data=values, expected_stage=seen)
    return _back("", ticket_id, "complex-case")


@router.post("/tickets/{ticket_id}/complex-case/members")
async def add_member(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    user_id: Annotated[str, Form(max_length=20)] = "", duty: Short = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    member = _required_id(user_id, "user_id")
    async with uow() as u:
        await cc.add_member(u, me, ticket_id, user_id=member, duty=duty)
    return _back("", ticket_id, "complex-case")


@router.post("/tickets/{ticket_id}/complex-case/steps")
async def add_step(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    title: Short = "", owner_id: Annotated[str, Form(max_length=20)] = "",
    due_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    owner = _required_id(owner_id, "owner_id")
    due = _due(request, me, due_at)
    if due is None:
        raise ValidationFailed("a step needs a due date", fields={"due_at": "required"})
    async with uow() as u:
        await cc.add_step(u, me, ticket_id, title=title, owner_id=owner, due_at=due)
    return _back("", ticket_id, "complex-case")


@router.post("/tickets/{ticket_id}/complex-case/steps/{step_id}/done")
async def finish_step(
    ticket_id: int, step_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    note: Annotated[str, Form(max_length=cc.MAX_NOTE)] = "", back: Short = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        await cc.finish_step(u, me, ticket_id, step_id, note=note)
    return _back(back, ticket_id, "complex-case")
