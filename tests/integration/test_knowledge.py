"""Knowledge articles through the services: versions, diff, restore, stale flags, optimistic
conflicts, drafts from solved tickets, who may see and do what, and the search index."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any, TypeVar

import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus, StaleReason
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Principal
from servicedesk.services import article_history
from servicedesk.services import knowledge as kb
from servicedesk.services import knowledge_index as search
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.tickets import add_message, create_ticket, transition_ticket
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.models import Event
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World

T = TypeVar("T")

RETURNS = kb.Content(
    title="退换货政策",
    body="自签收之日起七天内可无理由退货。\n商品需保持完好，配件齐全。\n运费由买家承担。",
    questions=("怎么退货", "收到的东西不想要了能退吗"),
    tags=("售后", "退换货"),
    product="智能耳机 X1",
    product_version="2.1",
)


async def me(db: Database, person: Person | None) -> Principal | None:
    if person is None:
        return None
    async with UnitOfWork(db, write=False) as uow:
        return await principal_by_user_id(uow, person.user_id)


async def as_(db: Database, person: Person, call: Callable[[UnitOfWork, Principal], Awaitable[T]]) -> T:
    actor = await me(db, person)
    assert actor is not None
    async with UnitOfWork(db) as uow:
        return await call(uow, actor)


async def read(db: Database, person: Person | None, call: Callable[[UnitOfWork, Any], Awaitable[T]]) -> T:
    actor = await me(db, person)
    async with UnitOfWork(db, write=False) as uow:
        return await call(uow, actor)


async def draft(db: Database, world: World, content: kb.Content = RETURNS) -> Article:
    return await as_(db, world.alice, lambda u, a: kb.create_article(u, a, content, note="初稿"))


async def test_every_save_is_a_revision_and_restore_adds_one(db: Database, world: World) -> None:
    article = await draft(db, world)
    assert (article.status, article.revision, article.owner_id) == (
        ContentStatus.DRAFT,
        1,
        world.alice.user_id,
    )
    edited = await as_(
        db, world.alice,
        lambda u, a: kb.update_article(
            u, a, article.id, expected_revision=1, note="延长到十五天",
            changes={"body": RETURNS.body.replace("七天", "十五天"), "questions": [*RETURNS.questions, "退货期限是几天"]},
        ),
    )  # fmt: skip
    assert edited.revision == 2
    published = await as_(
        db,
        world.eve,
        lambda u, a: kb.set_article_status(u, a, article.id, ContentStatus.PUBLISHED, expected_revision=2),
    )
    assert (published.revision, published.status) == (3, ContentStatus.PUBLISHED)
    assert published.published_at is not None

    rows = await read(db, world.eve, lambda u, a: article_history.history(u, a, article.id))
    assert [r.revision.revision for r in rows] == [3, 2, 1]
    assert [r.author_name for r in rows] == ["Eve", "Alice", "Alice"]
    assert rows[1].revision.note == "延长到十五天"

    change = await read(db, world.eve, lambda u, a: article_history.diff(u, a, article.id, 1, 2))
    assert [f.field for f in change.changed] == ["questions", "body"]
    body = next(f for f in change.fields if f.field == "body")
    assert "-自签收之日起七天内可无理由退货。" in body.unified
    assert "+自签收之日起十五天内可无理由退货。" in body.unified
    assert [r.kind for r in body.rows] == ["changed", "equal", "equal"]
    questions = next(f for f in change.fields if f.field == "questions")
    assert [(r.kind, r.right) for r in questions.rows][-1] == ("added", "退货期限是几天")

    restored = await as_(
        db, world.eve, lambda u, a: kb.restore_article(u, a, article.id, 1, expected_revision=3)
    )
    assert restored.revision == 4
    assert restored.body == RETURNS.body and restored.status is ContentStatus.PUBLISHED  # status kept
    rows = await read(db, world.eve, lambda u, a: article_history.history(u, a, article.id))
    assert [r.revision.revision for r in rows] == [4, 3, 2, 1]  # nothing rewritten
    assert rows[0].revision.note == "restored revision 1"
    same = await read(db, world.eve, lambda u, a: article_history.diff(u, a, article.id, 1, 4))
    assert [f.field for f in same.changed] == ["status"]

    async with UnitOfWork(db, write=False) as uow:
        actions = list(await uow.session.scalars(select(Event.action).where(Event.subject_type == "article")))
        published_event = await uow.session.scalar(select(Event).where(Event.action == "article.published"))
    assert actions == ["article.created", "article.updated", "article.published", "article.restored"]
    assert published_event is not None and published_event.after is not None
    assert (
        published_event.after["status"] == "published" and published_event.actor_user_id == world.eve.user_id
    )


async def test_a_stale_revision_is_a_conflict_and_stores_nothing(db: Database, world: World) -> None:
    article = await draft(db, world)
    await as_(
        db,
        world.alice,
        lambda u, a: kb.update_article(u, a, article.id, changes={"title": "退货政策"}, expected_revision=1),
    )
    with pytest.raises(Conflict) as raised:
        await as_(
            db,
            world.bob,
            lambda u, a: kb.update_article(
                u, a, article.id, changes={"title": "换货政策"}, expected_revision=1
            ),
        )
    assert raised.value.fields == {"revision": "current revision is 2"}
    rows = await read(db, world.alice, lambda u, a: article_history.history(u, a, article.id))
    assert len(rows) == 2
    current = await read(db, world.alice, lambda u, a: kb.get_article(u, a, article.id))
    assert current.article.title == "退货政策"


async def test_bad_input_is_refused_with_the_field_named(db: Database, world: World) -> None:
    cases: list[tuple[kb.Content, str]] = [
        (kb.Content(title="   "), "title"),
        (kb.Content(title="发票", questions=("x" * 201,)), "questions"),
        (kb.Content(title="发票", product_version="2.0"), "product_version"),
        (kb.Content(title="发票", locale="fr"), "locale"),
    ]
    for content, field in cases:
        with pytest.raises(ValidationFailed) as raised:
            await draft(db, world, content)
        assert field in raised.value.fields
    article = await draft(db, world, kb.Content(title="如何开发票"))
    with pytest.raises(ValidationFailed) as empty:  # nothing to publish yet
        await as_(
            db, world.eve, lambda u, a: kb.set_article_status(u, a, article.id, ContentStatus.PUBLISHED)
        )
    assert "body" in empty.value.fields
    with pytest.raises(ValidationFailed):
        await as_(
            db,
            world.alice,
            lambda u, a: kb.update_article(u, a, article.id, changes={"owner_id": 1}, expected_revision=1),
        )


async def test_stale_flags_follow_review_dates_and_product_versions(db: Database, world: World) -> None:
    past = date.today() - timedelta(days=2)
    old = await draft(
        db, world, kb.Content(title="修改收货地址", body="发货前可在订单详情页修改。", review_by=past)
    )
    covered = await draft(db, world)  # 智能耳机 X1 2.1
    fresh = await draft(db, world, kb.Content(title="发票抬头怎么改", body="在订单详情页申请换开。"))
    await as_(
        db, world.eve, lambda u, a: kb.set_product_version(u, a, name="智能耳机 X1", current_version="2.1")
    )

    def flags(page: kb.ArticlePage) -> dict[int, tuple[StaleReason, ...]]:
        return {v.article.id: v.stale for v in page.items}

    listed = await read(db, world.alice, lambda u, a: kb.list_articles(u, a))
    assert flags(listed) == {old.id: (StaleReason.REVIEW_DUE,), covered.id: (), fresh.id: ()}
    await as_(
        db, world.eve, lambda u, a: kb.set_product_version(u, a, name="智能耳机 X1", current_version="2.10")
    )
    stale = await read(
        db, world.alice, lambda u, a: kb.list_articles(u, a, filters=kb.ArticleFilter(stale=True))
    )
    assert flags(stale) == {
        old.id: (StaleReason.REVIEW_DUE,),
        covered.id: (StaleReason.NEWER_PRODUCT_VERSION,),
    }
    ok = await read(
        db, world.alice, lambda u, a: kb.list_articles(u, a, filters=kb.ArticleFilter(stale=False))
    )
    assert flags(ok) == {fresh.id: ()}
    one = await read(db, world.alice, lambda u, a: kb.get_article(u, a, covered.id))
    assert one.stale == (StaleReason.NEWER_PRODUCT_VERSION,)
    with pytest.raises(Forbidden):
        await as_(
            db,
            world.alice,
            lambda u, a: kb.set_product_version(u, a, name="智能耳机 X1", current_version="3"),
        )


@pytest.mark.parametrize(
    ("who", "drafts_visible", "may_publish"),
    [("anonymous", False, False), ("carol", False, False), ("quinn", False, False),
     ("alice", True, False), ("eve", True, True), ("sue", True, True), ("adam", True, True)],
)  # fmt: skip
async def test_the_permissions_matrix(
    db: Database, world: World, who: str, drafts_visible: bool, may_publish: bool
) -> None:
    person: Person | None = None if who == "anonymous" else getattr(world, who)
    hidden = await draft(db, world)
    live = await draft(
        db, world, kb.Content(title="发票什么时候开", body="确认收货后 24 小时内开具电子发票。")
    )
    await as_(db, world.eve, lambda u, a: kb.set_article_status(u, a, live.id, ContentStatus.PUBLISHED))

    listed = await read(db, person, lambda u, a: kb.list_articles(u, a))
    assert {v.article.id for v in listed.items} == ({hidden.id, live.id} if drafts_visible else {live.id})
    asked = await read(
        db, person, lambda u, a: kb.list_articles(u, a, filters=kb.ArticleFilter(status=ContentStatus.DRAFT))
    )
    assert [v.article.id for v in asked.items] == ([hidden.id] if drafts_visible else [])
    if drafts_visible:
        assert (await read(db, person, lambda u, a: kb.get_article(u, a, hidden.id))).article.id == hidden.id
    else:
        with pytest.raises(NotFound):
            await read(db, person, lambda u, a: kb.get_article(u, a, hidden.id))
    assert (await read(db, person, lambda u, a: kb.get_article(u, a, live.id))).article.id == live.id
    if person is None:
        return
    publish = as_(db, person, lambda u, a: kb.set_article_status(u, a, hidden.id, ContentStatus.PUBLISHED))
    if may_publish:
        assert (await publish).status is ContentStatus.PUBLISHED
        return
    with pytest.raises(NotFound if not drafts_visible else Forbidden):
        await publish
    with pytest.raises(Forbidden):  # what is live is the editors'
        await as_(
            db,
            person,
            lambda u, a: kb.update_article(u, a, live.id, changes={"title": "改"}, expected_revision=2),
        )
    if not drafts_visible:
        with pytest.raises(Forbidden):
            await as_(db, person, lambda u, a: kb.create_article(u, a, RETURNS))


async def test_a_solved_ticket_becomes_a_draft(db: Database, world: World) -> None:
    async def solved(uow: UnitOfWork, alice: Principal) -> int:
        ticket = await create_ticket(
            uow, alice, subject="发票抬头开错了怎么办", body="发票抬头写成了个人，公司报销需要企业抬头。",
            customer_id=world.carol.customer_id, team_id=world.team_a, tags=["发票"],
        )  # fmt: skip
        await add_message(uow, alice, ticket.id, kind=MessageKind.NOTE, body="内部：财务已确认可换开")
        await add_message(
            uow, alice, ticket.id, kind=MessageKind.REPLY, body="您好，可以在订单详情页申请换开发票。"
        )
        await add_message(uow, alice, ticket.id, kind=MessageKind.REPLY, body="换开后新发票会发到您的邮箱。")
        return ticket.id

    ticket_id = await as_(db, world.alice, solved)
    with pytest.raises(ValidationFailed):
        await as_(db, world.alice, lambda u, a: kb.draft_from_ticket(u, a, ticket_id))
    await as_(db, world.alice, lambda u, a: transition_ticket(u, a, ticket_id, to=TicketStatus.RESOLVED))
    article = await as_(db, world.alice, lambda u, a: kb.draft_from_ticket(u, a, ticket_id))
    assert article.title == "发票抬头开错了怎么办"
    assert article.questions == ["发票抬头写成了个人，公司报销需要企业抬头。"]
    assert article.body == "您好，可以在订单详情页申请换开发票。\n\n换开后新发票会发到您的邮箱。"
    assert "内部" not in article.body  # notes are not answers
    assert (article.source_ticket_id, article.status, article.tags) == (
        ticket_id,
        ContentStatus.DRAFT,
        ["发票"],
    )
    with pytest.raises(NotFound):  # Bob's team cannot see the case
        await as_(db, world.bob, lambda u, a: kb.draft_from_ticket(u, a, ticket_id))


async def test_search_follows_every_commit_and_hides_drafts_from_customers(
    db: Database, world: World
) -> None:
    article = await draft(db, world)
    other = await draft(db, world, kb.Content(title="修改收货地址", body="发货前可以在订单详情页修改收货地址。",
                                              questions=("地址填错了怎么办",)))  # fmt: skip
    await as_(db, world.eve, lambda u, a: kb.set_article_status(u, a, other.id, ContentStatus.PUBLISHED))

    async def found(person: Person | None, query: str, drafts: bool = False) -> list[int]:
        hits = await read(db, person, lambda u, a: search.search_articles(u, a, query, include_drafts=drafts))
        return [h.article.id for h in hits]

    assert await found(world.alice, "我想退货", drafts=True) == [article.id]
    assert await found(world.carol, "我想退货", drafts=True) == []  # a customer never gets drafts
    assert (await found(None, "地址填错了"))[:1] == [other.id]
    await as_(db, world.eve, lambda u, a: kb.set_article_status(u, a, article.id, ContentStatus.PUBLISHED))
    assert (await found(None, "我想退货"))[:1] == [article.id]
    hit = (await read(db, None, lambda u, a: search.search_articles(u, a, "怎么退货")))[0]
    assert hit.article.id == article.id and hit.matched == "question" and 0.5 < hit.confidence <= 1
    await as_(db, world.eve, lambda u, a: kb.set_article_status(u, a, article.id, ContentStatus.ARCHIVED))
    assert article.id not in await found(world.alice, "我想退货", drafts=True)


async def test_another_process_change_reaches_the_index(db: Database, world: World) -> None:
    article = await draft(db, world)
    await read(db, world.alice, lambda u, a: search.search_articles(u, a, "退货", include_drafts=True))
    async with UnitOfWork(db) as uow:  # as another process would: no hook for this index
        row = await uow.session.get(Article, article.id)
        assert row is not None
        row.title, row.updated_at = "发票开具说明", uow.now()
        await uow.commit()
    async with UnitOfWork(db, write=False) as uow:
        search.index_of(uow)._checked_at = 0.0  # skip the wait
        hits = await search.search_articles(uow, await me(db, world.alice), "发票开具", include_drafts=True)
    assert [h.article.id for h in hits] == [article.id]
