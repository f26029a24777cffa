"""Exchange credentials for a bearer token; tell callers who they are."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from servicedesk.domain.roles import Principal
from servicedesk.services.auth import authenticate, issue_token
from servicedesk.web.api.schemas import MeOut, TokenOut, TokenRequest
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["auth"])


def me_of(p: Principal) -> MeOut:
    return MeOut(
        user_id=p.user_id, name=p.name, role=p.role,
        team_ids=sorted(p.team_ids), customer_id=p.customer_id,
    )  # fmt: skip


@router.post("/auth/token", response_model=TokenOut, status_code=201)
async def create_token(body: TokenRequest, uow: UowFactory) -> TokenOut:
    async with uow() as u:
        principal = await authenticate(u, email=body.email, password=body.password)
        if principal is None:
            raise HTTPException(401, "wrong email or password")
        token = await issue_token(u, user_id=principal.user_id, name=body.name)
        await u.commit()
    return TokenOut(token=token, me=me_of(principal))


@router.get("/me", response_model=MeOut)
async def me(principal: CurrentPrincipal) -> MeOut:
    return me_of(principal)
