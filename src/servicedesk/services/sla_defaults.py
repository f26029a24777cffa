"""The response-time standard the seeds set (R-SLA-1), installed once on a new installation:
emergencies first, then VIP customers and complaints (15 minutes to a first response), email
(24 hours), and everything else (1 hour). A bot hand-off promises a person within 10 minutes,
an escalation an expert's solution within 24 hours, a collaboration request an answer within
24 hours — in every policy.

The service calendar (客服中心) is open 08:00–22:00 every day, public holidays included (R-IN-5);
an admin decides whether holidays are staffed.

Admins change all of it afterwards; this runs only while no calendar exists at all, so deleted
policies do not come back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from servicedesk.domain.catalog import Channel, Priority
from servicedesk.domain.errors import Conflict
from servicedesk.domain.sla import VIP, SlaMetric
from servicedesk.services.service_hours import seed_spec
from servicedesk.store.db import Database
from servicedesk.store.sla import CalendarRow, SlaPolicyRow
from servicedesk.store.uow import UnitOfWork

SERVICE_CALENDAR = "客服中心"
ROUND_THE_CLOCK = "全天候"
COMPLAINT_TAGS = ["complaint", "投诉", "intent-complaint"]

_M = SlaMetric
_EVERY_POLICY = {_M.HANDOFF_CONTACT: 10, _M.EXPERT_SOLUTION: 24 * 60, _M.COLLABORATION_REPLY: 24 * 60}


def _targets(first: int, next_reply: int, resolution: int, **overrides: int) -> dict[str, int]:
    targets = {_M.FIRST_RESPONSE: first, _M.NEXT_REPLY: next_reply, _M.RESOLUTION: resolution}
    merged = {**_EVERY_POLICY, **targets, **{_M(k): v for k, v in overrides.items()}}
    return {k.value: v for k, v in merged.items()}


# name, conditions, targets in business minutes, calendar
POLICIES: list[tuple[str, dict[str, list[str]], dict[str, int], str]] = [
    ("特急与紧急", {"priorities": [Priority.HIGH.value]},
     _targets(5, 30, 4 * 60, handoff_contact=5, expert_solution=4 * 60), SERVICE_CALENDAR),
    ("VIP 客户", {"tiers": [VIP]}, _targets(15, 30, 24 * 60), SERVICE_CALENDAR),
    ("投诉", {"tags": COMPLAINT_TAGS}, _targets(15, 60, 24 * 60), SERVICE_CALENDAR),
    ("邮件", {"channels": [Channel.EMAIL.value]}, _targets(24 * 60, 24 * 60, 72 * 60), ROUND_THE_CLOCK),
    ("普通咨询", {}, _targets(60, 4 * 60, 48 * 60), SERVICE_CALENDAR),
]  # fmt: skip


async def install_defaults(uow: UnitOfWork) -> None:
    """Two calendars and the policies above; not committed."""
    now = uow.now()
    calendars = {
        SERVICE_CALENDAR: CalendarRow(  # R-IN-5: every day, public holidays included
            name=SERVICE_CALENDAR, time_zone=uow.settings.default_time_zone, hours=seed_spec(uow.settings),
            holidays=[], workdays=[], china_official=True, holidays_staffed=True, created_at=now,
            updated_at=now,
        ),
        ROUND_THE_CLOCK: CalendarRow(
            name=ROUND_THE_CLOCK, time_zone=uow.settings.default_time_zone, hours="daily 00:00-24:00",
            holidays=[], workdays=[], china_official=False, created_at=now, updated_at=now,
        ),
    }  # fmt: skip
    uow.session.add_all(calendars.values())
    await uow.session.flush()
    for position, (name, conditions, targets, calendar) in enumerate(POLICIES, start=1):
        uow.session.add(_policy(name, position, calendars[calendar].id, conditions, targets, uow))


def _policy(
    name: str, position: int, calendar_id: int, conditions: dict[str, list[str]], targets: dict[str, int],
    uow: UnitOfWork,
) -> SlaPolicyRow:  # fmt: skip
    fields: dict[str, Any] = {
        k: conditions.get(k, []) for k in ("tiers", "types", "priorities", "channels", "tags")
    }
    now = uow.now()
    return SlaPolicyRow(
        name=name, position=position, active=True, calendar_id=calendar_id, targets=targets,
        created_at=now, updated_at=now, **fields,
    )  # fmt: skip


async def ensure_defaults(db: Database) -> bool:
    """Install the defaults on an installation that has no calendar yet; True if it did. Two
    processes starting together meet at the unique calendar name; the loser finds it done."""
    async with UnitOfWork(db) as uow:
        if await uow.session.scalar(select(func.count()).select_from(CalendarRow)):
            return False
        await install_defaults(uow)
        try:
            await uow.commit()
        except Conflict:
            return False
    return True
