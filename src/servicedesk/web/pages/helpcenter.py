"""The customer help center: my cases, opening a case, answering, confirming a resolution.

Customers only: staff are sent to the agent workspace. The services keep internal notes and
other customers' cases out of reach.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.catalog import Channel, MessageKind, TicketType
from servicedesk.domain.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal
from servicedesk.services import ticket_queries as q
from servicedesk.services import tickets as svc
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import BODY_MAX, SUBJECT_MAX, choice, text_error, uploaded
from servicedesk.web.pages.present import author_name, problem_text, render_page, tr
from servicedesk.web.pages.session import PagePrincipal, check_csrf

router = APIRouter(prefix="/help")

PAGE_SIZE = 20
CUSTOMER_MOVES = (TicketStatus.CLOSED, TicketStatus.OPEN)  # confirm, or "not solved"


def _staff_elsewhere(me: Principal, target: str = "/agent") -> Response | None:
    return RedirectResponse(target, status_code=303) if me.role.is_staff else None


@router.get("")
async def my_cases(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    if redirect := _staff_elsewhere(me):
        return redirect
    async with uow(write=False) as u:
        page = await q.list_tickets(u, me, cursor=cursor or None, limit=PAGE_SIZE)
        context = {
            "tickets": page.items,
            "next_url": f"/help?cursor={page.next_cursor}" if page.next_cursor else None,
        }
        return render_page(request, "help_list.html", me, context)


def _new_form(
    request: Request, me: Principal, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    context = {"values": values, "errors": errors, "types": list(TicketType)}
    return render_page(request, "help_new.html", me, context, status_code)


@router.get("/new")
async def new_case_form(request: Request, me: PagePrincipal) -> Response:
    if redirect := _staff_elsewhere(me):
        return redirect
    values = {"subject": "", "body": "", "type": TicketType.CONSULTATION.value}
    return _new_form(request, me, values, {})


@router.post("/new")
async def open_case(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    subject: Annotated[str, Form(max_length=SUBJECT_MAX * 4)] = "",
    body: Annotated[str, Form(max_length=BODY_MAX)] = "",
    type: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf)
    if redirect := _staff_elsewhere(me):
        return redirect
    values = {"subject": subject, "body": body, "type": type}
    errors = {
        field: problem
        for field, problem in (
            ("subject", text_error(subject, max_len=SUBJECT_MAX)),
            ("body", text_error(body, max_len=BODY_MAX)),
        )
        if problem
    }
    try:
        ticket_type = choice(TicketType, type, "type") or TicketType.CONSULTATION
    except ValidationFailed:
        errors["type"] = "err_choice"
        ticket_type = TicketType.CONSULTATION
    if errors:
        return _new_form(request, me, values, errors, 422)
    try:
        attached = await uploaded(request, request.app.state.settings.max_attachment_bytes)
        async with uow() as u:
            ticket = await svc.create_ticket(
                u, me, subject=subject.strip(), body=body.strip(), type=ticket_type, channel=Channel.WEB_FORM,
                files=attached,
            )  # fmt: skip
            ticket_id = ticket.id
    except ValidationFailed as refused:  # a photo too large: the description stays in the form
        return _new_form(request, me, values, {"files": problem_text(refused)}, 422)
    return RedirectResponse(f"/help/tickets/{ticket_id}", status_code=303)


async def _case_page(
    request: Request,
    u: UnitOfWork,
    me: Principal,
    ticket_id: int,
    *,
    notice: str | None = None,
    draft: str = "",
    status_code: int = 200,
) -> Response:
    detail = await q.ticket_detail(u, me, ticket_id)
    ticket = detail.ticket
    staff_label = tr(request, "support_team")
    public = [m for m in detail.messages if m.kind is not MessageKind.NOTE]  # as the service does
    messages = [(m, author_name(m, ticket, {}, staff_label)) for m in public]
    context = {
        "ticket": ticket,
        "messages": messages,
        "can_reply": ticket.status is not TicketStatus.CLOSED,
        "awaiting_confirmation": ticket.status is TicketStatus.RESOLVED,
        "notice": notice,
        "draft": draft,
    }
    return render_page(request, "help_ticket.html", me, context, status_code)


@router.get("/tickets/{ticket_id}")
async def case_page(ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    if redirect := _staff_elsewhere(me, f"/agent/tickets/{ticket_id}"):
        return redirect
    async with uow(write=False) as u:
        return await _case_page(request, u, me, ticket_id)


@router.post("/tickets/{ticket_id}/messages")
async def answer(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    body: Annotated[str, Form(max_length=BODY_MAX)] = "",
) -> Response:
    check_csrf(request, csrf)
    if redirect := _staff_elsewhere(me, f"/agent/tickets/{ticket_id}"):
        return redirect
    problem = text_error(body, max_len=BODY_MAX)
    notice = tr(request, problem) if problem else None
    if notice is None:
        try:
            attached = await uploaded(request, request.app.state.settings.max_attachment_bytes)
            async with uow() as u:
                await svc.add_message(
                    u, me, ticket_id, kind=MessageKind.INBOUND, body=body.strip(), files=attached
                )
        except Forbidden:  # closed meanwhile
            notice = tr(request, "case_closed")
        except ValidationFailed as refused:  # too large, too many: the words stay in the box
            notice = problem_text(refused)
    if notice is not None:
        async with uow(write=False) as u:
            return await _case_page(request, u, me, ticket_id, notice=notice, draft=body, status_code=422)
    return RedirectResponse(f"/help/tickets/{ticket_id}#latest", status_code=303)


@router.post("/tickets/{ticket_id}/status")
async def confirm_or_reopen(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    check_csrf(request, csrf)
    if redirect := _staff_elsewhere(me, f"/agent/tickets/{ticket_id}"):
        return redirect
    target = choice(TicketStatus, status, "status")
    if target is None or target not in CUSTOMER_MOVES:
        raise ValidationFailed("choose confirm or reopen", fields={"status": "closed|open"})
    expected = int(version) if version.isdigit() else None
    try:
        async with uow() as u:
            await svc.transition_ticket(u, me, ticket_id, to=target, expected_version=expected)
    except (Conflict, Forbidden):
        async with uow(write=False) as u:
            return await _case_page(
                request, u, me, ticket_id, notice=tr(request, "case_changed"), status_code=409
            )
    return RedirectResponse(f"/help/tickets/{ticket_id}", status_code=303)
