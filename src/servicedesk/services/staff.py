"""Staff accounts, teams and departments (admin work)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from servicedesk.domain.errors import Conflict, NotFound, ValidationFailed
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.services.access import require
from servicedesk.services.auth import hash_password
from servicedesk.store.models import AgentSkill, Department, Team, TeamMember, User
from servicedesk.store.uow import UnitOfWork

MIN_PASSWORD = 8
WITH_TEAMS_AND_SKILLS = (selectinload(User.memberships), selectinload(User.skills))


def _user_snapshot(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role.value,
        "is_active": user.is_active,
        "team_ids": sorted(m.team_id for m in user.memberships),
    }


async def create_user(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    email: str,
    name: str,
    role: Role,
    password: str | None = None,
    team_ids: Iterable[int] = (),
    skills: Mapping[str, int] | None = None,
    locale: str = "zh",
    commit: bool = True,
) -> User:
    """`actor` None means the system itself (the CLI's createuser, demo data)."""
    if actor is not None:
        require(actor, Permission.MANAGE_STAFF)
    email = email.strip().lower()
    if password is not None and len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            "password too short", fields={"password": f"at least {MIN_PASSWORD} characters"}
        )
    if await uow.session.scalar(select(User.id).where(User.email == email)):
        raise Conflict(f"a user with email {email} exists", fields={"email": "already taken"})
    user = User(
        email=email, name=name.strip(), role=role, locale=locale, is_active=True,
        password_hash=hash_password(password) if password else None, created_at=uow.now(),
        memberships=[TeamMember(team_id=t) for t in await _existing_teams(uow, team_ids)],
        skills=[AgentSkill(skill=s, level=lvl) for s, lvl in (skills or {}).items()],
    )  # fmt: skip
    uow.session.add(user)
    await uow.session.flush()
    uow.record(actor, "user.created", subject_type="user", subject_id=user.id, after=_user_snapshot(user))
    if commit:
        await uow.commit()
    return user


async def _existing_teams(uow: UnitOfWork, team_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(team_ids))
    if not wanted:
        return []
    found = set(await uow.session.scalars(select(Team.id).where(Team.id.in_(wanted))))
    missing = [t for t in wanted if t not in found]
    if missing:
        raise ValidationFailed("unknown team", fields={"team_ids": f"no teams {missing}"})
    return wanted


async def update_user(uow: UnitOfWork, actor: Principal, user_id: int, *, changes: Mapping[str, Any]) -> User:
    require(actor, Permission.MANAGE_STAFF)
    user = await _load_user(uow, user_id)
    before = _user_snapshot(user)
    for field, value in changes.items():
        if field == "team_ids":
            teams = await _existing_teams(uow, value)
            user.memberships = [TeamMember(team_id=t) for t in teams]
        elif field == "password":
            user.password_hash = hash_password(value)
        else:
            setattr(user, field, value)
    after = _user_snapshot(user)
    changed = [f for f in after if before[f] != after[f]]
    if changed or "password" in changes:
        uow.record(
            actor, "user.updated", subject_type="user", subject_id=user.id,
            before={f: before[f] for f in changed},
            after={f: after[f] for f in changed} | _password_note(changes),
        )  # fmt: skip
        await uow.commit()
    return user


@cache
def time_zones() -> frozenset[str]:
    """Every IANA zone name this machine knows (read once: the scan takes tens of milliseconds)."""
    return frozenset(available_timezones())


async def update_own_settings(uow: UnitOfWork, actor: Principal, *, time_zone: str) -> User:
    """What everyone, customers too, sets for themselves (R-PE-2): the time zone they read
    times in. Committed and audited."""
    zone = time_zone.strip()
    if zone not in time_zones():
        raise ValidationFailed("unknown time zone", fields={"time_zone": "an IANA zone, e.g. Asia/Shanghai"})
    user = await _load_user(uow, actor.user_id)
    if user.time_zone != zone:
        before, user.time_zone = user.time_zone, zone
        uow.record(
            actor, "user.settings_changed", subject_type="user", subject_id=user.id,
            before={"time_zone": before}, after={"time_zone": zone},
        )  # fmt: skip
        await uow.commit()
    return user


def _password_note(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {"password": "changed"} if "password" in changes else {}


async def list_users(uow: UnitOfWork, actor: Principal, *, staff_only: bool = True) -> list[User]:
    require(actor, Permission.MANAGE_STAFF)
    stmt = select(User).options(*WITH_TEAMS_AND_SKILLS).order_by(User.id)
    if staff_only:
        stmt = stmt.where(User.role != Role.CUSTOMER)
    return list(await uow.session.scalars(stmt))


async def get_user(uow: UnitOfWork, actor: Principal, user_id: int) -> User:
    require(actor, Permission.MANAGE_STAFF)
    return await _load_user(uow, user_id)


async def _load_user(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id, options=WITH_TEAMS_AND_SKILLS)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


async def create_team(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    name: str,
    department_id: int | None = None,
    tier: int = 1,
    commit: bool = True,
) -> Team:
    if actor is not None:
        require(actor, Permission.MANAGE_STAFF)
    if await uow.session.scalar(select(Team.id).where(Team.name == name.strip())):
        raise Conflict(f"team {name} exists", fields={"name": "already taken"})
    if department_id is not None and await uow.session.get(Department, department_id) is None:
        raise ValidationFailed("unknown department", fields={"department_id": "no such department"})
    team = Team(name=name.strip(), department_id=department_id, tier=tier, created_at=uow.now())
    uow.session.add(team)
    await uow.session.flush()
    uow.record(
        actor, "team.created", subject_type="team", subject_id=team.id,
        after={"name": team.name, "department_id": department_id, "tier": tier},
    )  # fmt: skip
    if commit:
        await uow.commit()
    return team


async def list_teams(uow: UnitOfWork, actor: Principal) -> list[Team]:
    """Every signed-in staff member may list teams (to assign and filter); customers may not."""
    if not actor.role.is_staff:
        raise NotFound("not found")
    return list(await uow.session.scalars(select(Team).order_by(Team.id)))


async def create_department(
    uow: UnitOfWork, actor: Principal | None, *, name: str, commit: bool = True
) -> Department:
    if actor is not None:
        require(actor, Permission.MANAGE_STAFF)
    if await uow.session.scalar(select(Department.id).where(Department.name == name.strip())):
        raise Conflict(f"department {name} exists", fields={"name": "already taken"})
    department = Department(name=name.strip(), created_at=uow.now())
    uow.session.add(department)
    await uow.session.flush()
    uow.record(
        actor, "department.created", subject_type="department", subject_id=department.id,
        after={"name": department.name},
    )  # fmt: skip
    if commit:
        await uow.commit()
    return department


async def list_departments(uow: UnitOfWork, actor: Principal) -> list[Department]:
    if not actor.role.is_staff:
        raise NotFound("not found")
    return list(await uow.session.scalars(select(Department).order_by(Department.id)))


async def list_agents(uow: UnitOfWork, actor: Principal) -> list[User]:
    """Active staff who can be assigned tickets, for assignee pickers."""
    if not actor.role.is_staff:
        raise NotFound("not found")
    workers = [r for r in Role if r.is_staff and r is not Role.QUALITY_INSPECTOR]
    stmt = (
        select(User)
        .options(*WITH_TEAMS_AND_SKILLS)
        .where(User.role.in_(workers), User.is_active)
        .order_by(User.name)
    )
    return list(await uow.session.scalars(stmt))


async def names_of(uow: UnitOfWork, user_ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of staff (or any users) by id, in one read; unknown ids are left out."""
    wanted = sorted({i for i in user_ids if i is not None})
    if not wanted:
        return {}
    rows = await uow.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}
