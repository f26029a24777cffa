"""The delivery rule as an agent sees it, in a real browser: on a Weibo case in an installation
that has not set up sending on Weibo, the reply box warns before anyone types and says what to do
instead, and the reply already written shows as not delivered, with the reason — in Chinese and
English, on a desk (1440 px) and a phone (390 px).

Screenshots go to $SERVICEDESK_SCREENSHOTS when set (see test_browser.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from servicedesk.channels.social import WEIBO, parse_event
from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.roles import Role
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.intake import receive
from servicedesk.services.staff import create_team, create_user
from servicedesk.services.tickets import add_message
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import PASSWORD
from tests.e2e.conftest import around_the_clock, run_in_own_loop, serve
from tests.e2e.test_browser import SCREENSHOTS

DATA = Path(__file__).parents[1] / "data" / "social"
AGENT = "liuyang@example.cn"
REPLY = "您好，请问耳机是哪天买的？方便提供订单号吗？"


@dataclass(frozen=True)
class Desk:
    url: str
    ticket_id: int


async def _seed(url: str) -> int:
    """A Weibo private message opens a case; the agent answers before anyone set Weibo up."""
    db = Database(Settings(database_url=url, environment="test", smtp_listen_port=None))
    try:
        async with UnitOfWork(db) as uow:
            team = await create_team(uow, None, name="社交媒体组", commit=False)
            agent = await create_user(
                uow, None, email=AGENT, name="刘洋", role=Role.AGENT, password=PASSWORD,
                team_ids=(team.id,), commit=False,
            )  # fmt: skip
            await uow.commit()
        payload = json.loads((DATA / "weibo_private_message.json").read_text(encoding="utf-8"))
        inbound = replace(parse_event(WEIBO, payload, received_at=db.clock()), sender_name="陈小鱼")
        async with UnitOfWork(db) as uow:
            case = await receive(uow, inbound)
        assert case.ticket_id is not None
        async with UnitOfWork(db) as uow:  # routed to the agent (routing is off with nobody on shift)
            await uow.session.execute(
                update(Ticket)
                .where(Ticket.id == case.ticket_id)
                .values(team_id=team.id, assignee_id=agent.id)
            )
            await uow.commit()
        async with UnitOfWork(db) as uow:
            me = await principal_by_user_id(uow, agent.id)
            assert me is not None
            await add_message(uow, me, case.ticket_id, kind=MessageKind.REPLY, body=REPLY)
        return case.ticket_id
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('e2e-delivery') / 'e2e.db'}"
    upgrade(url)
    ticket_id = run_in_own_loop(lambda: _seed(url))
    with serve(around_the_clock(url)) as base:  # no Weibo credentials: Weibo cannot reply
        yield Desk(base, ticket_id)


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(AGENT)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/agent**")


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('.timeline *, form.reply *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
  .map(el => el.tagName.toLowerCase() + '.' + el.className)"""

WORDS = {
    "zh": (
        "现在无法通过微博回复这位客户",
        "请管理员配置微博的发送凭据",
        "未送达：该渠道尚未配置发送",
        "不计入响应时效",
    ),
    "en": (
        "A reply cannot reach this customer on Weibo right now",
        "Ask an admin to set up sending on Weibo",
        "Not delivered: sending on this channel is not set up",
        "Does not count as a response",
    ),
}


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
@pytest.mark.parametrize("locale", ["zh", "en"])
def test_the_reply_box_warns_and_the_reply_shows_it_was_not_delivered(
    desk: Desk, chromium: Any, locale: str, width: int
) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context(locale="zh-CN" if locale == "zh" else "en-US",
                                   viewport={"width": width, "height": 900})  # fmt: skip
    try:
        page = context.new_page()
        _sign_in(page, desk.url)
        page.goto(f"{desk.url}/agent/tickets/{desk.ticket_id}")
        warning, advice, failed, not_counted = WORDS[locale]
        box = page.locator("form.reply .delivery-warning")
        expect(box).to_contain_text(warning)
        expect(box).to_contain_text(advice)
        reply = page.locator(".timeline li", has_text=REPLY)
        expect(reply.locator(".delivery-failed")).to_contain_text(failed)
        expect(reply.locator(".delivery-failed")).to_contain_text(not_counted)
        # the conversation and the reply box fit the screen, even a phone's
        assert page.evaluate(WIDER_THAN_THE_SCREEN) == []
        reply.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, -60)")
        page.screenshot(path=str(SCREENSHOTS / f"delivery-{locale}-{width}.png"), full_page=False)
    finally:
        context.close()
