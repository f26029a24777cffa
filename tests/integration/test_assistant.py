"""The bot between intake and ticketing, on both databases: answers from the knowledge base and
the order connector, the rating, every hand-off rule, the pre-filled case, the learning queue."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from servicedesk.channels.message import InboundMessage
from servicedesk.domain.assistant import Action, HandoffReason
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.errors import Forbidden, ValidationFailed
from servicedesk.services import bot_review, intents
from servicedesk.services.assistant import Assistant, AssistantConfig
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.intake import receive
from servicedesk.store.assistant import BotSession, BotTurn, Intent, ReviewStatus
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.models import Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.assistant_support import ORDER, say, visitor_with_order


async def bot_texts(db: Database) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Message.body).where(Message.kind == MessageKind.REPLY).order_by(Message.id)
        )
        return list(rows)


async def test_an_order_question_is_answered_from_the_order_connector(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    asked = await say(db, shop, "你好，我的订单到哪了？")
    assert asked is not None and asked.action is Action.ASK_SLOT
    assert "订单号" in asked.replies[0]
    answered = await say(db, shop, ORDER)
    assert answered is not None and answered.action is Action.ANSWER
    assert "运输中" in answered.replies[0] and "SF1234567890" in answered.replies[0]
    assert "1 非常不满意" in answered.replies[1]  # asks for a rating
    async with UnitOfWork(db, write=False) as uow:
        queued = list(await uow.session.scalars(select(Outbox).order_by(Outbox.id)))
        tickets = await uow.session.scalar(select(func.count(Ticket.id)))
    assert [o.channel for o in queued] == [Channel.WEB_CHAT] * 3  # each bot line leaves by the outbox
    assert queued[0].payload["metadata"]["from"] == "bot"
    assert tickets == 0  # no person was needed


async def test_someone_elses_order_number_reveals_nothing(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    outcome = await say(db, shop, f"查一下订单 {ORDER} 到哪了", visitor="stranger-0002")
    assert outcome is not None and outcome.action is Action.ASK_SLOT
    assert ORDER in outcome.replies[0] and "没有查到" in outcome.replies[0]
    assert "SF1234567890" not in " ".join(await bot_texts(db))


async def test_a_good_rating_is_thanked_and_recorded(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    answer = await say(db, shop, "买的耳机不想要了可以退货吗")
    assert answer is not None and answer.action is Action.ANSWER
    assert "七天无理由" in answer.replies[0]
    thanks = await say(db, shop, "5")
    assert thanks is not None and thanks.action is Action.THANK
    async with UnitOfWork(db, write=False) as uow:
        rated = await uow.session.scalar(select(BotTurn).where(BotTurn.rating.is_not(None)))
    assert rated is not None and rated.rating == 5 and rated.review_status is None


async def test_a_low_rating_hands_off_with_the_whole_conversation(db: Database, shop: Assistant) -> None:
    customer_id = await visitor_with_order(db)
    await say(db, shop, "怎么开发票")
    handed = await say(db, shop, "2")
    assert handed is not None and handed.action is Action.HANDOFF
    assert handed.reason is HandoffReason.LOW_RATING and handed.ticket_id is not None
    assert f"#{handed.ticket_id}" in handed.replies[0]
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, handed.ticket_id)
        assert ticket is not None
        bodies = list(
            await uow.session.scalars(
                select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)
            )
        )
        session = await uow.session.scalar(select(BotSession).where(BotSession.ticket_id == ticket.id))
        low = await uow.session.scalar(select(BotTurn).where(BotTurn.rating == 2))
    assert ticket.customer_id == customer_id and ticket.channel is Channel.WEB_CHAT
    assert ticket.subject.startswith("[转人工] 发票")
    assert {t.tag for t in ticket.tags} >= {"bot-handoff", "handoff-low_rating", "intent-invoice"}
    assert bodies[0] == "怎么开发票" and bodies[2].startswith("请为本次回答打分") and bodies[3] == "2"
    assert any("客户评分 Rating: 2 / 5" in b for b in bodies)  # the note the agent reads first
    assert session is not None and session.handoff_detail is not None
    assert session.handoff_detail["intent"] == "invoice"
    assert low is not None and low.review_status is ReviewStatus.PENDING  # goes to the learning queue


async def test_the_next_message_after_a_handoff_goes_to_the_case_not_the_bot(
    db: Database, shop: Assistant
) -> None:
    await visitor_with_order(db)
    handed = await say(db, shop, "转人工")
    assert handed is not None and handed.reason is HandoffReason.ASKED
    assert await say(db, shop, "我的耳机左耳没声音") is None
    async with UnitOfWork(db, write=False) as uow:
        last = await uow.session.scalar(select(Message).order_by(Message.id.desc()).limit(1))
    assert last is not None and last.ticket_id == handed.ticket_id and last.body == "我的耳机左耳没声音"


async def test_two_misses_hand_off_and_wait_for_review(db: Database, shop: Assistant, world: World) -> None:
    await visitor_with_order(db)
    first = await say(db, shop, "你们仓库在哪个城市")
    assert first is not None and first.action is Action.CLARIFY
    second = await say(db, shop, "你们的仓库在什么城市呀")
    assert second is not None and second.reason is HandoffReason.NO_MATCH
    async with UnitOfWork(db) as uow:
        editor = await principal_by_user_id(uow, world.eve.user_id)
        assert editor is not None
        groups = await bot_review.review_queue(uow, editor)
    assert [g.kind for g in groups] == [bot_review.ReviewKind.UNMATCHED]
    assert set(groups[0].questions) == {"你们仓库在哪个城市", "你们的仓库在什么城市呀"}


async def test_complaints_and_danger_reach_a_person_with_urgency(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db, "angry-0003")
    complaint = await say(db, shop, "你们服务太差了，我要投诉！", visitor="angry-0003")
    assert complaint is not None and complaint.reason is HandoffReason.INTENT
    danger = await say(db, shop, "充电器插上就冒烟了", visitor="smoke-0004")
    assert danger is not None and danger.reason is HandoffReason.SAFETY
    async with UnitOfWork(db, write=False) as uow:
        first = await uow.session.get(Ticket, complaint.ticket_id)
        second = await uow.session.get(Ticket, danger.ticket_id)
    # the demo's complaint intent is 紧急, and 紧急 is high priority
    assert first is not None and (first.type, first.priority) == (TicketType.SERVICE_QUALITY, Priority.HIGH)
    assert second is not None and second.priority is Priority.HIGH  # 特急


async def test_english_customers_get_english_answers(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    answer = await say(db, shop, "where is my order " + ORDER)
    assert answer is not None and answer.action is Action.ANSWER
    assert "Please rate this answer" in answer.replies[1]


async def test_a_retried_message_is_answered_once(db: Database, shop: Assistant) -> None:
    await visitor_with_order(db)
    for _ in range(3):
        await say(db, shop, "发票怎么开", message_id="wx-msg-1")
    assert len(await bot_texts(db)) == 2  # the answer and the rating question, once


async def test_two_first_messages_arriving_together_share_one_bot_conversation(
    db: Database, shop: Assistant
) -> None:
    await visitor_with_order(db)
    first, second = await asyncio.gather(say(db, shop, "发票怎么开"), say(db, shop, "怎么退货"))
    assert first is not None and second is not None
    async with UnitOfWork(db, write=False) as uow:
        conversations = set(await uow.session.scalars(select(Message.conversation_id)))
        inbound = await uow.session.scalar(
            select(func.count()).select_from(Message).where(Message.kind == MessageKind.INBOUND)
        )
    assert len(conversations) == 1 and inbound == 2  # each message stored once, in one conversation


async def test_a_new_example_retrains_the_bot_before_the_next_message(
    db: Database, shop: Assistant, world: World
) -> None:
    await visitor_with_order(db)
    miss = await say(db, shop, "积分兑换的礼品怎么领取")
    assert miss is not None and miss.action is Action.CLARIFY
    async with UnitOfWork(db) as uow:
        admin = await principal_by_user_id(uow, world.adam.user_id)
        assert admin is not None
        article = await uow.session.scalar(select(Article).where(Article.title == "优惠券使用规则"))
        assert article is not None
        await intents.save_intent(
            uow, admin,
            intents.IntentContent(
                name="points_gift", label_zh="积分礼品", label_en="Points gifts",
                examples=("积分兑换的礼品怎么领", "积分换的东西在哪里领取", "积分礼品领取方法", "怎么用积分换礼物"),
                answer="积分礼品在 我的 → 积分商城 → 兑换记录 中领取。",
            ),
        )  # fmt: skip
    hit = await say(db, shop, "积分兑换的礼品在哪领取呢")
    assert hit is not None and hit.action is Action.ANSWER and "积分商城" in hit.replies[0]


async def test_intents_are_validated_and_only_bot_managers_change_them(db: Database, world: World) -> None:
    async with UnitOfWork(db) as uow:
        agent = await principal_by_user_id(uow, world.alice.user_id)
        admin = await principal_by_user_id(uow, world.adam.user_id)
        assert agent is not None and admin is not None
        good = intents.IntentContent(name="x_y", label_zh="测试", label_en="Test", examples=("a b", "c d"),
                                     answer="好的")  # fmt: skip
        with pytest.raises(Forbidden):
            await intents.save_intent(uow, agent, good)
        bad = intents.IntentContent(name="Bad Name", label_zh="", label_en="x", examples=("一",),
                                    slots=("colour",), connector="nope")  # fmt: skip
        with pytest.raises(ValidationFailed) as refused:
            await intents.save_intent(uow, admin, bad)
        assert set(refused.value.fields) >= {"name", "label_zh", "examples", "slots", "connector"}
        assert await uow.session.scalar(select(func.count(Intent.id))) == 0


async def test_the_review_queue_adds_a_phrasing_as_a_new_revision(
    db: Database, shop: Assistant, world: World
) -> None:
    await visitor_with_order(db)
    await say(db, shop, "你们仓库在哪个城市")
    async with UnitOfWork(db) as uow:
        editor = await principal_by_user_id(uow, world.eve.user_id)
        assert editor is not None
        article = await uow.session.scalar(select(Article).where(Article.title == "发货与配送时间"))
        assert article is not None
        revision = article.revision
        [group] = await bot_review.review_queue(uow, editor)
        await bot_review.resolve(
            uow, editor, group.turn_ids, bot_review.ReviewAction.ADD_PHRASING, article_id=article.id
        )
    async with UnitOfWork(db, write=False) as uow:
        saved = await uow.session.get(Article, article.id)
        pending = await uow.session.scalar(
            select(func.count(BotTurn.id)).where(BotTurn.review_status == ReviewStatus.PENDING)
        )
    assert saved is not None and "你们仓库在哪个城市" in saved.questions
    assert saved.revision == revision + 1 and pending == 0


async def test_without_knowledge_the_bot_stays_out_of_the_way(db: Database) -> None:
    assistant = Assistant(AssistantConfig())
    inbound = InboundMessage(channel=Channel.WEB_CHAT, sender="visitor-9", body="在吗", received_at=db.clock(),
                             message_id="v9:1")  # fmt: skip
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound, assistant=assistant)
    assert result.bot is None and result.new_ticket
