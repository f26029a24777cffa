"""The bot's learning loop (R-BOT-7, R-KB-4): questions it could not match and answers customers
rated low, grouped so an editor handles "快递三天没动了" and "快递好几天不动了" once.

Grouping is greedy on the cosine of binary token sets (jieba words plus CJK bigrams, as
`nlp.segment.tokens`): no model to train, stable as the queue changes, and it works on a queue
of two — IDF weighting, tried first, rates every shared word as common when there are only a few
questions and split obvious paraphrases. Each group carries the
article that matches it best, so the usual action (add this phrasing to that article) is one
click; the other actions open a new draft, teach an intent, or dismiss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sqlalchemy import select

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.roles import Permission, Principal
from servicedesk.nlp.segment import tokens
from servicedesk.services import intents as intent_service
from servicedesk.services import knowledge
from servicedesk.services.access import require
from servicedesk.services.knowledge_index import search_articles
from servicedesk.store.assistant import BotTurn, ReviewStatus
from servicedesk.store.knowledge import Article
from servicedesk.store.uow import UnitOfWork

QUEUE_LIMIT = 500  # the newest pending turns grouped per view
SAME_GROUP = 0.35  # cosine to a group's first question


class ReviewKind(StrEnum):
    UNMATCHED = "unmatched"
    LOW_RATED = "low_rated"


@dataclass
class ReviewGroup:
    kind: ReviewKind
    turn_ids: list[int] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    article_id: int | None = None  # low rated: the answer they rated; unmatched: the best guess
    article_title: str | None = None
    confidence: float = 0.0

    @property
    def size(self) -> int:
        return len(self.turn_ids)


async def review_queue(uow: UnitOfWork, actor: Principal) -> list[ReviewGroup]:
    """Pending turns grouped, largest group first."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    turns = list(
        await uow.session.scalars(
            select(BotTurn)
            .where(BotTurn.review_status == ReviewStatus.PENDING)
            .order_by(BotTurn.id.desc())
            .limit(QUEUE_LIMIT)
        )
    )
    low = [t for t in turns if t.rating is not None]
    groups = _by_answer(low) + _by_similarity([t for t in turns if t.rating is None])
    titles = {
        a.id: a.title
        for a in await uow.session.scalars(
            select(Article).where(Article.id.in_({g.article_id for g in groups if g.article_id}))
        )
    }
    for group in groups:
        if group.kind is ReviewKind.UNMATCHED:
            hits = await search_articles(uow, actor, group.questions[0], k=1, include_drafts=True)
            if hits:
                group.article_id, group.article_title = hits[0].article.id, hits[0].article.title
                group.confidence = hits[0].confidence
        elif group.article_id is not None:
            group.article_title = titles.get(group.article_id)
    return sorted(groups, key=lambda g: (-g.size, g.turn_ids[0]))


def _by_answer(turns: Sequence[BotTurn]) -> list[ReviewGroup]:
    groups: dict[int | None, ReviewGroup] = {}
    for turn in turns:
        group = groups.setdefault(
            turn.article_id, ReviewGroup(ReviewKind.LOW_RATED, article_id=turn.article_id)
        )
        group.turn_ids.append(turn.id)
        group.questions.append(turn.text)
    return list(groups.values())


def _by_similarity(turns: Sequence[BotTurn]) -> list[ReviewGroup]:
    if not turns:
        return []
    try:
        vectors = TfidfVectorizer(analyzer=tokens, use_idf=False, binary=True).fit_transform(
            [t.text for t in turns]
        )
    except ValueError:  # nothing but emoji and punctuation: no words to compare
        vectors = None
    groups: list[ReviewGroup] = []
    leaders: list[int] = []
    for i, turn in enumerate(turns):
        best, best_score = -1, SAME_GROUP
        if leaders and vectors is not None:
            scores = (vectors[leaders] @ vectors[i].T).toarray().ravel()
            j = int(np.argmax(scores))
            if scores[j] >= best_score:
                best = j
        if best < 0:
            leaders.append(i)
            groups.append(ReviewGroup(ReviewKind.UNMATCHED))
            best = len(groups) - 1
        groups[best].turn_ids.append(turn.id)
        if turn.text not in groups[best].questions:
            groups[best].questions.append(turn.text)
    return groups


class ReviewAction(StrEnum):
    ADD_PHRASING = "add_phrasing"  # to an existing article
    NEW_DRAFT = "new_draft"  # a new draft article asking these questions
    ADD_EXAMPLES = "add_examples"  # teach an intent
    DISMISS = "dismiss"


async def resolve(
    uow: UnitOfWork,
    actor: Principal,
    turn_ids: Sequence[int],
    action: ReviewAction,
    *,
    article_id: int | None = None,
    intent_id: int | None = None,
    phrasings: Sequence[str] = (),
) -> int | None:
    """Apply an editor's decision to a group; returns the article or intent changed."""
    require(actor, Permission.WRITE_KNOWLEDGE)
    turns = list(
        await uow.session.scalars(
            select(BotTurn).where(BotTurn.id.in_(turn_ids), BotTurn.review_status == ReviewStatus.PENDING)
        )
    )
    if not turns:
        raise ValidationFailed("nothing to review", fields={"turn_ids": "no pending turns with these ids"})
    texts = list(dict.fromkeys(p.strip() for p in (phrasings or [t.text for t in turns]) if p.strip()))
    status = ReviewStatus.DISMISSED if action is ReviewAction.DISMISS else ReviewStatus.RESOLVED
    now = uow.now()
    for turn in turns:  # committed together with the action below
        turn.review_status, turn.reviewed_by_id, turn.reviewed_at = status, actor.user_id, now
    uow.record(
        actor, "bot.review", subject_type="bot_turn", subject_id=turns[0].id,
        after={"action": action.value, "turns": [t.id for t in turns], "article_id": article_id,
               "intent_id": intent_id},
    )  # fmt: skip
    note = "from the bot's review queue"
    if action is ReviewAction.ADD_PHRASING:
        article = await uow.session.get(Article, article_id) if article_id is not None else None
        if article is None:
            raise ValidationFailed("which article?", fields={"article_id": f"no article {article_id}"})
        questions = [*article.questions, *(t for t in texts if t not in article.questions)]
        await knowledge.update_article(
            uow, actor, article.id, changes={"questions": questions}, expected_revision=article.revision,
            note=note,
        )  # fmt: skip
        await uow.commit()  # update_article does not commit when the phrasings were all known
        return article.id
    if action is ReviewAction.NEW_DRAFT:
        content = knowledge.Content(title=texts[0][:200], questions=tuple(texts[1:]))
        return (await knowledge.create_article(uow, actor, content, note=note)).id
    if action is ReviewAction.ADD_EXAMPLES:
        if intent_id is None:
            raise ValidationFailed("which intent?", fields={"intent_id": "required"})
        changed = (await intent_service.add_examples(uow, actor, intent_id, texts)).id
        await uow.commit()
        return changed
    await uow.commit()
    return None
