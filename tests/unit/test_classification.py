"""Suggested type, tags and priority (R-CL-1, R-CL-2) from real Chinese and English messages."""

from __future__ import annotations

import pytest

from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.classification import IntentHint, Reason, Suggestion, suggest

P, T = Priority, TicketType


@pytest.mark.parametrize(
    ("text", "type_", "priority", "tags"),
    [
        ("耳机左边没声音，买了三天就坏了", T.PRODUCT_QUALITY, P.MEDIUM, ()),
        ("请问发票怎么开？", T.CONSULTATION, P.LOW, ("billing",)),
        ("订单2024112200123到哪了，一直没收到", T.CONSULTATION, P.LOW, ("logistics",)),
        ("电水壶插电就冒烟了！", T.PRODUCT_QUALITY, P.HIGH, ()),
        ("客服态度太差了，我要投诉", T.SERVICE_QUALITY, P.MEDIUM, ("complaint",)),
        ("App 闪退，无法登录", T.TECHNICAL, P.MEDIUM, ()),
        ("系统全部用户都登不上，完全不能用了", T.TECHNICAL, P.HIGH, ()),
        ("耳机有时候有杂音", T.PRODUCT_QUALITY, P.MEDIUM, ()),
        ("怎么退货？东西破损了，想退款", T.PRODUCT_QUALITY, P.MEDIUM, ("refund", "return")),
        ("My order arrived damaged, I want a refund", T.PRODUCT_QUALITY, P.MEDIUM, ("refund",)),
        ("How do I change my delivery address?", T.CONSULTATION, P.LOW, ("logistics", "address")),
        ("谢谢", T.CONSULTATION, P.LOW, ()),
    ],
)
def test_it_suggests_from_the_words(
    text: str, type_: TicketType, priority: Priority, tags: tuple[str, ...]
) -> None:
    found = suggest(text, tier=CustomerTier.REGULAR, channel=Channel.WEB_CHAT)
    assert (found.type, found.priority, found.tags) == (type_, priority, tags)
    assert found.reasons["type"] and found.reasons["priority"]  # every suggestion says why


def test_the_words_that_decided_are_the_reasons() -> None:
    found = suggest("充电器插上就冒烟了", tier=CustomerTier.REGULAR, channel=Channel.WEB_CHAT)
    assert Reason("keyword", "冒烟") in found.reasons["priority"]
    assert Reason("keyword", "冒烟") in found.reasons["type"]


def test_a_latin_word_matches_whole_not_inside_another() -> None:
    assert suggest("the appendix", tier=CustomerTier.REGULAR, channel=Channel.EMAIL).type is T.CONSULTATION
    assert suggest("the app crashes", tier=CustomerTier.REGULAR, channel=Channel.EMAIL).type is T.TECHNICAL


def test_a_vip_or_a_public_channel_raises_a_question_to_medium_but_not_to_high() -> None:
    question = "请问发票怎么开"
    vip = suggest(question, tier=CustomerTier.VIP2, channel=Channel.WEB_CHAT)
    assert vip.priority is P.MEDIUM and Reason("tier", "vip2") in vip.reasons["priority"]
    public = suggest(question, tier=CustomerTier.REGULAR, channel=Channel.WEIBO)
    assert public.priority is P.MEDIUM and Reason("channel", "weibo") in public.reasons["priority"]
    # VIPs have their own SLA policy: tier never makes a partial impact "high"
    partial = suggest("耳机有时候有杂音", tier=CustomerTier.VIP3, channel=Channel.DOUYIN)
    assert partial.priority is P.MEDIUM
    assert not [r for r in partial.reasons["priority"] if r.kind in ("tier", "channel")]


def test_a_complaint_is_never_low() -> None:
    found = suggest("我要投诉你们", tier=CustomerTier.REGULAR, channel=Channel.EMAIL)
    assert found.priority is P.MEDIUM and "complaint" in found.tags


def test_the_assistants_intent_counts_as_evidence() -> None:
    hint = IntentHint("refund_progress", "退款进度", 0.91, ticket_type=T.CONSULTATION, priority=P.MEDIUM)
    found = suggest("钱什么时候到账", tier=CustomerTier.REGULAR, channel=Channel.WECHAT, intent=hint)
    assert found.type is T.CONSULTATION and found.priority is P.MEDIUM
    assert "intent-refund_progress" in found.tags
    assert Reason("intent", "退款进度") in found.reasons["type"]
    assert Reason("intent", "退款进度") in found.reasons["priority"]


def test_the_reasons_survive_json() -> None:
    found = suggest("电水壶冒烟了，我要投诉", tier=CustomerTier.VIP1, channel=Channel.WEIBO)
    assert Suggestion.reasons_from_json(found.to_json()) == dict(found.reasons)
