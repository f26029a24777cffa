"""When the service centre is staffed (R-IN-5), read from one place: the business calendar its
SLA policies run on.

"The service calendar" is the calendar of the policy a regular customer's plain web-chat
question falls under (the seeds' 客服中心, through the catch-all 普通咨询): the hours the
deadlines count in are then, by construction, the hours the chat's notices name, the hours
agents without their own shift work, and the hours the queue's estimates count in. An admin who
points that policy at another calendar, or edits it, moves all of them at once. Until a calendar
exists (a fresh database before `sla_defaults.ensure_defaults`), the settings' seed stands in:
the same every-day window `install_defaults` will write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import select

from servicedesk.domain.calendars import BusinessCalendar
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.sla import CaseFacts, select_policy
from servicedesk.services.sla import calendar_of, terms_of
from servicedesk.settings import Settings
from servicedesk.store.sla import CalendarRow, SlaPolicyRow
from servicedesk.store.uow import UnitOfWork

REFERENCE_CASE = CaseFacts(
    tier=CustomerTier.REGULAR.value, type=TicketType.CONSULTATION.value, priority=Priority.LOW.value,
    channel=Channel.WEB_CHAT.value,
)  # fmt: skip
_MIDNIGHT = time(0)


@dataclass(frozen=True, slots=True)
class ServiceHours:
    """The service calendar and where it came from (`calendar_id` None: the settings' seed)."""

    calendar: BusinessCalendar
    calendar_id: int | None = None
    name: str | None = None

    def is_open(self, at: datetime) -> bool:
        return self.calendar.is_open(at)

    def next_open(self, at: datetime) -> datetime:
        return self.calendar.next_open(at)

    def describe(self, locale: str) -> str:
        return self.calendar.describe(locale)

    def hours_text(self, locale: str) -> str:
        """The hours as the scripts' `{service_hours}` reads them. The scripts say 每天 / daily
        themselves, so a week of equal days is just its hours (08:00–22:00), with the holidays
        named when they are closed; any other week is described whole."""
        week = self.calendar.week
        if len(set(week)) != 1 or not week[0]:
            return self.describe(locale)
        text = ", ".join(
            f"{start:%H:%M}–{'24:00' if end == _MIDNIGHT else f'{end:%H:%M}'}" for start, end in week[0]
        )
        if self.calendar.holidays:
            text += "（节假日除外）" if locale.startswith("zh") else " (closed on holidays)"
        return text


def seed_spec(settings: Settings) -> str:
    """The service calendar's hours on a new installation: R-IN-5's 08:00–22:00 by default."""
    typed = f"daily {settings.service_opens:%H:%M}-{settings.service_closes:%H:%M}"
    return BusinessCalendar.parse(typed).spec()  # as the admin page writes it: 00:00-00:00 is 24:00


def seed(settings: Settings) -> ServiceHours:
    return ServiceHours(BusinessCalendar.parse(seed_spec(settings), time_zone=settings.default_time_zone))


async def current(uow: UnitOfWork) -> ServiceHours:
    """The service calendar now: one read of the active policies with their calendars."""
    rows = (
        await uow.session.execute(
            select(SlaPolicyRow, CalendarRow)
            .join(CalendarRow, CalendarRow.id == SlaPolicyRow.calendar_id)
            .where(SlaPolicyRow.active.is_(True))
            .order_by(SlaPolicyRow.position, SlaPolicyRow.id)
        )
    ).all()
    chosen = select_policy([terms_of(policy) for policy, _ in rows], REFERENCE_CASE)
    if chosen is None:
        return seed(uow.settings)
    row = next(calendar for policy, calendar in rows if policy.id == chosen.id)
    return ServiceHours(calendar_of(row), row.id, row.name)
