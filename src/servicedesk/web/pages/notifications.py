"""A staff member's notifications: SLA warnings and breaches, escalations to their team."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from servicedesk.domain.delivery import DeliveryProblem
from servicedesk.domain.labels import label
from servicedesk.domain.sla import SlaMetric
from servicedesk.services import notifications
from servicedesk.store.models import Ticket
from servicedesk.store.sla import Notification
from servicedesk.web.deps import UowFactory
from servicedesk.web.i18n import locale_of, translate
from servicedesk.web.pages.present import render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf, staff_only
from servicedesk.web.templating import local_time, viewer_zone

router = APIRouter(prefix="/agent/notifications")


def notification_text(n: Notification, subject: str, locale: str, tz: str) -> str:
    data: Mapping[str, Any] = n.data
    metric = data.get("metric")
    due, expected = data.get("due_at"), data.get("expected_at")
    values = {
        "ticket": f"#{n.ticket_id}" if n.ticket_id else "",
        "subject": subject,
        "metric": label(SlaMetric(metric), locale) if metric in set(SlaMetric) else "",
        "due": local_time(datetime.fromisoformat(due), tz) if isinstance(due, str) else "",
        "expected": local_time(datetime.fromisoformat(expected), tz)
        if isinstance(expected, str)
        else translate("n_nobody_expected", locale),
        "tier": str(data.get("tier", "")),
        "team": str(data.get("team", "")),
        "reason": str(data.get("reason", "")),
    }
    if data.get("problem") in set(DeliveryProblem):  # a message that did not reach the customer
        values["reason"] = label(DeliveryProblem(data["problem"]), locale)
    return translate("n_" + n.kind.replace(".", "_"), locale).format(**values)


@router.get("")
async def notifications_page(request: Request, me: PagePrincipal, uow: UowFactory) -> Response:
    staff_only(me)
    locale, tz = locale_of(request), viewer_zone(request, me)
    async with uow(write=False) as u:
        rows = await notifications.list_notifications(u, me, limit=100)
        ids = {n.ticket_id for n in rows if n.ticket_id is not None}
        subjects = dict(
            (await u.session.execute(select(Ticket.id, Ticket.subject).where(Ticket.id.in_(ids)))).all()
        )
    items = [(n, notification_text(n, subjects.get(n.ticket_id or 0, ""), locale, tz)) for n in rows]
    return render_page(request, "notifications.html", me, {"items": items})


@router.get("/{notification_id}/open")
async def open_notification(notification_id: int, me: PagePrincipal, uow: UowFactory) -> Response:
    """Follow a notification to its case, marking it read on the way (as a mail client does);
    someone else's notification does not exist."""
    staff_only(me)
    async with uow() as u:
        found = await notifications.open_notification(u, me, notification_id)
    target = f"/agent/tickets/{found.ticket_id}" if found.ticket_id else "/agent/notifications"
    return RedirectResponse(target, status_code=303)


@router.post("/read")
async def mark_all_read(
    request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf)
    staff_only(me)
    async with uow() as u:
        await notifications.mark_read(u, me)
    return RedirectResponse("/agent/notifications", status_code=303)
