"""The social webhook over HTTP, on SQLite and PostgreSQL: Weibo and Douyin deliveries stored
once on the right customer and case, and every refusal precise and storing nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from servicedesk.channels.social import sign
from servicedesk.domain.catalog import Channel
from servicedesk.store.db import Database
from servicedesk.store.models import Customer, CustomerIdentity, Message, Ticket
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app
from servicedesk.web.channels import social

SECRETS = {"weibo": "weibo-relay-secret", "douyin": "douyin-relay-secret"}
DATA = Path(__file__).parents[1] / "data" / "social"
URL = "/channels/social/{}"


def build_app(db: Database, secrets: dict[str, str]) -> FastAPI:
    app = create_app(db.settings.model_copy(update={"social_webhook_secrets": secrets}), db=db)
    if not any(getattr(route, "path", "") == URL.format("{platform}") for route in app.routes):
        app.include_router(social.router, prefix="/channels")  # until web/channels registers it
    return app


@pytest.fixture
async def web(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(db, dict(SECRETS))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return payload


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def headers(
    db: Database, platform: str, body: bytes, *, secret: str | None = None, skew: int = 0
) -> dict[str, str]:
    stamp = str(int(db.clock().timestamp()) + skew)
    return {
        "Content-Type": "application/json",
        "X-Social-Timestamp": stamp,
        "X-Social-Signature": sign(secret or SECRETS[platform], body, stamp),
    }


async def post(web: httpx.AsyncClient, db: Database, platform: str, body: bytes) -> httpx.Response:
    return await web.post(URL.format(platform), content=body, headers=headers(db, platform, body))


async def counts(db: Database) -> tuple[int, int, int]:
    async with UnitOfWork(db, write=False) as uow:
        customers = await uow.session.scalar(select(func.count()).select_from(Customer))
        tickets = await uow.session.scalar(select(func.count()).select_from(Ticket))
        messages = await uow.session.scalar(select(func.count()).select_from(Message))
    return customers or 0, tickets or 0, messages or 0


async def test_a_weibo_private_message_opens_one_case_for_one_customer(
    web: httpx.AsyncClient, db: Database
) -> None:
    answer = await post(web, db, "weibo", encode(load("weibo_private_message.json")))
    assert (answer.status_code, answer.json()) == (200, {"ok": True, "duplicate": False})
    assert await counts(db) == (1, 1, 1)
    async with UnitOfWork(db, write=False) as uow:
        identity = await uow.session.scalar(
            select(CustomerIdentity.external_id).where(CustomerIdentity.channel == Channel.WEIBO)
        )
        ticket = await uow.session.scalar(select(Ticket))
        body = await uow.session.scalar(select(Message.body))
    assert identity == "2489518277"
    assert ticket is not None and ticket.channel is Channel.WEIBO
    assert body == "你好，我买的耳机左边没有声音，怎么办？"


async def test_a_retried_delivery_is_stored_once(web: httpx.AsyncClient, db: Database) -> None:
    body = encode(load("weibo_comment_19_digit_id.json"))
    first = await post(web, db, "weibo", body)
    again = await post(web, db, "weibo", body)
    assert first.json() == {"ok": True, "duplicate": False}
    assert again.json() == {"ok": True, "duplicate": True}
    assert await counts(db) == (1, 1, 1)
    async with UnitOfWork(db, write=False) as uow:
        stored = await uow.session.scalar(select(Message.external_id))
    assert stored == "9223372036854775806"  # 19 digits, exact


async def test_two_messages_from_one_douyin_user_continue_the_same_case(
    web: httpx.AsyncClient, db: Database
) -> None:
    first = load("douyin_im_text.json")
    second = load("douyin_im_text.json")
    second["content"]["server_message_id"] = "@c29bfc000+second-message"
    second["content"]["text"] = "还有，能开发票吗？"
    for payload in (first, second):
        answer = await post(web, db, "douyin", encode(payload))
        assert answer.json() == {"ok": True, "duplicate": False}
    assert await counts(db) == (1, 1, 2)
    async with UnitOfWork(db, write=False) as uow:
        bodies = list(await uow.session.scalars(select(Message.body).order_by(Message.id)))
        name = await uow.session.scalar(select(Customer.name))
    assert bodies == ["直播间买的面膜什么时候发货？", "还有，能开发票吗？"]
    assert name == "小鱼儿"


async def test_a_douyin_comment_is_a_case_and_a_follow_is_only_an_event(
    web: httpx.AsyncClient, db: Database
) -> None:
    comment = await post(web, db, "douyin", encode(load("douyin_comment.json")))
    follow = await post(web, db, "douyin", encode(load("douyin_follow.json")))
    assert comment.json() == follow.json() == {"ok": True, "duplicate": False}
    assert await counts(db) == (1, 1, 1)  # the follower is the commenter: one customer


async def test_the_douyin_handshake_is_answered_only_when_signed(
    web: httpx.AsyncClient, db: Database
) -> None:
    body = (DATA / "douyin_verify_webhook.json").read_bytes()
    good = await post(web, db, "douyin", body)
    assert (good.status_code, good.json()) == (200, {"challenge": 12345})
    forged = await web.post(URL.format("douyin"), content=body, headers={"Content-Type": "application/json"})
    assert forged.status_code == 403
    assert await counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("bad hmac", 403, "forbidden"),
        ("stale timestamp", 403, "forbidden"),
        ("no signature", 403, "forbidden"),
        ("oversized", 413, "too_large"),
        ("bad json", 400, "bad_request"),
        ("not an object", 400, "bad_request"),
        ("missing field", 422, "validation_error"),
        ("unknown platform", 404, "not_found"),
        ("unconfigured platform", 404, "not_found"),
    ],
)
async def test_bad_deliveries_are_refused_precisely_and_store_nothing(
    web: httpx.AsyncClient, db: Database, case: str, status: int, code: str
) -> None:
    platform, body = "weibo", encode(load("weibo_private_message.json"))
    sent = headers(db, platform, body)
    if case == "bad hmac":
        sent = headers(db, platform, body, secret="not-our-secret")
    elif case == "stale timestamp":
        sent = headers(db, platform, body, skew=-3600)
    elif case == "no signature":
        sent = {"Content-Type": "application/json"}
    elif case == "oversized":
        body = encode(load("weibo_private_message.json") | {"text": "长" * (30 * 1024)})
        sent = headers(db, platform, body)
    elif case == "bad json":
        body = b'{"type": "text", "sender_id": '
        sent = headers(db, platform, body)
    elif case == "not an object":
        body = b"[1, 2, 3]"
        sent = headers(db, platform, body)
    elif case == "missing field":
        payload = load("weibo_private_message.json")
        del payload["sender_id"]
        body = encode(payload)
        sent = headers(db, platform, body)
    elif case == "unknown platform":
        platform = "xiaohongshu"
    if case == "unconfigured platform":  # only Douyin has a secret here
        app = build_app(db, {"douyin": SECRETS["douyin"]})
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as bare:
            answer = await bare.post(URL.format(platform), content=body, headers=sent)
    else:
        answer = await web.post(URL.format(platform), content=body, headers=sent)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"]
    if case == "missing field":
        assert "sender_id" in error["message"]
        assert error["fields"] == {"sender_id": "missing"}
    if case == "bad json":
        assert "Expecting value" in error["message"]
    if case == "stale timestamp":
        assert "in the past" in error["message"]
    if case == "unconfigured platform":
        assert "not configured" in error["message"]
    assert await counts(db) == (0, 0, 0)
