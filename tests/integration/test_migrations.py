"""Migrations that change data as well as schema, run on data an older version could have left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import column, insert, select, table

from servicedesk.domain.catalog import Channel
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade_async
from servicedesk.store.models import Conversation, Customer
from servicedesk.store.sla import CalendarRow
from servicedesk.store.uow import UnitOfWork


async def test_0013_ends_all_but_the_newest_of_duplicate_open_bot_conversations(unmigrated_url: str) -> None:
    await upgrade_async(unmigrated_url, "0012")
    db = Database(Settings(database_url=unmigrated_url, environment="test"))
    try:
        async with UnitOfWork(db) as uow:
            now = uow.now()
            lin = Customer(name="林娜", created_at=now, updated_at=now)
            uow.session.add(lin)
            await uow.session.flush()
            uow.session.add_all(
                Conversation(customer_id=lin.id, channel=channel, started_at=now)
                for channel in (Channel.WEB_CHAT, Channel.WEB_CHAT, Channel.WEB_CHAT, Channel.WECHAT)
            )
            await uow.commit()
        await upgrade_async(unmigrated_url)
        async with UnitOfWork(db, write=False) as uow:
            rows = (await uow.session.execute(
                select(Conversation.id, Conversation.channel, Conversation.ended_at).order_by(Conversation.id)
            )).all()  # fmt: skip
    finally:
        await db.dispose()
    still_open = [(channel, i) for i, channel, ended in rows if ended is None]
    assert still_open == [(Channel.WEB_CHAT, rows[2][0]), (Channel.WECHAT, rows[3][0])]


@pytest.mark.parametrize("edited", [False, True])
async def test_0015_opens_the_untouched_service_calendar_on_public_holidays(
    unmigrated_url: str, edited: bool
) -> None:
    """R-IN-5's default for the calendar as installed; an admin's calendars keep their choice."""
    await upgrade_async(unmigrated_url, "0014")
    db = Database(Settings(database_url=unmigrated_url, environment="test"))
    installed = datetime(2026, 9, 1, tzinfo=UTC)
    names = (
        "name",
        "time_zone",
        "hours",
        "holidays",
        "workdays",
        "china_official",
        "created_at",
        "updated_at",
    )
    model = CalendarRow.__table__.c  # the columns as 0014 left them, with their types
    calendars = table("business_calendars", *(column(n, model[n].type) for n in names))
    row = {"time_zone": "Asia/Shanghai", "holidays": [], "workdays": [], "china_official": True,
           "created_at": installed}  # fmt: skip
    try:
        async with db.engine.begin() as conn:
            await conn.execute(
                insert(calendars).values(
                    [
                        row | {"name": "客服中心", "hours": "daily 08:00-22:00",
                               "updated_at": installed + timedelta(days=3) if edited else installed},
                        row | {"name": "技术部", "hours": "mon-fri 09:00-18:00", "updated_at": installed},
                    ]
                )
            )  # fmt: skip
        await upgrade_async(unmigrated_url)
        async with UnitOfWork(db, write=False) as uow:
            staffed = dict(
                (await uow.session.execute(select(CalendarRow.name, CalendarRow.holidays_staffed))).all()
            )
    finally:
        await db.dispose()
    assert staffed == {"客服中心": not edited, "技术部": False}
