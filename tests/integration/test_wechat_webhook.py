"""The WeChat server URL over HTTP: verification, plain and safe mode, retries, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from servicedesk.channels.wechat import WeChatCrypto, plain_signature
from servicedesk.domain.catalog import Channel
from servicedesk.store.db import Database
from servicedesk.store.models import CustomerIdentity, Message
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app

TOKEN = "spamtest"
APP_ID = "wx2c2769f8efd9abc2"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
DATA = Path(__file__).parents[1] / "data" / "wechat"


@pytest.fixture
async def wechat(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    settings = db.settings.model_copy(
        update={"wechat_token": TOKEN, "wechat_app_id": APP_ID, "wechat_encoding_aes_keys": [AES_KEY]}
    )
    app = create_app(settings, db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as c:
        yield c


def signed(db: Database, nonce: str = "1320562132", **extra: str) -> dict[str, str]:
    timestamp = str(int(db.clock().timestamp()))
    return {
        "signature": plain_signature(TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
    } | extra


def text_xml(db: Database, content: str, msg_id: str) -> str:
    stamp = int(db.clock().timestamp())
    return (
        f"<xml><ToUserName><![CDATA[gh_7f083739789a]]></ToUserName>"
        f"<FromUserName><![CDATA[oia2TjjewbmiOUlr6X-1crbLOvLw]]></FromUserName><CreateTime>{stamp}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


async def _messages(db: Database) -> list[str]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(Message.body).order_by(Message.id)))


async def test_it_answers_the_url_verification_only_when_signed(
    wechat: httpx.AsyncClient, db: Database
) -> None:
    good = await wechat.get("/channels/wechat", params=signed(db, echostr="5927682397"))
    assert (good.status_code, good.text) == (200, "5927682397")
    forged = signed(db, echostr="x") | {"signature": "0" * 40}
    refused = await wechat.get("/channels/wechat", params=forged)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


async def test_a_retried_delivery_lands_once_on_the_customers_timeline(
    wechat: httpx.AsyncClient, db: Database
) -> None:
    body = text_xml(
        db, "我的订单到哪了？", "9223372036854775807"
    )  # 2**63 - 1: far beyond 2**53, kept exactly
    for _ in range(3):
        answer = await wechat.post("/channels/wechat", params=signed(db), content=body.encode())
        assert (answer.status_code, answer.text) == (200, "success")
    assert await _messages(db) == ["我的订单到哪了？"]
    async with UnitOfWork(db, write=False) as uow:
        stored = await uow.session.scalar(select(Message.external_id))
        identity = await uow.session.scalar(
            select(CustomerIdentity.external_id).where(CustomerIdentity.channel == Channel.WECHAT)
        )
    assert stored == "9223372036854775807"
    assert identity == "oia2TjjewbmiOUlr6X-1crbLOvLw"


async def test_safe_mode_decrypts_and_stores(wechat: httpx.AsyncClient, db: Database) -> None:
    crypto = WeChatCrypto(TOKEN, [AES_KEY], APP_ID)
    params = signed(db, nonce="7788")
    envelope = crypto.encrypt(
        text_xml(db, "加密消息：退款进度？", "6054768590064713728"),
        nonce="7788",
        timestamp=params["timestamp"],
    )
    msg_signature = envelope.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    answer = await wechat.post(
        "/channels/wechat",
        params=params | {"encrypt_type": "aes", "msg_signature": msg_signature},
        content=envelope,
    )
    assert (answer.status_code, answer.text) == (200, "success")
    assert await _messages(db) == ["加密消息：退款进度？"]
    tampered = await wechat.post(
        "/channels/wechat",
        params=params | {"encrypt_type": "aes", "msg_signature": "0" * 40},
        content=envelope,
    )
    assert tampered.status_code == 403


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("wrong signature", 403),
        ("stale timestamp", 403),
        ("malformed xml", 400),
        ("entity bomb", 400),
        ("oversized", 413),
    ],
)
async def test_bad_deliveries_are_refused_and_store_nothing(
    wechat: httpx.AsyncClient, db: Database, case: str, status: int
) -> None:
    params, body = signed(db), text_xml(db, "你好", "1").encode()
    if case == "wrong signature":
        params["signature"] = plain_signature("not-our-token", params["timestamp"], params["nonce"])
    elif case == "stale timestamp":
        stale = str(int(db.clock().timestamp()) - 3600)
        params = {"signature": plain_signature(TOKEN, stale, "n"), "timestamp": stale, "nonce": "n"}
    elif case == "malformed xml":
        body = b"<xml><ToUserName>oops"
    elif case == "entity bomb":
        body = (DATA / "bomb.xml").read_bytes()
    else:
        body = b"<xml>" + b"a" * (70 * 1024) + b"</xml>"
    answer = await wechat.post("/channels/wechat", params=params, content=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["message"]
    assert await _messages(db) == []


async def test_an_unconfigured_channel_says_so(client: httpx.AsyncClient, db: Database) -> None:
    answer = await client.get("/channels/wechat", params=signed(db, echostr="1"))
    assert answer.status_code == 404
    assert "not configured" in answer.json()["error"]["message"]
