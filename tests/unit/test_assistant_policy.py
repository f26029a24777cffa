"""The bot's dialogue policy, rule by rule (R-BOT-2 … R-BOT-5)."""

from __future__ import annotations

import pytest

from servicedesk.domain.assistant import (
    Action,
    BotRules,
    BotState,
    HandoffReason,
    Memory,
    Understanding,
    Urgency,
    decide,
    parse_rating,
    urgency_of,
)

RULES = BotRules()
AWAITING = Memory(BotState.AWAITING_RATING)


def answered(text: str = "退换货政策是什么") -> Understanding:
    return Understanding(text, intent="return_policy", has_answer=True)


def missed(text: str = "今天天气怎么样") -> Understanding:
    return Understanding(text)


def test_a_matched_question_is_answered_and_a_rating_asked() -> None:
    decision = decide(Memory(), answered(), RULES)
    assert decision.action is Action.ANSWER
    assert decision.ask_rating
    assert decision.memory.state is BotState.AWAITING_RATING


@pytest.mark.parametrize("reply", ["1", "2", "3", "３分", "三星", "不满意", "一般"])
def test_a_rating_of_three_or_less_hands_off(reply: str) -> None:
    decision = decide(AWAITING, Understanding(reply), RULES)
    assert decision.action is Action.HANDOFF
    assert decision.reason is HandoffReason.LOW_RATING
    assert decision.rating is not None and decision.rating <= 3


@pytest.mark.parametrize(
    ("reply", "rating"), [("4", 4), ("5分", 5), ("五星", 5), ("满意", 4), ("非常满意！", 5)]
)
def test_a_good_rating_is_thanked_and_the_bot_carries_on(reply: str, rating: int) -> None:
    decision = decide(AWAITING, Understanding(reply), RULES)
    assert (decision.action, decision.rating) == (Action.THANK, rating)
    assert decision.memory == Memory()


def test_the_rating_threshold_is_a_setting() -> None:
    strict = BotRules(handoff_rating_max=4)
    assert decide(AWAITING, Understanding("4"), strict).action is Action.HANDOFF
    assert decide(AWAITING, Understanding("4"), RULES).action is Action.THANK


def test_a_new_question_instead_of_a_rating_is_answered() -> None:
    decision = decide(AWAITING, answered("怎么开发票"), RULES)
    assert decision.action is Action.ANSWER
    assert decision.rating is None


def test_two_consecutive_misses_hand_off() -> None:
    first = decide(Memory(), missed(), RULES)
    assert (first.action, first.memory.misses) == (Action.CLARIFY, 1)
    second = decide(first.memory, missed("asdfgh"), RULES)
    assert second.action is Action.HANDOFF
    assert second.reason is HandoffReason.NO_MATCH


def test_a_match_between_misses_resets_the_count() -> None:
    first = decide(Memory(), missed(), RULES)
    middle = decide(first.memory, answered(), RULES)
    after = decide(Memory(middle.memory.state), missed(), RULES)
    assert after.action is Action.CLARIFY


def test_the_miss_limit_is_a_setting() -> None:
    patient = BotRules(max_consecutive_misses=3)
    memory = Memory()
    for _ in range(2):
        decision = decide(memory, missed(), patient)
        assert decision.action is Action.CLARIFY
        memory = decision.memory
    assert decide(memory, missed(), patient).action is Action.HANDOFF


@pytest.mark.parametrize(
    "text", ["转人工", "我要人工客服！", "帮我转接人工", "I want to talk to an agent", "HUMAN please"]
)
def test_asking_for_a_person_hands_off_at_once(text: str) -> None:
    decision = decide(Memory(), Understanding(text), RULES)
    assert decision.action is Action.HANDOFF
    assert decision.reason is HandoffReason.ASKED
    assert decision.keywords


def test_words_that_merely_contain_agent_do_not_hand_off() -> None:
    assert (
        decide(
            Memory(), Understanding("what is your user agents policy", has_answer=True, intent="x"), RULES
        ).action
        is Action.ANSWER
    )
    assert (
        decide(Memory(), Understanding("人工智能手表怎么用", has_answer=True, intent="x"), RULES).action
        is Action.ANSWER
    )


def test_asking_for_a_person_while_a_rating_is_awaited_hands_off() -> None:
    decision = decide(AWAITING, Understanding("别问了，转人工"), RULES)
    assert (decision.action, decision.reason) == (Action.HANDOFF, HandoffReason.ASKED)


def test_an_intent_configured_for_people_hands_off() -> None:
    heard = Understanding("我要投诉你们的快递，再不处理我就打12315", intent="complaint", handoff_intent=True)
    decision = decide(Memory(), heard, RULES)
    assert (decision.action, decision.reason) == (Action.HANDOFF, HandoffReason.INTENT)
    assert decision.urgency is Urgency.URGENT  # a regulator named: a strong signal
    assert "12315" in decision.keywords


def test_a_missing_order_number_is_asked_for() -> None:
    heard = Understanding("我的订单到哪了", intent="order_status", missing_slots=("order_no",))
    decision = decide(Memory(), heard, RULES)
    assert decision.action is Action.ASK_SLOT
    assert decision.memory == Memory(BotState.AWAITING_SLOT, 0, "order_status")


def test_the_filled_order_question_is_answered() -> None:
    asked = Memory(BotState.AWAITING_SLOT, 0, "order_status")
    decision = decide(asked, Understanding("2024112200123", intent="order_status", has_answer=True), RULES)
    assert decision.action is Action.ANSWER


def test_small_talk_is_answered_without_a_rating() -> None:
    decision = decide(Memory(), Understanding("你好", intent="greeting", has_answer=True), RULES)
    assert decision.action is Action.ANSWER
    assert not decision.ask_rating
    assert decision.memory.state is BotState.ACTIVE


def test_a_handed_off_conversation_gets_no_bot_answers() -> None:
    assert decide(Memory(BotState.HANDED_OFF), answered(), RULES).action is Action.SILENT


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("耳机充电时冒烟了", Urgency.CRITICAL),
        ("孩子差点把零件吞下去", Urgency.CRITICAL),
        ("全国的用户都登录不了App", Urgency.URGENT),
        ("手机完全无法开机", Urgency.URGENT),
        ("我已经咨询了律师", Urgency.URGENT),
        # how the customer feels is not the impact the seeds' priorities are about
        ("急用，请尽快发货", Urgency.NORMAL),
        ("发票怎么开", Urgency.NORMAL),
    ],
)
def test_urgency_comes_from_the_customers_words(text: str, urgency: Urgency) -> None:
    assert urgency_of(text, RULES)[0] is urgency


@pytest.mark.parametrize("text", ["6", "0", "12", "我的订单 5 到哪了", "", "5个苹果"])
def test_other_text_is_not_a_rating(text: str) -> None:
    assert parse_rating(text) is None


def test_words_of_danger_go_to_a_person_at_once() -> None:
    heard = Understanding("充电器充着充着冒烟了", intent="product_question", has_answer=True)
    decision = decide(Memory(), heard, RULES)
    assert (decision.action, decision.reason) == (Action.HANDOFF, HandoffReason.SAFETY)
    assert decision.urgency is Urgency.CRITICAL
    assert "冒烟" in decision.keywords


def test_the_word_lists_come_from_settings() -> None:
    from servicedesk.settings import Settings
    from servicedesk.web.app import assistant_config

    config = assistant_config(Settings(bot_handoff_phrases=["找经理"], bot_critical_keywords=["漏水"]))
    assert config.rules.handoff_phrases == ("找经理",) and config.rules.critical_keywords == ("漏水",)
    assert decide(Memory(), Understanding("我要找经理"), config.rules).reason is HandoffReason.ASKED
    assert decide(Memory(), Understanding("转人工"), config.rules).action is Action.CLARIFY
    assert config.rules.urgent_keywords == RULES.urgent_keywords  # unset: the built-in list
    assert urgency_of("洗衣机漏水了", config.rules) == (Urgency.CRITICAL, ("漏水",))


def test_configured_words_add_to_the_built_in_signals() -> None:
    rules = BotRules(urgent_keywords=("加急",))
    assert urgency_of("麻烦加急处理", rules) == (Urgency.URGENT, ("加急",))
    assert urgency_of("插座冒烟了，麻烦加急", rules)[0] is Urgency.CRITICAL  # the signals still apply
