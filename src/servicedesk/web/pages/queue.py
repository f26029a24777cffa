"""The routing floor for supervisors (/agent/queue): every waiting case with its position, wait
and why nobody took it, the agents' presence and load, and the supervisor's actions. Any staff
member reads it and switches their own presence here, or from any page with the small
`_presence_form.html` (it posts to /agent/presence and comes back). The ticket page's routing
panel is registered here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import groupby
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.roles import Principal
from servicedesk.domain.routing import Exclusion
from servicedesk.domain.routing_rules import Presence, Workload
from servicedesk.services import availability, routing, routing_queue
from servicedesk.services.staff import list_agents, list_teams
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import optional_id, required_choice
from servicedesk.web.pages.present import render_page, tr
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.pages.ticket_panels import panel

router = APIRouter(prefix="/agent")
Csrf = Annotated[str, Form()]
Short = Annotated[str, Form(max_length=20)]


def _back(next_url: str, fallback: str = "/agent/queue") -> str:
    """Only a path on this site: a form must not become an open redirect."""
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else fallback


async def _page(
    request: Request, me: Principal, uow: UowFactory, *, notice: str | None = None,
    errors: Mapping[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    async with uow(write=False) as u:
        items = await routing_queue.queue_items(u, me)
        agents = await availability.list_records(u, me)
        mine = next((a for a in agents if a.user_id == me.user_id), None)
        pickable = await list_agents(u, me)
        teams = {t.id: t.name for t in await list_teams(u, me)}
        policy = u.settings.routing_policy
    context: dict[str, Any] = {
        "queues": [(key, list(group)) for key, group in groupby(items, key=lambda i: i.queue_key)],
        "agents": agents, "mine": mine, "teams": teams, "pickable": pickable, "policy": policy,
        "presences": list(Presence), "chat": Workload.CHAT, "ticket": Workload.TICKET,
        "can_manage": availability.may_manage(me), "notice": notice, "errors": errors or {},
        "exclusions": list(Exclusion),
    }  # fmt: skip
    return render_page(request, "agent_queue.html", me, context, status_code)


async def _refused(request: Request, me: Principal, uow: UowFactory, error: ValidationFailed) -> Response:
    """The page again with what was wrong, as the SLA forms do."""
    message = "; ".join(f"{k}: {v}" for k, v in error.fields.items()) if error.fields else error.message
    return await _page(request, me, uow, notice=message, errors=error.fields, status_code=422)


@router.get("/queue")
async def queue_page(request: Request, me: PagePrincipal, uow: UowFactory, done: str = "") -> Response:
    staff_only(me)
    notice = tr(request, "rt_drained").format(n=done) if done.isdigit() else None
    return await _page(request, me, uow, notice=notice)


@router.post("/presence")
async def set_presence(
    request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "", presence: Short = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:  # fmt: skip
    """My presence, from the queue page or any staff page's small form."""
    check_csrf(request, csrf)
    staff_only(me)
    target = required_choice(Presence, presence, "presence")
    async with uow() as u:
        await routing.set_presence(u, me, target)
    return RedirectResponse(_back(next), status_code=303)


@router.post("/queue/{entry_id}/move")
async def move(
    entry_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    csrf: Csrf = "",
    direction: Short = "",
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    if direction not in ("up", "down"):
        raise ValidationFailed("move up or down", fields={"direction": "up|down"})
    async with uow() as u:
        await routing_queue.move(u, me, entry_id, "up" if direction == "up" else "down")
    return RedirectResponse("/agent/queue", status_code=303)


@router.post("/queue/{entry_id}/assign")
async def assign(
    entry_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "", agent_id: Short = ""
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    chosen = optional_id(agent_id, "agent_id")
    if chosen is None:
        raise ValidationFailed("choose an agent", fields={"agent_id": "required"})
    async with uow() as u:
        await routing_queue.assign(u, me, entry_id, chosen)
    return RedirectResponse("/agent/queue", status_code=303)


@router.post("/queue/{entry_id}/withdraw")
async def withdraw(
    entry_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    try:
        async with uow() as u:
            await routing_queue.withdraw(u, me, entry_id, reason=reason)
    except ValidationFailed as error:
        return await _refused(request, me, uow, error)
    return RedirectResponse("/agent/queue", status_code=303)


@router.post("/queue/drain")
async def drain(request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "") -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        done = await routing_queue.drain_now(u, me)
    return RedirectResponse(f"/agent/queue?done={len(done)}", status_code=303)


@router.post("/availability/{user_id}")
async def edit_agent(
    user_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    presence: Short = "", chat_capacity: Short = "", ticket_capacity: Short = "",
    working_hours: Annotated[str, Form(max_length=500)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    try:
        async with uow() as u:
            await routing.edit_availability(
                u, me, user_id, presence=Presence(presence) if presence in set(Presence) else None,
                chat_capacity=optional_id(chat_capacity, "chat_capacity"),
                ticket_capacity=optional_id(ticket_capacity, "ticket_capacity"),
                working_hours=working_hours or None, clear_hours=not working_hours.strip(),
            )  # fmt: skip
    except ValidationFailed as error:
        return await _refused(request, me, uow, error)
    return RedirectResponse(f"/agent/queue#agent-{user_id}", status_code=303)


@panel("_routing_panel.html", order=15)
async def routing_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    """Who the case went to and why, or its place in the queue; staff only, nothing when routing
    never saw the case."""
    if not me.role.is_staff:
        return None
    found = await routing_queue.case_routing(uow, me, ticket)
    if found is None:
        return None
    return {"routing": found, "here": quote(f"/agent/tickets/{ticket.id}")}
