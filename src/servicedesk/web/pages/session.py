"""Sign-in and sign-out, the language switch, the error page, and page-level guards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from servicedesk.domain.errors import Forbidden, NotFound, TooManyAttempts
from servicedesk.domain.roles import Principal, Role
from servicedesk.services.auth import authenticate, principal_by_user_id
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.deps import (
    SESSION_USER,
    MaybePrincipal,
    UowFactory,
    csrf_ok,
)
from servicedesk.web.i18n import LOCALE_COOKIE, locale_of, translate
from servicedesk.web.templating import render

router = APIRouter()


class LoginRequired(Exception):
    """Raised by page guards; answered with a redirect to the sign-in page."""


def home_for(principal: Principal) -> str:
    return "/help" if principal.role is Role.CUSTOMER else "/agent"


async def page_principal(principal: MaybePrincipal) -> Principal:
    if principal is None:
        raise LoginRequired
    return principal


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def check_csrf(request: Request, supplied: str | None) -> None:
    if not csrf_ok(request, supplied):
        raise Forbidden(translate("csrf_failed", locale_of(request)))


async def _signed_in(request: Request) -> Principal | None:
    """Who the error page is for, so it keeps the header; None when unknown."""
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    async with UnitOfWork(request.app.state.db, write=False) as uow:
        return await principal_by_user_id(uow, user_id)


async def render_error_page(request: Request, status: int, message: str, fields: dict[str, str]) -> Response:
    me = await _signed_in(request)
    context = {"status": status, "message": message, "fields": fields, "me": me}
    return render(request, "error.html", context, status)


@router.get("/")
async def root(principal: MaybePrincipal) -> Response:
    return RedirectResponse(home_for(principal) if principal else "/login", status_code=303)


@router.get("/login")
async def login_form(request: Request, principal: MaybePrincipal, next: str = "") -> Response:
    if principal is not None:
        return RedirectResponse(home_for(principal), status_code=303)
    return render(request, "login.html", {"next": next, "failed": False, "email": "", "me": None})


@router.post("/login")
async def login(
    request: Request,
    uow: UowFactory,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request, csrf)
    address = request.client.host if request.client else None
    try:
        async with uow() as u:
            principal = await authenticate(u, email=email, password=password, address=address)
    except TooManyAttempts as locked:
        context = {"next": next, "failed": False, "locked": locked.retry_after, "email": email, "me": None}
        response = render(request, "login.html", context, status_code=429)
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    if principal is None:
        context = {"next": next, "failed": True, "email": email, "me": None}
        return render(request, "login.html", context, status_code=401)
    request.session.clear()  # a fresh session (and CSRF token) on every sign-in
    request.session[SESSION_USER] = principal.user_id
    safe_next = next if next.startswith("/") and not next.startswith("//") else ""
    return RedirectResponse(safe_next or home_for(principal), status_code=303)


@router.post("/logout")
async def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/lang/{locale}")
async def switch_language(locale: str, request: Request) -> Response:
    referer = request.headers.get("referer", "/")
    target = referer if referer.startswith(str(request.base_url)) else "/"
    response = RedirectResponse(target, status_code=303)
    if locale in ("zh", "en"):
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


def staff_only(me: Principal) -> None:
    """Staff pages answer a signed-in customer with "not found", as if they did not exist."""
    if not me.role.is_staff:
        raise NotFound("not found")
