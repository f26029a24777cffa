"""Channel intake: one customer per identity, each message stored once, on the right case."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services.intake import receive
from servicedesk.services.tickets import apply_status
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
OPENID = "oVx3Q5mYk2_dGz9aT1bR8sLp0cEw"


def wechat(text: str, msg_id: str) -> InboundMessage:
    return InboundMessage(
        channel=Channel.WECHAT, sender=OPENID, body=text, received_at=NOW, message_id=msg_id
    )


def email(
    text: str, msg_id: str, *, sender: str = "Li.Na@Example.cn", subject: str = "发票抬头开错了"
) -> InboundMessage:
    return InboundMessage(
        channel=Channel.EMAIL, sender=sender, sender_name="李娜", subject=subject, body=text,
        received_at=NOW, message_id=msg_id,
    )  # fmt: skip


async def _count(db: Database, model: type) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def _receive(db: Database, inbound: InboundMessage, hint: int | None = None):  # type: ignore[no-untyped-def]
    async with UnitOfWork(db) as uow:
        return await receive(uow, inbound, thread_hint=hint)


async def test_it_makes_an_unknown_sender_one_customer_and_continues_their_chat(db: Database) -> None:
    first = await _receive(db, wechat("我的订单2026112200001到哪了？", "24375028493802810001"))
    second = await _receive(db, wechat("麻烦快点，急用", "24375028493802810002"))
    assert first.new_ticket and not second.new_ticket
    assert first.customer_id == second.customer_id
    assert first.ticket_id == second.ticket_id
    async with UnitOfWork(db, write=False) as uow:
        identity = await uow.session.scalar(
            select(CustomerIdentity).where(CustomerIdentity.channel == Channel.WECHAT)
        )
        ticket = await uow.session.get(Ticket, first.ticket_id)
    assert identity is not None and (identity.external_id, identity.verified) == (OPENID, False)
    assert ticket is not None and ticket.subject == "我的订单2026112200001到哪了？"


async def test_a_repeated_delivery_is_stored_once(db: Database) -> None:
    results = [await _receive(db, wechat("你好", "24375028493802819999")) for _ in range(3)]
    assert [r.duplicate for r in results] == [False, True, True]
    assert {r.message_id for r in results} == {results[0].message_id}
    assert (await _count(db, Message), await _count(db, Ticket), await _count(db, Customer)) == (1, 1, 1)


async def test_concurrent_deliveries_of_one_message_store_it_once(db: Database) -> None:
    results = await asyncio.gather(
        *(_receive(db, email("同一封邮件", "abc@mail.example.cn")) for _ in range(4))
    )
    assert sum(not r.duplicate for r in results) == 1
    assert await _count(db, Message) == 1


async def test_email_threads_only_on_an_authenticated_hint_for_the_same_customer(db: Database) -> None:
    first = await _receive(db, email("抬头应为某某公司", "m1@mail.example.cn"))
    unthreaded = await _receive(db, email("另一个问题", "m2@mail.example.cn", subject="退货"))
    assert unthreaded.new_ticket  # email without a hint is a new case
    threaded = await _receive(db, email("补充：税号是…", "m3@mail.example.cn"), hint=first.ticket_id)
    assert (threaded.new_ticket, threaded.ticket_id) == (False, first.ticket_id)
    stranger = await _receive(
        db, email("我也要改", "m4@mail.example.cn", sender="eve@evil.example"), hint=first.ticket_id
    )
    assert stranger.new_ticket and stranger.ticket_id != first.ticket_id  # a hint to someone else's case


async def test_an_answer_reopens_a_resolved_case(db: Database) -> None:
    first = await _receive(db, email("抬头错了", "r1@mail.example.cn"))
    async with UnitOfWork(db) as uow:
        ticket = await uow.session.get(Ticket, first.ticket_id)
        assert ticket is not None
        await apply_status(uow, None, ticket, TicketStatus.RESOLVED)
        await uow.commit()
    await _receive(db, email("还是不对", "r2@mail.example.cn"), hint=first.ticket_id)
    async with UnitOfWork(db, write=False) as uow:
        reopened = await uow.session.get(Ticket, first.ticket_id)
    assert reopened is not None and (reopened.status, reopened.reopened_count) == (TicketStatus.OPEN, 1)


async def test_automatic_mail_and_events_open_no_case(db: Database) -> None:
    auto = InboundMessage(channel=Channel.EMAIL, sender="noreply@example.cn", body="我正在休假", received_at=NOW,
                          message_id="ooo@x", kind=InboundKind.AUTOMATIC)  # fmt: skip
    follow = InboundMessage(channel=Channel.WECHAT, sender=OPENID, body="", received_at=NOW,
                            kind=InboundKind.EVENT, metadata={"event": "subscribe"})  # fmt: skip
    assert (await _receive(db, auto)).ignored == "automatic"
    followed = await _receive(db, follow)
    assert followed.ignored == "event"
    assert followed.customer_id is not None
    assert (await _count(db, Ticket), await _count(db, Message)) == (0, 0)
    assert await _count(db, Customer) == 1  # the follower is known from now on; the auto-reply left no trace


async def test_event_details_reach_the_audit_log_with_numbers_masked(db: Database) -> None:
    from servicedesk.store.models import Event

    call = InboundMessage(channel=Channel.PHONE, sender="13812345678", body="", received_at=NOW, kind=InboundKind.EVENT,
                          metadata={"event": "call.started", "caller": "13812345678"})  # fmt: skip
    await _receive(db, call)
    async with UnitOfWork(db, write=False) as uow:
        logged = await uow.session.scalar(select(Event.after).where(Event.action == "channel.event"))
    assert logged is not None and logged["caller"] == "138****5678"
