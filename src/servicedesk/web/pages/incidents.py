"""Major incidents for staff (R-HD-1): the list with the declare form, one incident's page
(its cases, updates written once for every customer, resolution), and the ticket page's panel
showing the incident a case belongs to.

Who may do what is the services' decision (`services.incidents`); a refused form answers like
the API. Input errors re-show the page with the message and what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.errors import Conflict, ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import incidents
from servicedesk.services.staff import list_teams
from servicedesk.store.incidents import Incident
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.forms import optional_id
from servicedesk.web.pages.present import problem_text, render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.pages.ticket_panels import panel

router = APIRouter(prefix="/agent")
_NUMBERS = re.compile(r"[,，;；\s]+")
Title = Annotated[str, Form(max_length=incidents.MAX_TITLE * 2)]
Summary = Annotated[str, Form(max_length=incidents.MAX_SUMMARY)]
Body = Annotated[str, Form(max_length=incidents.MAX_UPDATE * 2)]
Csrf = Annotated[str, Form()]


def parse_numbers(raw: str) -> list[int]:
    """Ticket numbers as people type them: "#101, 102 103"."""
    ids: list[int] = []
    for token in (t for t in _NUMBERS.split(raw) if t):
        digits = token.removeprefix("#")
        if not digits.isdigit() or len(digits) > 18:
            raise ValidationFailed(
                "invalid ticket number", fields={"ticket_ids": f"not a ticket number: {token[:20]}"}
            )
        ids.append(int(digits))
    return ids


# --- the list and the declare form -----------------------------------------------------------


async def _list_page(
    request: Request, u: UnitOfWork, me: Principal, *, values: dict[str, str] | None = None,
    notice: str | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    context = {
        "rows": await incidents.list_incidents(u, me),
        "can_lead": await incidents.may_lead(u, me),
        "teams": [t for t in await list_teams(u, me) if t.tier >= min(incidents.TIERS)],
        "values": values or {"title": "", "summary": "", "tier": "3", "team_id": "", "numbers": ""},
        "notice": notice,
    }
    return render_page(request, "agent_incidents.html", me, context, status_code)


@router.get("/incidents")
async def incident_list(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        return await _list_page(request, u, me)


@router.post("/incidents")
async def declare(
    request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "", title: Title = "",
    summary: Summary = "", tier: Annotated[str, Form(max_length=2)] = "3",
    team_id: Annotated[str, Form(max_length=20)] = "", numbers: Annotated[str, Form(max_length=10_000)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    values = {"title": title, "summary": summary, "tier": tier, "team_id": team_id, "numbers": numbers}
    try:
        async with uow() as u:
            incident = await incidents.declare_incident(
                u, me, title=title, summary=summary, tier=optional_id(tier, "tier") or 3,
                team_id=optional_id(team_id, "team_id"), ticket_ids=parse_numbers(numbers),
            )  # fmt: skip
    except (ValidationFailed, Conflict) as error:
        async with uow(write=False) as u:
            code = 409 if isinstance(error, Conflict) else 422
            return await _list_page(
                request, u, me, values=values, notice=problem_text(error), status_code=code
            )
    return RedirectResponse(f"/agent/incidents/{incident.id}", status_code=303)


# --- one incident ------------------------------------------------------------------------------


async def _incident_page(
    request: Request, u: UnitOfWork, me: Principal, incident_id: int, *, q: str = "", tag: str = "",
    notice: str | None = None, drafts: dict[str, str] | None = None, status_code: int = 200,
) -> Response:  # fmt: skip
    view = await incidents.incident_view(u, me, incident_id)
    searched = bool(q.strip() or tag.strip())
    found = await incidents.candidate_tickets(u, me, q=q, tag=tag) if searched else []
    linked = {t.id for t in view.tickets}
    context: dict[str, Any] = {
        "view": view, "incident": view.incident, "q": q, "tag": tag, "searched": searched,
        "candidates": [c for c in found if c.ticket.id not in linked],
        "can_work": me.can(Permission.WORK_TICKETS), "notice": notice,
        "drafts": {"update": "", "final": "", "numbers": ""} | (drafts or {}),
    }  # fmt: skip
    return render_page(request, "agent_incident.html", me, context, status_code)


@router.get("/incidents/{incident_id}")
async def incident_page(
    incident_id: int, request: Request, me: PagePrincipal, uow: UowFactory,
    q: Annotated[str, Query(max_length=200)] = "", tag: Annotated[str, Query(max_length=64)] = "",
) -> Response:  # fmt: skip
    staff_only(me)
    async with uow(write=False) as u:
        return await _incident_page(request, u, me, incident_id, q=q, tag=tag)


async def _reshow(
    request: Request, uow: UowFactory, me: Principal, incident_id: int, error: ValidationFailed | Conflict,
    drafts: dict[str, str],
) -> Response:  # fmt: skip
    code = 409 if isinstance(error, Conflict) else 422
    async with uow(write=False) as u:
        return await _incident_page(
            request, u, me, incident_id, notice=problem_text(error), drafts=drafts, status_code=code
        )


@router.post("/incidents/{incident_id}/tickets")
async def link(incident_id: int, request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    """Checked candidates (`ticket_id`, repeated) and typed numbers (`numbers`) together."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    staff_only(me)
    numbers = str(form.get("numbers", ""))[:10_000]
    checked = [str(v) for v in form.getlist("ticket_id")][: incidents.MAX_LINK + 1]
    try:
        ids = [optional_id(v, "ticket_ids") for v in checked] + parse_numbers(numbers)
        async with uow() as u:
            await incidents.link_tickets(u, me, incident_id, [i for i in ids if i is not None])
    except (ValidationFailed, Conflict) as error:
        return await _reshow(request, uow, me, incident_id, error, {"numbers": numbers})
    return RedirectResponse(f"/agent/incidents/{incident_id}#cases", status_code=303)


@router.post("/incidents/{incident_id}/tickets/{ticket_id}/unlink")
async def unlink(
    incident_id: int, ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    back: Annotated[str, Form(max_length=10)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        await incidents.unlink_ticket(u, me, incident_id, ticket_id)
    target = f"/agent/tickets/{ticket_id}" if back == "ticket" else f"/agent/incidents/{incident_id}#cases"
    return RedirectResponse(target, status_code=303)


Say = Callable[..., Awaitable[object]]


async def _say(
    request: Request, me: Principal, uow: UowFactory, incident_id: int, body: str, say: Say, *,
    draft: str, target: str,
) -> Response:  # fmt: skip
    """Post an update or the final message to everyone affected; refused, the page keeps the text."""
    try:
        async with uow() as u:
            await say(u, me, incident_id, body=body)
    except (ValidationFailed, Conflict) as error:
        return await _reshow(request, uow, me, incident_id, error, {draft: body})
    return RedirectResponse(target, status_code=303)


@router.post("/incidents/{incident_id}/updates")
async def post_update(
    incident_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "", body: Body = ""
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    target = f"/agent/incidents/{incident_id}#updates"
    return await _say(
        request, me, uow, incident_id, body, incidents.post_update, draft="update", target=target
    )


@router.post("/incidents/{incident_id}/resolve")
async def resolve(
    incident_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "", body: Body = ""
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    target = f"/agent/incidents/{incident_id}"
    return await _say(
        request, me, uow, incident_id, body, incidents.resolve_incident, draft="final", target=target
    )


# --- the ticket page's panel -------------------------------------------------------------------


@router.post("/tickets/{ticket_id}/incident")
async def link_from_ticket(
    ticket_id: int, request: Request, me: PagePrincipal, uow: UowFactory, csrf: Csrf = "",
    incident_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    staff_only(me)
    chosen = optional_id(incident_id, "incident_id")
    if chosen is None:
        raise ValidationFailed("no incident chosen", fields={"incident_id": "required"})
    async with uow() as u:
        await incidents.link_tickets(u, me, chosen, [ticket_id])
    return RedirectResponse(f"/agent/tickets/{ticket_id}", status_code=303)


@panel("_incident_panel.html", order=20)
async def incident_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    """The incident this case belongs to (the open one, else the last), its latest update and
    a way out; or, for an active case in none, a form to join an open incident."""
    if not me.role.is_staff:
        return None
    held = await incidents.incidents_of_ticket(uow, me, ticket)
    current: Incident | None = held[0] if held else None
    can_work = me.can(Permission.WORK_TICKETS)
    open_ones: list[Incident] = []
    if (current is None or current.status != incidents.OPEN) and can_work and ticket.status.is_active:
        open_ones = [r.incident for r in await incidents.list_incidents(uow, me, status=incidents.OPEN)]
    if current is None and not open_ones:
        return None
    updates = await incidents.list_updates(uow, me, current.id) if current is not None else []
    return {
        "incident": current, "latest": updates[0] if updates else None, "updates": len(updates),
        "open_incidents": open_ones, "can_work": can_work,
    }  # fmt: skip
