"""Request dependencies: the unit of work and who is calling.

Two ways in: a bearer token (integrations) or the signed session cookie (pages). A cookie alone
never authorises an unsafe API call — that also needs the session's CSRF token in
`X-CSRF-Token` — so another site cannot make a signed-in browser change anything.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from servicedesk.domain.roles import Principal
from servicedesk.services.auth import PrincipalCache, principal_by_user_id, principal_for_token
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_USER = "uid"
SESSION_CSRF = "csrf"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uow_factory(db: Annotated[Database, Depends(get_db)]) -> Callable[..., UnitOfWork]:
    def make(*, write: bool = True) -> UnitOfWork:
        return UnitOfWork(db, write=write)

    return make


UowFactory = Annotated[Callable[..., UnitOfWork], Depends(get_uow_factory)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get(SESSION_CSRF)
    if not token:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return str(token)


def csrf_ok(request: Request, supplied: str | None) -> bool:
    expected = request.session.get(SESSION_CSRF)
    return bool(expected and supplied and hmac.compare_digest(str(expected), supplied))


def get_principal_cache(request: Request) -> PrincipalCache:
    cache: PrincipalCache = request.app.state.principals
    return cache


async def optional_principal(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    cache: Annotated[PrincipalCache, Depends(get_principal_cache)],
) -> Principal | None:
    """The caller, or None when anonymous; an invalid bearer token is an error, not anonymity."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw:
            raise HTTPException(401, "use 'Authorization: Bearer <token>'")
        key = PrincipalCache.token_key(raw.strip())
        principal = cache.get(key)
        if principal is None:
            async with UnitOfWork(db, write=False) as uow:
                principal = await principal_for_token(uow, raw.strip())
            if principal is None:
                raise HTTPException(401, "invalid or revoked token")
            cache.put(key, principal)
        return principal
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        return None
    principal = cache.get(PrincipalCache.user_key(user_id))
    if principal is None:
        async with UnitOfWork(db, write=False) as uow:
            principal = await principal_by_user_id(uow, user_id)
        if principal is None:
            request.session.clear()
            return None
        cache.put(PrincipalCache.user_key(user_id), principal)
    return principal


async def api_principal(
    request: Request, principal: Annotated[Principal | None, Depends(optional_principal)]
) -> Principal:
    if principal is None:
        raise HTTPException(401, "sign in or send a bearer token")
    uses_cookie = not request.headers.get("authorization")
    if (
        uses_cookie
        and request.method not in SAFE_METHODS
        and not csrf_ok(request, request.headers.get("x-csrf-token"))
    ):
        raise HTTPException(403, "missing or wrong X-CSRF-Token for a cookie-authenticated call")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(api_principal)]
MaybePrincipal = Annotated[Principal | None, Depends(optional_principal)]
