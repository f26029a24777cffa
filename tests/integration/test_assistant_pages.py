"""The bot's pages: why a case was handed over on the ticket page, the intents page with its
"try a sentence" box, saving an intent through the form, and the learning queue."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from servicedesk.domain.assistant import HandoffReason
from servicedesk.services.assistant import Assistant
from servicedesk.store.assistant import BotTurn, Intent, ReviewStatus
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.assistant_support import say, visitor_with_order
from tests.integration.test_pages import sign_in


async def test_the_ticket_page_says_why_the_bot_handed_over(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    shop: Assistant,
) -> None:
    await visitor_with_order(db)
    await say(db, shop, "<b>发票</b>怎么开")
    handed = await say(db, shop, "1")
    assert handed is not None and handed.reason is HandoffReason.LOW_RATING
    await sign_in(client, world.sue)
    page = await client.get(f"/agent/tickets/{handed.ticket_id}")
    assert page.status_code == 200
    assert "机器人转人工" in page.text and "客户对机器人回答评分低" in page.text and "1 / 5" in page.text
    assert "&lt;b&gt;发票&lt;/b&gt;" in page.text and "<b>发票</b>" not in page.text  # customer text escaped


async def test_staff_try_a_sentence_and_bot_managers_save_intents(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    shop: Assistant,
) -> None:
    await sign_in(client, world.alice)
    page = await client.get("/agent/assistant", params={"text": "我要开发票"})
    assert page.status_code == 200 and "发票" in page.text and "order_status" in page.text
    refused = await client.post("/agent/assistant/intents", data={"csrf": "wrong", "name": "x"})
    assert refused.status_code == 403
    await client.post("/logout", data={"csrf": (await sign_in(client, world.alice))})
    csrf = await sign_in(client, world.adam)
    form = {
        "csrf": csrf, "name": "store_hours", "label_zh": "门店营业时间", "label_en": "Store hours",
        "examples": "门店几点开门\n线下店营业时间\n实体店几点关门", "answer": "门店营业时间为每天 10:00–22:00。",
        "urgency": "normal", "active": "on",
    }  # fmt: skip
    saved = await client.post("/agent/assistant/intents", data=form)
    assert saved.status_code == 303
    bad = await client.post("/agent/assistant/intents", data=form | {"name": "Bad Name!", "slots": "colour"})
    assert bad.status_code == 422 and "slots" in bad.text
    async with UnitOfWork(db, write=False) as uow:
        names = set(await uow.session.scalars(select(Intent.name)))
    assert "store_hours" in names and "Bad Name!" not in names


async def test_the_learning_queue_groups_misses_and_dismisses_them(
    client: httpx.AsyncClient,
    db: Database,
    world: World,
    shop: Assistant,
) -> None:
    await visitor_with_order(db)
    await say(db, shop, "你们仓库在哪个城市")
    csrf = await sign_in(client, world.eve)
    page = await client.get("/agent/assistant/review")
    assert page.status_code == 200 and "你们仓库在哪个城市" in page.text
    async with UnitOfWork(db, write=False) as uow:
        turn_id = await uow.session.scalar(
            select(BotTurn.id).where(BotTurn.review_status == ReviewStatus.PENDING)
        )
    done = await client.post(
        "/agent/assistant/review", data={"csrf": csrf, "turn_ids": str(turn_id), "action": "dismiss"}
    )
    assert done.status_code == 303
    assert "没有待处理的问题" in (await client.get("/agent/assistant/review")).text
