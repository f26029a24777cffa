"""Service levels over HTTP: the ticket page's clocks and escalation form, notifications, and
the API's authorisation and validation."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel
from servicedesk.jobs.sla import SlaWorker
from servicedesk.store.db import Database
from servicedesk.store.models import Event
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_pages import csrf_of, open_ticket, sign_in
from tests.integration.test_sla import Frozen, local, standard_at

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
async def clock(db: Database, world: World) -> Frozen:
    return await standard_at(db, local(2026, 10, 8, 9, 0))


async def _vip_case(db: Database, world: World) -> int:
    return await open_ticket(
        db, world.alice, subject="屏幕<b>碎了</b>", body="到货就碎", customer_id=world.carol.customer_id,
        channel=Channel.WEB_CHAT, team_id=world.team_a, assignee_id=world.alice.user_id,
    )  # fmt: skip


async def test_the_ticket_page_shows_each_clock_with_its_deadline(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _vip_case(db, world)
    await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "服务时效" in page.text and "首次响应" in page.text and "VIP 客户" in page.text
    assert 'data-due="2026-10-08T01:15:00+00:00"' in page.text  # 09:15 Shanghai
    assert "截止 2026-10-08 09:15" in page.text
    assert "屏幕&lt;b&gt;碎了&lt;/b&gt;" in page.text


async def test_the_inbox_shows_which_case_falls_due_first(
    client: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    ticket_id = await _vip_case(db, world)  # a VIP's first response: 15 minutes from 09:00
    await sign_in(client, world.alice)
    inbox = (await client.get("/agent")).text
    assert f"/agent/tickets/{ticket_id}" in inbox and "首次响应 剩 15分钟" in inbox
    clock.at = local(2026, 10, 8, 9, 20)
    late = (await client.get("/agent")).text
    assert 'class="due overdue"' in late and "首次响应 超时 5分钟" in late


async def test_an_agent_escalates_from_the_page_and_the_customer_is_told(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _vip_case(db, world)
    csrf = await sign_in(client, world.alice)
    empty = await client.post(
        f"/agent/tickets/{ticket_id}/escalate",
        data={"csrf": csrf, "team_id": str(world.team_b), "reason": " "},
    )
    assert empty.status_code == 422 and "1 to 500 characters" in empty.text
    sent = await client.post(
        f"/agent/tickets/{ticket_id}/escalate",
        data={"csrf": csrf, "team_id": str(world.team_b), "reason": "需要技术排查屏幕故障"},
    )
    assert sent.status_code == 303 and sent.headers["location"] == "/agent"  # Alice is not in team B
    api = await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.eve.auth)
    assert api.json()["team"]["id"] == world.team_b
    messages = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.carol.auth)).json()["messages"]
    assert any("技术支持" in m["body"] and "10月9日 19:00" in m["body"] for m in messages)
    clocks = (await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=world.eve.auth)).json()
    assert [c["metric"] for c in clocks if c["state"] == "running"] == [
        "first_response",
        "resolution",
        "expert_solution",
    ]


async def test_the_clocks_are_for_staff_only(client: httpx.AsyncClient, db: Database, world: World) -> None:
    ticket_id = await _vip_case(db, world)
    assert (await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=world.carol.auth)).status_code == 403
    assert (await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=world.bob.auth)).status_code == 404
    own = await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=world.alice.auth)
    assert own.status_code == 200 and own.json()[0]["policy"] == "VIP 客户"


async def test_warnings_reach_the_assignee_and_only_they_mark_them_read(
    client: httpx.AsyncClient, db: Database, world: World, clock: Frozen
) -> None:
    ticket_id = await _vip_case(db, world)
    await SlaWorker(db, worker_id="t").run_once(local(2026, 10, 8, 9, 12))
    mine = (await client.get("/api/v1/notifications", headers=world.alice.auth)).json()
    assert [(n["kind"], n["ticket_id"]) for n in mine] == [("sla.warning", ticket_id)]
    assert (await client.get("/api/v1/notifications/unread", headers=world.alice.auth)).json() == {
        "unread": 1
    }
    others = await client.post(
        "/api/v1/notifications/read", json={"ids": [mine[0]["id"]]}, headers=world.bob.auth
    )
    assert others.json() == {"marked": 0}
    await sign_in(client, world.bob)
    someone_elses = await client.get(f"/agent/notifications/{mine[0]['id']}/open")
    assert someone_elses.status_code == 404
    await sign_in(client, world.alice)
    page = await client.get("/agent/notifications")
    assert "首次响应将于 2026-10-08 09:15 到期" in page.text
    opened = await client.get(f"/agent/notifications/{mine[0]['id']}/open")  # the link on the page
    assert f'href="/agent/notifications/{mine[0]["id"]}/open"' in page.text
    assert opened.status_code == 303 and opened.headers["location"] == f"/agent/tickets/{ticket_id}"
    assert (await client.get("/api/v1/notifications/unread", headers=world.alice.auth)).json() == {
        "unread": 0
    }  # following it read it
    read = await client.post("/agent/notifications/read", data={"csrf": csrf_of(page.text)})
    assert read.status_code == 303
    assert (await client.get("/api/v1/notifications/unread", headers=world.alice.auth)).json() == {
        "unread": 0
    }


async def test_supervisors_edit_policies_and_calendars_with_clear_errors(
    client: httpx.AsyncClient, world: World
) -> None:
    calendars = (await client.get("/api/v1/sla/calendars", headers=world.sue.auth)).json()
    service = next(c for c in calendars if c["name"] == "客服中心")
    policy = {
        "name": "大客户专线", "calendar_id": service["id"], "position": 0, "tiers": ["vip3"],
        "targets": {"first_response": 5, "resolution": 240},
    }  # fmt: skip
    denied = await client.post("/api/v1/sla/policies", json=policy, headers=world.alice.auth)
    assert denied.status_code == 403
    bad_tier = await client.post(
        "/api/v1/sla/policies", json={**policy, "tiers": ["gold"]}, headers=world.sue.auth
    )
    assert bad_tier.status_code == 422 and "gold" in bad_tier.text
    none = await client.post("/api/v1/sla/policies", json={**policy, "targets": {}}, headers=world.sue.auth)
    assert none.status_code == 422 and "at least one target" in none.text
    made = await client.post("/api/v1/sla/policies", json=policy, headers=world.sue.auth)
    assert made.status_code == 201 and made.json()["targets"] == {"first_response": 5, "resolution": 240}
    twice = await client.post("/api/v1/sla/policies", json=policy, headers=world.sue.auth)
    assert twice.status_code == 422 and "already used" in twice.text
    bad_hours = {"name": "夜班", "hours": "mon 22:00-06:00"}
    refused = await client.post("/api/v1/sla/calendars", json=bad_hours, headers=world.sue.auth)
    assert refused.status_code == 422 and "hours" in refused.text
    split = {"name": "技术部", "hours": "mon-fri 09:00-12:00,13:00-18:00", "holidays": ["2026-12-31"]}
    made_calendar = await client.post("/api/v1/sla/calendars", json=split, headers=world.sue.auth)
    assert made_calendar.status_code == 201, made_calendar.text
    assert made_calendar.json()["holidays"] == ["2026-12-31"]


async def test_the_standard_is_readable_by_agents_and_editable_by_supervisors(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.alice)
    page = await client.get("/agent/sla")
    assert page.status_code == 200
    assert all(name in page.text for name in ("特急与紧急", "VIP 客户", "投诉", "邮件", "普通咨询"))
    assert "每天 08:00–22:00" in page.text and "15分钟" in page.text
    conditions = ("客户等级: 任意 VIP", "优先级: 高", "渠道: 邮件")  # in words, not the stored codes
    assert all(c in page.text for c in conditions), page.text
    policies = (await client.get("/api/v1/sla/policies", headers=world.alice.auth)).json()
    vip = next(p for p in policies if p["name"] == "VIP 客户")
    edit = await client.get(f"/agent/sla/policies/{vip['id']}")
    assert '<button type="submit" class="primary">' not in edit.text  # agents read, do not save
    refused = await client.post(
        "/agent/sla/policies",
        data={"csrf": csrf_of(edit.text), "policy_id": str(vip["id"]), "name": "VIP 客户",
              "calendar_id": str(vip["calendar_id"]), "tiers": "vip", "first_response": "5"},
    )  # fmt: skip
    assert refused.status_code == 403
    await sign_in(client, world.sue)
    edit = await client.get(f"/agent/sla/policies/{vip['id']}")
    saved = await client.post(
        "/agent/sla/policies",
        data={"csrf": csrf_of(edit.text), "policy_id": str(vip["id"]), "name": "VIP 客户", "position": "2",
              "active": "on", "calendar_id": str(vip["calendar_id"]), "tiers": "vip", "first_response": "10",
              "resolution": "600"},
    )  # fmt: skip
    assert saved.status_code == 303
    after = (await client.get("/api/v1/sla/policies", headers=world.sue.auth)).json()
    assert next(p for p in after if p["id"] == vip["id"])["targets"] == {
        "first_response": 10,
        "resolution": 600,
    }
    bad = await client.post(
        "/agent/sla/calendars",
        data={
            "csrf": csrf_of(edit.text),
            "name": "夜班",
            "hours": "mon 25:00-26:00",
            "time_zone": "Asia/Shanghai",
        },
    )
    assert bad.status_code == 422 and "hours:" in bad.text and 'value="mon 25:00-26:00"' in bad.text


async def test_a_supervisor_decides_whether_public_holidays_are_staffed(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    """The service calendar is open on public holidays by default (R-IN-5); the API and the form
    change that, each save audited, and the page says which calendar the service hours follow."""
    calendars = (await client.get("/api/v1/sla/calendars", headers=world.sue.auth)).json()
    service = next(c for c in calendars if c["name"] == "客服中心")
    assert (service["holidays_staffed"], service["china_official"]) == (True, True)
    body = {k: service[k] for k in ("name", "hours", "time_zone", "holidays", "workdays", "china_official")}
    refused = await client.put(
        f"/api/v1/sla/calendars/{service['id']}",
        json=body | {"holidays_staffed": False},
        headers=world.alice.auth,
    )
    assert refused.status_code == 403
    wrong = await client.put(
        f"/api/v1/sla/calendars/{service['id']}", json=body | {"holidays_staffed": "sometimes"},
        headers=world.sue.auth,
    )  # fmt: skip
    assert wrong.status_code == 422 and "holidays_staffed" in wrong.text
    closed = await client.put(
        f"/api/v1/sla/calendars/{service['id']}",
        json=body | {"holidays_staffed": False},
        headers=world.sue.auth,
    )
    assert closed.status_code == 200 and closed.json()["holidays_staffed"] is False

    csrf = await sign_in(client, world.sue)
    page = (await client.get("/agent/sla")).text
    assert (
        "服务时间：每天 08:00–22:00（节假日除外）" in page and ">服务时间</span>" in page and "休息" in page
    )
    form = (await client.get(f"/agent/sla/calendars/{service['id']}")).text
    assert 'name="holidays_staffed" aria-describedby="staffed-hint">' in form  # unchecked now
    saved = await client.post(
        "/agent/sla/calendars",
        data={"csrf": csrf, "calendar_id": str(service["id"]), "name": "客服中心", "hours": service["hours"],
              "time_zone": "Asia/Shanghai", "china_official": "on", "holidays_staffed": "on"},
    )  # fmt: skip
    assert saved.status_code == 303
    assert "照常服务" in (await client.get("/agent/sla")).text
    async with UnitOfWork(db, write=False) as uow:
        saves = list(
            await uow.session.scalars(
                select(Event).where(Event.action == "sla.calendar_saved").order_by(Event.id)
            )
        )
    assert [(e.actor_user_id, (e.after or {}).get("holidays_staffed")) for e in saves] == [
        (world.sue.user_id, False),
        (world.sue.user_id, True),
    ]
