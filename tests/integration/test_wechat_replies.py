"""Agent replies to WeChat followers through the customer-service message API.

WeChat's cloud cannot be reached from here, so the API is played by httpx.MockTransport
answering in the documented response formats (token: access_token/expires_in; errors:
errcode/errmsg, e.g. 45015 "response out of time limit or subscription is canceled")."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest

from servicedesk.channels.message import InboundMessage, OutboundMessage, TransportError
from servicedesk.channels.wechat.transport import WeChatTransport
from servicedesk.domain.catalog import Channel
from servicedesk.jobs.outbox import Dispatcher
from servicedesk.services.intake import receive
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

OPENID = "oia2TjjewbmiOUlr6X-1crbLOvLw"


class FakeWeChat:
    """Answers like api.weixin.qq.com; `script` lists errcodes for successive sends."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.tokens_issued = 0
        self.sent: list[dict[str, object]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/token":
            assert request.url.params["appid"] == "wx2c2769f8efd9abc2"
            self.tokens_issued += 1
            return httpx.Response(
                200, json={"access_token": f"TOKEN{self.tokens_issued}", "expires_in": 7200}
            )
        assert request.url.path == "/cgi-bin/message/custom/send"
        code = self.script.pop(0) if self.script else 0
        if code:
            return httpx.Response(200, json={"errcode": code, "errmsg": f"error {code} hint: [abc]"})
        self.sent.append(json.loads(request.content.decode()) | {"token": request.url.params["access_token"]})
        return httpx.Response(200, json={"errcode": 0, "errmsg": "ok"})


def transport(fake: FakeWeChat) -> WeChatTransport:
    client = httpx.AsyncClient(transport=httpx.MockTransport(fake), base_url="https://api.weixin.qq.com")
    return WeChatTransport(app_id="wx2c2769f8efd9abc2", app_secret="secret", client=client)


def reply(text: str) -> OutboundMessage:
    return OutboundMessage(channel=Channel.WECHAT, recipient=OPENID, body=text)


async def test_it_sends_with_a_cached_token_and_renews_a_stale_one() -> None:
    fake = FakeWeChat(script=[0, 40001])
    wechat = transport(fake)
    await wechat.send(reply("您好，已为您查询"))
    await wechat.send(reply("第二条"))
    assert [s["text"] for s in fake.sent] == [{"content": "您好，已为您查询"}, {"content": "第二条"}]
    assert [s["token"] for s in fake.sent] == ["TOKEN1", "TOKEN2"]  # renewed once after 40001
    assert fake.tokens_issued == 2


@pytest.mark.parametrize(("code", "permanent"), [(45015, True), (45047, True), (-1, False), (45009, False)])
async def test_it_classifies_the_apis_refusals(code: int, permanent: bool) -> None:
    with pytest.raises(TransportError) as refused:
        await transport(FakeWeChat(script=[code])).send(reply("x"))
    assert refused.value.permanent is permanent
    assert str(code) in refused.value.reason


async def test_a_reply_to_a_follower_leaves_through_the_outbox(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    async with UnitOfWork(db) as uow:
        case = await receive(uow, InboundMessage(channel=Channel.WECHAT, sender=OPENID, body="快递到哪了",
                                                 received_at=datetime.now(UTC), message_id="5001"))  # fmt: skip
    answer = await client.post(f"/api/v1/tickets/{case.ticket_id}/messages", json={"body": "已发出，明天到"},
                               headers=world.sue.auth)  # fmt: skip
    assert answer.status_code == 201
    fake = FakeWeChat()
    result = await Dispatcher(db, {Channel.WECHAT: transport(fake)}, worker_id="t").run_once()
    assert result.sent == 1
    assert fake.sent == [
        {"touser": OPENID, "msgtype": "text", "text": {"content": "已发出，明天到"}, "token": "TOKEN1"}
    ]
