"""Exchange credentials for a bearer token; tell callers who they are."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, HTTPException, Request

from servicedesk.domain.roles import Principal
from servicedesk.services.auth import authenticate, issue_token
from servicedesk.services.staff import update_own_settings
from servicedesk.web.api.schemas import MeOut, MeUpdate, TokenOut, TokenRequest
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["auth"])


def me_of(p: Principal) -> MeOut:
    return MeOut(
        user_id=p.user_id, name=p.name, role=p.role,
        team_ids=sorted(p.team_ids), customer_id=p.customer_id, time_zone=p.time_zone,
    )  # fmt: skip


@router.post("/auth/token", response_model=TokenOut, status_code=201)
async def create_token(body: TokenRequest, uow: UowFactory, request: Request) -> TokenOut:
    """A bearer token for valid credentials; 429 with Retry-After once an account (or an address)
    has failed too often."""
    address = request.client.host if request.client else None
    async with uow() as u:
        principal = await authenticate(u, email=body.email, password=body.password, address=address)
        if principal is None:
            raise HTTPException(401, "wrong email or password")
        token = await issue_token(u, user_id=principal.user_id, name=body.name)
        await u.commit()
    return TokenOut(token=token, me=me_of(principal))


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal) -> MeOut:
    return me_of(principal)


@router.patch("/me", response_model=MeOut)
async def update_me(body: MeUpdate, principal: CurrentPrincipal, uow: UowFactory, request: Request) -> MeOut:
    async with uow() as u:
        user = await update_own_settings(u, principal, time_zone=body.time_zone)
    request.app.state.principals.clear()  # this process answers with the new zone at once
    return me_of(replace(principal, time_zone=user.time_zone))
