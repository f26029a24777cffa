"""The complex-case track (R-HD-4) through the API and the ticket page, on both databases:
guards, approval, the task group's access to its own steps, lessons → a knowledge draft."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from servicedesk.domain.catalog import Channel, Priority
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.services import complex_cases as cc
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.collaboration import ComplexCase, ComplexCaseMember, ComplexCaseStep
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article
from servicedesk.store.models import Event
from servicedesk.store.sla import Notification
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World
from tests.integration.test_pages import open_ticket, sign_in
from tests.integration.test_sla import Frozen, local, standard_at

TOMORROW = local(2026, 10, 9, 18, 0).isoformat()


@pytest.fixture
async def clock(db: Database, world: World) -> Frozen:
    return await standard_at(db, local(2026, 10, 8, 9, 0))


@pytest.fixture
async def ticket_id(db: Database, world: World, clock: Frozen) -> int:
    """Carol's case in team A, assigned to Alice; Bob (team B) cannot see it."""
    return await open_ticket(
        db, world.alice, subject="批量设备黑屏", body="三十台设备同时黑屏", customer_id=world.carol.customer_id,
        channel=Channel.EMAIL, priority=Priority.MEDIUM, team_id=world.team_a, assignee_id=world.alice.user_id,
        tags=["hardware"],
    )  # fmt: skip


def _url(ticket_id: int, tail: str = "") -> str:
    return f"/api/v1/tickets/{ticket_id}/complex-case{tail}"


async def _post(client: httpx.AsyncClient, by: Person, url: str, **body: Any) -> httpx.Response:
    return await client.post(url, json=body, headers=by.auth)


async def _stage_events(db: Database, ticket_id: int) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Event.action)
            .where(Event.ticket_id == ticket_id, Event.action.like("complex_case.to_%"))
            .order_by(Event.id)
        )
        return [a.removeprefix("complex_case.to_") for a in rows]


async def _count(db: Database, model: type, *where: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_the_track_runs_from_assessment_to_a_knowledge_draft(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int, clock: Frozen
) -> None:
    alice, bob, sue = world.alice, world.bob, world.sue
    await sign_in(client, alice)  # Alice also watches the ticket page's panel as the track moves

    async def panel(*expected: str) -> str:
        page = await client.get(f"/agent/tickets/{ticket_id}")
        assert page.status_code == 200
        assert all(text in page.text for text in expected), expected
        found = re.search(r'aria-current="step">([^<]+)<', page.text)
        return found.group(1) if found else ""

    opened = await _post(client, alice, _url(ticket_id))
    assert opened.status_code == 201 and opened.json()["stage"] == "assess"
    assert opened.json()["next_fields"] == ["assessment"]
    moved = await _post(
        client, alice, _url(ticket_id, "/advance"), stage="assess", assessment="同批次固件缺陷"
    )
    assert moved.json()["stage"] == "task_group"

    empty_group = await _post(client, alice, _url(ticket_id, "/advance"))
    assert empty_group.status_code == 409 and "at least one member" in empty_group.json()["error"]["message"]
    joined = await _post(client, alice, _url(ticket_id, "/members"), user_id=bob.user_id, duty="固件排查")
    assert joined.status_code == 201 and joined.json()["members"] == [
        {"user_id": bob.user_id, "name": "Bob", "duty": "固件排查"}
    ]
    assert (await _post(client, alice, _url(ticket_id, "/advance"))).json()["stage"] == "plan"

    no_steps = await _post(client, alice, _url(ticket_id, "/advance"))
    assert no_steps.status_code == 409 and "at least one step" in no_steps.json()["error"]["message"]
    outsider = await _post(
        client,
        alice,
        _url(ticket_id, "/steps"),
        title="升级固件",
        owner_id=world.eve.user_id,
        due_at=TOMORROW,
    )
    assert outsider.status_code == 422 and "owner_id" in outsider.json()["error"]["fields"]
    step = await _post(
        client, alice, _url(ticket_id, "/steps"), title="升级固件", owner_id=bob.user_id, due_at=TOMORROW
    )
    assert step.status_code == 201
    [step_id] = [s["id"] for s in step.json()["steps"]]
    assert (await _post(client, alice, _url(ticket_id, "/advance"))).json()["stage"] == "approval"
    assert (
        await _count(
            db,
            Notification,
            Notification.kind == "complex_case.approval",
            Notification.user_id == sue.user_id,
        )
        == 1
    )

    own = await _post(client, alice, _url(ticket_id, "/advance"), outcome="approved")
    assert own.status_code == 403  # an agent, and the owner
    assert (await _post(client, bob, _url(ticket_id, "/advance"))).status_code == 404  # cannot see the case
    approved = await _post(client, sue, _url(ticket_id, "/advance"), stage="approval", note="同意")
    assert approved.status_code == 200, approved.text
    assert (approved.json()["stage"], approved.json()["approved_by"]) == ("implement", "Sue")
    assert await panel("审批人: Sue", f"/steps/{step_id}/done", "全部步骤完成后") == "实施"

    unfinished = await _post(client, alice, _url(ticket_id, "/advance"))
    assert unfinished.status_code == 409 and "1 open" in unfinished.json()["error"]["message"]
    # Bob owns the step: he reads the track and ticks his step off without seeing the case
    assert (await client.get(f"/api/v1/tickets/{ticket_id}", headers=bob.auth)).status_code == 404
    mine = (await client.get("/api/v1/complex-cases/my-steps", headers=bob.auth)).json()
    assert [(s["ticket_id"], s["stage"], s["step"]["title"]) for s in mine] == [
        (ticket_id, "implement", "升级固件")
    ]
    done = await _post(client, bob, _url(ticket_id, f"/steps/{step_id}/done"), note="已升级到 2.3.2")
    assert done.status_code == 200 and done.json()["steps"][0]["done_at"] is not None
    assert (
        await _post(client, bob, _url(ticket_id, "/advance"))
    ).status_code == 404  # but he does not move it

    assert (await _post(client, alice, _url(ticket_id, "/advance"))).json()["stage"] == "monitor"
    assert await panel('name="monitoring"', "已升级到 2.3.2") == "效果监控"
    monitored = await _post(client, alice, _url(ticket_id, "/advance"), monitoring="观察 7 天无复发")
    assert monitored.json()["stage"] == "acceptance"
    assert await panel("验收通过", "未通过，退回方案", "观察 7 天无复发") == "验收"
    accepted = await _post(client, alice, _url(ticket_id, "/advance"), acceptance="客户确认全部恢复")
    assert accepted.json()["stage"] == "lessons"
    assert await panel('name="lessons"', 'name="title"', "客户确认全部恢复") == "经验总结"
    finished = await _post(
        client, alice, _url(ticket_id, "/advance"), lessons="出厂前校验固件版本", title="批量黑屏的排查与预防"
    )
    assert finished.status_code == 200 and finished.json()["stage"] == "done"
    article_id = finished.json()["article_id"]
    assert await panel(f"/agent/kb/articles/{article_id}", "流程已完成", "经验已转为知识库草稿") == "已完成"

    async with UnitOfWork(db, write=False) as uow:
        article = await uow.session.get(Article, article_id)
    assert article is not None
    assert (article.status, article.title, article.source_ticket_id, article.owner_id) == (
        ContentStatus.DRAFT,
        "批量黑屏的排查与预防",
        ticket_id,
        alice.user_id,
    )
    assert (
        "出厂前校验固件版本" in article.body
        and "同批次固件缺陷" in article.body
        and "升级固件 — 已升级到 2.3.2" in article.body
    )
    assert article.tags == ["hardware"]
    assert await _stage_events(db, ticket_id) == [
        "task_group", "plan", "approval", "implement", "monitor", "acceptance", "lessons", "done",
    ]  # fmt: skip
    after_done = await _post(client, alice, _url(ticket_id, "/advance"))
    assert after_done.status_code == 409
    # the article is a draft: not on the help center
    assert (
        await client.get(f"/api/v1/kb/articles/{article_id}", headers=world.carol.auth)
    ).status_code == 404


async def _to_stage(client: httpx.AsyncClient, world: World, ticket_id: int, stage: str) -> None:
    """Drive the track with valid data until it reaches `stage`."""
    alice = world.alice
    await _post(client, alice, _url(ticket_id))
    script: list[tuple[str, Person, str, dict[str, Any]]] = [
        ("task_group", alice, "/advance", {"assessment": "评估"}),
        ("task_group", alice, "/members", {"user_id": world.bob.user_id}),
        ("plan", alice, "/advance", {}),
        ("plan", alice, "/steps", {"title": "排查", "owner_id": world.bob.user_id, "due_at": TOMORROW}),
        ("approval", alice, "/advance", {}),
    ]
    for reached, by, tail, body in script:
        answer = await _post(client, by, _url(ticket_id, tail), **body)
        assert answer.status_code in (200, 201), answer.text
        if reached == stage and tail == "/advance":
            return


async def test_the_owner_never_approves_their_own_plan(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int
) -> None:
    await _post(client, world.sue, _url(ticket_id), owner_id=None)  # Sue opens it: she owns it
    await _post(client, world.sue, _url(ticket_id, "/advance"), assessment="评估")
    await _post(client, world.sue, _url(ticket_id, "/members"), user_id=world.alice.user_id)
    await _post(client, world.sue, _url(ticket_id, "/advance"))
    await _post(
        client,
        world.sue,
        _url(ticket_id, "/steps"),
        title="排查",
        owner_id=world.alice.user_id,
        due_at=TOMORROW,
    )
    assert (await _post(client, world.sue, _url(ticket_id, "/advance"))).json()["stage"] == "approval"
    refused = await _post(client, world.sue, _url(ticket_id, "/advance"), outcome="approved")
    assert refused.status_code == 403 and "own plan" in refused.json()["error"]["message"]
    assert (await client.get(_url(ticket_id), headers=world.sue.auth)).json()["approved_by"] is None
    assert await _stage_events(db, ticket_id) == ["task_group", "plan", "approval"]


async def test_a_plan_sent_back_returns_to_planning(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int
) -> None:
    await _to_stage(client, world, ticket_id, "approval")
    no_reason = await _post(client, world.sue, _url(ticket_id, "/advance"), outcome="returned")
    assert no_reason.status_code == 422 and no_reason.json()["error"]["fields"] == {
        "note": "say why the plan goes back"
    }
    back = await _post(
        client, world.sue, _url(ticket_id, "/advance"), outcome="returned", note="缺少回滚方案"
    )
    assert back.json()["stage"] == "plan" and back.json()["approved_by"] is None
    async with UnitOfWork(db, write=False) as uow:
        event = await uow.session.scalar(
            select(Event).where(Event.action == "complex_case.to_plan").order_by(Event.id.desc())
        )
    assert event is not None and event.after == {
        "cc_stage": "plan",
        "cc_outcome": "returned",
        "reason": "缺少回滚方案",
    }


async def test_bad_input_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int
) -> None:
    alice = world.alice
    assert (await _post(client, alice, _url(ticket_id))).status_code == 201
    assert (await _post(client, alice, _url(ticket_id))).status_code == 409  # one track per case
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        ("/advance", {"lessons": "太早了"}, 422, "lessons"),
        ("/advance", {"assessment": "  "}, 422, "assessment"),
        ("/advance", {"assessment": "x" * 10_001}, 422, "assessment"),
        ("/advance", {"assessment": "ok", "color": "red"}, 422, "color"),
        ("/advance", {"assessment": "ok", "stage": "plan"}, 409, "stage"),
        ("/advance", {"assessment": "ok", "stage": "nowhere"}, 422, "stage"),
        ("/members", {"user_id": world.bob.user_id}, 409, "stage"),  # not at the task-group stage yet
    ]
    for tail, body, status, field in cases:
        answer = await _post(client, alice, _url(ticket_id, tail), **body)
        assert answer.status_code == status, (body, answer.text)
        assert field in answer.json()["error"]["fields"], (body, answer.text)
    await _post(client, alice, _url(ticket_id, "/advance"), assessment="评估")
    members: list[tuple[dict[str, Any], int, str]] = [
        ({"user_id": 9999}, 422, "user_id"),
        ({"user_id": world.carol.user_id}, 422, "user_id"),  # a customer
        ({"user_id": world.quinn.user_id}, 422, "user_id"),  # quality inspectors do not work cases
        ({"user_id": alice.user_id}, 409, "user_id"),  # the owner is in it already
        ({"user_id": world.bob.user_id, "duty": "x" * 101}, 422, "duty"),
    ]
    for body, status, field in members:
        answer = await _post(client, alice, _url(ticket_id, "/members"), **body)
        assert answer.status_code == status, (body, answer.text)
        assert field in answer.json()["error"]["fields"], (body, answer.text)
    await _post(client, alice, _url(ticket_id, "/members"), user_id=world.bob.user_id)
    await _post(client, alice, _url(ticket_id, "/advance"))
    steps: list[tuple[dict[str, Any], int, str]] = [
        ({"title": "排查", "owner_id": world.bob.user_id, "due_at": "2026-10-09T18:00:00"}, 422, "due_at"),
        (
            {"title": "排查", "owner_id": world.bob.user_id, "due_at": local(2026, 10, 8, 8, 0).isoformat()},
            422,
            "due_at",
        ),
        ({"title": " ", "owner_id": world.bob.user_id, "due_at": TOMORROW}, 422, "title"),
        ({"title": "排查", "owner_id": world.bob.user_id}, 422, "due_at"),
    ]
    for body, status, field in steps:
        answer = await _post(client, alice, _url(ticket_id, "/steps"), **body)
        assert answer.status_code == status, (body, answer.text)
        assert field in answer.json()["error"]["fields"], (body, answer.text)
    assert await _count(db, ComplexCase) == 1 and await _count(db, ComplexCaseStep) == 0
    assert await _count(db, ComplexCaseMember) == 1
    assert await _stage_events(db, ticket_id) == ["task_group", "plan"]
    step = await _post(
        client, alice, _url(ticket_id, "/steps"), title="排查", owner_id=world.bob.user_id, due_at=TOMORROW
    )
    step_id = step.json()["steps"][0]["id"]
    early = await _post(client, alice, _url(ticket_id, f"/steps/{step_id}/done"))
    assert early.status_code == 409  # steps are done during implementation
    assert (await _post(client, alice, _url(ticket_id, "/steps/9999/done"))).status_code == 404


async def test_customers_and_outsiders_never_see_the_track(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int
) -> None:
    await _post(client, world.alice, _url(ticket_id))
    assert (await client.get(_url(ticket_id), headers=world.carol.auth)).status_code == 404
    assert (await client.get(_url(ticket_id), headers=world.dave.auth)).status_code == 404
    assert (await client.get(_url(ticket_id), headers=world.bob.auth)).status_code == 404
    assert (await _post(client, world.carol, _url(ticket_id, "/advance"), assessment="x")).status_code == 403
    assert (await _post(client, world.dave, _url(ticket_id, "/advance"), assessment="x")).status_code == 404
    assert (
        await client.get(_url(ticket_id), headers=world.quinn.auth)
    ).status_code == 200  # reads every case
    assert (await _post(client, world.quinn, _url(ticket_id, "/advance"), assessment="x")).status_code == 403
    assert (await client.get("/api/v1/complex-cases/my-steps", headers=world.carol.auth)).json() == []
    await sign_in(client, world.carol)
    page = await client.get(f"/help/tickets/{ticket_id}")
    assert page.status_code == 200 and "复杂问题" not in page.text
    assert await _stage_events(db, ticket_id) == []


async def test_the_ticket_panel_shows_the_track_and_the_form_for_the_next_stage(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int, clock: Frozen
) -> None:
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "转入复杂问题流程" in page.text
    opened = await client.post(f"/agent/tickets/{ticket_id}/complex-case", data={"csrf": csrf})
    assert opened.status_code == 303 and opened.headers["location"].endswith("#complex-case")
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert 'aria-current="step">问题评估' in page.text and 'name="assessment"' in page.text
    stray = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/advance",
        data={"csrf": csrf, "stage": "assess", "assessment": "", "lessons": "太早"},
    )
    assert stray.status_code == 422 and "lessons" in stray.text
    moved = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/advance",
        data={"csrf": csrf, "stage": "assess", "assessment": "影响<b>三十台</b>"},
    )
    assert moved.status_code == 303
    added = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/members",
        data={"csrf": csrf, "user_id": str(world.bob.user_id), "duty": "固件"},
    )
    assert added.status_code == 303
    await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/advance", data={"csrf": csrf, "stage": "task_group"}
    )
    bad_due = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/steps",
        data={"csrf": csrf, "title": "升级", "owner_id": str(world.bob.user_id), "due_at": ""},
    )
    assert bad_due.status_code == 422
    step = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/steps",
        data={
            "csrf": csrf,
            "title": "升级固件",
            "owner_id": str(world.bob.user_id),
            "due_at": "2026-10-09T18:00",
        },
    )
    assert step.status_code == 303
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert 'aria-current="step">制定方案' in page.text
    assert "影响&lt;b&gt;三十台&lt;/b&gt;" in page.text and "升级固件" in page.text
    assert "截止时间 2026-10-09 18:00" in page.text  # read and shown in Shanghai time
    assert "评估完成，组建任务组" in page.text and "添加方案步骤" in page.text  # the audit trail
    await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/advance", data={"csrf": csrf, "stage": "plan"}
    )
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "方案待主管或部门负责人审批" in page.text and "批准方案" not in page.text

    csrf = await sign_in(client, world.sue)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "批准方案" in page.text
    approved = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/advance",
        data={"csrf": csrf, "stage": "approval", "outcome": "approved", "note": ""},
    )
    assert approved.status_code == 303

    clock.at += timedelta(hours=1)
    csrf = await sign_in(client, world.bob)
    inbox = await client.get("/agent/collaboration")
    assert "我负责的复杂问题步骤" in inbox.text and "升级固件" in inbox.text
    [step_id] = [
        s["step"]["id"]
        for s in (await client.get("/api/v1/complex-cases/my-steps", headers=world.bob.auth)).json()
    ]
    ticked = await client.post(
        f"/agent/tickets/{ticket_id}/complex-case/steps/{step_id}/done",
        data={"csrf": csrf, "note": "完成", "back": "inbox"},
    )
    assert ticked.status_code == 303 and ticked.headers["location"] == "/agent/collaboration"
    assert "没有待完成的步骤" in (await client.get("/agent/collaboration")).text


async def test_the_demo_seed_leaves_a_track_ready_for_approval(
    client: httpx.AsyncClient, db: Database, world: World, ticket_id: int
) -> None:
    async with UnitOfWork(db) as uow:
        alice = await principal_by_user_id(uow, world.alice.user_id)
        assert alice is not None
        await cc.seed_demo(
            uow, alice, ticket_id, member_id=world.bob.user_id, step_due=local(2026, 10, 9, 18, 0)
        )
    track = (await client.get(_url(ticket_id), headers=world.alice.auth)).json()
    assert (track["stage"], [m["name"] for m in track["members"]], [s["owner"] for s in track["steps"]]) == (
        "plan",
        ["Bob"],
        ["Bob"],
    )
    assert (await _post(client, world.alice, _url(ticket_id, "/advance"))).json()["stage"] == "approval"
