"""Migrations that change data as well as schema, run on data an older version could have left."""

from __future__ import annotations

from sqlalchemy import select

from servicedesk.domain.catalog import Channel
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade_async
from servicedesk.store.models import Conversation, Customer
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
