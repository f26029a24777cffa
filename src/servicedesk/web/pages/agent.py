"""The agent workspace: the inbox and the ticket page (timeline, reply, properties, status).

Staff only: a customer is sent to the help center from /agent and gets "not found" anywhere
below it. What each staff member may see and do is decided by the services.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.errors import Conflict, InvalidTransition, ValidationFailed
from servicedesk.domain.lifecycle import ALLOWED, TicketStatus
from servicedesk.domain.pii import mask_phone
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import outbound, sla, tiers
from servicedesk.services import ticket_queries as q
from servicedesk.services import tickets as svc
from servicedesk.services.assistant import handoff_of
from servicedesk.services.staff import list_agents, list_teams
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import (
    ANY_STATUS,
    BODY_MAX,
    InboxParams,
    TicketUpdateForm,
    inbox_params,
    optional_id,
    required_choice,
    text_error,
    ticket_update_form,
    uploaded,
)
from servicedesk.web.pages.knowledge import kb_sidebar
from servicedesk.web.pages.present import author_name, event_rows, problem_text, render_page, tr
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.pages.ticket_panels import panels_for

router = APIRouter(prefix="/agent")

PAGE_SIZE = 25
VIEWS = [*(v.value for v in q.View), ANY_STATUS]
STATUS_ORDER = list(TicketStatus)


def default_view(me: Principal, counts: dict[str, int]) -> str:
    """Mine when I have work; else my teams' queue when I am in a team; else everything."""
    if counts["mine"]:
        return q.View.MINE.value
    if me.team_ids and counts["team"]:
        return q.View.TEAM.value
    return q.View.ALL.value


@router.get("")
async def inbox(
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    params: Annotated[InboxParams, Depends(inbox_params)],
) -> Response:
    if not me.role.is_staff:
        return RedirectResponse("/help", status_code=303)
    async with uow(write=False) as u:
        counts = await q.inbox_counts(u, me)
        view = params.view or default_view(me, counts)
        page = await q.list_tickets(
            u, me, filters=params.to_filter(view), cursor=params.cursor or None, limit=PAGE_SIZE
        )
        context = {
            "params": params,
            "view": view,
            "views": VIEWS,
            "counts": counts,
            "tickets": page.items,
            "due": await sla.next_due(u, (t.id for t in page.items)),
            "now": u.now(),
            "next_url": params.url(view=view, cursor=page.next_cursor) if page.next_cursor else None,
            "first_url": params.url(view=view, cursor="") if params.cursor else None,
            "teams": await list_teams(u, me),
            "statuses": STATUS_ORDER,
            "types": list(TicketType),
            "priorities": list(Priority),
            "channels": list(Channel),
        }
        return render_page(request, "agent_inbox.html", me, context)


async def _ticket_page(
    request: Request,
    u: UnitOfWork,
    me: Principal,
    ticket_id: int,
    *,
    notice: str | None = None,
    draft: str = "",
    draft_kind: str = "reply",
    status_code: int = 200,
    escalate_error: bool = False,
) -> Response:
    detail = await q.ticket_detail(u, me, ticket_id)
    ticket = detail.ticket
    agents = await list_agents(u, me)
    teams = await list_teams(u, me)
    names = {a.id: a.name for a in agents}
    team_names = {t.id: t.name for t in teams}
    if ticket.assignee is not None:
        names.setdefault(ticket.assignee.id, ticket.assignee.name)
    staff_label = tr(request, "support_team")
    context = {
        "ticket": ticket,
        "customer": ticket.customer,
        "masked_phone": mask_phone(ticket.customer.phone) if ticket.customer.phone else None,
        "messages": [(m, author_name(m, ticket, names, staff_label)) for m in detail.messages],
        "events": event_rows(detail.events, ticket, names, team_names),
        "can_work": me.can(Permission.WORK_TICKETS),
        "next_statuses": [s for s in STATUS_ORDER if s in ALLOWED[ticket.status]],
        "agents": agents,
        "teams": teams,
        "types": list(TicketType),
        "priorities": list(Priority),
        "tags_text": ", ".join(t.tag for t in ticket.tags),
        "notice": notice,
        "draft": draft,
        "draft_kind": draft_kind,
        "kb": await kb_sidebar(u, me, ticket),
        "handoff": await handoff_of(u, ticket_id),
        "clocks": await sla.clocks_of(u, ticket_id),
        "escalation_teams": [t for t in teams if t.tier > (ticket.team.tier if ticket.team else 1)],
        "escalate_error": escalate_error,
        "panels": await panels_for(u, me, ticket),
        "reply_route": await outbound.route_for_ticket(u, ticket),  # can a reply reach the customer now?
    }
    return render_page(request, "agent_ticket.html", me, context, status_code)


async def _reshow(
    request: Request, uow: UowFactory, me: Principal, ticket_id: int, notice: str, status_code: int, **kw: Any
) -> Response:
    async with uow(write=False) as u:
        return await _ticket_page(request, u, me, ticket_id, notice=notice, status_code=status_code, **kw)


@router.get("/tickets/{ticket_id}")
async def ticket_page(ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        return await _ticket_page(request, u, me, ticket_id)


@router.post("/tickets/{ticket_id}/messages")
async def add_message(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    kind: Annotated[str, Form(max_length=10)] = "reply",
    body: Annotated[str, Form(max_length=BODY_MAX)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    if kind not in (MessageKind.REPLY, MessageKind.NOTE):
        raise ValidationFailed("staff write replies or notes", fields={"kind": "reply|note"})
    problem = text_error(body, max_len=BODY_MAX)
    if problem:
        return await _reshow(
            request, uow, me, ticket_id, tr(request, problem), 422, draft=body, draft_kind=kind
        )
    try:
        attached = await uploaded(request, request.app.state.settings.max_attachment_bytes)
        async with uow() as u:
            await svc.add_message(u, me, ticket_id, kind=MessageKind(kind), body=body.strip(), files=attached)
    except ValidationFailed as refused:  # the draft stays; the person chooses smaller or fewer files
        notice = problem_text(refused)
        return await _reshow(request, uow, me, ticket_id, notice, 422, draft=body, draft_kind=kind)
    return RedirectResponse(f"/agent/tickets/{ticket_id}#latest", status_code=303)


@router.post("/tickets/{ticket_id}/update")
async def update_ticket(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    form: Annotated[TicketUpdateForm, Depends(ticket_update_form)],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    update = form.parse()
    try:
        async with uow() as u:
            ticket = await svc.update_ticket(
                u, me, ticket_id,
                changes=update.changes, expected_version=update.version, reason=update.reason,
            )  # fmt: skip
            still_visible = me.sees(
                customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=ticket.assignee_id
            )
    except Conflict:
        return await _reshow(request, uow, me, ticket_id, tr(request, "conflict_reload"), 409)
    if not still_visible:  # handed to a team I am not in: back to my inbox
        return RedirectResponse("/agent", status_code=303)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/status")
async def change_status(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    status: Annotated[str, Form(max_length=20)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
    summary: Annotated[str, Form(max_length=svc.SUMMARY_MAX)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    target = required_choice(TicketStatus, status, "status")
    try:
        async with uow() as u:
            await svc.transition_ticket(
                u, me, ticket_id, to=target, expected_version=optional_id(version, "version"), summary=summary
            )
    except Conflict:
        return await _reshow(request, uow, me, ticket_id, tr(request, "conflict_reload"), 409)
    except InvalidTransition as error:
        return await _reshow(request, uow, me, ticket_id, error.message, 409)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/escalate")
async def escalate(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Annotated[str, Form()] = "",
    team_id: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    try:
        async with uow() as u:
            ticket = await tiers.escalate_ticket(
                u, me, ticket_id, reason=reason, team_id=optional_id(team_id, "team_id")
            )
            still_visible = me.sees(
                customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=ticket.assignee_id
            )
    except ValidationFailed as error:
        notice = problem_text(error)
        return await _reshow(request, uow, me, ticket_id, notice, 422, escalate_error=True)
    if not still_visible:  # handed to experts I cannot see: back to my inbox
        return RedirectResponse("/agent", status_code=303)
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)
