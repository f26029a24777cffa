"""The customer's history for the agent (R-IN-2): a panel on the ticket page, the whole history
page by page, and any other case of the same customer read-only — all read through the case
being handled (`services.customer_history`), so what one may read follows that case.

A case of another team opens here read-only, not on its own ticket page: reading the story is
part of serving the customer in front of you; working another team's case is that team's.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from servicedesk.domain.catalog import Channel
from servicedesk.domain.pii import mask_phone
from servicedesk.domain.roles import Principal
from servicedesk.services import customer_history as history
from servicedesk.services.access import access_ticket_by_id
from servicedesk.services.connectors import ORDER_STATUS_LABELS
from servicedesk.store.models import Customer, Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, staff_only
from servicedesk.web.pages.ticket_panels import panel

router = APIRouter(prefix="/agent")
PANEL_ENTRIES = 8
PANEL_LINES = 3  # each case's latest messages in the panel; the read-only view has them all
FULL_PAGE = 20


@panel("_customer_history.html", order=5)
async def history_panel(uow: UnitOfWork, me: Principal, ticket: Ticket) -> dict[str, Any] | None:
    if not me.role.is_staff:
        return None
    found = await history.customer_history(
        uow, me, ticket.id, limit=PANEL_ENTRIES, lines_per_case=PANEL_LINES
    )
    return {"history": found, "identities": identities(found.customer), "order_labels": ORDER_STATUS_LABELS}


@router.get("/tickets/{ticket_id}/history")
async def history_page(
    ticket_id: int,
    request: Request,
    me: PagePrincipal,
    uow: UowFactory,
    before: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        found = await history.customer_history(u, me, ticket_id, before=before, limit=FULL_PAGE)
        context = {
            "ticket": await access_ticket_by_id(u, me, ticket_id),
            "history": found,
            "identities": identities(found.customer),
            "order_labels": ORDER_STATUS_LABELS,
            "first_page": before is None,
        }
        return render_page(request, "customer_history.html", me, context)


@router.get("/tickets/{ticket_id}/history/{case_id}")
async def case_page(
    ticket_id: int, case_id: int, request: Request, me: PagePrincipal, uow: UowFactory
) -> Response:
    staff_only(me)
    async with uow(write=False) as u:
        view = await history.case_through(u, me, ticket_id, case_id)
        context = {"handled": view.handled, "customer": view.customer, "entry": view.entry}
        return render_page(request, "history_case.html", me, context)


def identities(customer: Customer) -> list[tuple[Channel, str, bool]]:
    """How each channel knows the customer, masked as everywhere (phone numbers); an opaque
    channel id (a WeChat openid) says nothing to a person and is left out."""
    shown = []
    for i in customer.identities:
        if i.channel is Channel.PHONE:
            value = mask_phone(i.external_id)
        elif i.channel is Channel.EMAIL:
            value = i.external_id
        else:
            value = ""
        shown.append((i.channel, value, i.verified))
    return shown
