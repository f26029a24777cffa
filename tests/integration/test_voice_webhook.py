"""The voice webhook over HTTP, on SQLite and PostgreSQL: an ended call lands once, as a
conversation on the timeline of the customer its number belongs to, and every refusal is precise
and stores nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from servicedesk.channels.social import sign
from servicedesk.domain.catalog import Channel
from servicedesk.services.customers import create_customer
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app
from servicedesk.web.channels import voice
from tests.conftest import World

SECRET = "voice-relay-secret"
DATA = Path(__file__).parents[1] / "data" / "voice"
URL = "/channels/voice/calls"


def build_app(db: Database, secret: str | None) -> FastAPI:
    app = create_app(db.settings.model_copy(update={"voice_webhook_secret": secret}), db=db)
    if not any(getattr(route, "path", "") == URL for route in app.routes):
        app.include_router(voice.router, prefix="/channels")  # until web/channels registers it
    return app


@pytest.fixture
async def web(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(db, SECRET)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def headers(db: Database, body: bytes, *, secret: str = SECRET, skew: int = 0) -> dict[str, str]:
    stamp = str(int(db.clock().timestamp()) + skew)
    return {
        "Content-Type": "application/json",
        "X-Social-Timestamp": stamp,
        "X-Social-Signature": sign(secret, body, stamp),
    }


async def post(web: httpx.AsyncClient, db: Database, body: bytes) -> httpx.Response:
    return await web.post(URL, content=body, headers=headers(db, body))


async def counts(db: Database) -> tuple[int, int, int]:
    async with UnitOfWork(db, write=False) as uow:
        customers = await uow.session.scalar(select(func.count()).select_from(Customer))
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
        messages = await uow.session.scalar(select(func.count()).select_from(Message))
    return customers or 0, tickets or 0, messages or 0


async def known_customer(db: Database, phone: str, *, verified: bool) -> int:
    async with UnitOfWork(db) as uow:
        customer = await create_customer(uow, None, name="王女士", phone=phone, commit=False)
        await uow.session.execute(
            update(CustomerIdentity)
            .where(CustomerIdentity.customer_id == customer.id, CustomerIdentity.channel == Channel.PHONE)
            .values(verified=verified)
        )
        await uow.commit()
        return customer.id


@pytest.mark.parametrize("verified", [True, False], ids=["verified", "unverified"])
async def test_an_ended_call_lands_once_on_the_timeline_of_the_customer_with_that_number(
    web: httpx.AsyncClient, db: Database, world: World, verified: bool
) -> None:
    customer_id = await known_customer(db, "13812345678", verified=verified)
    before = await counts(db)
    body = encode(load("inbound_mobile_transcript.json"))  # caller "+86 138-1234-5678"
    first = await post(web, db, body)
    assert first.status_code == 200, first.text
    ticket_id = first.json()["ticket_id"]
    assert first.json() == {"ok": True, "duplicate": False, "ticket_id": ticket_id}
    again = await post(web, db, body)
    assert again.json() == {"ok": True, "duplicate": True, "ticket_id": ticket_id}
    assert await counts(db) == (before[0], before[1] + 1, before[2] + 1)  # no new customer

    async with UnitOfWork(db, write=False) as uow:
        ticket = await uow.session.get(Ticket, ticket_id)
        assert ticket is not None
        external_id = await uow.session.scalar(
            select(Message.external_id).where(Message.ticket_id == ticket_id)
        )
    assert ticket.customer_id == customer_id
    assert ticket.channel is Channel.PHONE
    assert ticket.subject == "电话 呼入 138****5678"
    assert external_id == "call:CC20240501100000001"

    timeline = await web.get(f"/api/v1/customers/{customer_id}/timeline", headers=world.sue.auth)
    assert timeline.status_code == 200, timeline.text
    entries = timeline.json()
    assert [e["ticket_id"] for e in entries] == [ticket_id]
    assert entries[0]["body"].startswith(
        "[00:01] 客户：喂，你好，我上周买的蓝牙耳机左边没有声音。\n[00:05] 客服："
    )
    meta = entries[0]["meta"]  # kept for quality inspection, numbers masked
    assert meta["recording_url"] == "https://recordings.example.cn/2024/05/01/CC20240501100000001.mp3"
    assert "客户" in meta["segments"] or "customer" in meta["segments"]
    assert "13812345678" not in str(meta)


async def test_the_started_event_stores_no_message_and_the_end_continues_on_one_customer(
    web: httpx.AsyncClient, db: Database
) -> None:
    started = await post(web, db, encode(load("started_inbound.json")))
    assert started.json() == {"ok": True, "duplicate": False, "ticket_id": None}
    assert await counts(db) == (1, 0, 0)  # the caller became a customer, nothing else
    ended = await post(web, db, encode(load("inbound_mobile_transcript.json")))
    assert ended.json()["duplicate"] is False
    assert await counts(db) == (1, 1, 1)


async def test_a_landline_caller_becomes_an_unverified_phone_identity(
    web: httpx.AsyncClient, db: Database
) -> None:
    for name in ("landline_inbound.json", "empty_transcript.json", "outbound_mobile.json"):
        answer = await post(web, db, encode(load(name)))
        assert answer.status_code == 200, answer.text
    async with UnitOfWork(db, write=False) as uow:
        rows = await uow.session.execute(
            select(CustomerIdentity.external_id, CustomerIdentity.verified).where(
                CustomerIdentity.channel == Channel.PHONE
            )
        )
        identities = {external_id: verified for external_id, verified in rows}
        bodies = set(await uow.session.scalars(select(Message.body)))
    assert identities == {"01088886666": False, "13700001111": False, "13912345678": False}
    assert "（通话无转写）" in bodies
    assert await counts(db) == (3, 3, 3)


async def test_the_transcript_is_findable_by_ticket_search(
    web: httpx.AsyncClient, db: Database, world: World
) -> None:
    answer = await post(web, db, encode(load("inbound_mobile_transcript.json")))
    ticket_id = answer.json()["ticket_id"]
    found = await web.get("/api/v1/tickets", params={"text": "蓝牙耳机"}, headers=world.sue.auth)
    assert found.status_code == 200, found.text
    assert [t["id"] for t in found.json()["items"]] == [ticket_id]


async def test_the_caller_number_finds_the_call_by_ticket_search(
    web: httpx.AsyncClient, db: Database, world: World
) -> None:
    answer = await post(web, db, encode(load("inbound_mobile_transcript.json")))
    ticket_id = answer.json()["ticket_id"]
    found = await web.get("/api/v1/tickets", params={"q": "138 1234 5678"}, headers=world.sue.auth)
    assert [t["id"] for t in found.json()["items"]] == [ticket_id]


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("bad hmac", 403, "forbidden"),
        ("stale timestamp", 403, "forbidden"),
        ("no signature", 403, "forbidden"),
        ("oversized", 413, "too_large"),
        ("bad json", 400, "bad_request"),
        ("not an object", 400, "bad_request"),
        ("invalid payload", 422, "validation_error"),
        ("unconfigured", 404, "not_found"),
    ],
)
async def test_bad_deliveries_are_refused_precisely_and_store_nothing(
    web: httpx.AsyncClient, db: Database, case: str, status: int, code: str
) -> None:
    body = encode(load("inbound_mobile_transcript.json"))
    sent = headers(db, body)
    if case == "bad hmac":
        sent = headers(db, body, secret="not-our-secret")
    elif case == "stale timestamp":
        sent = headers(db, body, skew=-3600)
    elif case == "no signature":
        sent = {"Content-Type": "application/json"}
    elif case == "oversized":
        payload = load("inbound_mobile_transcript.json")
        payload["transcript"][0]["text"] = "长" * (30 * 1024)
        body = encode(payload)
        sent = headers(db, body)
    elif case == "bad json":
        body = b'{"event": "call.ended", "call_id": '
        sent = headers(db, body)
    elif case == "not an object":
        body = b"[1, 2, 3]"
        sent = headers(db, body)
    elif case == "invalid payload":
        payload = load("inbound_mobile_transcript.json")
        del payload["call_id"]
        payload["transcript"][1]["end_ms"] = 999_999
        body = encode(payload)
        sent = headers(db, body)
    if case == "unconfigured":
        app = build_app(db, None)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as bare:
            answer = await bare.post(URL, content=body, headers=sent)
    else:
        answer = await web.post(URL, content=body, headers=sent)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if case == "invalid payload":
        assert error["fields"] == {
            "call_id": "missing",
            "transcript.1.end_ms": "is after the call ended (999999 > 205000 ms)",
        }
    if case == "bad json":
        assert "Expecting value" in error["message"]
    if case == "stale timestamp":
        assert "in the past" in error["message"]
    if case == "unconfigured":
        assert "not configured" in error["message"]
    assert await counts(db) == (0, 0, 0)
