"""The bot on a real server over a real WebSocket: the welcome script, an answer from the
knowledge base, a low rating handing over to a person who answers on the same socket; and a
supervisor watching the bot in a real browser who steps in."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets

from servicedesk.services.demo_knowledge import load_knowledge
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.uow import UnitOfWork
from tests.conftest import PASSWORD
from tests.e2e.conftest import SUPERVISOR, around_the_clock, run_in_own_loop, seed, serve
from tests.e2e.test_browser import VIEWPORT, sign_in
from tests.e2e.test_webchat import Visitor


async def _knowledge(url: str) -> None:
    db = Database(Settings(database_url=url, environment="test"))
    try:
        async with UnitOfWork(db) as uow:
            await load_knowledge(uow)
            await uow.commit()
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def bot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('bot') / 'bot.db'}"
    upgrade(url)
    run_in_own_loop(lambda: seed(url))
    run_in_own_loop(lambda: _knowledge(url))
    with serve(around_the_clock(url)) as base:
        yield base


async def _until(ws: Any, kind: str, sender: str | None = None) -> dict[str, Any]:
    while True:
        # generous: the first message may find the bot still training its model on a busy machine
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), timeout=20))
        if frame["type"] == kind and (sender is None or frame.get("from") == sender):
            return frame


async def _chat(base: str) -> None:
    url = base.replace("http://", "ws://") + "/channels/webchat/ws"
    async with websockets.connect(url) as ws:
        hello = await _until(ws, "hello")
        assert "小智" in hello["welcome"] and "{" not in hello["welcome"]  # the welcome script, filled
        await ws.send(json.dumps({"type": "message", "id": "q1", "body": "公司报销要发票，怎么开？"}))
        ack = await _until(ws, "ack")
        assert ack["ticket_id"] is None  # the bot has it: no case yet
        answer = await _until(ws, "message", "bot")
        assert "纳税人识别号" in answer["body"]
        assert "打分" in (await _until(ws, "message", "bot"))["body"]
        await ws.send(json.dumps({"type": "message", "id": "q2", "body": "2"}))
        handed = await _until(ws, "ack")
        ticket_id = handed["ticket_id"]
        assert ticket_id is not None
        assert f"#{ticket_id}" in (await _until(ws, "message", "bot"))["body"]
        async with httpx.AsyncClient(base_url=base) as http:
            token = (
                await http.post("/api/v1/auth/token", json={"email": SUPERVISOR, "password": PASSWORD})
            ).json()
            auth = {"Authorization": f"Bearer {token['token']}"}
            why = (await http.get(f"/api/v1/assistant/handoffs/{ticket_id}", headers=auth)).json()
            assert (why["reason"], why["detail"]["intent"], why["detail"]["rating"]) == (
                "low_rating",
                "invoice",
                2,
            )
            sent = await http.post(f"/api/v1/tickets/{ticket_id}/messages", json={"body": "您好，我来帮您开专票。"},
                                   headers=auth)  # fmt: skip
            assert sent.status_code == 201, sent.text
        agent = await _until(ws, "message", "agent")
        assert agent["body"] == "您好，我来帮您开专票。"


def test_the_bot_answers_then_hands_over_on_the_same_socket(bot_server: str) -> None:
    asyncio.run(_chat(bot_server))


@pytest.mark.browser
def test_a_supervisor_watches_the_bot_live_and_takes_over(bot_server: str, chromium: Any) -> None:
    from playwright.sync_api import expect

    page = chromium.new_context(locale="zh-CN", viewport=VIEWPORT).new_page()
    sign_in(page, bot_server, SUPERVISOR)
    page.goto(f"{bot_server}/agent/chats")
    expect(page.get_by_role("heading", name="机器人接待中")).to_be_visible()
    page.wait_for_timeout(300)  # the page's live socket connects
    visitor = Visitor(bot_server)
    visitor.thread.start()
    try:
        visitor.say("w1", "公司报销要发票，怎么开？")
        visitor.wait_for(lambda f: f["type"] == "message" and f["from"] == "bot", seconds=20)
        pane = page.locator(".bot-pane").first  # a new conversation: its pane appears without a reload
        expect(pane.locator(".chat-line.from-visitor")).to_have_text("公司报销要发票，怎么开？")
        expect(pane.locator(".chat-line.from-bot").first).to_contain_text("纳税人识别号")
        pane.get_by_role("button", name="接管").click()
        expect(page.locator("h1")).to_contain_text("[接管] 发票")
        greeting = visitor.wait_for(lambda f: f["type"] == "message" and "人工客服" in f["body"])
        assert "周敏" in greeting["body"]
    finally:
        visitor.done.set()
        visitor.thread.join(timeout=10)
