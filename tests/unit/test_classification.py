"""Suggested type, tags, priority and urgency (R-CL-1, R-CL-2, R-BOT-5): the explicit rules on a
fixed model guess, the trained model on the shipped data, and the two together on real Chinese
and English messages."""

from __future__ import annotations

from collections import Counter

import pytest
from sklearn.metrics import accuracy_score, f1_score

from servicedesk.domain.assistant import BotRules, Urgency
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.classification import (
    IntentHint,
    ModelGuess,
    Reason,
    Suggestion,
    suggest,
    urgency_for,
)
from servicedesk.domain.strong_signals import Signal, signals_in
from servicedesk.nlp.cases import CaseModel, shipped_cases
from servicedesk.services.classification import assess

P, T = Priority, TicketType
QUESTION = ModelGuess(T.CONSULTATION, 0.9, ("请问",), P.LOW, 0.8, ())
DEFECT = ModelGuess(T.PRODUCT_QUALITY, 0.7, ("坏了",), P.MEDIUM, 0.6, ("坏了",))
REGULAR, WEB = CustomerTier.REGULAR, Channel.WEB_FORM

# ---- the explicit rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "signal", "word"),
    [
        ("充电宝充着充着冒烟了", Signal.SAFETY, "冒烟"),
        ("热水器的水龙头摸着麻麻的，是不是漏电", Signal.SAFETY, "漏电"),
        ("小孩差点把零件吞下去", Signal.SAFETY, "差点把零件吞"),
        ("手背被蒸汽烫起泡了", Signal.SAFETY, "烫起泡"),
        ("The kettle gave me an electric shock", Signal.SAFETY, "electric shock"),
        ("全国的用户都登录不了", Signal.OUTAGE, "登录不了"),
        ("服务器宕机两个小时了", Signal.OUTAGE, "宕机"),
        ("The app has been down for everyone since 9am", Signal.OUTAGE, "been down"),
        ("再不处理我就去12315", Signal.LEGAL, "12315"),
        ("我已经咨询了律师", Signal.LEGAL, "律师"),
        ("I will take legal action", Signal.LEGAL, "legal action"),
        ("信用卡被盗刷了一万多", Signal.FRAUD, "被盗"),
        ("有人冒充你们的客服让我转账", Signal.FRAUD, "冒充"),
        ("手机完全无法开机", Signal.UNUSABLE, "完全无法"),
        ("My laptop won't turn on at all", Signal.UNUSABLE, "won't turn on"),
    ],
)
def test_each_strong_signal_names_the_words_that_showed_it(text: str, signal: Signal, word: str) -> None:
    hits = {hit.signal: hit.words for hit in signals_in(text)}
    assert word in hits[signal]


@pytest.mark.parametrize(
    "text",
    [
        "我是记者，想采访一下你们的负责人",  # a journalist's request is no threat of exposure
        "请转告你们老板，这个产品真的改变了我的生活",  # 告你们 inside 转告你们
        "优惠券用不了",  # one feature, not the product
        "手机充电有点慢",
        "How do I reset my password?",
        "急用，请尽快发货",
    ],
)
def test_ordinary_messages_show_no_strong_signal(text: str) -> None:
    assert signals_in(text) == ()


def test_a_rule_makes_the_case_high_and_says_why_before_the_model() -> None:
    found = suggest("请问一下，充电器插上就冒烟了", tier=REGULAR, channel=WEB, guess=QUESTION)
    assert found.priority is P.HIGH and found.urgency is Urgency.CRITICAL
    assert found.reasons["priority"][0] == Reason("safety", "冒烟")
    assert Reason("model", "80%") in found.reasons["priority"]  # the model's low is still shown


@pytest.mark.parametrize(
    ("text", "urgency"),
    [
        ("全国的用户都登录不了", Urgency.URGENT),
        ("我要起诉你们", Urgency.URGENT),
        ("账号被盗了", Urgency.URGENT),
        ("手机开不了机", Urgency.URGENT),
        ("电热毯烧焦了", Urgency.CRITICAL),  # only danger to people is 特急
    ],
)
def test_only_safety_is_critical_every_other_signal_is_urgent(text: str, urgency: Urgency) -> None:
    found = suggest(text, tier=REGULAR, channel=WEB, guess=QUESTION)
    assert (found.priority, found.urgency) == (P.HIGH, urgency)


def test_urgency_and_priority_are_one_mapping() -> None:
    assert urgency_for(P.HIGH, critical=True) is Urgency.CRITICAL
    assert urgency_for(P.HIGH, critical=False) is Urgency.URGENT
    assert urgency_for(P.MEDIUM, critical=False) is Urgency.NORMAL
    assert urgency_for(P.LOW, critical=True) is Urgency.NORMAL  # critical is only read for a high case
    high = ModelGuess(T.TECHNICAL, 0.9, (), P.HIGH, 0.9, ("瘫痪",))
    assert suggest("系统瘫痪", tier=REGULAR, channel=WEB, guess=high).urgency is Urgency.URGENT


def test_a_vip_or_a_public_channel_raises_a_question_to_medium_but_not_to_high() -> None:
    vip = suggest("请问发票怎么开", tier=CustomerTier.VIP2, channel=WEB, guess=QUESTION)
    assert vip.priority is P.MEDIUM and Reason("tier", "vip2") in vip.reasons["priority"]
    public = suggest("请问发票怎么开", tier=REGULAR, channel=Channel.WEIBO, guess=QUESTION)
    assert public.priority is P.MEDIUM and Reason("channel", "weibo") in public.reasons["priority"]
    partial = suggest("耳机有时候有杂音", tier=CustomerTier.VIP3, channel=Channel.DOUYIN, guess=DEFECT)
    assert partial.priority is P.MEDIUM and partial.urgency is Urgency.NORMAL
    assert not [r for r in partial.reasons["priority"] if r.kind in ("tier", "channel")]


def test_a_complaint_is_never_low() -> None:
    found = suggest("我要投诉你们", tier=REGULAR, channel=Channel.EMAIL, guess=QUESTION)
    assert found.priority is P.MEDIUM and "complaint" in found.tags


def test_the_bots_intent_agrees_or_decides_when_the_model_is_unsure() -> None:
    refund = IntentHint("refund_progress", "退款进度", 0.91, ticket_type=T.CONSULTATION)
    agreed = suggest("钱什么时候到账", tier=REGULAR, channel=Channel.WECHAT, guess=QUESTION, intent=refund)
    assert agreed.type is T.CONSULTATION and "intent-refund_progress" in agreed.tags
    assert agreed.reasons["type"][0] == Reason("model", "90%")
    assert Reason("intent", "退款进度") in agreed.reasons["type"]
    complaint = IntentHint("complaint", "投诉", 0.8, ticket_type=T.SERVICE_QUALITY)
    confident = suggest("耳机坏了", tier=REGULAR, channel=Channel.WECHAT, guess=DEFECT, intent=complaint)
    assert confident.type is T.PRODUCT_QUALITY  # the classifier's type; the intent is evidence
    unsure = ModelGuess(T.OTHER, 0.35, (), P.MEDIUM, 0.5, ())
    decided = suggest("太过分了", tier=REGULAR, channel=Channel.WECHAT, guess=unsure, intent=complaint)
    assert decided.type is T.SERVICE_QUALITY
    assert decided.reasons["type"] == (Reason("intent", "投诉"), Reason("model_unsure", "35%"))


def test_an_intent_marked_urgent_and_configured_words_make_the_case_high() -> None:
    urgent = IntentHint("complaint", "投诉", 0.8, ticket_type=T.SERVICE_QUALITY, urgency=Urgency.URGENT)
    found = suggest("我要投诉", tier=REGULAR, channel=Channel.WECHAT, guess=QUESTION, intent=urgent)
    assert (found.priority, found.urgency) == (P.HIGH, Urgency.URGENT)
    assert Reason("intent", "投诉") in found.reasons["priority"]
    rules = BotRules(critical_keywords=("漏水",))
    leak = suggest("洗衣机漏水", tier=REGULAR, channel=WEB, guess=DEFECT, rules=rules)
    assert (leak.priority, leak.urgency) == (P.HIGH, Urgency.CRITICAL)
    assert Reason("urgency", "漏水") in leak.reasons["priority"]


def test_the_keywords_are_every_word_that_drove_the_suggestion() -> None:
    found = suggest("我要投诉！耳机坏了，冒烟了，要求退款", tier=REGULAR, channel=WEB, guess=DEFECT)
    assert set(found.keywords) >= {"冒烟", "坏了", "投诉", "退款"}
    assert found.keywords[0] == "冒烟"  # what made it 特急 first


def test_the_reasons_survive_json() -> None:
    found = suggest("电水壶冒烟了，我要投诉", tier=CustomerTier.VIP1, channel=Channel.WEIBO, guess=DEFECT)
    assert Suggestion.reasons_from_json(found.to_json()) == dict(found.reasons)


# ---- the data set and the model ------------------------------------------------------------------


def test_the_shipped_cases_are_a_fixed_labelled_split() -> None:
    cases = shipped_cases()
    assert len(cases) >= 600
    assert len({case.text for case in cases}) == len(cases)  # no text in two splits
    splits = Counter(case.split for case in cases)
    assert set(splits) == {"train", "validation", "test"} and splits["test"] >= 0.15 * len(cases)
    assert {case.type for case in cases} == set(TicketType) and {case.priority for case in cases} == set(
        Priority
    )
    not_chinese = sum(case.lang != "zh" for case in cases) / len(cases)
    assert 0.15 <= not_chinese <= 0.3
    with pytest.raises(ValueError, match="unknown split"):
        shipped_cases("dev")


@pytest.fixture(scope="module")
def train_only() -> CaseModel:
    return CaseModel.train(shipped_cases("train"))


def test_the_model_trained_on_train_beats_its_floor_on_validation(train_only: CaseModel) -> None:
    """Floors a little under what the chosen model measured on validation (type 85 % accuracy,
    83 % macro-F1; priority with the rules 84 % / 85 %): a change that costs more fails here.
    The test split is left to bench.classification."""
    validation = shipped_cases("validation")
    guesses = train_only.guess_many([case.text for case in validation])
    types = [g.type for g in guesses]
    truth = [case.type for case in validation]
    assert accuracy_score(truth, types) >= 0.8 and f1_score(truth, types, average="macro") >= 0.78
    priorities = [
        suggest(case.text, tier=REGULAR, channel=WEB, guess=g).priority
        for case, g in zip(validation, guesses, strict=True)
    ]
    truth_p = [case.priority for case in validation]
    assert (
        accuracy_score(truth_p, priorities) >= 0.78 and f1_score(truth_p, priorities, average="macro") >= 0.78
    )


def test_the_model_cites_words_and_a_probability(train_only: CaseModel) -> None:
    guess = train_only.guess("App一直闪退，登录不了")
    assert guess.type is T.TECHNICAL and 0.0 < guess.type_confidence <= 1.0
    assert guess.type_words and all(len(w) >= 2 for w in guess.type_words)
    assert train_only.guess_many([]) == []


# ---- the shipped model with the rules, on messages of the kind real customers send ----------------


@pytest.mark.parametrize(
    ("text", "type_", "priority", "tags"),
    [
        ("耳机左边没声音，买了三天就坏了", T.PRODUCT_QUALITY, P.MEDIUM, ()),
        ("请问发票怎么开？", T.CONSULTATION, P.LOW, ("billing",)),
        ("电水壶插电就冒烟了！", T.PRODUCT_QUALITY, P.HIGH, ()),
        ("客服态度太差了，我要投诉", T.SERVICE_QUALITY, P.MEDIUM, ("complaint",)),
        ("App 闪退，有时候登录不了", T.TECHNICAL, P.MEDIUM, ()),
        ("系统全部用户都登不上，完全不能用了", T.TECHNICAL, P.HIGH, ()),
        ("How do I change my delivery address?", T.CONSULTATION, P.LOW, ("logistics", "address")),
        ("你们的客服小张特别耐心，给她点赞", T.OTHER, P.LOW, ()),
    ],
)
def test_it_suggests_from_the_text(
    text: str, type_: TicketType, priority: Priority, tags: tuple[str, ...]
) -> None:
    found = assess(text, tier=REGULAR, channel=Channel.WEB_CHAT)
    assert (found.type, found.priority, found.tags) == (type_, priority, tags)
    assert found.reasons["type"] and found.reasons["priority"]  # every suggestion says why


def test_priority_and_urgency_agree_on_every_shipped_case() -> None:
    for case in shipped_cases("validation"):
        found = assess(case.text, tier=REGULAR, channel=WEB)
        assert (found.priority is P.HIGH) == (found.urgency is not Urgency.NORMAL), case.text
