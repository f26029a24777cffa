"""Collaboration requests to other departments (R-HD-5) through the API, the pages and the SLA
worker, on both databases, with a frozen clock on a working day (Thursday 8 October 2026,
service calendar 08:00–22:00, collaboration-reply target 24 business hours in every policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import ColumnElement, func, select

from servicedesk.domain.catalog import Channel, MessageKind, Priority
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Role
from servicedesk.domain.sla import ClockState, SlaMetric
from servicedesk.jobs.sla import SlaWorker
from servicedesk.services import collaboration as co
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.collaboration import CollaborationRequest
from servicedesk.store.db import Database
from servicedesk.store.models import Department, Event, Message, Team
from servicedesk.store.sla import Notification, SlaClock
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World, make_person
from tests.integration.test_pages import open_ticket, sign_in
from tests.integration.test_sla import Frozen, local, standard_at


@dataclass
class Org:
    """Technical (team B: Bob, Eve; Eve leads it), finance (its own team: Fay, a department
    lead by role but not named lead), logistics (nobody in it)."""

    tech: int
    finance: int
    logistics: int
    fay: Person


@pytest.fixture
async def clock(db: Database, world: World) -> Frozen:
    return await standard_at(db, local(2026, 10, 8, 9, 0))


@pytest.fixture
async def org(db: Database, world: World, clock: Frozen) -> Org:
    async with UnitOfWork(db) as uow:
        now = uow.now()
        tech = Department(name="技术部", lead_id=world.eve.user_id, created_at=now)
        finance = Department(name="财务部", created_at=now)
        logistics = Department(name="物流部", created_at=now)
        uow.session.add_all([tech, finance, logistics])
        await uow.session.flush()
        team_b = await uow.session.get(Team, world.team_b)
        assert team_b is not None
        team_b.department_id = tech.id
        uow.session.add(Team(name="财务组", department_id=finance.id, tier=1, created_at=now))
        ids = (tech.id, finance.id, logistics.id)
        await uow.commit()
    async with UnitOfWork(db) as uow:
        fin_team = await uow.session.scalar(select(Team.id).where(Team.name == "财务组"))
        await uow.commit()
    assert fin_team is not None
    fay = await make_person(db, "Fay", Role.DEPARTMENT_LEAD, team_ids=(fin_team,))
    return Org(*ids, fay=fay)


async def _case(db: Database, world: World) -> int:
    """Carol's case in team A, assigned to Alice; Bob, Eve and Fay cannot see it."""
    return await open_ticket(
        db, world.alice, subject="设备<b>黑屏</b>", body="开机后黑屏", customer_id=world.carol.customer_id,
        channel=Channel.WEB_CHAT, priority=Priority.MEDIUM, team_id=world.team_a, assignee_id=world.alice.user_id,
    )  # fmt: skip


async def _ask(client: httpx.AsyncClient, by: Person, ticket_id: int, **body: object) -> httpx.Response:
    return await client.post(f"/api/v1/tickets/{ticket_id}/collaboration", json=body, headers=by.auth)


async def _answer(client: httpx.AsyncClient, by: Person, request_id: int, answer: str) -> httpx.Response:
    return await client.post(
        f"/api/v1/collaboration/requests/{request_id}/answer", json={"answer": answer}, headers=by.auth
    )


async def _count(db: Database, model: type, *where: ColumnElement[bool]) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _notes(db: Database, user_id: int, kind: str) -> list[Notification]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
        )
        return list(rows)


async def _clock_of(db: Database, request_id: int) -> SlaClock:
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.scalar(select(SlaClock).where(SlaClock.ref == str(request_id)))
    assert row is not None
    return row


async def test_asking_a_department_tells_its_lead_and_starts_its_own_clock(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    asked = await _ask(
        client, world.alice, ticket_id, department_id=org.tech, body="请在 24 小时内查明黑屏原因"
    )
    assert asked.status_code == 201, asked.text
    request = asked.json()
    # 24 business hours: 13 h on Thursday (09:00–22:00) and 11 h on Friday from 08:00
    assert request["due_at"] == local(2026, 10, 9, 19, 0).isoformat().replace("+00:00", "Z")
    assert (request["status"], request["department"], request["requested_by"]) == ("open", "技术部", "Alice")
    assert request["remaining_seconds"] == 24 * 3600 and request["clock_state"] == "running"
    clock = await _clock_of(db, request["id"])
    assert (clock.metric, clock.ticket_id, clock.state) == (
        SlaMetric.COLLABORATION_REPLY,
        ticket_id,
        ClockState.RUNNING,
    )
    [told] = await _notes(db, world.eve.user_id, "collaboration.requested")
    assert told.data["team"] == "技术部" and told.data["request_id"] == request["id"]
    assert await _notes(db, world.bob.user_id, "collaboration.requested") == []  # the lead, not everyone
    assert (
        await _count(db, Event, Event.action == "collaboration.requested", Event.ticket_id == ticket_id) == 1
    )
    listed = await client.get(f"/api/v1/tickets/{ticket_id}/collaboration", headers=world.alice.auth)
    assert [r["id"] for r in listed.json()] == [request["id"]]


async def test_without_a_named_lead_the_department_leads_or_the_supervisors_are_told(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    assert (
        await _ask(client, world.alice, ticket_id, department_id=org.finance, body="请核对退款")
    ).status_code == 201
    assert len(await _notes(db, org.fay.user_id, "collaboration.requested")) == 1
    lonely = await _ask(client, world.alice, ticket_id, department_id=org.logistics, body="请查询物流轨迹")
    assert lonely.status_code == 201
    assert len(await _notes(db, world.sue.user_id, "collaboration.requested")) == 1
    # nobody works in logistics: the supervisor who was told answers for it
    inbox = (await client.get("/api/v1/collaboration/inbox", headers=world.sue.auth)).json()
    assert [r["department"] for r in inbox] == ["物流部"]
    answered = await client.post(
        f"/api/v1/collaboration/requests/{lonely.json()['id']}/answer",
        json={"answer": "已签收"},
        headers=world.sue.auth,
    )
    assert answered.status_code == 200 and answered.json()["status"] == "answered"


async def test_an_explicit_due_time_overrides_the_policy_target(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    by_three = await _ask(
        client, world.alice, ticket_id, department_id=org.tech, body="下午三点前回复",
        due_at=local(2026, 10, 8, 15, 0).isoformat(),
    )  # fmt: skip
    assert by_three.status_code == 201
    assert by_three.json()["due_at"].startswith("2026-10-08T07:00:00")  # 15:00 Shanghai
    assert (await _clock_of(db, by_three.json()["id"])).target_seconds == 6 * 3600
    # asked for 23:00, after closing: due when the business time runs out, at 22:00
    late = await _ask(
        client, world.alice, ticket_id, department_id=org.tech, body="今晚回复",
        due_at=local(2026, 10, 8, 23, 0).isoformat(),
    )  # fmt: skip
    assert late.json()["due_at"].startswith("2026-10-08T14:00:00")


async def test_the_answer_returns_to_the_case_as_an_internal_note_and_stops_the_clock(
    client: httpx.AsyncClient, db: Database, world: World, org: Org, clock: Frozen
) -> None:
    ticket_id = await _case(db, world)
    request_id = (
        await _ask(client, world.alice, ticket_id, department_id=org.tech, body="黑屏原因？")
    ).json()["id"]
    # Eve leads technical support; she does not see the case, only the request
    assert (await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.eve.auth)).status_code == 404
    assert (
        await client.get(f"/api/v1/collaboration/requests/{request_id}", headers=world.eve.auth)
    ).status_code == 200
    clock.at = local(2026, 10, 8, 11, 0)
    answered = await _answer(client, world.eve, request_id, "固件 2.3.1 的已知问题，升级到 2.3.2 即可")
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert (body["status"], body["answered_by"], body["met"], body["remaining_seconds"]) == (
        "answered",
        "Eve",
        True,
        None,
    )
    stopped = await _clock_of(db, request_id)
    assert (stopped.state, stopped.stopped_at, stopped.breached_at) == (ClockState.STOPPED, clock.at, None)
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.alice.auth)).json()
    [note] = [m for m in detail["messages"] if m["kind"] == "note"]
    assert (
        "固件 2.3.1 的已知问题" in note["body"] and "黑屏原因？" in note["body"] and "技术部" in note["body"]
    )
    assert note["author_user_id"] == world.eve.user_id and note["meta"] == {
        "collaboration_request": request_id
    }
    assert [n.data["team"] for n in await _notes(db, world.alice.user_id, "collaboration.answered")] == [
        "技术部"
    ]
    assert "collaboration.answered" in [e["action"] for e in detail["events"]]
    # the other clocks of the case run on
    first = await client.get(f"/api/v1/tickets/{ticket_id}/sla", headers=world.alice.auth)
    assert {c["metric"]: c["state"] for c in first.json()}["first_response"] == "running"
    again = await _answer(client, world.eve, request_id, "再答一次")
    assert again.status_code == 409
    assert await _count(db, Message, Message.ticket_id == ticket_id, Message.kind == MessageKind.NOTE) == 1


async def test_the_wrong_department_cannot_answer(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    request_id = (
        await _ask(client, world.alice, ticket_id, department_id=org.tech, body="黑屏原因？")
    ).json()["id"]
    answer = {"answer": "不是我们部门的事"}
    url = f"/api/v1/collaboration/requests/{request_id}/answer"
    assert (await client.post(url, json=answer, headers=org.fay.auth)).status_code == 404  # finance: unseen
    refused = await client.post(url, json=answer, headers=world.alice.auth)  # sees the case, not technical
    assert refused.status_code == 403 and "技术部" in refused.json()["error"]["message"]
    assert (await client.post(url, json=answer, headers=world.quinn.auth)).status_code == 403
    bob = await client.post(url, json={"answer": "技术部成员可以答复"}, headers=world.bob.auth)  # a member
    assert bob.status_code == 200
    assert await _count(db, Message, Message.kind == MessageKind.NOTE) == 1


async def test_customers_never_see_requests_or_answers(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    request_id = (
        await _ask(client, world.alice, ticket_id, department_id=org.tech, body="内部问题：黑屏原因")
    ).json()["id"]
    await _answer(client, world.eve, request_id, "内部答复：固件缺陷")
    carol = world.carol.auth
    assert (await client.get(f"/api/v1/tickets/{ticket_id}/collaboration", headers=carol)).status_code == 403
    assert (
        await client.get(f"/api/v1/collaboration/requests/{request_id}", headers=carol)
    ).status_code == 404
    assert (await client.get("/api/v1/collaboration/inbox", headers=carol)).status_code == 403
    assert (
        await _ask(client, world.carol, ticket_id, department_id=org.tech, body="我也问问")
    ).status_code == 403
    cancel = await client.post(f"/api/v1/collaboration/requests/{request_id}/cancel", json={}, headers=carol)
    assert cancel.status_code == 404
    own_view = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=carol)).json()
    assert own_view["events"] == [] and all(m["kind"] != "note" for m in own_view["messages"])
    assert "内部" not in str(own_view)
    await sign_in(client, world.carol)
    page = await client.get(f"/help/tickets/{ticket_id}")
    assert page.status_code == 200 and "开机后黑屏" in page.text
    assert "内部问题" not in page.text and "内部答复" not in page.text and "协作" not in page.text
    assert (await client.get("/agent/collaboration")).status_code == 404
    assert await _count(db, CollaborationRequest) == 1


async def test_the_sla_worker_warns_and_escalates_on_an_overdue_request(
    client: httpx.AsyncClient, db: Database, world: World, org: Org, clock: Frozen
) -> None:
    ticket_id = await _case(db, world)
    due = local(2026, 10, 8, 10, 0).isoformat()
    asked = await _ask(
        client, world.alice, ticket_id, department_id=org.tech, body="一小时内回复", due_at=due
    )
    request_id = asked.json()["id"]
    clock.at = local(2026, 10, 8, 10, 1)
    await SlaWorker(db, worker_id="t").run_once(clock.at)
    # the department's lead and the one who asked hear it, about the request, not the case
    for person in (world.alice, world.eve):
        seen = [
            (n.kind, n.data["metric"], n.data["request_id"], n.ticket_id)
            for kind in ("collaboration.warning", "collaboration.breached")
            for n in await _notes(db, person.user_id, kind)
        ]
        assert seen == [
            ("collaboration.warning", "collaboration_reply", request_id, None),
            ("collaboration.breached", "collaboration_reply", request_id, None),
        ]
    own = [n.data["metric"] for n in await _notes(db, world.alice.user_id, "sla.warning")]
    assert "collaboration_reply" not in own  # (the case's own first response may be due too)
    row = await _clock_of(db, request_id)
    assert row.breached_at == local(2026, 10, 8, 10, 0)
    # the rest of the ladder tells the supervisors; a late department never moves the case up
    clock.at = local(2026, 10, 8, 11, 0)
    await SlaWorker(db, worker_id="t").run_once(clock.at)
    assert len(await _notes(db, world.sue.user_id, "collaboration.overdue")) == 2
    case = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.sue.auth)).json()
    reasons = [e["after"]["reason"] for e in case["events"] if e["action"] == "ticket.escalated"]
    assert not [r for r in reasons if "collaboration_reply" in r]
    listed = (await client.get(f"/api/v1/collaboration/requests/{request_id}", headers=world.eve.auth)).json()
    assert listed["remaining_seconds"] < 0
    # a late answer is recorded as late
    late = await _answer(client, world.eve, request_id, "抱歉晚了")
    assert late.json()["met"] is False


async def test_withdrawing_stops_the_clock_and_tells_the_department(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    request_id = (
        await _ask(client, world.alice, ticket_id, department_id=org.tech, body="黑屏原因？")
    ).json()["id"]
    url = f"/api/v1/collaboration/requests/{request_id}"
    assert (await client.post(f"{url}/cancel", json={}, headers=world.eve.auth)).status_code == 403
    cancelled = await client.post(
        f"{url}/cancel", json={"reason": "客户已自行解决"}, headers=world.alice.auth
    )
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert (await _clock_of(db, request_id)).state is ClockState.STOPPED
    assert len(await _notes(db, world.eve.user_id, "collaboration.cancelled")) == 1
    assert (
        await client.post(f"{url}/answer", json={"answer": "x"}, headers=world.eve.auth)
    ).status_code == 409
    assert (await client.post(f"{url}/cancel", json={}, headers=world.alice.auth)).status_code == 409
    assert (await client.get("/api/v1/collaboration/inbox", headers=world.eve.auth)).json() == []


async def test_bad_input_is_refused_with_a_clear_error_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    cases: list[tuple[dict[str, object], int, str]] = [
        ({"department_id": 9999, "body": "x"}, 422, "department_id"),
        ({"department_id": org.tech, "body": "   "}, 422, "body"),
        ({"department_id": org.tech, "body": ""}, 422, "body"),
        ({"department_id": org.tech, "body": "x" * 5001}, 422, "body"),
        ({"department_id": org.tech, "body": "x", "urgent": True}, 422, "urgent"),
        ({"department_id": org.tech, "body": "x", "due_at": "2026-10-08T15:00:00"}, 422, "due_at"),
        (
            {"department_id": org.tech, "body": "x", "due_at": local(2026, 10, 8, 8, 0).isoformat()},
            422,
            "due_at",
        ),
        (
            {"department_id": org.tech, "body": "x", "due_at": local(2028, 1, 1, 9, 0).isoformat()},
            422,
            "due_at",
        ),
        ({"body": "x"}, 422, "department_id"),
    ]
    for body, status, field in cases:
        answer = await _ask(client, world.alice, ticket_id, **body)
        assert answer.status_code == status, (body, answer.text)
        assert field in answer.json()["error"]["fields"], (body, answer.text)
    assert (
        await _count(db, CollaborationRequest) == 0
        and await _count(db, SlaClock, SlaClock.ref.is_not(None)) == 0
    )
    assert (
        await _ask(client, world.alice, ticket_id, department_id=org.tech, body="同一个问题")
    ).status_code == 201
    twice = await _ask(client, world.alice, ticket_id, department_id=org.tech, body="同一个问题")
    assert twice.status_code == 409
    assert (
        await _ask(client, world.bob, ticket_id, department_id=org.tech, body="看不到的工单")
    ).status_code == 404
    assert await _count(db, CollaborationRequest) == 1
    resolved = await client.post(
        f"/api/v1/tickets/{ticket_id}/transition",
        json={"status": TicketStatus.RESOLVED},
        headers=world.alice.auth,
    )
    assert resolved.status_code == 200
    solved = await _ask(client, world.alice, ticket_id, department_id=org.tech, body="解决后再问")
    assert solved.status_code == 422 and "ticket_id" in solved.json()["error"]["fields"]
    answer = await client.post(
        "/api/v1/collaboration/requests/1/answer", json={"answer": ""}, headers=world.eve.auth
    )
    assert answer.status_code == 422


async def test_the_ticket_panel_and_the_department_inbox(
    client: httpx.AsyncClient, db: Database, world: World, org: Org
) -> None:
    ticket_id = await _case(db, world)
    csrf = await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "跨部门协作" in page.text and "技术部" in page.text and 'name="due_at"' in page.text
    refused = await client.post(
        f"/agent/tickets/{ticket_id}/collaboration", data={"department_id": str(org.tech)}
    )
    assert refused.status_code == 403  # no CSRF token
    sent = await client.post(
        f"/agent/tickets/{ticket_id}/collaboration",
        data={
            "csrf": csrf,
            "department_id": str(org.tech),
            "body": "请查<script>x</script>原因",
            "due_at": "",
        },
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("#collaboration")
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "请查&lt;script&gt;x&lt;/script&gt;原因" in page.text
    assert 'data-due="2026-10-09T11:00:00+00:00"' in page.text  # 19:00 Shanghai on Friday
    assert "撤回请求" in page.text and "/answer" not in page.text  # Alice is not in technical support
    bad = await client.post(
        f"/agent/tickets/{ticket_id}/collaboration",
        data={"csrf": csrf, "department_id": str(org.tech), "body": "x", "due_at": "明天"},
    )
    assert bad.status_code == 422 and "due_at" in bad.text

    csrf = await sign_in(client, world.eve)
    inbox = await client.get("/agent/collaboration")
    assert inbox.status_code == 200 and "协作收件箱" in inbox.text and f"#{ticket_id}" in inbox.text
    assert "请查&lt;script&gt;" in inbox.text and "<script>x" not in inbox.text
    [request_id] = [
        r["id"] for r in (await client.get("/api/v1/collaboration/inbox", headers=world.eve.auth)).json()
    ]
    answered = await client.post(
        f"/agent/collaboration/{request_id}/answer",
        data={"csrf": csrf, "answer": "电源板故障", "back": "inbox"},
    )
    assert answered.status_code == 303 and answered.headers["location"] == "/agent/collaboration"
    assert "没有待答复的协作请求" in (await client.get("/agent/collaboration")).text

    await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert "电源板故障" in page.text and "协作答复" in page.text and "按时答复" in page.text
    assert "发起跨部门协作" in page.text and "部门已答复" in page.text  # the audit trail
    notices = await client.get("/agent/notifications")
    assert "收到技术部的协作答复" in notices.text


async def test_the_request_clock_runs_on_while_the_case_waits_on_the_customer(
    client: httpx.AsyncClient, db: Database, world: World, org: Org, clock: Frozen
) -> None:
    """The case's clocks pause while it waits on the customer; the department's answer is owed
    to us, not by the customer, so its clock runs on (services.sla.on_status)."""
    ticket_id = await _case(db, world)
    request_id = (await _ask(client, world.alice, ticket_id, department_id=org.tech, body="原因？")).json()[
        "id"
    ]
    moved = await client.post(
        f"/api/v1/tickets/{ticket_id}/transition", json={"status": "pending"}, headers=world.alice.auth
    )
    assert moved.status_code == 200, moved.text
    clock.at += timedelta(hours=2)
    view = (await client.get(f"/api/v1/collaboration/requests/{request_id}", headers=world.alice.auth)).json()
    assert view["clock_state"] == "running" and view["remaining_seconds"] == 22 * 3600


async def test_the_demo_seed_names_leads_and_asks_each_staffed_department(
    db: Database, world: World, org: Org
) -> None:
    first, second = await _case(db, world), await _case(db, world)
    async with UnitOfWork(db) as uow:
        alice = await principal_by_user_id(uow, world.alice.user_id)
        assert alice is not None
        made = await co.seed_demo(uow, alice, [first, second])
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.scalars(select(CollaborationRequest).order_by(CollaborationRequest.id)))
        leads = dict((d.name, d.lead_id) for d in await uow.session.scalars(select(Department)))
    assert [r.id for r in rows] == made
    assert [(r.ticket_id, r.department_id) for r in rows] == [(first, org.tech), (second, org.finance)]
    assert leads == {"技术部": world.eve.user_id, "财务部": org.fay.user_id, "物流部": None}
