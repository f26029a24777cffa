"""The bot between intake and ticketing (R-BOT-1 … R-BOT-5, DESIGN flow 1).

For a conversation no person has yet, every customer message goes through three steps:
understand (intent model, slots, a business connector, the knowledge base as fallback),
decide (`domain.assistant.decide`, the pure policy) and act (answer, ask, thank, or hand over
by opening a pre-filled case from the conversation). All of it runs in the intake's
transaction, so the customer's message, the bot's answer and its outbox row are stored
together, exactly once, however often the channel retries.

The trained intent model lives in memory per process and is retrained when the intents or the
articles they answer with change (checked by a cheap stamp query per message), so an edit in
the admin page takes effect on the next message on every process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select

from servicedesk.channels.message import OutboundMessage
from servicedesk.domain.assistant import (
    Action,
    BotRules,
    BotState,
    Decision,
    HandoffReason,
    Memory,
    Understanding,
    Urgency,
    decide,
)
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.classification import IntentHint, Suggestion
from servicedesk.domain.errors import Conflict, NotFound
from servicedesk.domain.knowledge import ContentStatus, render
from servicedesk.domain.labels import label
from servicedesk.domain.language import EN, ZH, detect, language_name, supported
from servicedesk.domain.pii import mask_phone
from servicedesk.domain.roles import Permission, Principal, Visibility
from servicedesk.nlp.embeddings import Encoder
from servicedesk.nlp.intent import IntentModel
from servicedesk.nlp.slots import extract
from servicedesk.services import classification, progress, service_hours
from servicedesk.services.access import require
from servicedesk.services.assistant_texts import BOT_TEXTS, bot_text
from servicedesk.services.connectors import Connector, builtin_connectors
from servicedesk.services.knowledge_index import search_articles
from servicedesk.services.out_of_scope import OUT_OF_SCOPE, OUT_OF_SCOPE_INTENT
from servicedesk.services.outbound import queue_conversation_reply
from servicedesk.services.outbox import enqueue
from servicedesk.services.progress import tell_customer
from servicedesk.services.scripts import welcome_text
from servicedesk.services.tickets import adopt_conversation
from servicedesk.services.translations import version_in
from servicedesk.store.assistant import BotSession, BotTurn, Intent, ReviewStatus
from servicedesk.store.knowledge import Article, Script
from servicedesk.store.models import Conversation, Customer, Message, Ticket
from servicedesk.store.uow import UnitOfWork

BOT_CHANNELS = frozenset({Channel.WEB_CHAT, Channel.WECHAT, Channel.WEIBO, Channel.DOUYIN})
ANSWER_MAX = 600  # characters of an article quoted in a chat; the rest is a link away
TEMPLATE_LANGUAGE = ZH  # an intent's `answer` is written in Chinese; `answer_en` is the English


@dataclass(frozen=True)
class AssistantConfig:
    """Everything the bot's behaviour depends on; built from settings."""

    enabled: bool = True
    channels: frozenset[Channel] = BOT_CHANNELS
    bot_name: str = "小智"
    rules: BotRules = field(default_factory=BotRules)
    intent_threshold: float | None = None  # None: the model's own calibrated default
    # a knowledge-base answer needs this search confidence; off-topic chatter scores 0.01
    # (95th percentile 0.08) and real questions 0.27 at the median (docs/benchmarks.md)
    article_min_confidence: float = 0.2
    encoder: Encoder | None = None  # optional dense embeddings for the intent model


@dataclass(frozen=True)
class BotOutcome:
    action: Action
    replies: tuple[str, ...] = ()
    ticket_id: int | None = None  # set when the bot handed over
    reason: HandoffReason | None = None


@dataclass
class _Answer:
    text: str | None = None
    intent: Intent | None = None
    confidence: float = 0.0
    article_id: int | None = None
    script_id: int | None = None
    missing: tuple[str, ...] = ()
    not_found: dict[str, str] | None = None  # a connector found nothing for these slots


class Brain:
    """A trained intent model and the intents it was trained on."""

    def __init__(self, model: IntentModel | None, intents: Mapping[str, Intent], stamp: tuple[Any, ...]):
        self.model = model
        self.intents = intents
        self.stamp = stamp

    @property
    def knows_something(self) -> bool:
        """A bot with no intents and no published article has nothing to say: it stays out of
        the way and the conversation goes straight to a person (a fresh install)."""
        return self.model is not None or bool(self.stamp[-1])


class Assistant:
    def __init__(
        self,
        config: AssistantConfig | None = None,
        connectors: Mapping[str, Connector] | None = None,
    ) -> None:
        self.config = config or AssistantConfig()
        self.connectors = dict(connectors) if connectors is not None else builtin_connectors()
        self._brain: Brain | None = None
        self._training = asyncio.Lock()

    async def handles(self, uow: UnitOfWork, channel: Channel) -> bool:
        if not self.config.enabled or channel not in self.config.channels:
            return False
        return (await self.brain(uow)).knows_something

    async def welcome(
        self, uow: UnitOfWork, channel: Channel, locale: str, customer_name: str = ""
    ) -> str | None:
        """The channel's standard welcome from the script library (R-IN-4), with the bot's name
        and the service hours filled in; None when no welcome script is published."""
        hours = (await service_hours.current(uow)).hours_text(locale)
        values = {"bot_name": self.config.bot_name, "service_hours": hours, "customer_name": customer_name}
        return await welcome_text(uow, channel, locale, {k: v for k, v in values.items() if v})

    async def greet(
        self, uow: UnitOfWork, *, customer: Customer, channel: Channel, recipient: str, key: str
    ) -> bool:
        """Send the welcome to a new follower through the outbox, once per `key` however often
        the platform retries the follow event."""
        text = await self.welcome(uow, channel, customer.locale)
        if not text:
            return False
        message = OutboundMessage(channel=channel, recipient=recipient, body=text, metadata={"from": "bot"})
        await enqueue(uow, message, dedupe_key=f"welcome:{key}"[:200])
        return True

    async def warm(self, uow: UnitOfWork) -> None:
        """Train the model and load the knowledge index now, not on the first customer's message."""
        if self.config.enabled:
            await self.brain(uow)
            await search_articles(uow, None, "warm up", k=1)

    async def recognise(self, uow: UnitOfWork, text: str) -> IntentHint | None:
        """What the intent model makes of a message that goes straight to a person — evidence
        for the case's suggested classification (R-CL-1); None when nothing matched."""
        brain = await self.brain(uow)
        if brain.model is None:
            return None
        prediction = brain.model.predict(text)
        intent = brain.intents.get(prediction.intent) if prediction.intent else None
        if intent is None:
            return None
        return _hint(intent, prediction.confidence)

    # --- the model -------------------------------------------------------------------------

    async def _stamp(self, uow: UnitOfWork) -> tuple[Any, ...]:
        intents = (
            await uow.session.execute(select(func.count(Intent.id), func.max(Intent.updated_at)))
        ).one()
        published = Article.status == ContentStatus.PUBLISHED
        articles = (
            await uow.session.execute(
                select(func.max(Article.updated_at), func.count(Article.id)).where(published)
            )
        ).one()
        return (intents[0], intents[1], articles[0], articles[1])

    async def brain(self, uow: UnitOfWork) -> Brain:
        """The current model, retrained first if intents or articles changed since."""
        stamp = await self._stamp(uow)
        if self._brain is not None and self._brain.stamp == stamp:
            return self._brain
        async with self._training:
            if self._brain is not None and self._brain.stamp == stamp:
                return self._brain
            intents = {
                i.name: i for i in await uow.session.scalars(select(Intent).where(Intent.active.is_(True)))
            }
            examples = await self._examples(uow, intents)
            labels = {name for name, _text in examples}
            model = None
            if labels - {OUT_OF_SCOPE_INTENT}:
                model = await asyncio.to_thread(self._train, examples)
            for intent in intents.values():
                uow.session.expunge(intent)  # kept across sessions, read-only
            self._brain = Brain(model, intents, stamp)
            return self._brain

    def _train(self, examples: list[tuple[str, str]]) -> IntentModel:
        outside = [(OUT_OF_SCOPE_INTENT, text) for text in OUT_OF_SCOPE]
        return IntentModel.train(
            examples + outside, threshold=self.config.intent_threshold,
            out_of_scope_label=OUT_OF_SCOPE_INTENT, encoder=self.config.encoder,
        )  # fmt: skip

    async def _examples(self, uow: UnitOfWork, intents: Mapping[str, Intent]) -> list[tuple[str, str]]:
        """Each intent's own examples, plus the question phrasings of the article that answers
        it: an editor who adds a phrasing to an article teaches the classifier too."""
        examples = [(name, text) for name, i in intents.items() for text in i.examples if text.strip()]
        by_article = {i.article_id: name for name, i in intents.items() if i.article_id is not None}
        if by_article:
            rows = await uow.session.execute(
                select(Article.id, Article.title, Article.questions).where(Article.id.in_(by_article))
            )
            for article_id, title, questions in rows:
                name = by_article[article_id]
                examples.extend((name, q) for q in [title, *questions] if q.strip())
        return examples

    # --- one message -----------------------------------------------------------------------

    async def respond(
        self, uow: UnitOfWork, *, customer: Customer, conversation: Conversation, message: Message
    ) -> BotOutcome:
        """Handle one stored customer message of a bot conversation; not committed."""
        session = await uow.session.get(BotSession, conversation.id)
        if session is None:
            now = uow.now()
            session = BotSession(
                conversation_id=conversation.id, customer_id=customer.id, state=BotState.ACTIVE,
                misses=0, created_at=now, updated_at=now,
            )  # fmt: skip
            uow.session.add(session)
        memory = Memory(session.state, session.misses, session.pending_intent)
        locale = await self._language_of(uow, customer, conversation.id, message.body)
        answer = await self._understand(uow, customer, message.body, memory, locale)
        heard = Understanding(
            text=message.body,
            intent=answer.intent.name if answer.intent else None,
            has_answer=answer.text is not None,
            missing_slots=answer.missing,
            handoff_intent=bool(answer.intent and answer.intent.handoff),
        )
        decision = decide(memory, heard, self.config.rules)
        if decision.action is Action.ASK_SLOT and memory.pending_intent == heard.intent:
            decision = self._asked_again(memory, decision)
        if decision.rating is not None:
            rated = await self._rate_last_answer(uow, conversation.id, decision.rating)
            if rated is not None and rated.intent and answer.intent is None:
                # "2" has no intent of its own: the case is about the answer it rated
                answer.intent = (await self.brain(uow)).intents.get(rated.intent)
                answer.confidence = rated.confidence
        session.state, session.misses = decision.memory.state, decision.memory.misses
        session.pending_intent = decision.memory.pending_intent
        session.updated_at = uow.now()
        turn = BotTurn(
            conversation_id=conversation.id, message_id=message.id, text=message.body[:2000],
            locale=locale, action=decision.action.value, intent=heard.intent,
            confidence=answer.confidence, article_id=answer.article_id, script_id=answer.script_id,
            rating=None, created_at=uow.now(), review_status=_review_status(decision),
        )  # fmt: skip
        uow.session.add(turn)
        return await self._act(uow, customer, conversation, session, decision, answer, locale)

    async def _language_of(
        self, uow: UnitOfWork, customer: Customer, conversation_id: int, text: str | None = None
    ) -> str:
        """The language to answer in: the one this message is written in; for a message that
        shows none (a rating "5", an order number) the one the conversation was in; for the
        first such message, the customer's profile."""
        written = detect(text) if text is not None else None
        if written is not None:
            return written
        before = await uow.session.scalar(
            select(BotTurn.locale)
            .where(BotTurn.conversation_id == conversation_id)
            .order_by(BotTurn.id.desc())
            .limit(1)
        )
        return supported(before or customer.locale)

    def _asked_again(self, memory: Memory, decision: Decision) -> Decision:
        """Asking for the same order number twice counts as a miss: the third time, a person."""
        misses = memory.misses + 1
        if misses >= self.config.rules.max_consecutive_misses:
            return Decision(
                Action.HANDOFF, Memory(BotState.HANDED_OFF, misses), reason=HandoffReason.NO_MATCH,
                urgency=decision.urgency,
            )  # fmt: skip
        return Decision(Action.ASK_SLOT, Memory(BotState.AWAITING_SLOT, misses, memory.pending_intent))

    async def _understand(
        self, uow: UnitOfWork, customer: Customer, text: str, memory: Memory, locale: str
    ) -> _Answer:
        brain = await self.brain(uow)
        slots = _slot_values(text, uow.now().date())
        intent: Intent | None = None
        confidence = 0.0
        if brain.model is not None:
            prediction = brain.model.predict(text)
            confidence = prediction.confidence
            intent = brain.intents.get(prediction.intent) if prediction.intent else None
        if intent is None and memory.state is BotState.AWAITING_SLOT and memory.pending_intent:
            pending = brain.intents.get(memory.pending_intent)
            if pending is not None and any(s in slots for s in pending.slots):
                intent = pending  # "2024112200123" alone answers our question
        if intent is None and slots:
            # an order number and little else: the one intent that looks orders up
            wanting = [i for i in brain.intents.values() if i.connector and set(i.slots) <= set(slots)]
            if len(wanting) == 1:
                intent = wanting[0]
        if intent is not None:
            return await self._answer_intent(uow, customer, intent, slots, confidence, locale, text)
        return await self._fallback_article(uow, text, locale)

    async def _answer_intent(
        self,
        uow: UnitOfWork,
        customer: Customer,
        intent: Intent,
        slots: dict[str, str],
        confidence: float,
        locale: str,
        text: str,
    ) -> _Answer:
        found = _Answer(intent=intent, confidence=confidence)
        missing = tuple(s for s in intent.slots if s not in slots)
        if missing:
            found.missing = missing
            return found
        values = {"customer_name": customer.name, "bot_name": self.config.bot_name, **slots}
        template, written_in = _template(intent, locale)
        if intent.connector:
            connector = self.connectors.get(intent.connector)
            looked_up = (  # the order's status in the words of the template it fills
                await connector.lookup(uow, customer_id=customer.id, slots=slots, locale=written_in)
                if connector
                else None
            )
            if looked_up is None:
                found.missing, found.not_found = tuple(intent.slots), slots
                return found
            values.update(looked_up)
        if template:
            found.text = _in_language(render(template, values).text, written_in, locale)
        elif intent.script_id is not None:
            script = await uow.session.get(Script, intent.script_id)
            if script is not None and script.status is ContentStatus.PUBLISHED:
                shown = await version_in(uow, script, locale) or script
                found.text = _in_language(render(shown.body, values).text, shown.locale, locale)
                found.script_id = shown.id
        if found.text is None and intent.article_id is not None:
            article = await uow.session.get(Article, intent.article_id)
            if article is not None and article.status is ContentStatus.PUBLISHED:
                found.text, found.article_id = await _quote_in(uow, article, locale)
        if found.text is None and not intent.handoff:
            # a broad intent: the topic is known, the article is the best match for the words
            searched = await self._fallback_article(uow, text, locale)
            found.text, found.article_id = searched.text, searched.article_id
        return found

    async def _fallback_article(self, uow: UnitOfWork, text: str, locale: str) -> _Answer:
        """No intent: a published article that matches the question well enough still answers,
        in the customer's language where it has a version in it. Every language is searched:
        an English question may match the English phrasings of a Chinese-only article."""
        hits = await search_articles(uow, None, text, k=1)
        if not hits:
            return _Answer()
        best = hits[0]
        if best.confidence < self.config.article_min_confidence:
            return _Answer(confidence=best.confidence)
        quoted, article_id = await _quote_in(uow, best.article, locale)
        return _Answer(text=quoted, confidence=best.confidence, article_id=article_id)

    async def _rate_last_answer(self, uow: UnitOfWork, conversation_id: int, rating: int) -> BotTurn | None:
        last = await uow.session.scalar(
            select(BotTurn)
            .where(BotTurn.conversation_id == conversation_id, BotTurn.action == Action.ANSWER.value)
            .order_by(BotTurn.id.desc())
            .limit(1)
        )
        if last is not None:
            last.rating = rating
            if rating <= self.config.rules.handoff_rating_max:
                last.review_status = ReviewStatus.PENDING  # a low-rated answer goes to review
        return last

    # --- acting ----------------------------------------------------------------------------

    async def _act(
        self,
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        session: BotSession,
        decision: Decision,
        answer: _Answer,
        locale: str,
    ) -> BotOutcome:
        name = {"bot_name": self.config.bot_name}
        match decision.action:
            case Action.ANSWER:
                assert answer.text is not None
                rate = (bot_text("rate", locale),) if decision.ask_rating else ()
                texts = (answer.text, *rate)
            case Action.ASK_SLOT:
                texts = (_slot_question(answer, locale, name),)
            case Action.CLARIFY:
                texts = (bot_text("clarify", locale, **name),)
            case Action.THANK:
                texts = (bot_text("thanks", locale, **name),)
            case Action.HANDOFF:
                return await self._hand_off(uow, customer, conversation, session, decision, answer, locale)
            case Action.SILENT:
                texts = ()
        for text in texts:
            await self._say(uow, conversation, text)
        return BotOutcome(decision.action, texts)

    async def _say(self, uow: UnitOfWork, conversation: Conversation, text: str) -> Message:
        reply = Message(
            conversation_id=conversation.id, ticket_id=conversation.ticket_id, kind=MessageKind.REPLY,
            channel=conversation.channel, body=text, created_at=uow.now(), attachments=[],
            meta={"bot": self.config.bot_name},
        )  # fmt: skip
        uow.session.add(reply)
        await uow.session.flush()
        await queue_conversation_reply(uow, conversation, reply, sender="bot")
        return reply

    async def _hand_off(
        self,
        uow: UnitOfWork,
        customer: Customer,
        conversation: Conversation,
        session: BotSession,
        decision: Decision,
        answer: _Answer,
        locale: str,
    ) -> BotOutcome:
        """R-BOT-5: the case is opened pre-filled — customer, type, urgency, the words and the
        intent that drove them, the conversation so far — and the agent reads why."""
        assert decision.reason is not None
        why = _Why(decision.reason, answer.intent, answer.confidence, decision.keywords, decision.rating)
        ticket = await self._open_case(uow, None, customer, conversation, session, why)
        text = await self._handoff_text(uow, ticket, locale)
        await self._say(uow, conversation, text)
        return BotOutcome(Action.HANDOFF, (text,), ticket_id=ticket.id, reason=decision.reason)

    async def take_over(self, uow: UnitOfWork, actor: Principal, conversation_id: int) -> Ticket:
        """A member of staff watching the bot steps in: the conversation becomes their case,
        pre-filled as a hand-off would be (with the last intent the bot recognised), and the
        customer is told a person is here. Committed. Refused once a person has it."""
        require(actor, Permission.WORK_TICKETS)
        if actor.visibility is not Visibility.ALL:  # a conversation with no case belongs to no team
            raise NotFound(f"conversation {conversation_id} not found")
        stmt = select(Conversation).where(Conversation.id == conversation_id)
        if uow.dialect == "postgresql":  # the bot handing over at the same moment waits for us
            stmt = stmt.with_for_update()
        conversation = await uow.session.scalar(stmt)
        session = await uow.session.get(BotSession, conversation_id)
        if conversation is None or session is None:
            raise NotFound(f"conversation {conversation_id} not found")
        if conversation.ticket_id is not None or conversation.ended_at is not None:
            raise Conflict("a person already has this conversation", fields={"conversation_id": "taken"})
        customer = await uow.session.get(Customer, conversation.customer_id)
        assert customer is not None
        last = await uow.session.scalar(
            select(BotTurn).where(BotTurn.conversation_id == conversation_id, BotTurn.intent.is_not(None))
            .order_by(BotTurn.id.desc()).limit(1)
        )  # fmt: skip
        intent = (await self.brain(uow)).intents.get(last.intent) if last and last.intent else None
        why = _Why(HandoffReason.TAKEN_OVER, intent, last.confidence if last else 0.0, (), None)
        ticket = await self._open_case(uow, actor, customer, conversation, session, why)
        locale = await self._language_of(uow, customer, conversation_id)
        await tell_customer(
            uow, ticket, bot_text("taken_over", locale, agent=actor.name), reason="taken_over"
        )
        await uow.commit()
        return ticket

    async def _open_case(
        self,
        uow: UnitOfWork,
        actor: Principal | None,
        customer: Customer,
        conversation: Conversation,
        session: BotSession,
        why: _Why,
    ) -> Ticket:
        """The case a hand-off opens, pre-filled (R-BOT-5) from everything the customer wrote:
        type, priority and urgency from the one classification every case gets (the bot's
        intent as evidence), the slots it found, all the words that drove them; the why on the
        session, an internal note and the audit trail. Assigned to `actor` when a person took
        it, else routed."""
        intent = why.intent
        lines = await _customer_lines(uow, conversation.id)
        first = " ".join(lines[0].split())[:60] if lines else ""
        suggestion = classification.assess(
            "\n".join(lines), tier=customer.tier, channel=conversation.channel,
            hint=_hint(intent, why.confidence) if intent else None, rules=self.config.rules,
        )  # fmt: skip
        topic = label_of(intent, "zh") if intent else "咨询"
        mark = "[接管]" if why.reason is HandoffReason.TAKEN_OVER else "[转人工]"
        ticket = await adopt_conversation(
            uow, customer=customer, conversation=conversation,
            subject=(f"{mark} {topic}：{first}" if first and first != topic else f"{mark} {topic}")[:200],
            type=suggestion.type, priority=suggestion.priority, tags=_handoff_tags(why.reason, suggestion),
            assignee_id=actor.user_id if actor is not None else None,
        )  # fmt: skip
        classification.remember(uow, ticket, suggestion)
        detail = {
            "reason": why.reason.value,
            "intent": intent.name if intent else None,
            "intent_label": label_of(intent, "zh") if intent else None,
            "intent_label_en": label_of(intent, "en") if intent else None,
            "confidence": round(why.confidence, 3),
            "type": suggestion.type.value,
            "priority": suggestion.priority.value,
            "urgency": suggestion.urgency.value,
            "keywords": list(dict.fromkeys([*suggestion.keywords, *why.keywords])),
            "slots": _conversation_slots(lines, uow.now().date()),
            "rating": why.rating,
        }
        session.state = BotState.HANDED_OFF
        session.handoff_reason, session.urgency = why.reason, suggestion.urgency
        session.handoff_detail, session.ticket_id = detail, ticket.id
        session.updated_at = uow.now()
        uow.session.add(
            Message(
                conversation_id=conversation.id,
                ticket_id=ticket.id,
                kind=MessageKind.NOTE,
                channel=conversation.channel,
                body=handoff_note(detail),
                created_at=uow.now(),
                attachments=[],
                meta={"bot": self.config.bot_name, "handoff": detail},
            )
        )
        uow.record(
            actor, "bot.handoff", subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
            after=detail,
        )  # fmt: skip
        return ticket

    async def _handoff_text(self, uow: UnitOfWork, ticket: Ticket, locale: str) -> str:
        """What the customer hears on hand-off, from where routing placed the case: the person
        or the SLA's contact deadline, else its place in the queue and the estimate; while the
        service is closed, when it opens."""
        where = await progress.standing(uow, ticket, locale)
        tz, now = uow.settings.default_time_zone, uow.now()
        if where.waiting and where.expected_at is not None:
            eta = progress.eta_text(where.expected_at, now, tz, locale)
            then = bot_text("handoff_then_place_eta", locale, position=str(where.position), eta=eta)
        elif where.waiting:
            then = bot_text("handoff_then_place", locale, position=str(where.position))
        elif where.expected_at is not None and where.holder:
            when = progress.when_text(where.expected_at, tz, locale)
            then = bot_text("handoff_then_agent", locale, agent=where.holder, when=when)
        elif where.expected_at is not None:
            then = bot_text("handoff_then_by", locale, when=progress.when_text(where.expected_at, tz, locale))
        else:
            then = bot_text("handoff_then_soon", locale)
        closed = progress.closed_text(where, tz, locale)
        return bot_text("handoff", locale, closed=closed, ticket=ticket.number, then=then)


async def handoff_of(uow: UnitOfWork, ticket_id: int) -> BotSession | None:
    """The bot's record of handing this case over, if it did."""
    return await uow.session.scalar(select(BotSession).where(BotSession.ticket_id == ticket_id))


@dataclass(frozen=True)
class _Why:
    """Why a conversation went to a person, as the bot saw it; the case's type, priority and
    urgency come from the classification of the whole conversation (`_open_case`)."""

    reason: HandoffReason
    intent: Intent | None
    confidence: float
    keywords: tuple[str, ...]  # the bot's own: the words that asked for a person or raised urgency
    rating: int | None


def _hint(intent: Intent, confidence: float) -> IntentHint:
    return IntentHint(
        intent.name,
        label_of(intent, "zh"),
        confidence,
        ticket_type=intent.ticket_type,
        urgency=intent.urgency,
    )


def _handoff_tags(reason: HandoffReason, suggestion: Suggestion) -> list[str]:
    """The hand-off's own tags, then the business tags and the intent's (`intent-complaint` is
    what the complaint SLA policy keys on)."""
    return ["bot-handoff", f"handoff-{reason.value}", *suggestion.tags]


def _review_status(decision: Decision) -> ReviewStatus | None:
    """A question the bot could not match waits for a knowledge editor (R-BOT-7)."""
    missed = decision.action is Action.CLARIFY or decision.reason is HandoffReason.NO_MATCH
    return ReviewStatus.PENDING if missed else None


def label_of(intent: Intent, locale: str) -> str:
    return intent.label_en if locale == "en" else intent.label_zh


def handoff_note(detail: Mapping[str, Any]) -> str:
    """The internal note the agent reads first: why the bot handed over."""
    lines = [
        "机器人转人工 / Bot hand-off",
        f"原因 Reason: {label(HandoffReason(detail['reason']))}",
    ]
    if detail.get("rating") is not None:
        lines.append(f"客户评分 Rating: {detail['rating']} / 5")
    if detail.get("intent"):
        lines.append(
            f"意图 Intent: {detail['intent_label']}（{detail['intent']}，置信度 {detail['confidence']:.2f}）"
        )
    if detail.get("type"):  # hand-offs recorded before the type was kept have none
        lines.append(f"问题类型 Type: {label(TicketType(detail['type']))}")
        lines.append(f"优先级 Priority: {label(Priority(detail['priority']))}")
    lines.append(f"紧急程度 Urgency: {label(Urgency(detail['urgency']))}")
    if detail.get("keywords"):
        lines.append("关键词 Keywords: " + "、".join(detail["keywords"]))
    for slot, value in (detail.get("slots") or {}).items():
        lines.append(f"{SLOT_LABELS.get(slot, slot)}: {value}")
    return "\n".join(lines)


SLOT_LABELS = {
    "order_no": "订单号 Order",
    "phone": "手机 Phone",
    "amount": "金额 Amount",
    "date": "日期 Date",
}
_CUSTOMER_TEXT_MAX = 4000  # characters of the conversation the classification reads


async def _customer_lines(uow: UnitOfWork, conversation_id: int) -> list[str]:
    """What the customer wrote in the conversation so far, oldest first."""
    rows = await uow.session.scalars(
        select(Message.body)
        .where(Message.conversation_id == conversation_id, Message.kind == MessageKind.INBOUND)
        .order_by(Message.id)
    )
    lines, size = [], 0
    for body in rows:
        if size + len(body) > _CUSTOMER_TEXT_MAX:
            break
        lines.append(body)
        size += len(body)
    return lines


def _conversation_slots(lines: list[str], today: date) -> dict[str, str]:
    """The order number, amount, date (and the phone, masked) the customer gave; a later value
    replaces an earlier one (a customer who corrects a digit means the new number)."""
    found: dict[str, str] = {}
    for line in lines:
        found.update(_slot_values(line, today))
    if "phone" in found:
        found["phone"] = mask_phone(found["phone"])
    return found


def _slot_values(text: str, today: date) -> dict[str, str]:
    found = extract(text, today=today)
    values = {
        "order_no": found.order_no,
        "phone": found.phone,
        "amount": None if found.amount is None else f"{found.amount:.2f}",
        "date": None if found.date is None else found.date.isoformat(),
    }
    return {k: v for k, v in values.items() if v}


def _slot_question(answer: _Answer, locale: str, name: Mapping[str, str]) -> str:
    if answer.not_found is not None and "order_no" in answer.not_found:
        return bot_text("order_not_found", locale, order_no=answer.not_found["order_no"])
    slot = answer.missing[0] if answer.missing else "order_no"
    key = f"ask_{slot}"
    return bot_text(key if key in BOT_TEXTS else "clarify", locale, **name)


def _template(intent: Intent, locale: str) -> tuple[str, str]:
    """The intent's answer template for a customer writing `locale` and the language it is
    written in; "" when the intent answers with a script or an article instead."""
    if locale == EN and intent.answer_en.strip():
        return intent.answer_en, EN
    if intent.answer.strip():
        return intent.answer, TEMPLATE_LANGUAGE
    return "", locale


def _in_language(text: str, written_in: str, locale: str) -> str:
    """The answer as it is, or — when it exists only in another language — said plainly first,
    in the customer's own language, rather than switching languages without a word."""
    if written_in == locale:
        return text
    return bot_text("only_in", locale, language=language_name(written_in, locale)) + "\n" + text


async def _quote_in(uow: UnitOfWork, article: Article, locale: str) -> tuple[str, int]:
    """The article's version in the customer's language where one is published, else the
    article itself with the plain statement; the text and the id of the version quoted."""
    shown = await version_in(uow, article, locale) or article
    return _in_language(_quote(shown, locale), shown.locale, locale), shown.id


def _quote(article: Article, locale: str) -> str:
    body = article.body.strip()
    if len(body) <= ANSWER_MAX:
        return body
    return body[:ANSWER_MAX].rstrip() + "……\n" + bot_text("more", locale, title=article.title)
