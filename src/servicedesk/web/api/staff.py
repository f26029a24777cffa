"""Staff accounts, teams and departments (admins); team and agent lists for every staff member."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from servicedesk.services import staff as svc
from servicedesk.services.auth import PrincipalCache
from servicedesk.web.api.schemas import (
    DepartmentCreate,
    DepartmentOut,
    TeamCreate,
    TeamOut,
    UserCreate,
    UserOut,
    UserUpdate,
)
from servicedesk.web.deps import CurrentPrincipal, UowFactory, get_principal_cache

router = APIRouter(tags=["staff"])


@router.get("/staff/users", response_model=list[UserOut])
async def list_users(principal: CurrentPrincipal, uow: UowFactory) -> list[UserOut]:
    async with uow(write=False) as u:
        return [UserOut.of(x) for x in await svc.list_users(u, principal)]


@router.post("/staff/users", response_model=UserOut, status_code=201)
async def create_user(body: UserCreate, principal: CurrentPrincipal, uow: UowFactory) -> UserOut:
    async with uow() as u:
        return UserOut.of(await svc.create_user(u, principal, **body.model_dump()))


@router.get("/staff/users/{user_id}", response_model=UserOut)
async def get_user(user_id: int, principal: CurrentPrincipal, uow: UowFactory) -> UserOut:
    async with uow(write=False) as u:
        return UserOut.of(await svc.get_user(u, principal, user_id))


@router.patch("/staff/users/{user_id}", response_model=UserOut)
async def update_user(
    user_id: int,
    body: UserUpdate,
    principal: CurrentPrincipal,
    uow: UowFactory,
    cache: Annotated[PrincipalCache, Depends(get_principal_cache)],
) -> UserOut:
    async with uow() as u:
        changes = body.model_dump(exclude_unset=True)
        user = await svc.update_user(u, principal, user_id, changes=changes)
    cache.clear()  # a role, team or activation change applies to this process at once
    return UserOut.of(user)


@router.get("/staff/agents", response_model=list[UserOut])
async def list_agents(principal: CurrentPrincipal, uow: UowFactory) -> list[UserOut]:
    async with uow(write=False) as u:
        return [UserOut.of(x) for x in await svc.list_agents(u, principal)]


@router.get("/teams", response_model=list[TeamOut])
async def list_teams(principal: CurrentPrincipal, uow: UowFactory) -> list[TeamOut]:
    async with uow(write=False) as u:
        return [TeamOut.model_validate(t, from_attributes=True) for t in await svc.list_teams(u, principal)]


@router.post("/teams", response_model=TeamOut, status_code=201)
async def create_team(body: TeamCreate, principal: CurrentPrincipal, uow: UowFactory) -> TeamOut:
    async with uow() as u:
        team = await svc.create_team(u, principal, **body.model_dump())
        return TeamOut.model_validate(team, from_attributes=True)


@router.get("/departments", response_model=list[DepartmentOut])
async def list_departments(principal: CurrentPrincipal, uow: UowFactory) -> list[DepartmentOut]:
    async with uow(write=False) as u:
        found = await svc.list_departments(u, principal)
        return [DepartmentOut.model_validate(d, from_attributes=True) for d in found]


@router.post("/departments", response_model=DepartmentOut, status_code=201)
async def create_department(
    body: DepartmentCreate, principal: CurrentPrincipal, uow: UowFactory
) -> DepartmentOut:
    async with uow() as u:
        department = await svc.create_department(u, principal, **body.model_dump())
        return DepartmentOut.model_validate(department, from_attributes=True)
