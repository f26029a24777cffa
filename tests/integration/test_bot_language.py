"""The bot answers in the language the customer writes (issue 12, defect 6), on both databases:
the article's English version where there is one, a plain statement where the answer exists
only in Chinese, and every framing text — rating request, thanks, hand-off notice, misses — in
the customer's language, even after a message that shows none (a rating, an order number).

The visitor's profile says Chinese, as every web-chat visitor's does: the words decide.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from servicedesk.domain.assistant import Action, HandoffReason
from servicedesk.domain.catalog import MessageKind
from servicedesk.services.assistant import Assistant
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.assistant import BotTurn
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.models import Message
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.assistant_support import ORDER, say, visitor_with_order

CJK = re.compile(r"[\u4e00-\u9fff]")
ONLY_IN_CHINESE = "This answer is only available in Chinese:\n"


async def test_an_english_visitor_gets_the_english_article_and_english_thanks(
    db: Database, shop: Assistant
) -> None:
    await visitor_with_order(db)
    answer = await say(db, shop, "How do I return an item?")
    assert answer is not None and answer.action is Action.ANSWER
    returns, rate = answer.replies
    assert returns.startswith("Within 7 days of delivery") and not CJK.search(returns)
    assert rate.startswith("Please rate this answer")
    thanks = await say(db, shop, "5")  # a digit shows no language: the conversation's counts
    assert thanks is not None and thanks.action is Action.THANK
    assert thanks.replies == ("Thank you for rating! Ask 小智 anything else.",)
    async with UnitOfWork(db, write=False) as uow:
        turns = list(await uow.session.scalars(select(BotTurn).order_by(BotTurn.id)))
        quoted = await uow.session.get(Article, turns[0].article_id)
    assert [t.locale for t in turns] == ["en", "en"]
    assert quoted is not None and (quoted.locale, quoted.translation_of_id is not None) == ("en", True)


async def test_an_english_question_whose_article_is_chinese_only_gets_the_plain_statement(
    db: Database, shop: Assistant
) -> None:
    await visitor_with_order(db)
    answer = await say(db, shop, "how to pair the earbuds")
    assert answer is not None and answer.action is Action.ANSWER
    pairing, rate = answer.replies
    assert pairing.startswith(ONLY_IN_CHINESE) and "打开充电盒盖" in pairing
    assert rate.startswith("Please rate this answer")


async def test_a_chinese_customer_still_hears_chinese(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    answer = await say(db, shop, "买的耳机不想要了可以退货吗")
    assert answer is not None and answer.replies[0].startswith("自签收之日起 7 天内")
    thanks = await say(db, shop, "5")
    assert thanks is not None and thanks.replies[0].startswith("感谢您的评价")


async def test_the_order_status_is_told_in_english(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    asked = await say(db, shop, "Where is my order?")
    assert asked is not None and asked.action is Action.ASK_SLOT
    assert asked.replies[0].startswith("Please give me your order number")
    answered = await say(db, shop, ORDER)  # only digits: still English
    assert answered is not None and answered.action is Action.ANSWER
    assert answered.replies[0].startswith(f"Your order {ORDER} (声悦耳机 Pro 白色) is in transit.")
    assert "SF1234567890" in answered.replies[0]


async def test_a_low_rating_hands_off_in_english(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    await say(db, shop, "How do I get an invoice?")
    handed = await say(db, shop, "2")
    assert handed is not None and handed.reason is HandoffReason.LOW_RATING
    assert handed.replies[0].startswith("You are being transferred to a person")


async def test_misses_are_answered_in_english(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    missed = await say(db, shop, "Which city is your warehouse in?")
    assert missed is not None and missed.action is Action.CLARIFY
    assert missed.replies[0].startswith("Sorry, 小智 did not understand")


async def test_a_customer_who_switches_language_is_answered_in_the_new_one(
    db: Database, shop: Assistant
) -> None:
    await visitor_with_order(db)
    await say(db, shop, "How do I get an invoice?")
    answer = await say(db, shop, "怎么取消订单")
    assert answer is not None and answer.replies[0].startswith("未发货的订单")


async def test_a_person_taking_over_greets_in_the_conversations_language(
    db: Database, shop: Assistant, world: World
) -> None:
    await visitor_with_order(db)
    await say(db, shop, "How do I get an invoice?")
    async with UnitOfWork(db) as uow:
        conversation_id = await uow.session.scalar(select(BotTurn.conversation_id).limit(1))
        sue = await principal_by_user_id(uow, world.sue.user_id)
        assert conversation_id is not None and sue is not None
        await shop.take_over(uow, sue, conversation_id)
    async with UnitOfWork(db, write=False) as uow:
        last = await uow.session.scalar(
            select(Message.body).where(Message.kind == MessageKind.REPLY).order_by(Message.id.desc()).limit(1)
        )
    assert last is not None and last.startswith("Hello, this is Sue, a person, taking over")
