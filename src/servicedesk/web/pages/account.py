"""A person's own settings, for staff and customers alike: the zone they read times in (R-PE-2)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.errors import ValidationFailed
from servicedesk.services import staff
from servicedesk.web.deps import UowFactory
from servicedesk.web.pages.present import problem_text, render_page
from servicedesk.web.pages.session import PagePrincipal, check_csrf
from servicedesk.web.templating import viewer_zone

router = APIRouter(prefix="/account")
# the zones most of our users live in first, then every other one
COMMON = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
          "Europe/Berlin", "America/New_York", "America/Los_Angeles", "UTC")  # fmt: skip


def _page(
    request: Request, me: PagePrincipal, *, saved: bool = False, error: str = "", status: int = 200
) -> Response:
    zones = [*COMMON, *sorted(staff.time_zones() - set(COMMON))]
    context = {"zones": zones, "current": viewer_zone(request, me), "saved": saved, "error": error,
               "now": request.app.state.db.clock()}  # fmt: skip
    return render_page(request, "account.html", me, context, status)


@router.get("")
async def account(request: Request, me: PagePrincipal, saved: bool = False) -> Response:
    return _page(request, me, saved=saved)


@router.post("")
async def save_account(
    request: Request, me: PagePrincipal, uow: UowFactory, csrf: Annotated[str, Form()] = "",
    time_zone: Annotated[str, Form(max_length=64)] = "",
) -> Response:  # fmt: skip
    check_csrf(request, csrf)
    try:
        async with uow() as u:
            await staff.update_own_settings(u, me, time_zone=time_zone)
    except ValidationFailed as refused:
        return _page(request, me, error=problem_text(refused), status=422)
    request.app.state.principals.clear()  # the next page must see the new zone, not a cached one
    return RedirectResponse("/account?saved=1", status_code=303)
