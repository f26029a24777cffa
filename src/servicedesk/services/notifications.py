"""Staff notifications: who must know about a case (its assignee, else the team's leads, else
the supervisors), and their unread list."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update

from servicedesk.domain.errors import NotFound
from servicedesk.domain.roles import Principal, Role
from servicedesk.store.models import TeamMember, Ticket, User
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork


def notify(
    uow: UnitOfWork, user_ids: Iterable[int], kind: str, *, ticket_id: int | None, data: dict[str, Any]
) -> list[Notification]:
    """One notification per distinct person, in the caller's transaction."""
    rows = [
        Notification(user_id=u, kind=kind, ticket_id=ticket_id, data=data, created_at=uow.now())
        for u in dict.fromkeys(user_ids)
    ]
    uow.session.add_all(rows)
    return rows


async def supervisors(uow: UnitOfWork) -> list[int]:
    rows = await uow.session.scalars(
        select(User.id).where(User.role == Role.SUPERVISOR, User.is_active.is_(True)).order_by(User.id)
    )
    return list(rows)


async def leads_of(uow: UnitOfWork, team_id: int | None) -> list[int]:
    """The team's leads; the supervisors when the team has none (or the case has no team)."""
    if team_id is not None:
        leads = await uow.session.scalars(
            select(TeamMember.user_id)
            .join(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id == team_id, TeamMember.is_lead.is_(True), User.is_active.is_(True))
            .order_by(TeamMember.user_id)
        )
        found = list(leads)
        if found:
            return found
    return await supervisors(uow)


async def on_duty_for(uow: UnitOfWork, ticket: Ticket) -> list[int]:
    """Whoever owns the case now: its assignee, else the people who hand it out."""
    if ticket.assignee_id is not None:
        return [ticket.assignee_id]
    return await leads_of(uow, ticket.team_id)


async def unread_count(uow: UnitOfWork, actor: Principal) -> int:
    count = await uow.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


async def list_notifications(uow: UnitOfWork, actor: Principal, *, limit: int = 50) -> list[Notification]:
    rows = await uow.session.scalars(
        select(Notification)
        .where(Notification.user_id == actor.user_id)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(rows)


async def mark_read(uow: UnitOfWork, actor: Principal, ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications (or all) of `actor` read; another person's are untouched."""
    statement = update(Notification).where(
        Notification.user_id == actor.user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    result = await uow.session.execute(statement.values(read_at=uow.now()))
    await uow.commit()
    return int(getattr(result, "rowcount", 0) or 0)


async def open_notification(uow: UnitOfWork, actor: Principal, notification_id: int) -> Notification:
    """`actor`'s own notification, marked read (committed); NotFound for anyone else's."""
    found = await uow.session.get(Notification, notification_id)
    if found is None or found.user_id != actor.user_id:
        raise NotFound(f"notification {notification_id} not found")
    if found.read_at is None:
        found.read_at = uow.now()
        await uow.commit()
    return found
