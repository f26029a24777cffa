"""Editing the service standard: business calendars and SLA policies. Supervisors and admins
only; every change is audited. A policy is retired (inactive), never deleted, because the
clocks it started still name it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.errors import NotFound, ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.domain.sla import VIP, SlaMetric
from servicedesk.domain.text import one_line
from servicedesk.services.access import require
from servicedesk.services.tickets import normalize_tags
from servicedesk.store.sla import CalendarRow, SlaPolicyRow
from servicedesk.store.uow import UnitOfWork

MAX_TARGET_MINUTES = 365 * 24 * 60
_Row = TypeVar("_Row", CalendarRow, SlaPolicyRow)
_ALLOWED: dict[str, frozenset[str]] = {
    "tiers": frozenset([VIP, *CustomerTier]),
    "types": frozenset(TicketType),
    "priorities": frozenset(Priority),
    "channels": frozenset(Channel),
}


@dataclass(frozen=True, slots=True)
class CalendarContent:
    name: str
    hours: str
    time_zone: str = "Asia/Shanghai"
    holidays: Sequence[str] = ()
    workdays: Sequence[str] = ()
    china_official: bool = True
    holidays_staffed: bool = False  # people work on public holidays as on other days


@dataclass(frozen=True, slots=True)
class PolicyContent:
    name: str
    calendar_id: int
    position: int = 100
    active: bool = True
    tiers: Sequence[str] = ()
    types: Sequence[str] = ()
    priorities: Sequence[str] = ()
    channels: Sequence[str] = ()
    tags: Sequence[str] = ()
    targets: Mapping[str, int | None] = field(default_factory=dict)


def _name(value: str) -> str:
    return one_line(value, "name", 100)


def _dates(values: Sequence[str], field_name: str) -> list[str]:
    try:
        return sorted({date.fromisoformat(v.strip()).isoformat() for v in values if v.strip()})
    except ValueError as error:
        raise ValidationFailed(
            "invalid date", fields={field_name: f"dates as YYYY-MM-DD ({error})"}
        ) from error


def checked_calendar(content: CalendarContent) -> CalendarContent:
    try:
        ZoneInfo(content.time_zone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationFailed(
            "unknown time zone", fields={"time_zone": "an IANA zone, e.g. Asia/Shanghai"}
        ) from error
    holidays, workdays = _dates(content.holidays, "holidays"), _dates(content.workdays, "workdays")
    try:
        parsed = BusinessCalendar.parse(content.hours, time_zone=content.time_zone)
    except ValueError as error:
        raise ValidationFailed("invalid opening hours", fields={"hours": str(error)}) from error
    return CalendarContent(
        _name(content.name), parsed.spec(), content.time_zone, holidays, workdays, content.china_official,
        content.holidays_staffed,
    )  # fmt: skip


async def list_calendars(uow: UnitOfWork, actor: Principal) -> list[CalendarRow]:
    require(actor, Permission.WORK_TICKETS)
    return list(await uow.session.scalars(select(CalendarRow).order_by(CalendarRow.id)))


async def save_calendar(
    uow: UnitOfWork, actor: Principal, content: CalendarContent, *, calendar_id: int | None = None
) -> CalendarRow:
    require(actor, Permission.MANAGE_SERVICE_LEVELS)
    content = checked_calendar(content)
    await _unique_name(uow, CalendarRow, content.name, calendar_id)
    now = uow.now()
    row = await _existing(uow, CalendarRow, calendar_id) if calendar_id is not None else None
    before = _calendar_fields(row) if row is not None else None
    if row is None:
        row = CalendarRow(created_at=now)
        uow.session.add(row)
    row.name, row.hours, row.time_zone = content.name, content.hours, content.time_zone
    row.holidays, row.workdays = list(content.holidays), list(content.workdays)
    row.china_official, row.holidays_staffed = content.china_official, content.holidays_staffed
    row.updated_at = now
    await uow.session.flush()
    after = _calendar_fields(row)
    changed = [k for k in after if before is None or before[k] != after[k]]
    uow.record(
        actor, "sla.calendar_saved", subject_type="calendar", subject_id=row.id,
        before={k: before[k] for k in changed} if before is not None else None,
        after={"name": row.name} | {k: after[k] for k in changed},
    )  # fmt: skip
    await uow.commit()
    return row


def _calendar_fields(row: CalendarRow) -> dict[str, Any]:
    """What an edit can change, as the audit event shows it (whether holidays are staffed is
    the decision R-IN-5 leaves to an admin)."""
    return {
        "name": row.name, "hours": row.hours, "time_zone": row.time_zone, "holidays": list(row.holidays),
        "workdays": list(row.workdays), "china_official": row.china_official,
        "holidays_staffed": row.holidays_staffed,
    }  # fmt: skip


async def _existing(uow: UnitOfWork, model: type[_Row], row_id: int) -> _Row:
    row = await uow.session.get(model, row_id)
    if row is None:
        raise NotFound(f"{model.__tablename__} {row_id} not found")
    return row


async def _unique_name(uow: UnitOfWork, model: type[_Row], name: str, row_id: int | None) -> None:
    taken = await uow.session.scalar(select(model.id).where(model.name == name))
    if taken is not None and taken != row_id:
        raise ValidationFailed("name taken", fields={"name": f"{name!r} is already used"})


def checked_policy(content: PolicyContent) -> PolicyContent:
    lists: dict[str, list[str]] = {}
    for name, allowed in _ALLOWED.items():
        values = sorted({v.strip().lower() for v in getattr(content, name) if v.strip()})
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValidationFailed(
                f"unknown {name}",
                fields={name: f"unknown {', '.join(unknown)}; one of {', '.join(sorted(allowed))}"},
            )
        lists[name] = values
    targets: dict[str, int | None] = {}
    for key, minutes in content.targets.items():
        if key not in set(SlaMetric):
            raise ValidationFailed(
                "unknown target", fields={f"targets.{key}": f"one of {', '.join(SlaMetric)}"}
            )
        if minutes is not None and not 1 <= minutes <= MAX_TARGET_MINUTES:
            raise ValidationFailed(
                "invalid target", fields={f"targets.{key}": "1 minute to 1 year, or empty"}
            )
        if minutes is not None:
            targets[key] = minutes
    if not targets:
        raise ValidationFailed("no targets", fields={"targets": "set at least one target"})
    return PolicyContent(
        _name(content.name), content.calendar_id, content.position, content.active,
        tags=normalize_tags(content.tags), targets=targets, **lists,
    )  # fmt: skip


async def get_policy(uow: UnitOfWork, actor: Principal, policy_id: int) -> SlaPolicyRow:
    require(actor, Permission.WORK_TICKETS)
    return await _existing(uow, SlaPolicyRow, policy_id)


async def get_calendar(uow: UnitOfWork, actor: Principal, calendar_id: int) -> CalendarRow:
    require(actor, Permission.WORK_TICKETS)
    return await _existing(uow, CalendarRow, calendar_id)


async def list_policies(uow: UnitOfWork, actor: Principal) -> list[SlaPolicyRow]:
    require(actor, Permission.WORK_TICKETS)
    return list(
        await uow.session.scalars(select(SlaPolicyRow).order_by(SlaPolicyRow.position, SlaPolicyRow.id))
    )


async def save_policy(
    uow: UnitOfWork, actor: Principal, content: PolicyContent, *, policy_id: int | None = None
) -> SlaPolicyRow:
    require(actor, Permission.MANAGE_SERVICE_LEVELS)
    content = checked_policy(content)
    if await uow.session.get(CalendarRow, content.calendar_id) is None:
        raise ValidationFailed(
            "unknown calendar", fields={"calendar_id": f"no calendar {content.calendar_id}"}
        )
    await _unique_name(uow, SlaPolicyRow, content.name, policy_id)
    now = uow.now()
    row = await _existing(uow, SlaPolicyRow, policy_id) if policy_id is not None else None
    if row is None:
        row = SlaPolicyRow(created_at=now)
        uow.session.add(row)
    row.name, row.calendar_id, row.position, row.active = (
        content.name, content.calendar_id, content.position, content.active
    )  # fmt: skip
    row.tiers, row.types, row.priorities = list(content.tiers), list(content.types), list(content.priorities)
    row.channels, row.tags, row.targets = list(content.channels), list(content.tags), dict(content.targets)
    row.updated_at = now
    await uow.session.flush()
    uow.record(
        actor, "sla.policy_saved", subject_type="sla_policy", subject_id=row.id,
        after={"name": row.name, "active": row.active, "position": row.position, "targets": row.targets},
    )  # fmt: skip
    await uow.commit()
    return row
