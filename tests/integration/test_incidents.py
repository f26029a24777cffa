"""Major incidents (R-HD-1) end to end: cases from web chat, email and WeChat grouped under one
incident; each update leaves once per customer through the outbox and the real transports (the
chat hub, SMTP to a capturing server, WeChat's API played by a mock); resolving resolves the
cases and stops their clocks. Authorisation, bad input and double submits store nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.transport import SmtpTransport
from servicedesk.channels.message import InboundMessage
from servicedesk.channels.webchat.hub import ChatHub
from servicedesk.channels.webchat.transport import WebChatTransport
from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.sla import ClockState
from servicedesk.jobs.outbox import Dispatcher, Transport
from servicedesk.services import sla
from servicedesk.services.intake import receive
from servicedesk.store.db import Database
from servicedesk.store.incidents import Incident, IncidentTicket, IncidentUpdate
from servicedesk.store.models import Event, Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_pages import carols_ticket, sign_in
from tests.integration.test_sla import Frozen, local, standard_at
from tests.integration.test_wechat_replies import OPENID, FakeWeChat, transport

VISITOR = "visitor-5f2a"
MAILER = "wang.fang@example.cn"
UPDATE = "支付通道故障，技术团队正在抢修，预计 30 分钟内恢复。给您带来不便，深表歉意。"
FINAL = "支付通道已恢复正常，您可以重新下单支付。如仍有问题请直接回复本消息。"


@pytest.fixture
async def clock(db: Database, world: World) -> Frozen:
    return await standard_at(db, local(2026, 10, 8, 10, 0))


@dataclass
class Cases:
    chat: int
    wechat: int
    mail: int
    mail_again: int  # the same email customer's second case
    helpcenter: int  # Carol's, read in place


@dataclass
class Mailbox:
    """The customers' mail server: keeps each message with its envelope recipient."""

    received: list[tuple[str, bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.received += [(to, envelope.original_content) for to in envelope.rcpt_tos]
        return "250 OK"


@dataclass
class Channels:
    """Every door a reply can leave by, each keeping what it delivered."""

    chat: list[dict[str, Any]]
    mail: Mailbox
    wechat: FakeWeChat
    dispatcher: Dispatcher

    async def deliver(self) -> None:
        result = await self.dispatcher.run_once()
        assert (result.retried, result.dead) == (0, 0)

    def mail_bodies(self) -> list[tuple[str, str]]:
        """(recipient, body) of each mail the customer's server accepted."""
        now = self.dispatcher.db.clock()
        return [(to, parse_email(raw, received_at=now).body.strip()) for to, raw in self.mail.received]


async def _inbound(
    db: Database, channel: Channel, sender: str, body: str, ref: str, subject: str = ""
) -> int:
    message = InboundMessage(
        channel=channel, sender=sender, body=body, subject=subject or None, received_at=db.clock(),
        message_id=ref,
    )  # fmt: skip
    async with UnitOfWork(db) as uow:
        result = await receive(uow, message)
    assert result.ticket_id is not None
    return result.ticket_id


@pytest.fixture
async def cases(db: Database, world: World, clock: Frozen) -> Cases:
    return Cases(
        chat=await _inbound(db, Channel.WEB_CHAT, VISITOR, "付款一直失败", "chat-1"),
        wechat=await _inbound(db, Channel.WECHAT, OPENID, "支付不了", "7001"),
        mail=await _inbound(db, Channel.EMAIL, MAILER, "扣款了但订单未支付", "m1@example.cn", "付款失败"),
        mail_again=await _inbound(
            db, Channel.EMAIL, MAILER, "另一个订单也付不了", "m2@example.cn", "订单无法支付"
        ),
        helpcenter=await carols_ticket(db, world, subject="支付页面报错"),
    )


@pytest.fixture
async def channels(db: Database) -> AsyncIterator[Channels]:
    capture = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(capture, enable_SMTPUTF8=True), "127.0.0.1", 0)
    relay = db.settings.model_copy(
        update={"smtp_relay_host": "127.0.0.1", "smtp_relay_port": server.sockets[0].getsockname()[1]}
    )
    hub, frames = ChatHub(), []

    async def socket(frame: dict[str, Any]) -> None:
        frames.append(frame)

    hub.connect(VISITOR, socket)
    fake = FakeWeChat()
    transports: dict[Channel, Transport] = {Channel.WEB_CHAT: WebChatTransport(hub),
                                            Channel.EMAIL: SmtpTransport(relay), Channel.WECHAT: transport(fake)}  # fmt: skip
    yield Channels(frames, capture, fake, Dispatcher(db, transports, worker_id="t"))
    server.close()
    await server.wait_closed()


def _all(cases: Cases) -> list[int]:
    return [cases.chat, cases.wechat, cases.mail, cases.mail_again, cases.helpcenter]


async def _declare(
    client: httpx.AsyncClient, world: World, ticket_ids: list[int], title: str = "支付通道故障"
) -> int:
    created = await client.post(
        "/api/v1/incidents", json={"title": title, "summary": "第三方支付网关超时", "ticket_ids": ticket_ids},
        headers=world.sue.auth,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


async def _count(db: Database, model: Any, *where: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def _messages(db: Database, ticket_id: int) -> list[Message]:
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.scalars(
            select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
        )
        return list(rows)


# --- the broadcast ---------------------------------------------------------------------------


async def test_the_incident_broadcast_reaches_customers_on_chat_email_and_wechat_once_each(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases, channels: Channels
) -> None:
    incident_id = await _declare(client, world, _all(cases))
    posted = await client.post(f"/api/v1/incidents/{incident_id}/updates", json={"body": UPDATE},
                               headers=world.sue.auth)  # fmt: skip
    assert posted.status_code == 201, posted.text
    assert posted.json()["recipients"] == 4  # chat, WeChat, the email customer once, Carol
    await channels.deliver()

    assert [f["body"] for f in channels.chat] == [UPDATE]
    assert [s["text"] for s in channels.wechat.sent] == [{"content": UPDATE}]
    assert channels.wechat.sent[0]["touser"] == OPENID
    assert channels.mail_bodies() == [(MAILER, UPDATE)]  # one mail for two cases
    assert await _count(db, Outbox) == 3  # the help-center case is read in place
    carol = (await client.get(f"/api/v1/tickets/{cases.helpcenter}", headers=world.carol.auth)).json()
    assert carol["messages"][-1]["body"] == UPDATE and carol["messages"][-1]["kind"] == "reply"

    resolved = await client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"body": FINAL},
                                 headers=world.sue.auth)  # fmt: skip
    assert resolved.status_code == 200 and resolved.json()["final"] is True
    await channels.deliver()
    assert [f["body"] for f in channels.chat] == [UPDATE, FINAL]
    assert [cast(dict[str, str], s["text"])["content"] for s in channels.wechat.sent] == [UPDATE, FINAL]
    assert channels.mail_bodies() == [(MAILER, UPDATE), (MAILER, FINAL)]


async def test_a_customer_with_two_linked_cases_hears_each_update_once(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases, clock: Frozen
) -> None:
    incident_id = await _declare(client, world, [cases.mail, cases.mail_again])
    for n, body in enumerate(("第一次进展", "第二次进展"), start=1):
        clock.at += timedelta(minutes=10)
        posted = await client.post(f"/api/v1/incidents/{incident_id}/updates", json={"body": body},
                                   headers=world.sue.auth)  # fmt: skip
        assert posted.json()["recipients"] == 1
        assert await _count(db, Outbox) == n
    # the most recent case carries the message; the other gets a note saying where it went
    public = [m.body for m in await _messages(db, cases.mail_again) if m.kind is MessageKind.REPLY]
    notes = [m for m in await _messages(db, cases.mail) if m.kind is MessageKind.NOTE]
    assert public == ["第一次进展", "第二次进展"]
    assert [m.meta for m in notes] == [{"system": "incident", "incident_id": incident_id,
                                        "sent_on": cases.mail_again}] * 2  # fmt: skip
    assert f"#{cases.mail_again}" in notes[0].body and notes[0].body.endswith("第一次进展")
    assert not [m for m in await _messages(db, cases.mail) if m.kind is MessageKind.REPLY]


async def test_resolving_resolves_every_open_case_with_the_final_message_and_stops_the_clocks(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases, clock: Frozen
) -> None:
    incident_id = await _declare(client, world, _all(cases))
    # one case is solved on its own first: it stays as it is and hears nothing more
    await client.post(f"/api/v1/tickets/{cases.wechat}/transition", json={"status": "resolved"},
                      headers=world.sue.auth)  # fmt: skip
    async with UnitOfWork(db, write=False) as uow:
        running = [c for c in await sla.clocks_of(uow, cases.chat) if c.state is ClockState.RUNNING]
    assert running, "the standard starts clocks on a new chat case"
    clock.at += timedelta(hours=1)
    final = await client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"body": FINAL},
                              headers=world.sue.auth)  # fmt: skip
    assert final.status_code == 200 and final.json()["recipients"] == 3  # chat, email customer, Carol

    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=world.sue.auth)).json()
    assert (detail["status"], detail["resolved_by_id"]) == ("resolved", world.sue.user_id)
    assert detail["resolved_at"].startswith("2026-10-08T03:00")
    assert {t["status"] for t in detail["tickets"]} == {"resolved"}
    async with UnitOfWork(db, write=False) as uow:
        for ticket_id in (cases.chat, cases.mail, cases.mail_again, cases.helpcenter):
            clocks = await sla.clocks_of(uow, ticket_id)
            assert clocks and all(c.state is ClockState.STOPPED for c in clocks), ticket_id
            assert {c.stopped_at for c in clocks} == {clock.at}
        changed = await uow.session.scalars(
            select(Event.ticket_id).where(Event.action == "ticket.status_changed", Event.actor_user_id == world.sue.user_id)
        )  # fmt: skip
        assert sorted(t for t in changed if t is not None) == sorted(
            _all(cases)
        )  # WeChat by hand, the rest by the incident
    assert [m.body for m in await _messages(db, cases.wechat)][-1] != FINAL
    assert (await _messages(db, cases.chat))[-1].body == FINAL
    again = await client.post(f"/api/v1/incidents/{incident_id}/resolve", json={"body": FINAL},
                              headers=world.sue.auth)  # fmt: skip
    assert again.status_code == 409
    assert await _count(db, IncidentUpdate) == 1
    late = await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [cases.chat]},
                             headers=world.sue.auth)  # fmt: skip
    assert late.status_code == 409  # a resolved incident takes no more cases


async def test_every_change_is_in_the_audit_trail(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    incident_id = await _declare(client, world, [cases.chat, cases.mail])
    await client.delete(f"/api/v1/incidents/{incident_id}/tickets/{cases.mail}", headers=world.sue.auth)
    await client.post(
        f"/api/v1/incidents/{incident_id}/updates", json={"body": UPDATE}, headers=world.sue.auth
    )
    await client.post(
        f"/api/v1/incidents/{incident_id}/resolve", json={"body": FINAL}, headers=world.sue.auth
    )
    async with UnitOfWork(db, write=False) as uow:
        rows = (await uow.session.execute(
            select(Event.action, Event.ticket_id, Event.actor_user_id).where(Event.subject_type == "incident")
            .order_by(Event.id))).all()  # fmt: skip
    assert [(a, t) for a, t, _ in rows] == [
        ("incident.declared", None), ("incident.ticket_linked", cases.chat),
        ("incident.ticket_linked", cases.mail), ("incident.ticket_unlinked", cases.mail),
        ("incident.update_posted", None), ("incident.update_posted", None), ("incident.resolved", None),
    ]  # fmt: skip
    assert {who for _, _, who in rows} == {world.sue.user_id}
    assert await _count(db, Ticket, Ticket.id == cases.mail, Ticket.status == TicketStatus.NEW) == 1


# --- who may --------------------------------------------------------------------------------


async def test_only_leaders_declare_update_and_resolve(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    body = {"title": "支付通道故障"}
    for person in (world.alice, world.quinn):  # front line (L1), quality inspection
        assert (await client.post("/api/v1/incidents", json=body, headers=person.auth)).status_code == 403
    assert (await client.post("/api/v1/incidents", json=body, headers=world.carol.auth)).status_code == 404
    assert await _count(db, Incident) == 0
    by_expert_team = await client.post(
        "/api/v1/incidents", json=body, headers=world.bob.auth
    )  # an agent in L2
    assert by_expert_team.status_code == 201
    incident_id = by_expert_team.json()["id"]

    alices = await carols_ticket(db, world, subject="付款页面打不开")  # team A, which Alice works
    linked = await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [alices]},
                               headers=world.alice.auth)  # fmt: skip
    assert linked.status_code == 200 and linked.json() == {"linked": [alices], "already": []}
    for path in ("updates", "resolve"):
        refused = await client.post(f"/api/v1/incidents/{incident_id}/{path}", json={"body": UPDATE},
                                    headers=world.alice.auth)  # fmt: skip
        assert refused.status_code == 403, path
    quinn = await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [alices]},
                              headers=world.quinn.auth)  # fmt: skip
    assert quinn.status_code == 403
    assert (await client.get("/api/v1/incidents", headers=world.quinn.auth)).status_code == 200
    assert await _count(db, IncidentUpdate) == 0
    assert await _count(db, Incident, Incident.status == "open") == 1


async def test_customers_never_see_incidents(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    incident_id = await _declare(client, world, [cases.helpcenter])
    paths = ["/api/v1/incidents", f"/api/v1/incidents/{incident_id}", f"/api/v1/incidents/{incident_id}/updates",
             f"/api/v1/tickets/{cases.helpcenter}/incidents"]  # fmt: skip
    for path in paths:
        assert (await client.get(path, headers=world.carol.auth)).status_code == 404, path
    writes = [("post", f"/api/v1/incidents/{incident_id}/updates", {"body": "x"}),
              ("post", f"/api/v1/incidents/{incident_id}/tickets", {"ticket_ids": [cases.helpcenter]}),
              ("post", f"/api/v1/incidents/{incident_id}/resolve", {"body": "x"})]  # fmt: skip
    for method, path, payload in writes:
        assert (await client.request(method, path, json=payload, headers=world.carol.auth)).status_code == 404
    gone = await client.delete(
        f"/api/v1/incidents/{incident_id}/tickets/{cases.helpcenter}", headers=world.carol.auth
    )
    assert gone.status_code == 404
    assert await _count(db, IncidentTicket) == 1 and await _count(db, IncidentUpdate) == 0
    await sign_in(client, world.carol)
    assert (await client.get("/agent/incidents")).status_code == 404
    assert (await client.get(f"/agent/incidents/{incident_id}")).status_code == 404


async def test_an_agent_links_only_cases_they_can_see(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    incident_id = await _declare(client, world, [])
    bobs = await carols_ticket(db, world, subject="退款未到账", team_id=world.team_b)
    refused = await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [bobs]},
                                headers=world.alice.auth)  # fmt: skip
    assert refused.status_code == 422 and f"#{bobs}" in refused.json()["error"]["fields"]["ticket_ids"]
    detail = (await client.get(f"/api/v1/incidents/{incident_id}", headers=world.alice.auth)).json()
    assert detail["tickets"] == [] and detail["hidden_tickets"] == 0
    await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [bobs, cases.chat]},
                      headers=world.sue.auth)  # fmt: skip
    seen = (await client.get(f"/api/v1/incidents/{incident_id}", headers=world.alice.auth)).json()
    assert (seen["tickets"], seen["visible_tickets"], seen["hidden_tickets"]) == ([], 0, 2)  # neither is hers
    sues = (await client.get(f"/api/v1/incidents/{incident_id}", headers=world.sue.auth)).json()
    assert (len(sues["tickets"]), sues["visible_tickets"], sues["hidden_tickets"]) == (2, 2, 0)


# --- bad input --------------------------------------------------------------------------------


async def test_bad_input_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    incident_id = await _declare(client, world, [cases.chat])
    sue = world.sue.auth
    empty = await client.post(f"/api/v1/incidents/{incident_id}/updates", json={"body": "  \n "}, headers=sue)
    assert empty.status_code == 422 and "body" in empty.json()["error"]["fields"]
    unknown = await client.post(f"/api/v1/incidents/{incident_id}/tickets",
                                json={"ticket_ids": [cases.wechat, 999_999]}, headers=sue)  # fmt: skip
    assert unknown.status_code == 422 and "#999999" in unknown.json()["error"]["fields"]["ticket_ids"]
    assert await _count(db, Outbox) == 0 and await _count(db, IncidentTicket) == 1
    await client.post(f"/api/v1/tickets/{cases.mail}/transition", json={"status": "resolved"}, headers=sue)
    await client.post(f"/api/v1/tickets/{cases.mail}/transition", json={"status": "closed"}, headers=sue)
    queued = await _count(db, Outbox)  # the case's own resolution notice, if any
    closed = await client.post(f"/api/v1/incidents/{incident_id}/tickets",
                               json={"ticket_ids": [cases.wechat, cases.mail]}, headers=sue)  # fmt: skip
    assert closed.status_code == 422 and f"#{cases.mail}" in closed.json()["error"]["fields"]["ticket_ids"]
    assert (await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": []},
                              headers=sue)).status_code == 422  # fmt: skip
    bad_declarations = [{"title": " "}, {"title": "x", "tier": 1}, {"title": "x", "team_id": 999_999},
                        {"title": "x", "colour": "red"}, {"title": "x", "ticket_ids": [999_999]}]  # fmt: skip
    for payload in bad_declarations:
        assert (await client.post("/api/v1/incidents", json=payload, headers=sue)).status_code == 422, payload
    assert (await client.get("/api/v1/incidents/999999", headers=sue)).status_code == 404
    assert await _count(db, Incident) == 1
    assert await _count(db, IncidentTicket) == 1 and await _count(db, IncidentUpdate) == 0
    assert await _count(db, Outbox) == queued
    # a case belongs to one open incident at a time
    other = await _declare(client, world, [cases.wechat], title="短信验证码延迟")
    taken = await client.post(
        f"/api/v1/incidents/{other}/tickets", json={"ticket_ids": [cases.chat]}, headers=sue
    )
    assert (
        taken.status_code == 409
        and f"incident {incident_id}" in taken.json()["error"]["fields"]["ticket_ids"]
    )
    twice = await client.post(f"/api/v1/incidents/{incident_id}/tickets", json={"ticket_ids": [cases.chat]},
                              headers=sue)  # fmt: skip
    assert twice.json() == {"linked": [], "already": [cases.chat]}
    assert await _count(db, IncidentTicket) == 2


async def test_a_double_submitted_update_is_sent_once(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases, clock: Frozen
) -> None:
    incident_id = await _declare(client, world, [cases.chat, cases.wechat])
    path = f"/api/v1/incidents/{incident_id}/updates"
    first, second = await asyncio.gather(
        client.post(path, json={"body": UPDATE}, headers=world.sue.auth),
        client.post(path, json={"body": UPDATE + "\n"}, headers=world.sue.auth),  # the same words
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    assert await _count(db, IncidentUpdate) == 1 and await _count(db, Outbox) == 2
    clock.at += timedelta(seconds=61)  # a minute later the same words are a deliberate repeat
    again = await client.post(path, json={"body": UPDATE}, headers=world.sue.auth)
    assert again.status_code == 201 and await _count(db, Outbox) == 4


# --- pages ----------------------------------------------------------------------------------


async def test_a_supervisor_runs_an_incident_from_the_pages(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    csrf = await sign_in(client, world.sue)
    listing = await client.get("/agent/incidents")
    assert listing.status_code == 200 and 'action="/agent/incidents"' in listing.text
    forged = await client.post("/agent/incidents", data={"title": "支付故障"})
    assert forged.status_code == 403 and await _count(db, Incident) == 0
    declared = await client.post("/agent/incidents", data={
        "csrf": csrf, "title": "支付<b>故障</b>", "tier": "3", "numbers": f"#{cases.chat}，{cases.wechat}"})  # fmt: skip
    assert declared.status_code == 303, declared.text
    page_url = declared.headers["location"]
    page = await client.get(page_url)
    assert "支付&lt;b&gt;故障&lt;/b&gt;" in page.text and "<b>故障" not in page.text
    assert f"#{cases.chat}" in page.text and "微信" in page.text  # status and channel of each case

    found = await client.get(page_url, params={"q": "订单无法支付"})
    assert f'name="ticket_id" value="{cases.mail_again}"' in found.text
    added = await client.post(
        f"{page_url}/tickets", data={"csrf": csrf, "ticket_id": [str(cases.mail_again)]}
    )
    assert added.status_code == 303
    empty = await client.post(f"{page_url}/updates", data={"csrf": csrf, "body": "  "})
    assert empty.status_code == 422 and "1 to 2000 characters" in empty.text
    assert await _count(db, IncidentUpdate) == 0
    sent = await client.post(f"{page_url}/updates", data={"csrf": csrf, "body": UPDATE})
    assert sent.status_code == 303
    double = await client.post(f"{page_url}/updates", data={"csrf": csrf, "body": UPDATE})
    assert double.status_code == 409 and f">{UPDATE}</textarea>" in double.text  # the draft is kept
    ticket_page = await client.get(f"/agent/tickets/{cases.chat}")
    assert f'href="{page_url}"' in ticket_page.text and UPDATE in ticket_page.text
    resolved = await client.post(f"{page_url}/resolve", data={"csrf": csrf, "body": FINAL})
    assert resolved.status_code == 303
    assert await _count(db, Ticket, Ticket.status == TicketStatus.RESOLVED) == 3
    assert "已解决" in (await client.get(page_url)).text


async def test_an_agent_links_their_case_from_the_ticket_page(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    incident_id = await _declare(client, world, [cases.chat], title="物流系统延迟")
    alices = await carols_ticket(db, world, subject="物流信息不更新")
    csrf = await sign_in(client, world.alice)
    before = await client.get(f"/agent/tickets/{alices}")
    assert f'action="/agent/tickets/{alices}/incident"' in before.text and "物流系统延迟" in before.text
    linked = await client.post(
        f"/agent/tickets/{alices}/incident", data={"csrf": csrf, "incident_id": str(incident_id)}
    )
    assert linked.status_code == 303
    after = await client.get(f"/agent/tickets/{alices}")
    assert f'href="/agent/incidents/{incident_id}"' in after.text and "归入重大事件" in after.text  # trail
    assert "发送进展" not in (await client.get(f"/agent/incidents/{incident_id}")).text  # not a leader
    unlinked = await client.post(f"/agent/incidents/{incident_id}/tickets/{alices}/unlink",
                                 data={"csrf": csrf, "back": "ticket"})  # fmt: skip
    assert unlinked.headers["location"] == f"/agent/tickets/{alices}"
    assert await _count(db, IncidentTicket, IncidentTicket.ticket_id == alices) == 0


async def test_the_demo_helper_groups_the_cases_carrying_a_tag(
    client: httpx.AsyncClient, db: Database, world: World, cases: Cases
) -> None:
    from servicedesk.services.auth import principal_by_user_id
    from servicedesk.services.incidents import demo_incident

    for ticket_id in (cases.chat, cases.mail):
        await client.patch(
            f"/api/v1/tickets/{ticket_id}", json={"tags": ["支付故障"]}, headers=world.sue.auth
        )
    async with UnitOfWork(db) as uow:
        sue = await principal_by_user_id(uow, world.sue.user_id)
        assert sue is not None
        incident = await demo_incident(
            uow, sue, tag="支付故障", title="支付通道故障", summary="网关超时", update=UPDATE
        )
        nothing = await demo_incident(uow, sue, tag="没有这个标签", title="x", summary="", update=UPDATE)
    assert incident is not None and nothing is None
    detail = (await client.get(f"/api/v1/incidents/{incident.id}", headers=world.sue.auth)).json()
    assert sorted(t["id"] for t in detail["tickets"]) == sorted([cases.chat, cases.mail])
    assert [(u["body"], u["recipients"]) for u in detail["updates"]] == [(UPDATE, 2)]
