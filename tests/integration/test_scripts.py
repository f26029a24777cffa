"""The script library: approval, optimistic edits, variables, and which welcome a channel gets."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel
from servicedesk.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.domain.roles import Principal
from servicedesk.services import knowledge_index as search
from servicedesk.services import scripts as lib
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Script
from servicedesk.store.models import Event
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World

T = TypeVar("T")
APOLOGY = lib.ScriptContent(
    scenario=ScriptScenario.APOLOGY,
    title="物流延误致歉",
    body="{customer_name}您好，非常抱歉您的订单 {order_no} 物流延误了，我是客服{agent_name}，已为您催促仓库。",
    compliance_note="不得承诺具体送达时间。",
)


async def as_(db: Database, person: Person, call: Callable[[UnitOfWork, Principal], Awaitable[T]]) -> T:
    async with UnitOfWork(db) as uow:
        actor = await principal_by_user_id(uow, person.user_id)
    assert actor is not None
    async with UnitOfWork(db) as uow:
        return await call(uow, actor)


async def approved(db: Database, world: World, content: lib.ScriptContent) -> Script:
    script = await as_(db, world.alice, lambda u, a: lib.create_script(u, a, content))
    return await as_(
        db, world.eve, lambda u, a: lib.set_script_status(u, a, script.id, ContentStatus.PUBLISHED)
    )


async def test_agents_draft_editors_approve_and_edits_are_optimistic(db: Database, world: World) -> None:
    script = await as_(db, world.alice, lambda u, a: lib.create_script(u, a, APOLOGY))
    assert (script.status, script.version, script.owner_id) == (ContentStatus.DRAFT, 1, world.alice.user_id)
    with pytest.raises(Forbidden):
        await as_(
            db, world.alice, lambda u, a: lib.set_script_status(u, a, script.id, ContentStatus.PUBLISHED)
        )
    edited = await as_(
        db,
        world.alice,
        lambda u, a: lib.update_script(
            u, a, script.id, changes={"title": "物流延误道歉"}, expected_version=1
        ),
    )
    assert edited.version == 2
    with pytest.raises(Conflict) as stale:
        await as_(
            db,
            world.bob,
            lambda u, a: lib.update_script(u, a, script.id, changes={"title": "x"}, expected_version=1),
        )
    assert stale.value.fields == {"version": "current version is 2"}
    live = await as_(
        db,
        world.eve,
        lambda u, a: lib.set_script_status(u, a, script.id, ContentStatus.PUBLISHED, expected_version=2),
    )
    assert (live.status, live.version) == (ContentStatus.PUBLISHED, 3)
    with pytest.raises(Forbidden):  # approved text is the editors' now
        await as_(
            db,
            world.alice,
            lambda u, a: lib.update_script(u, a, script.id, changes={"title": "x"}, expected_version=3),
        )
    async with UnitOfWork(db, write=False) as uow:
        actions = list(await uow.session.scalars(select(Event.action).where(Event.subject_type == "script")))
    assert actions == ["script.created", "script.updated", "script.published"]


async def test_customers_never_read_scripts_and_quality_sees_approved_only(
    db: Database, world: World
) -> None:
    live = await approved(db, world, APOLOGY)
    hidden = await as_(db, world.alice, lambda u, a: lib.create_script(u, a, APOLOGY))
    with pytest.raises(NotFound):
        await as_(db, world.carol, lambda u, a: lib.list_scripts(u, a))
    with pytest.raises(NotFound):
        await as_(db, world.carol, lambda u, a: lib.get_script(u, a, live.id))
    seen = await as_(db, world.quinn, lambda u, a: lib.list_scripts(u, a))
    assert [s.id for s in seen] == [live.id]
    with pytest.raises(NotFound):
        await as_(db, world.quinn, lambda u, a: lib.get_script(u, a, hidden.id))
    everything = await as_(
        db, world.alice, lambda u, a: lib.list_scripts(u, a, scenario=ScriptScenario.APOLOGY)
    )
    assert {s.id for s in everything} == {live.id, hidden.id}


async def test_bad_scripts_are_refused_with_the_field_named(db: Database, world: World) -> None:
    cases = [
        (lib.ScriptContent(ScriptScenario.CLOSING, " ", "再见"), "title"),
        (lib.ScriptContent(ScriptScenario.CLOSING, "结束语", "x" * 5001), "body"),
        (lib.ScriptContent(ScriptScenario.CLOSING, "结束语", "再见", channel=Channel.WECHAT), "channel"),
        (lib.ScriptContent(ScriptScenario.CLOSING, "结束语", "再见", locale="ja"), "locale"),
    ]
    for content, field in cases:
        with pytest.raises(ValidationFailed) as raised:
            await as_(db, world.alice, functools.partial(lib.create_script, content=content))
        assert field in raised.value.fields
    async with UnitOfWork(db, write=False) as uow:
        assert list(await uow.session.scalars(select(Script))) == []


async def test_variables_left_without_a_value_stay_visible(db: Database, world: World) -> None:
    script = await approved(db, world, APOLOGY)
    assert lib.script_variables(script) == ("customer_name", "order_no", "agent_name")
    rendered = lib.render_script(
        script, {"customer_name": "林娜", "agent_name": "张敏", "evil": "{0.__class__}"}
    )
    assert rendered.text.startswith("林娜您好，非常抱歉您的订单 {order_no} 物流延误了，我是客服张敏")
    assert rendered.missing == ("order_no",)
    injected = lib.render_script(script, {"customer_name": "{agent_name}<script>", "agent_name": "张敏"})
    assert injected.text.startswith("{agent_name}<script>您好")  # values are not templates


async def test_welcome_text_prefers_the_readers_language_then_the_channel(db: Database, world: World) -> None:
    async def welcome(channel: Channel, locale: str, values: dict[str, str] | None = None) -> str | None:
        async with UnitOfWork(db, write=False) as uow:
            return await lib.welcome_text(uow, channel, locale, values or {})

    assert await welcome(Channel.WEB_CHAT, "zh") is None
    W = ScriptScenario.WELCOME
    await approved(
        db,
        world,
        lib.ScriptContent(W, "通用欢迎语", "您好{customer_name}，我是{bot_name}，请问有什么可以帮您？"),
    )
    await approved(
        db,
        world,
        lib.ScriptContent(W, "微信欢迎语", "欢迎关注！回复“人工”转接客服。", channel=Channel.WECHAT),
    )
    await approved(
        db,
        world,
        lib.ScriptContent(W, "English welcome", "Hello {customer_name}, how can we help?", locale="en"),
    )
    draft = await as_(
        db,
        world.alice,
        lambda u, a: lib.create_script(
            u, a, lib.ScriptContent(W, "草稿", "草稿欢迎语", channel=Channel.EMAIL)
        ),
    )
    assert draft.status is ContentStatus.DRAFT

    assert (
        await welcome(Channel.WEB_CHAT, "zh", {"customer_name": "林娜", "bot_name": "小智"})
        == "您好林娜，我是小智，请问有什么可以帮您？"
    )
    assert (
        await welcome(Channel.WEB_CHAT, "zh") == "您好，我是，请问有什么可以帮您？"
    )  # never "{customer_name}"
    assert await welcome(Channel.WECHAT, "zh") == "欢迎关注！回复“人工”转接客服。"
    assert await welcome(Channel.EMAIL, "zh") == "您好，我是，请问有什么可以帮您？"  # drafts are not used
    assert await welcome(Channel.WECHAT, "en", {"customer_name": "Ann"}) == "Hello Ann, how can we help?"
    assert await welcome(Channel.WEB_CHAT, "en") == "Hello , how can we help?"
    assert (
        await welcome(Channel.WECHAT, "fr") == "欢迎关注！回复“人工”转接客服。"
    )  # unknown language: Chinese


async def test_suggestions_offer_approved_scripts_for_the_case(db: Database, world: World) -> None:
    from servicedesk.services.tickets import create_ticket

    live = await approved(db, world, APOLOGY)
    await as_(
        db,
        world.alice,
        lambda u, a: lib.create_script(
            u, a, lib.ScriptContent(ScriptScenario.APOLOGY, "物流延误草稿", "草稿")
        ),
    )
    ticket = await as_(
        db, world.alice,
        lambda u, a: create_ticket(u, a, subject="快递三天没有物流更新", body="订单 2024112201 物流延误好几天了",
                                   customer_id=world.carol.customer_id, team_id=world.team_a),
    )  # fmt: skip
    found = await as_(db, world.alice, lambda u, a: search.suggest_for_ticket(u, a, ticket.id))
    assert [h.script.id for h in found.scripts] == [live.id]
    assert "物流延误好几天了" in found.query
    with pytest.raises(NotFound):
        await as_(db, world.bob, lambda u, a: search.suggest_for_ticket(u, a, ticket.id))
    with pytest.raises(NotFound):
        await as_(db, world.carol, lambda u, a: search.suggest_for_ticket(u, a, ticket.id))
