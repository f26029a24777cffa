"""Skill routing over HTTP: presence, availability, the queue and a case's routing through the
API (who may do what, clear 4xx), and the queue page, the presence form and the ticket panel."""

from __future__ import annotations

import httpx
import pytest

from servicedesk.domain.catalog import Channel
from servicedesk.domain.routing_rules import Presence
from servicedesk.store.db import Database
from tests.conftest import World
from tests.integration.test_pages import sign_in
from tests.integration.test_routing_service import NOW, Desk, on_the_front_line, open_case, staff_floor
from tests.integration.test_sla import Frozen


@pytest.fixture(autouse=True)
def clock(db: Database) -> Frozen:
    frozen = Frozen(NOW)
    db.clock = frozen
    return frozen


async def _queued(db: Database, world: World, n: int = 2) -> list[int]:
    """Alice online with one chat place, taken; the next `n` chats wait. Bob, offline, sits on
    the front line too, so the waiting chats are his to take when he comes online."""
    await on_the_front_line(db, world, "bob")
    await staff_floor(db, world, alice=Desk(chat_capacity=1, skills={"退款": 4}))
    await open_case(db, world, "正在处理", tags=("退款",))
    return [await open_case(db, world, f"屏幕<b>碎了</b> {i}") for i in range(n)]


async def test_my_presence_through_the_api(client: httpx.AsyncClient, world: World) -> None:
    mine = await client.get("/api/v1/me/presence", headers=world.alice.auth)
    assert mine.status_code == 200
    assert (mine.json()["routed"], mine.json()["presence"], mine.json()["chat_capacity"]) == (
        False,
        "offline",
        3,
    )
    online = await client.put("/api/v1/me/presence", json={"presence": "online"}, headers=world.alice.auth)
    assert online.status_code == 200, online.text
    assert (online.json()["routed"], online.json()["presence"], online.json()["moved"]) == (
        True,
        "online",
        [],
    )
    bad = await client.put("/api/v1/me/presence", json={"presence": "busy"}, headers=world.alice.auth)
    assert bad.status_code == 422 and "presence" in bad.text
    extra = await client.put(
        "/api/v1/me/presence",
        json={"presence": "away", "user_id": world.bob.user_id},
        headers=world.alice.auth,
    )
    assert extra.status_code == 422
    assert (await client.get("/api/v1/me/presence", headers=world.carol.auth)).status_code == 403
    inspector = await client.put("/api/v1/me/presence", json={"presence": "online"}, headers=world.quinn.auth)
    assert inspector.status_code == 403


async def test_going_offline_through_the_api_hands_cases_on(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    await staff_floor(db, world, alice=Desk(), bob=Desk(front_line=True))
    ticket_id = await open_case(db, world)
    chosen = (await client.get(f"/api/v1/tickets/{ticket_id}/routing", headers=world.sue.auth)).json()
    owner = world.alice if chosen["agent_id"] == world.alice.user_id else world.bob
    other = world.bob if owner is world.alice else world.alice
    off = await client.put("/api/v1/me/presence", json={"presence": "offline"}, headers=owner.auth)
    assert off.json()["moved"] == [
        {
            "ticket_id": ticket_id,
            "agent_id": other.user_id,
            "queue_position": None,
            "expected_wait_seconds": None,
        }
    ]


async def test_supervisors_set_capacities_and_hours(client: httpx.AsyncClient, world: World) -> None:
    url = f"/api/v1/availability/{world.alice.user_id}"
    body = {"chat_capacity": 5, "working_hours": "mon-fri 09:00-18:00", "presence": "online"}
    denied = await client.put(url, json=body, headers=world.alice.auth)
    assert denied.status_code == 403
    made = await client.put(url, json=body, headers=world.sue.auth)
    assert made.status_code == 200, made.text
    got = made.json()
    assert (got["chat_capacity"], got["working_hours"], got["presence"], got["on_shift"]) == (
        5, "mon-fri 09:00-18:00", "online", True,
    )  # fmt: skip
    bad = await client.put(url, json={"working_hours": "mon 09:00-25:00"}, headers=world.sue.auth)
    assert bad.status_code == 422 and "working_hours" in bad.json()["error"]["fields"]
    too_many = await client.put(url, json={"chat_capacity": 99}, headers=world.sue.auth)
    assert too_many.status_code == 422
    cleared = await client.put(url, json={"working_hours": ""}, headers=world.sue.auth)
    assert cleared.json()["working_hours"] is None
    nobody = await client.put("/api/v1/availability/99999", json=body, headers=world.sue.auth)
    assert nobody.status_code == 404
    floor = await client.get("/api/v1/availability", headers=world.bob.auth)
    assert [a["name"] for a in floor.json()] == ["Alice"]


async def test_the_queue_through_the_api(client: httpx.AsyncClient, db: Database, world: World) -> None:
    first, second = await _queued(db, world)
    queue = await client.get("/api/v1/queue", headers=world.alice.auth)
    assert queue.status_code == 200
    items = queue.json()["items"]
    assert [(i["ticket_id"], i["position"], i["expected_wait_seconds"]) for i in items] == [
        (first, 1, 480), (second, 2, 960),
    ]  # fmt: skip
    assert items[0]["blockers"] == {"full": 1} and queue.json()["policy"] == "skills"
    entry = items[1]["entry_id"]
    assert (await client.get("/api/v1/queue", headers=world.carol.auth)).status_code == 403
    move = f"/api/v1/queue/{entry}/move"
    assert (await client.post(move, json={"direction": "up"}, headers=world.alice.auth)).status_code == 403
    assert (
        await client.post(move, json={"direction": "sideways"}, headers=world.sue.auth)
    ).status_code == 422
    moved = await client.post(move, json={"direction": "up"}, headers=world.sue.auth)
    assert moved.json() == {"position": 1}
    assert (
        await client.post("/api/v1/queue/99999/move", json={"direction": "up"}, headers=world.sue.auth)
    ).status_code == 404
    withdraw = f"/api/v1/queue/{items[0]['entry_id']}/withdraw"
    assert (await client.post(withdraw, json={"reason": ""}, headers=world.sue.auth)).status_code == 422
    assert (
        await client.post(withdraw, json={"reason": "重复工单"}, headers=world.sue.auth)
    ).status_code == 204
    again = await client.post(withdraw, json={"reason": "重复工单"}, headers=world.sue.auth)
    assert again.status_code == 409
    assign = f"/api/v1/queue/{entry}/assign"
    nobody = await client.post(assign, json={"agent_id": world.carol.user_id}, headers=world.sue.auth)
    assert nobody.status_code == 422
    given = await client.post(assign, json={"agent_id": world.bob.user_id}, headers=world.sue.auth)
    assert given.json() == {"ticket_id": second, "agent_id": world.bob.user_id}
    assert (await client.get("/api/v1/queue", headers=world.sue.auth)).json()["items"] == []
    drained = await client.post("/api/v1/queue/drain", headers=world.sue.auth)
    assert drained.json() == []
    assert (await client.post("/api/v1/queue/drain", headers=world.alice.auth)).status_code == 403


async def test_a_case_routing_through_the_api(client: httpx.AsyncClient, db: Database, world: World) -> None:
    await staff_floor(db, world, alice=Desk(skills={"退款": 4}))
    routed = await open_case(db, world, tags=("退款",))
    got = await client.get(f"/api/v1/tickets/{routed}/routing", headers=world.alice.auth)
    assert got.status_code == 200
    body = got.json()
    assert (body["action"], body["agent_name"], body["policy"]) == ("routing.assigned", "Alice", "skills")
    assert [r["text"] for r in body["reasons"]] == ["综合匹配最优", "技能 退款 4 级", "负载 0/3"]
    assert (
        await client.get(f"/api/v1/tickets/{routed}/routing", headers=world.carol.auth)
    ).status_code == 403
    assert (await client.get(f"/api/v1/tickets/{routed}/routing", headers=world.bob.auth)).status_code == 404
    by_hand = await open_case(db, world, assignee=world.alice.user_id, channel=Channel.EMAIL)
    assert (await client.get(f"/api/v1/tickets/{by_hand}/routing", headers=world.alice.auth)).json() is None


async def test_the_queue_page_for_a_supervisor(client: httpx.AsyncClient, db: Database, world: World) -> None:
    first, second = await _queued(db, world)
    csrf = await sign_in(client, world.sue)
    page = await client.get("/agent/queue")
    assert page.status_code == 200
    text = page.text
    assert "分配与排队" in text and "技能匹配" in text
    assert "屏幕&lt;b&gt;碎了&lt;/b&gt; 0" in text and "<b>碎了" not in text
    assert "≈ 8分钟" in text and "≈ 16分钟" in text and "已满负荷 1" in text
    assert "/move" in text and "/withdraw" in text and "/agent/availability/" in text
    entry = text.split('id="entry-')[2].split('"')[0]
    up = await client.post(f"/agent/queue/{entry}/move", data={"csrf": csrf, "direction": "up"})
    assert up.status_code == 303
    after = (await client.get("/agent/queue")).text
    assert after.index(f"#{second} ") < after.index(f"#{first} ")
    empty = await client.post(f"/agent/queue/{entry}/withdraw", data={"csrf": csrf, "reason": " "})
    assert empty.status_code == 422 and "1 to 500 characters" in empty.text
    hours = await client.post(
        f"/agent/availability/{world.alice.user_id}",
        data={"csrf": csrf, "presence": "online", "chat_capacity": "1", "ticket_capacity": "10",
              "working_hours": "mon 09:00-99:00"},
    )  # fmt: skip
    assert hours.status_code == 422 and "分配与排队" in hours.text
    more = await client.post(
        f"/agent/availability/{world.alice.user_id}",
        data={
            "csrf": csrf,
            "presence": "online",
            "chat_capacity": "3",
            "ticket_capacity": "10",
            "working_hours": "",
        },
    )
    assert more.status_code == 303
    assert "当前没有排队的工单" in (await client.get("/agent/queue")).text  # Alice took both


async def test_an_agent_reads_the_queue_and_switches_presence(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    await _queued(db, world, n=1)
    csrf = await sign_in(client, world.bob)
    page = await client.get("/agent/queue")
    assert page.status_code == 200 and "屏幕&lt;b&gt;碎了&lt;/b&gt; 0" in page.text
    assert "/move" not in page.text and "/agent/availability/" not in page.text
    assert "仅主管和管理员" in page.text and "尚未加入自动分配" in page.text
    entry = (await client.get("/api/v1/queue", headers=world.bob.auth)).json()["items"][0]["entry_id"]
    refused = await client.post(f"/agent/queue/{entry}/move", data={"csrf": csrf, "direction": "up"})
    assert refused.status_code == 403
    switched = await client.post(
        "/agent/presence", data={"csrf": csrf, "presence": "online", "next": "/agent"}
    )
    assert (switched.status_code, switched.headers["location"]) == (303, "/agent")
    mine = await client.get("/api/v1/me/presence", headers=world.bob.auth)
    assert mine.json()["presence"] == Presence.ONLINE and mine.json()["chats"] == 1  # took the waiting chat
    evil = await client.post(
        "/agent/presence", data={"csrf": csrf, "presence": "away", "next": "//evil.example"}
    )
    assert evil.headers["location"] == "/agent/queue"
    forged = await client.post("/agent/presence", data={"csrf": "wrong", "presence": "offline"})
    assert forged.status_code == 403
    await sign_in(client, world.carol)
    assert (await client.get("/agent/queue")).status_code == 404


async def test_the_ticket_page_shows_the_routing_panel(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    (waiting,) = await _queued(db, world, n=1)
    await sign_in(client, world.sue)
    queued = await client.get(f"/agent/tickets/{waiting}")
    assert queued.status_code == 200
    assert "排队中</strong> · 第 1 位" in queued.text and "≈ 8分钟" in queued.text
    assert "进入排队" in queued.text  # the audit trail names the event
    first = (await client.get("/api/v1/queue", headers=world.sue.auth)).json()["items"]
    assert first[0]["ticket_id"] == waiting
    await client.put("/api/v1/me/presence", json={"presence": "online"}, headers=world.bob.auth)
    routed = await client.get(f"/agent/tickets/{waiting}")
    assert "分配给 <strong>Bob</strong>" in routed.text and "排队 0分钟 后接入" in routed.text
    assert "负载 0/3" in routed.text
    client.cookies.set("sd_lang", "en")
    english = await client.get(f"/agent/tickets/{waiting}")
    assert "Routed to <strong>Bob</strong>" in english.text and "Load 0/3" in english.text


async def test_a_case_taken_by_hand_leaves_the_queue(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    (waiting,) = await _queued(db, world, n=1)
    taken = await client.patch(
        f"/api/v1/tickets/{waiting}", json={"assignee_id": world.bob.user_id}, headers=world.sue.auth
    )
    assert taken.status_code == 200
    assert (await client.get("/api/v1/queue", headers=world.sue.auth)).json()["items"] == []
    await sign_in(client, world.sue)
    page = await client.get(f"/agent/tickets/{waiting}")
    assert "已离开排队，由人工处理" in page.text and "排队中</strong> · 第 1 位" not in page.text


async def test_another_teams_waiting_case_is_not_shown_to_an_agent(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    """The queue shows positions, subjects and customers: a team's case only to its team (and
    supervisors); a case without a team waits for everyone, so everyone sees it."""
    await staff_floor(db, world, alice=Desk(chat_capacity=1))
    await open_case(db, world, "正在处理", team=world.team_a)
    team_case = await open_case(db, world, "A 组的排队工单", team=world.team_a)
    shared = await open_case(db, world, "无团队的排队工单")
    seen = {
        who.email: [
            i["ticket_id"] for i in (await client.get("/api/v1/queue", headers=who.auth)).json()["items"]
        ]
        for who in (world.alice, world.bob, world.sue)
    }
    assert seen[world.alice.email] == [shared, team_case]  # queue by queue: the floor's, then team A's
    assert seen[world.bob.email] == [shared]  # team B: not team A's case
    assert seen[world.sue.email] == [shared, team_case]
