"""The bot's dialogue policy (R-BOT-2 … R-BOT-5) as a pure function of what it remembers about
the conversation and what it understood of the new message.

Kept free of models and storage so every rule — a rating of 3 or less hands off, two misses in
a row hand off, 转人工 hands off, a missing order number is asked for — is a one-line test, and
so the thresholds are data (`BotRules`, filled from settings) rather than code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum

from servicedesk.domain.labels import register
from servicedesk.domain.strong_signals import CRITICAL_SIGNALS, signals_in


class BotState(StrEnum):
    ACTIVE = "active"  # the bot answers
    AWAITING_SLOT = "awaiting_slot"  # asked for an order number (or another slot)
    AWAITING_RATING = "awaiting_rating"  # answered; asked for 1–5
    HANDED_OFF = "handed_off"  # a person has the case; the bot stays silent


class HandoffReason(StrEnum):
    ASKED = "asked"  # the customer asked for a person
    LOW_RATING = "low_rating"
    NO_MATCH = "no_match"  # consecutive messages the bot could not match
    INTENT = "intent"  # an intent that always goes to a person (a complaint)
    SAFETY = "safety"  # words of danger (smoke, fire, injury): a person at once
    TAKEN_OVER = "taken_over"  # a member of staff watching the conversation stepped in


class Urgency(StrEnum):
    """The hand-off ticket's urgency (R-BOT-5): 普通 / 紧急 / 特急. 紧急 and 特急 are high
    priority (`domain.classification.urgency_for` is the one mapping)."""

    NORMAL = "normal"
    URGENT = "urgent"
    CRITICAL = "critical"


class Action(StrEnum):
    ANSWER = "answer"  # send the answer, then ask for a rating
    ASK_SLOT = "ask_slot"  # ask for what the answer needs
    CLARIFY = "clarify"  # no match yet: ask to rephrase, mention 转人工
    THANK = "thank"  # a good rating
    HANDOFF = "handoff"
    SILENT = "silent"  # a person has it


for _value, _zh, _en in [
    (HandoffReason.ASKED, "客户要求转人工", "Customer asked for a person"),
    (HandoffReason.LOW_RATING, "客户对机器人回答评分低", "Customer rated the bot's answer low"),
    (HandoffReason.NO_MATCH, "机器人连续未能识别问题", "The bot could not match the question repeatedly"),
    (HandoffReason.INTENT, "该类问题需人工处理", "This kind of question goes to a person"),
    (HandoffReason.SAFETY, "涉及人身或财产安全", "Safety at stake"),
    (HandoffReason.TAKEN_OVER, "客服主动接管", "An agent took over"),
    (Urgency.NORMAL, "普通", "Normal"),
    (Urgency.URGENT, "紧急", "Urgent"),
    (Urgency.CRITICAL, "特急", "Critical"),
]:
    register(_value, _zh, _en)


@dataclass(frozen=True, slots=True)
class BotRules:
    """Every rule and threshold of the policy; the defaults are the SPEC's."""

    handoff_rating_max: int = 3
    max_consecutive_misses: int = 2
    handoff_phrases: tuple[str, ...] = (
        "转人工", "人工客服", "人工服务", "找人工", "要人工", "真人客服", "转接人工",
        "agent", "human", "real person", "representative", "operator",
    )  # fmt: skip
    # words beyond `domain.strong_signals` that make a case 紧急 (so high priority) or 特急; the
    # built-in signals always apply. "着急", "尽快" say how the customer feels, not the impact the
    # seeds' priorities are about, so they are not here by default.
    urgent_keywords: tuple[str, ...] = ()
    unrated_intents: tuple[str, ...] = ("greeting",)  # small talk: answered, not scored
    critical_keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Memory:
    """What the bot keeps between two messages of one conversation."""

    state: BotState = BotState.ACTIVE
    misses: int = 0  # consecutive messages without a match
    pending_intent: str | None = None  # waiting for a slot of this intent


@dataclass(frozen=True, slots=True)
class Understanding:
    """What the models made of one customer message."""

    text: str
    intent: str | None = None  # None: nothing matched confidently
    has_answer: bool = False  # an article or script answers it
    missing_slots: tuple[str, ...] = ()  # what the answer needs and the message did not give
    handoff_intent: bool = False  # the intent is configured to go to a person


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    memory: Memory
    reason: HandoffReason | None = None
    rating: int | None = None  # the rating the message gave, if it was one
    urgency: Urgency = Urgency.NORMAL
    keywords: tuple[str, ...] = ()  # what raised the urgency or asked for a person
    ask_rating: bool = False


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().strip()


def phrases_in(text: str, phrases: tuple[str, ...]) -> tuple[str, ...]:
    folded = _fold(text)
    hits: list[str] = []
    for phrase in phrases:
        p = phrase.lower()
        # Latin words match whole ("agent" not "agents'"-inside-"management"); Chinese anywhere
        if p.isascii():
            if re.search(rf"(?<![a-z]){re.escape(p)}(?![a-z])", folded):
                hits.append(phrase)
        elif p in folded:
            hits.append(phrase)
    return tuple(hits)


def urgency_of(text: str, rules: BotRules) -> tuple[Urgency, tuple[str, ...]]:
    """The urgency the customer's own words show by the explicit rules (strong signals and the
    configured words), and the words that showed it; the model's part comes at hand-off."""
    hits = signals_in(text)
    critical = [w for h in hits if h.signal in CRITICAL_SIGNALS for w in h.words]
    critical += phrases_in(text, rules.critical_keywords)
    if critical:
        return Urgency.CRITICAL, tuple(dict.fromkeys(critical))
    urgent = [w for h in hits for w in h.words] + list(phrases_in(text, rules.urgent_keywords))
    if urgent:
        return Urgency.URGENT, tuple(dict.fromkeys(urgent))
    return Urgency.NORMAL, ()


_RATING_WORDS = (
    ("非常不满意", 1), ("很不满意", 1), ("不满意", 2), ("一般", 3), ("还行", 3),
    ("非常满意", 5), ("很满意", 5), ("满意", 4),
    ("very dissatisfied", 1), ("dissatisfied", 2), ("neutral", 3), ("very satisfied", 5), ("satisfied", 4),
)  # fmt: skip
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_RATING = re.compile(r"^([1-5一二两三四五])\s*(分|星|颗星|stars?|points?)?[。.!！]?$")


def parse_rating(text: str) -> int | None:
    """A reply to "please rate 1–5": a bare digit, 4分, 五星, 满意… Anything else is not a
    rating (a customer who asks a new question instead is answered, not scored)."""
    folded = _fold(text)
    match = _RATING.match(folded)
    if match:
        digit = match.group(1)
        return int(digit) if digit.isdigit() else _CN_DIGITS[digit]
    return dict(_RATING_WORDS).get(folded.rstrip("。.!！"))


def decide(memory: Memory, heard: Understanding, rules: BotRules) -> Decision:
    """The next step of the conversation; the returned memory replaces the old one."""
    if memory.state is BotState.HANDED_OFF:
        return Decision(Action.SILENT, memory)
    urgency, urgent_words = urgency_of(heard.text, rules)

    if memory.state is BotState.AWAITING_RATING:
        rating = parse_rating(heard.text)
        if rating is not None:
            if rating <= rules.handoff_rating_max:
                return _handoff(memory, HandoffReason.LOW_RATING, urgency, urgent_words, rating)
            return Decision(Action.THANK, Memory(), rating=rating)
        # not a rating: a new question, handled as in the active state

    if urgency is Urgency.CRITICAL:
        return _handoff(memory, HandoffReason.SAFETY, urgency, urgent_words)
    asked = phrases_in(heard.text, rules.handoff_phrases)
    if asked:
        return _handoff(memory, HandoffReason.ASKED, urgency, asked + urgent_words)
    if heard.handoff_intent:
        return _handoff(memory, HandoffReason.INTENT, urgency, urgent_words)

    if memory.state is BotState.AWAITING_SLOT and heard.intent is None and memory.pending_intent:
        # "2024112200123" alone answers our question for the order number
        heard = replace(heard, intent=memory.pending_intent)
    if heard.intent is not None and heard.missing_slots:
        return Decision(Action.ASK_SLOT, Memory(BotState.AWAITING_SLOT, 0, heard.intent), urgency=urgency)
    if heard.has_answer:
        if heard.intent in rules.unrated_intents:
            return Decision(Action.ANSWER, Memory(), urgency=urgency)
        return Decision(Action.ANSWER, Memory(BotState.AWAITING_RATING), urgency=urgency, ask_rating=True)

    misses = memory.misses + 1
    if misses >= rules.max_consecutive_misses:
        return _handoff(memory, HandoffReason.NO_MATCH, urgency, urgent_words)
    return Decision(Action.CLARIFY, Memory(BotState.ACTIVE, misses), urgency=urgency)


def _handoff(
    memory: Memory,
    reason: HandoffReason,
    urgency: Urgency,
    keywords: tuple[str, ...],
    rating: int | None = None,
) -> Decision:
    return Decision(
        Action.HANDOFF,
        Memory(BotState.HANDED_OFF, memory.misses),
        reason=reason,
        rating=rating,
        urgency=urgency,
        keywords=tuple(dict.fromkeys(keywords)),
    )
