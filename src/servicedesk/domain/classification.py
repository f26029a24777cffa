"""Suggested problem type, business tags, priority and hand-off urgency of a case (R-CL-1,
R-CL-2, R-BOT-5), with the reasons a person can check.

One function, `suggest`, decides all four for every way a case arrives — channel intake, a
customer's form, the bot handing over or an agent taking over a bot conversation — so a case
never gets one priority from intake and another from the bot.

- The type and a first priority come from the trained model (`ModelGuess`, nlp/cases.py), with
  its confidence and the words it weighed most as reasons.
- The strong signals of `domain.strong_signals` (danger, outage, legal threat, stolen money,
  cannot use at all) make the priority high whatever the model says; so do the bot's configured
  urgent words and an intent an admin marked 紧急/特急.
- The seeds define priority by impact (seed 002 §3.2): a customer's tier and a public channel
  can raise a general question to medium, never make anything high (VIPs have their own SLA
  policy), and a complaint is never low.
- Urgency is the hand-off's name for the same assessment: 特急 when safety is at stake, 紧急 for
  any other high case, 普通 otherwise — so 紧急 and 特急 always mean high priority and back.
- The bot's intent is evidence: its type agrees, or decides when the model is unsure
  (`INTENT_DECIDES_BELOW`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from servicedesk.domain.assistant import BotRules, Urgency, phrases_in
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.labels import register
from servicedesk.domain.strong_signals import CRITICAL_SIGNALS, Signal, signals_in

PUBLIC_CHANNELS = frozenset({Channel.WEIBO, Channel.DOUYIN})
INTENT_DECIDES_BELOW = 0.5  # the model's type probability under which a recognised intent's type wins
WORD_KINDS = frozenset({"keyword", "urgency", *Signal})  # reasons whose detail is the customer's words


class Suggested(StrEnum):
    """The fields whose suggestion an agent must give a reason to leave."""

    TYPE = "type"
    PRIORITY = "priority"


register(Suggested.TYPE, "问题类型", "Type")
register(Suggested.PRIORITY, "优先级", "Priority")


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Words that show a business tag (R-CL-1's refund, logistics, billing…)."""

    tags: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: {
            "refund": ("退款", "退钱", "返款", "退回来", "没退", "不给退", "给我退", "补差价", "仅退款",
                       "refund", "money back"),
            "return": ("退货", "退换", "换货", "换一台", "换一个", "换尺码", "寄回", "发错", "wrong item",
                       "return", "exchange", "replacement"),
            "logistics": ("物流", "快递", "发货", "配送", "送到", "没收到", "未收到", "运单", "包裹", "驿站",
                          "签收", "骑手", "顺丰", "ems", "delivery", "delivered", "shipping", "ship",
                          "tracking", "parcel", "courier", "carrier", "dhl"),
            "billing": ("发票", "开票", "扣费", "扣了", "扣款", "账单", "多扣", "多付", "收费", "要收",
                        "月租", "年费", "话费", "手续费", "续费", "扣钱", "额度", "invoice", "charged",
                        "billing", "bill", "vat"),
            "complaint": ("投诉", "12315", "曝光", "消协", "态度极差", "态度差", "态度很差", "不尊重",
                          "说话很冲", "推来推去", "没人解决", "给个交代", "给说法", "上新闻", "律师", "起诉",
                          "监管", "complaint", "complain", "legal action", "consumer protection"),
            "address": ("修改地址", "改地址", "收货地址", "地址写错", "旧地址", "address"),
            "account": ("账号", "帐号", "账户", "密码", "验证码", "实名", "注销", "绑定", "account",
                        "password", "verification code"),
        }
    )  # fmt: skip


DEFAULT_LEXICON = Lexicon()


@dataclass(frozen=True, slots=True)
class ModelGuess:
    """What the trained model read in the text; confidences are its probabilities, the words
    the ones that added most to the class it chose."""

    type: TicketType
    type_confidence: float
    type_words: tuple[str, ...]
    priority: Priority
    priority_confidence: float
    priority_words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IntentHint:
    """What the assistant's model made of the text, when it recognised something."""

    name: str
    label: str
    confidence: float
    ticket_type: TicketType | None = None
    urgency: Urgency = Urgency.NORMAL  # the intent's own, as an admin set it


@dataclass(frozen=True, slots=True)
class Reason:
    """`kind`: model | model_unsure | keyword | intent | urgency | a `Signal` | tier | channel |
    tag | default; `detail` is what was seen (words, a label, a confidence)."""

    kind: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Suggestion:
    type: TicketType
    priority: Priority
    tags: tuple[str, ...]
    reasons: Mapping[str, tuple[Reason, ...]]  # "type" | "priority" | "tags" → why
    urgency: Urgency = Urgency.NORMAL

    @property
    def keywords(self) -> tuple[str, ...]:
        """Every word of the customer's that drove the suggestion, strongest first (R-BOT-5)."""
        ordered = [
            *self.reasons.get("priority", ()),
            *self.reasons.get("type", ()),
            *self.reasons.get("tags", ()),
        ]
        words = [w for r in ordered if r.kind in WORD_KINDS for w in r.detail.split("、") if w]
        return tuple(dict.fromkeys(words))

    def to_json(self) -> dict[str, Any]:
        return {f: [[r.kind, r.detail] for r in rs] for f, rs in self.reasons.items()}

    @staticmethod
    def reasons_from_json(data: Mapping[str, Any]) -> dict[str, tuple[Reason, ...]]:
        return {f: tuple(Reason(str(k), str(d)) for k, d in rs) for f, rs in data.items()}


def urgency_for(priority: Priority, *, critical: bool) -> Urgency:
    """The one mapping between a case's priority and a hand-off's urgency."""
    if priority is not Priority.HIGH:
        return Urgency.NORMAL
    return Urgency.CRITICAL if critical else Urgency.URGENT


def _percent(p: float) -> str:
    return f"{round(p * 100)}%"


def _type(guess: ModelGuess, intent: IntentHint | None) -> tuple[TicketType, list[Reason]]:
    model = [
        Reason("model", _percent(guess.type_confidence)),
        *(Reason("keyword", w) for w in guess.type_words),
    ]
    if intent is None or intent.ticket_type is None:
        return guess.type, model
    if intent.ticket_type is guess.type:
        return guess.type, [*model, Reason("intent", intent.label)]
    if guess.type_confidence < INTENT_DECIDES_BELOW:
        return intent.ticket_type, [
            Reason("intent", intent.label),
            Reason("model_unsure", _percent(guess.type_confidence)),
        ]
    return guess.type, model


def suggest(
    text: str,
    *,
    tier: CustomerTier,
    channel: Channel,
    guess: ModelGuess,
    intent: IntentHint | None = None,
    rules: BotRules | None = None,
    lexicon: Lexicon = DEFAULT_LEXICON,
) -> Suggestion:
    """`rules` are the bot's (its configured urgent and critical words count here too, so a
    hand-off and a message that went straight to a person agree)."""
    rules = rules or BotRules()
    ticket_type, type_reasons = _type(guess, intent)
    tags = [tag for tag, words in lexicon.tags.items() if phrases_in(text, tuple(words))]
    tag_reasons = [Reason("keyword", "、".join(phrases_in(text, tuple(lexicon.tags[tag])))) for tag in tags]
    if intent is not None:
        tags.append(f"intent-{intent.name}")
        tag_reasons.append(Reason("intent", intent.label))

    model = [
        Reason("model", _percent(guess.priority_confidence)),
        *(Reason("keyword", w) for w in guess.priority_words),
    ]
    hits = signals_in(text)
    critical_words = phrases_in(text, rules.critical_keywords)
    urgent_words = phrases_in(text, rules.urgent_keywords)
    raised = [Reason(hit.signal.value, "、".join(hit.words)) for hit in hits]
    raised += (
        [Reason("urgency", "、".join(critical_words + urgent_words))]
        if critical_words or urgent_words
        else []
    )
    if intent is not None and intent.urgency is not Urgency.NORMAL:
        raised.append(Reason("intent", intent.label))
    priority = Priority.HIGH if raised else guess.priority
    priority_reasons = raised + model
    if "complaint" in tags and priority is Priority.LOW:
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("tag", "complaint"))
    if tier.is_vip and priority is Priority.LOW:  # VIPs have their own SLA policy; high is impact
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("tier", tier.value))
    if channel in PUBLIC_CHANNELS and priority is Priority.LOW:
        priority = Priority.MEDIUM
        priority_reasons.append(Reason("channel", channel.value))

    critical = (
        any(hit.signal in CRITICAL_SIGNALS for hit in hits)
        or bool(critical_words)
        or (intent is not None and intent.urgency is Urgency.CRITICAL)
    )
    reasons = {"type": tuple(type_reasons), "priority": tuple(priority_reasons), "tags": tuple(tag_reasons)}
    return Suggestion(
        ticket_type, priority, tuple(dict.fromkeys(tags)), reasons, urgency_for(priority, critical=critical)
    )
