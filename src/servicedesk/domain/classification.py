"""Suggested problem type, business tags and priority of a new case (R-CL-1, R-CL-2), with the
reasons a person can check.

The seeds define priority by impact (seed 002 §3.2): high when the customer cannot use the
product, their business is seriously affected or there is a major failure or a safety risk;
medium for a partial impact; low for general questions. Content decides first; the customer's
tier and a public channel can only raise a general question to medium, never lower anything:
high stays a statement about impact, and VIP cases get their own SLA policy. When the assistant's intent model
recognises the text, its intent's type and urgency count as evidence beside the keywords.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from servicedesk.domain.assistant import phrases_in
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.labels import register

PUBLIC_CHANNELS = frozenset({Channel.WEIBO, Channel.DOUYIN})


class Suggested(StrEnum):
    """The fields whose suggestion an agent must give a reason to leave."""

    TYPE = "type"
    PRIORITY = "priority"


register(Suggested.TYPE, "问题类型", "Type")
register(Suggested.PRIORITY, "优先级", "Priority")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Words that are evidence, by what they are evidence of. Settings may replace any."""

    types: Mapping[TicketType, tuple[str, ...]] = field(
        default_factory=lambda: {
            TicketType.PRODUCT_QUALITY: (
                "质量", "坏了", "破损", "损坏", "碎了", "裂了", "故障", "不工作", "开不了机", "不开机",
                "漏水", "异响", "划痕", "瑕疵", "次品", "假货", "褪色", "变形", "过敏", "发霉",
                "没声音", "杂音", "没反应", "不亮", "失灵", "冒烟", "起火", "漏电",
                "broken", "defect", "defective", "damaged", "faulty", "cracked", "fake",
            ),
            TicketType.SERVICE_QUALITY: (
                "态度", "服务差", "不理人", "没人回复", "不回复", "敷衍", "推诿", "踢皮球", "等了很久",
                "承诺", "没兑现", "客服", "快递员", "rude", "ignored", "no reply", "unhelpful",
            ),
            TicketType.TECHNICAL: (
                "无法登录", "登录不了", "登不上", "报错", "错误码", "闪退", "崩溃", "卡死", "蓝屏",
                "连不上", "连接不上", "网络", "安装", "升级", "固件", "驱动", "蓝牙", "配对", "app",
                "接口", "bug", "error", "crash", "login", "cannot connect", "install", "firmware",
            ),
            TicketType.CONSULTATION: (
                "怎么", "如何", "能不能", "可不可以", "是否", "请问", "多少钱", "什么时候", "政策",
                "咨询", "想了解", "how", "what", "when", "can i", "is it possible", "policy",
            ),
        }
    )  # fmt: skip
    tags: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "refund": ("退款", "退钱", "返款", "refund", "money back"),
            "return": ("退货", "退换", "换货", "return", "exchange"),
            "logistics": ("物流", "快递", "发货", "配送", "没收到", "未收到", "运单", "包裹",
                          "delivery", "shipping", "tracking", "parcel"),
            "billing": ("发票", "开票", "扣费", "账单", "多扣", "收费", "invoice", "charged", "billing"),
            "complaint": ("投诉", "12315", "曝光", "消协", "complaint", "complain"),
            "address": ("修改地址", "改地址", "收货地址", "地址写错", "address"),
            "account": ("账号", "账户", "密码", "account", "password"),
        }
    )  # fmt: skip
    high: tuple[str, ...] = (
        "无法使用", "不能用", "完全不能", "用不了", "瘫痪", "停工", "停产", "全部", "所有用户", "大面积",
        "起火", "着火", "爆炸", "冒烟", "漏电", "受伤", "烫伤", "人身安全", "安全隐患", "特急",
        "cannot use", "can't use", "unusable", "outage", "down for everyone", "fire", "injured", "smoke",
    )  # fmt: skip
    medium: tuple[str, ...] = (
        "部分", "有时", "偶尔", "时好时坏", "经常", "很慢", "变慢", "影响", "紧急", "着急", "尽快",
        "马上", "投诉", "12315", "律师", "起诉", "sometimes", "slow", "partly", "urgent", "asap",
    )  # fmt: skip


DEFAULT_LEXICON = Lexicon()


@dataclass(frozen=True, slots=True)
class IntentHint:
    """What the assistant's model made of the text, when it recognised something."""

    name: str
    label: str
    confidence: float
    ticket_type: TicketType | None = None
    priority: Priority | None = None


@dataclass(frozen=True, slots=True)
class Reason:
    """`kind`: keyword | intent | tier | channel | tag | default; `detail` is what was seen."""

    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    type: TicketType
    priority: Priority
    tags: tuple[str, ...]
    reasons: Mapping[str, tuple[Reason, ...]]  # "type" | "priority" | "tags" → why

    def to_json(self) -> dict[str, Any]:
        return {f: [[r.kind, r.detail] for r in rs] for f, rs in self.reasons.items()}

    @staticmethod
    def reasons_from_json(data: Mapping[str, Any]) -> dict[str, tuple[Reason, ...]]:
        return {f: tuple(Reason(str(k), str(d)) for k, d in rs) for f, rs in data.items()}


def _type(text: str, lexicon: Lexicon, intent: IntentHint | None) -> tuple[TicketType, tuple[Reason, ...]]:
    """The problem types ahead of consultation win: "怎么退货，东西破损了" reports a defect."""
    if intent is not None and intent.ticket_type is not None:
        return intent.ticket_type, (Reason("intent", intent.label),)
    for kind in (TicketType.PRODUCT_QUALITY, TicketType.TECHNICAL, TicketType.SERVICE_QUALITY):
        words = phrases_in(text, tuple(lexicon.types[kind]))
        if words:
            return kind, tuple(Reason("keyword", w) for w in words)
    words = phrases_in(text, tuple(lexicon.types[TicketType.CONSULTATION]))
    if words:
        return TicketType.CONSULTATION, tuple(Reason("keyword", w) for w in words)
    return TicketType.CONSULTATION, (Reason("default"),)


def suggest(
    text: str,
    *,
    tier: CustomerTier,
    channel: Channel,
    intent: IntentHint | None = None,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> Suggestion:
    ticket_type, type_reasons = _type(text, lexicon, intent)
    tags = [tag for tag, words in lexicon.tags.items() if phrases_in(text, tuple(words))]
    tag_reasons = [Reason("keyword", w) for tag in tags for w in phrases_in(text, tuple(lexicon.tags[tag]))]
    if intent is not None:
        tags.append(f"intent-{intent.name}")
        tag_reasons.append(Reason("intent", intent.label))

    priority_reasons: list[Reason] = []
    high, medium = phrases_in(text, lexicon.high), phrases_in(text, lexicon.medium)
    if high:
        priority, priority_reasons = Priority.HIGH, [Reason("keyword", w) for w in high]
    elif medium:
        priority, priority_reasons = Priority.MEDIUM, [Reason("keyword", w) for w in medium]
    elif ticket_type is TicketType.CONSULTATION:
        priority, priority_reasons = Priority.LOW, [Reason("default", "question")]
    else:
        priority, priority_reasons = Priority.MEDIUM, [Reason("default", "problem")]
    if intent is not None and intent.priority is not None and intent.priority.rank > priority.rank:
        priority = intent.priority
        priority_reasons.append(Reason("intent", intent.label))
    if "complaint" in tags and priority is Priority.LOW:
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("tag", "complaint"))
    if tier.is_vip and priority is Priority.LOW:  # VIPs have their own SLA policy; high is impact
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("tier", tier.value))
    if channel in PUBLIC_CHANNELS and priority is Priority.LOW:
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("channel", channel.value))
    reasons = {"type": type_reasons, "priority": tuple(priority_reasons), "tags": tuple(tag_reasons)}
    return Suggestion(ticket_type, priority, tuple(dict.fromkeys(tags)), reasons)
