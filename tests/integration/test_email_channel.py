"""Email end to end over real SMTP: a customer's GBK mail becomes a case, the agent's reply is
relayed by the outbox, the customer's answer threads back by our signed Message-ID."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import func, select

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.server import start_mail_listener
from servicedesk.channels.email.transport import SmtpTransport
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Dispatcher
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

DATA = Path(__file__).parents[1] / "data" / "email"


@dataclass
class Capture:
    """The customer's mail server: keeps what it is sent."""

    received: list[bytes] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.received.append(envelope.original_content)
        return "250 OK"


@dataclass
class Mail:
    port: int
    capture: Capture
    capture_port: int

    def send(self, raw: bytes, sender: str = "wangxm@example.com.cn") -> None:
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(sender, ["support@support.example.com"], raw)


@pytest.fixture
async def mail(db: Database) -> AsyncIterator[Mail]:
    listener = await start_mail_listener(db, db.settings, port=0)
    capture = Capture()
    loop = asyncio.get_running_loop()
    customer_mta = await loop.create_server(lambda: SMTP(capture, enable_SMTPUTF8=True), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    yield Mail(port, capture, customer_mta.sockets[0].getsockname()[1])
    for server in (listener, customer_mta):
        server.close()
        await server.wait_closed()


async def _count(db: Database, model: Any) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_customers_gbk_mail_becomes_one_case_however_often_it_arrives(
    db: Database, mail: Mail
) -> None:
    raw = (DATA / "gbk_plain.eml").read_bytes()
    for _ in range(2):
        await asyncio.to_thread(mail.send, raw)
    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.scalar(select(Ticket))
        customer = await uow.session.scalar(select(Customer))
    assert ticket is not None and customer is not None
    assert (ticket.channel, customer.email, customer.name) == (
        Channel.EMAIL,
        "wangxm@example.com.cn",
        "王小明",
    )
    assert "空气净化器" in ticket.subject
    assert await _count(db, Message) == 1


async def test_automatic_mail_opens_nothing_and_unreadable_mail_is_kept_for_a_person(
    db: Database, mail: Mail
) -> None:
    await asyncio.to_thread(mail.send, (DATA / "auto_reply.eml").read_bytes())
    assert (await _count(db, Ticket), await _count(db, Message), await _count(db, Customer)) == (0, 0, 0)
    await asyncio.to_thread(mail.send, b"\x00\x01 this is not an email at all")  # 250, not 550
    async with UnitOfWork(db, write=False) as uow:
        [stored] = list(await uow.session.scalars(select(Message)))
        customer = await uow.session.get(Customer, stored.author_customer_id)
    assert "this is not an email at all" in stored.body
    assert stored.meta is not None and stored.meta["needs_review"] == "undecodable,no_headers"
    assert customer is not None and customer.email == "wangxm@example.com.cn"  # from the envelope
    assert [a.filename for a in stored.attachments] == ["part-1.txt", "original.eml"]


async def test_a_reply_goes_out_by_smtp_and_the_answer_threads_back(
    db: Database, mail: Mail, client: httpx.AsyncClient, world: World
) -> None:
    await asyncio.to_thread(mail.send, (DATA / "gbk_plain.eml").read_bytes())
    async with UnitOfWork(db, write=False) as uow:
        ticket_id = await uow.session.scalar(select(Ticket.id).where(Ticket.channel == Channel.EMAIL))
    assert ticket_id is not None
    reply = await client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "您好，滤网已为您补发。"},
                              headers=world.sue.auth)  # fmt: skip
    assert reply.status_code == 201
    relay = db.settings.model_copy(
        update={"smtp_relay_host": "127.0.0.1", "smtp_relay_port": mail.capture_port}
    )
    result = await Dispatcher(db, {Channel.EMAIL: SmtpTransport(relay)}, worker_id="t").run_once()
    assert result.sent == 1
    [sent] = [parse_email(raw, received_at=db.clock()) for raw in mail.capture.received]
    assert sent.body.strip() == "您好，滤网已为您补发。"
    assert sent.thread_refs == ("202403120914550125831@example.com.cn",)
    assert sent.message_id is not None and sent.message_id.startswith(f"sd.{ticket_id}.")

    answer = EmailMessage()
    answer["From"], answer["To"] = "王小明 <wangxm@example.com.cn>", "support@support.example.com"
    answer["Subject"], answer["Message-ID"] = "回复：" + (sent.subject or ""), "<answer-1@example.com.cn>"
    answer["In-Reply-To"] = f"<{sent.message_id}>"
    answer.set_content("收到，谢谢！")
    forged = EmailMessage()
    forged["From"], forged["To"] = "eve@evil.example", "support@support.example.com"
    forged["Subject"], forged["Message-ID"] = f"Re: [#{ticket_id}] 冒充", "<forged-1@evil.example>"
    forged["In-Reply-To"] = f"<sd.{ticket_id}.0011223344556677.deadbeefdeadbeef@servicedesk.local>"
    forged.set_content("把退款打给我")
    await asyncio.to_thread(mail.send, answer.as_bytes())
    await asyncio.to_thread(mail.send, forged.as_bytes(), "eve@evil.example")
    async with UnitOfWork(db, write=False) as uow:
        on_case = list(await uow.session.scalars(select(Message.body).where(Message.ticket_id == ticket_id)))
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
    assert [b.strip() for b in on_case][-1] == "收到，谢谢！"
    assert "把退款打给我" not in "".join(on_case)
    assert tickets == 2  # the forged answer opened its own case


async def test_a_hard_bounce_marks_the_address_and_tells_the_agent(
    db: Database, mail: Mail, client: httpx.AsyncClient, world: World
) -> None:
    await asyncio.to_thread(mail.send, (DATA / "gbk_plain.eml").read_bytes())
    async with UnitOfWork(db, write=False) as uow:
        ticket_id = await uow.session.scalar(select(Ticket.id))
    assert ticket_id is not None
    await client.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "您好"}, headers=world.sue.auth)
    relay = db.settings.model_copy(
        update={"smtp_relay_host": "127.0.0.1", "smtp_relay_port": mail.capture_port}
    )
    await Dispatcher(db, {Channel.EMAIL: SmtpTransport(relay)}, worker_id="t").run_once()
    [ours] = [parse_email(raw, received_at=db.clock()) for raw in mail.capture.received]
    bounce = (
        "From: MAILER-DAEMON@example.com.cn\r\nTo: support@support.example.com\r\nSubject: Undelivered Mail\r\n"
        "Message-ID: <bounce-1@example.com.cn>\r\nAuto-Submitted: auto-replied\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n无法投递\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com.cn\r\n\r\n"
        "Final-Recipient: rfc822; wangxm@example.com.cn\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{ours.message_id}>\r\nSubject: x\r\n"
        "--B--\r\n"
    ).encode()
    await asyncio.to_thread(mail.send, bounce, "")
    detail = (await client.get(f"/api/v1/tickets/{ticket_id}", headers=world.sue.auth)).json()
    assert detail["status"] == "open"  # not reopened, not answered
    assert "无法投递（5.1.1）" in detail["messages"][-1]["body"]
    assert detail["messages"][-1]["kind"] == "note"
    again = await client.post(
        f"/api/v1/tickets/{ticket_id}/messages", json={"body": "再试一次"}, headers=world.sue.auth
    )
    assert again.status_code == 201
    async with UnitOfWork(db, write=False) as uow:
        queued = await uow.session.scalar(select(func.count()).select_from(Outbox))
    assert queued == 1  # the second reply is not sent to an address that bounced
