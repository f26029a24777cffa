"""A real server for the browser: a fresh migrated SQLite file, seeded, served by uvicorn in a
background thread on a free local port; and Debian's Chromium driven by Playwright.

SQLite only: these tests check what a person sees in a browser, not the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import pytest
import uvicorn

from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import Role
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.customers import create_customer
from servicedesk.services.staff import create_team, create_user
from servicedesk.services.tickets import add_message, create_ticket, transition_ticket
from servicedesk.settings import Settings
from servicedesk.store.assistant import DemoOrder
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app
from tests.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
T = TypeVar("T")
SUPERVISOR = "zhoumin@example.cn"
ORDER_NO = "2024061188310"  # 林娜's headphones, behind the demo order connector


@dataclass(frozen=True)
class Seeded:
    agent_email: str
    customer_email: str
    ticket_id: int
    subject: str


@dataclass(frozen=True)
class LiveServer:
    url: str
    seeded: Seeded


def run_in_own_loop(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a fresh event loop in another thread, leaving the test session's
    loop (pytest-asyncio's) untouched."""
    result: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
    return result[0]


async def seed(url: str) -> Seeded:
    """An agent in a team, a VIP customer with a help-center login and her case, plus a few
    other cases so the inbox looks like a working day."""
    db = Database(Settings(database_url=url, environment="test", smtp_listen_port=None))
    try:
        async with UnitOfWork(db) as uow:
            team = await create_team(uow, None, name="客服一线", commit=False)
            await create_team(uow, None, name="技术支持", tier=2, commit=False)
            agent = await create_user(
                uow, None, email="zhangmin@example.cn", name="张敏", role=Role.AGENT,
                password=PASSWORD, team_ids=(team.id,), commit=False,
            )  # fmt: skip
            await create_user(
                uow,
                None,
                email=SUPERVISOR,
                name="周敏",
                role=Role.SUPERVISOR,
                password=PASSWORD,
                commit=False,
            )
            login = await create_user(
                uow, None, email="linna@example.cn", name="林娜", role=Role.CUSTOMER,
                password=PASSWORD, commit=False,
            )  # fmt: skip
            linna = await create_customer(
                uow, None, name="林娜", email="linna@example.cn", phone="13812345678",
                tier=CustomerTier.VIP2, user_id=login.id, tags=["老客户"], commit=False,
            )  # fmt: skip
            wang = await create_customer(uow, None, name="王强", phone="13900001111", commit=False)
            zhao = await create_customer(
                uow, None, name="赵雪", email="zhaoxue@example.cn", tier=CustomerTier.VIP1, commit=False
            )
            uow.session.add(
                DemoOrder(order_no=ORDER_NO, customer_id=linna.id, status="delivered", items="声悦耳机 Pro 白色",
                          amount=Decimal("899.00"), carrier="顺丰速运", tracking_no="SF8831", placed_at=uow.now(),
                          updated_at=uow.now(), eta=None)
            )  # fmt: skip
            await uow.commit()
            team_id, agent_id = team.id, agent.id
            customers = (linna.id, wang.id, zhao.id)
        async with UnitOfWork(db) as uow:
            me = await principal_by_user_id(uow, agent_id)
            assert me is not None
            others = [
                ("发票抬头开错了，需要重开", customers[1], TicketType.CONSULTATION, Priority.LOW, Channel.EMAIL),
                ("App 登录时一直提示网络错误", customers[2], TicketType.TECHNICAL, Priority.MEDIUM, Channel.WECHAT),
                ("快递三天没有更新物流信息", customers[1], TicketType.SERVICE_QUALITY, Priority.MEDIUM, Channel.PHONE),
            ]  # fmt: skip
            for subject, customer_id, kind, priority, channel in others:
                await create_ticket(
                    uow, me, subject=subject, body="客户来电反映：" + subject, customer_id=customer_id,
                    type=kind, priority=priority, channel=channel, team_id=team_id, assignee_id=agent_id,
                )  # fmt: skip
            subject = "耳机左耳没有声音"
            ticket = await create_ticket(
                uow, me, subject=subject, body="买了三天，左耳就完全没有声音了，订单号 20240611-8831。",
                customer_id=customers[0], type=TicketType.PRODUCT_QUALITY, priority=Priority.HIGH,
                channel=Channel.WEB_FORM, team_id=team_id, assignee_id=agent_id, tags=["耳机", "退换货"],
            )  # fmt: skip
            ticket_id = ticket.id
            await add_message(uow, me, ticket_id, kind=MessageKind.NOTE, body="同批次已有两起类似反馈。")
            resolved = await create_ticket(
                uow, me, subject="会员积分没有到账", body="上周的订单积分还没到账。", customer_id=customers[0],
                team_id=team_id, channel=Channel.WEB_CHAT,
            )  # fmt: skip
            await add_message(uow, me, resolved.id, kind=MessageKind.REPLY, body="积分已补发，请查收。")
            await transition_ticket(uow, me, resolved.id, to=TicketStatus.RESOLVED)
        return Seeded("zhangmin@example.cn", "linna@example.cn", ticket_id, subject)
    finally:
        await db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(settings: Settings) -> Iterator[str]:
    """The app on a free local port in a background thread; yields its base URL."""
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="auto", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def around_the_clock(url: str) -> Settings:
    """Opens == closes: what the browser sees must not depend on the hour."""
    return Settings(
        database_url=url, environment="test", smtp_listen_port=None,
        service_opens=dtime(0, 0), service_closes=dtime(0, 0), notification_push_interval_s=0.3,
    )  # fmt: skip


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('e2e') / 'e2e.db'}"
    upgrade(url)
    seeded = run_in_own_loop(lambda: seed(url))
    with serve(around_the_clock(url)) as base:
        yield LiveServer(base, seeded)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (install Debian's chromium package to run browser tests)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
