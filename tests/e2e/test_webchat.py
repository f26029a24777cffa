"""Web chat over a real WebSocket and in a real browser: a visitor writes from a plain page, an
agent answers through the API, the answer appears live; reconnecting resumes the history."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Any

import httpx
import pytest
import websockets

from tests.conftest import PASSWORD
from tests.e2e.conftest import SUPERVISOR, LiveServer


async def _frame(ws: Any) -> dict[str, Any]:
    frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
    return frame


async def _reply(base: str, ticket_id: int, body: str) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        token = (
            await http.post("/api/v1/auth/token", json={"email": SUPERVISOR, "password": PASSWORD})
        ).json()
        answer = await http.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": body},
                                 headers={"Authorization": f"Bearer {token['token']}"})  # fmt: skip
        assert answer.status_code == 201, answer.text


async def _conversation(base: str) -> None:
    url = base.replace("http://", "ws://") + "/channels/webchat/ws"
    async with websockets.connect(url) as ws:
        hello = await _frame(ws)
        assert hello["type"] == "hello" and "欢迎" in hello["welcome"]
        visitor = hello["visitor"]
        assert await _frame(ws) == {"type": "history", "messages": []}
        question = {"type": "message", "id": "c1", "body": "你好，我想问一下退货流程"}
        await ws.send(json.dumps(question))
        ack = await _frame(ws)
        assert (ack["type"], ack["id"], ack["duplicate"]) == ("ack", "c1", False)
        await ws.send(json.dumps(question))  # the widget resent it after a hiccup
        assert (await _frame(ws))["duplicate"] is True
        await ws.send("{not json")
        assert (await _frame(ws))["type"] == "error"
        await ws.send(json.dumps({"type": "message", "id": "c2", "body": "x" * 6000}))
        assert "1-5000" in (await _frame(ws))["message"]  # refused, and the socket stays open
    async with websockets.connect(f"{url}?visitor={visitor}") as ws:
        assert (await _frame(ws))["visitor"] == visitor
        history = await _frame(ws)
        assert [(m["from"], m["body"]) for m in history["messages"]] == [
            ("visitor", "你好，我想问一下退货流程")
        ]
        started = time.monotonic()
        await _reply(base, ack["ticket_id"], "您好，支持七天无理由退货，请在订单页申请。")
        pushed = await _frame(ws)
        assert (pushed["type"], pushed["from"], pushed["body"]) == (
            "message",
            "agent",
            "您好，支持七天无理由退货，请在订单页申请。",
        )
        assert time.monotonic() - started < 2  # pushed on commit, not at the next poll


def test_a_visitor_chats_over_a_real_websocket(live_server: LiveServer) -> None:
    asyncio.run(_conversation(live_server.url))


@pytest.mark.browser
def test_a_visitor_chats_from_a_plain_html_page(live_server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    page = chromium.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/channels/webchat/demo")
    widget = page.locator("[data-servicedesk-chat]")
    expect(widget).to_contain_text("欢迎")
    page.get_by_label("message").fill("我的快递三天没动了")
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".servicedesk-visitor").last).to_have_text("我的快递三天没动了")
    with httpx.Client(base_url=live_server.url) as http:
        token = http.post("/api/v1/auth/token", json={"email": SUPERVISOR, "password": PASSWORD}).json()[
            "token"
        ]
        auth = {"Authorization": f"Bearer {token}"}
        deadline = time.monotonic() + 5
        found: list[Any] = []
        while not found and time.monotonic() < deadline:
            found = http.get(
                "/api/v1/tickets", params={"q": "快递三天没动", "channel": "web_chat"}, headers=auth
            ).json()["items"]
        assert found, "the chat message did not become a case"
        http.post(
            f"/api/v1/tickets/{found[0]['id']}/messages", json={"body": "已为您催促快递公司。"}, headers=auth
        )
    expect(page.locator(".servicedesk-agent").last).to_have_text("已为您催促快递公司。", timeout=5000)


class Visitor:
    """A chat visitor on a real WebSocket, in its own thread and event loop, beside the browser."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://") + "/channels/webchat/ws"
        self.frames: list[dict[str, Any]] = []
        self.outbox: list[str] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    async def _run(self) -> None:
        async with websockets.connect(self.url) as ws:
            deadline = time.monotonic() + 60  # until the test says done
            while not self.done.is_set() and time.monotonic() < deadline:
                while self.outbox:
                    await ws.send(self.outbox.pop(0))
                with contextlib.suppress(TimeoutError):
                    self.frames.append(json.loads(await asyncio.wait_for(ws.recv(), timeout=0.1)))

    def say(self, client_id: str, body: str) -> None:
        self.outbox.append(json.dumps({"type": "message", "id": client_id, "body": body}))

    def wait_for(self, check: Any, seconds: float = 5) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for frame in self.frames:
                if check(frame):
                    return frame
            time.sleep(0.05)
        raise AssertionError(f"no such frame in {self.frames}")


@pytest.mark.browser
def test_an_agent_answers_live_chats_side_by_side(live_server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    page = chromium.new_context(locale="zh-CN").new_page()
    page.goto(f"{live_server.url}/login")
    page.get_by_label("邮箱").fill(SUPERVISOR)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{live_server.url}/agent/chats")
    expect(page.get_by_role("heading", name="实时会话")).to_be_visible()
    page.wait_for_timeout(300)  # the page's live socket connects
    visitor = Visitor(live_server.url)
    visitor.thread.start()
    try:
        visitor.say("v1", "有人在吗？我的订单还没发货")
        ack = visitor.wait_for(lambda f: f["type"] == "ack")
        pane = page.locator(f'.chat-pane[data-ticket="{ack["ticket_id"]}"]')
        expect(pane.locator(".chat-line.from-visitor").last).to_have_text("有人在吗？我的订单还没发货")
        pane.get_by_label("回复访客……").fill("您好，马上为您查询")
        pane.get_by_role("button", name="发送").click()
        expect(pane.locator(".chat-line.from-agent").last).to_have_text("您好，马上为您查询")
        pushed = visitor.wait_for(lambda f: f["type"] == "message" and f["from"] == "agent")
        assert pushed["body"] == "您好，马上为您查询"
    finally:
        visitor.done.set()
        visitor.thread.join(timeout=10)
