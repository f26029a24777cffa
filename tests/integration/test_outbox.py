"""The outbox: written with the change, delivered after commit, retried, dead-lettered, never twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Dispatcher, Policy
from servicedesk.services.outbox import enqueue
from servicedesk.store.db import Database
from servicedesk.store.models import Outbox, OutboxStatus
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World


class RecordingTransport:
    """Stands in for a vendor's API: records what it was asked to deliver, or fails as told."""

    def __init__(self, failures: list[TransportError] | None = None) -> None:
        self.sent: list[OutboundMessage] = []
        self.failures = list(failures or [])

    async def send(self, message: OutboundMessage) -> None:
        await asyncio.sleep(0)  # yield, so concurrent dispatchers interleave
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def note(i: int = 0) -> OutboundMessage:
    return OutboundMessage(
        channel=Channel.EMAIL, recipient=f"kehu{i}@example.cn", body=f"您好，第{i}条", subject="回复"
    )


async def _enqueue(db: Database, *messages: OutboundMessage, commit: bool = True) -> None:
    async with UnitOfWork(db) as uow:
        for message in messages:
            await enqueue(uow, message)
        if commit:
            await uow.commit()


async def _statuses(db: Database) -> Counter[str]:
    async with UnitOfWork(db, write=False) as uow:
        return Counter(s.value for s in await uow.session.scalars(select(Outbox.status)))


async def test_it_sends_only_what_was_committed_and_only_once(db: Database) -> None:
    await _enqueue(db, note(1), commit=False)  # rolled back: never sent
    await _enqueue(db, note(2))
    transport = RecordingTransport()
    dispatcher = Dispatcher(db, {Channel.EMAIL: transport}, worker_id="a")
    first = await dispatcher.run_once()
    again = await dispatcher.run_once()
    assert (first.sent, again.sent) == (1, 0)
    assert [m.body for m in transport.sent] == ["您好，第2条"]
    assert await _statuses(db) == Counter({"sent": 1})


async def test_it_retries_with_backoff_then_gives_up(db: Database) -> None:
    await _enqueue(db, note())
    busy = TransportError("421 try again later", permanent=False)
    transport = RecordingTransport([busy, busy, busy])
    dispatcher = Dispatcher(db, {Channel.EMAIL: transport}, worker_id="a", policy=Policy(max_attempts=3))
    now = db.clock()
    assert (await dispatcher.run_once(now)).retried == 1
    assert (await dispatcher.run_once(now + timedelta(seconds=10))).retried == 0  # not due yet
    assert (await dispatcher.run_once(now + timedelta(seconds=31))).retried == 1
    assert (await dispatcher.run_once(now + timedelta(minutes=2))).dead == 1
    async with UnitOfWork(db, write=False) as uow:
        row = await uow.session.scalar(select(Outbox))
    assert row is not None
    assert (row.status, row.attempts, row.last_error) == (OutboxStatus.DEAD, 3, "421 try again later")
    assert transport.sent == []


async def test_a_permanent_failure_goes_to_the_dead_letter_at_once(db: Database) -> None:
    await _enqueue(db, note(), OutboundMessage(channel=Channel.WEIBO, recipient="x", body="无渠道"))
    transport = RecordingTransport([TransportError("550 no such user", permanent=True)])
    result = await Dispatcher(db, {Channel.EMAIL: transport}, worker_id="a").run_once()
    assert result.dead == 2
    async with UnitOfWork(db, write=False) as uow:
        errors = sorted(e or "" for e in await uow.session.scalars(select(Outbox.last_error)))
    assert errors == ["550 no such user", "no transport for channel weibo"]


async def test_a_dispatcher_killed_between_claim_and_send_delays_but_never_loses(db: Database) -> None:
    await _enqueue(db, note())
    transport = RecordingTransport()
    policy = Policy(lease=timedelta(minutes=5))
    now = db.clock()
    doomed = Dispatcher(db, {Channel.EMAIL: transport}, worker_id="doomed", policy=policy)
    claimed = await doomed.claim(now)  # …and the process dies here
    assert len(claimed) == 1
    heir = Dispatcher(db, {Channel.EMAIL: transport}, worker_id="heir", policy=policy)
    assert (await heir.run_once(now + timedelta(minutes=1))).sent == 0  # the lease still holds
    assert (await heir.run_once(now + timedelta(minutes=6))).sent == 1
    assert len(transport.sent) == 1
    late = await doomed.finish(claimed[0], None, now=now + timedelta(minutes=7))
    assert late == "lost"  # the dead worker's outcome cannot overwrite the heir's
    assert await _statuses(db) == Counter({"sent": 1})


async def test_concurrent_dispatchers_deliver_each_message_exactly_once(db: Database) -> None:
    await _enqueue(db, *(note(i) for i in range(60)))
    transport = RecordingTransport()
    dispatchers = [
        Dispatcher(db, {Channel.EMAIL: transport}, worker_id=f"w{i}", policy=Policy(batch=7))
        for i in range(4)
    ]
    for _ in range(12):
        await asyncio.gather(*(d.run_once() for d in dispatchers))
    recipients = Counter(m.recipient for m in transport.sent)
    assert len(recipients) == 60
    assert set(recipients.values()) == {1}
    assert await _statuses(db) == Counter({"sent": 60})


async def test_a_dedupe_key_stores_a_repeated_message_once(db: Database) -> None:
    for _ in range(2):
        async with UnitOfWork(db) as uow:
            await enqueue(uow, note(), dedupe_key="wechat:reply:123")
            await uow.commit()
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Outbox)) == 1


@pytest.mark.parametrize("role", ["agent", "supervisor"])
async def test_only_admins_see_and_retry_dead_letters(
    client: httpx.AsyncClient, db: Database, world: World, role: str
) -> None:
    await _enqueue(db, OutboundMessage(channel=Channel.DOUYIN, recipient="u1", body="hi"))
    await Dispatcher(db, {}, worker_id="a").run_once()
    person = world.by_role()[role]
    assert (await client.get("/api/v1/admin/outbox", headers=person.auth)).status_code == 403
    dead = (await client.get("/api/v1/admin/outbox", headers=world.adam.auth)).json()
    assert [(d["status"], d["last_error"]) for d in dead] == [("dead", "no transport for channel douyin")]
    retried = await client.post(f"/api/v1/admin/outbox/{dead[0]['id']}/retry", headers=world.adam.auth)
    assert retried.json()["status"] == "pending"
    again = await client.post(f"/api/v1/admin/outbox/{dead[0]['id']}/retry", headers=world.adam.auth)
    assert again.status_code == 409
