"""The customer's whole story on the ticket page in a real browser (R-IN-2): 林娜's case with the
front line shows her case with technical support (its public answer, not its internal note) and
her WeChat conversation with the bot, in Chinese and English, wide and narrow; the other team's
case opens read-only through hers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.domain.catalog import Channel, MessageKind
from servicedesk.domain.roles import Role
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.staff import create_user
from servicedesk.services.tickets import add_message, create_ticket
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import Conversation, Customer, Message, Team
from servicedesk.store.uow import UnitOfWork
from tests.conftest import PASSWORD
from tests.e2e.conftest import Seeded, around_the_clock, run_in_own_loop, seed, serve
from tests.e2e.test_browser import SCREENSHOTS, sign_in

TECH_SUBJECT = "App 绑定耳机时一直失败"
TECH_REPLY = "您好，请先在 App 里删除旧设备，再长按耳机按键 5 秒重新配对。"
TECH_NOTE = "内部：固件 2.1 的已知问题，等研发补丁"
BOT_QUESTION = "退货运费谁出？"


async def _other_team_story(url: str) -> int:
    """A case of 林娜 with technical support (an engineer's reply and internal note), and an
    earlier WeChat conversation the bot answered alone. Returns the case's id."""
    db = Database(Settings(database_url=url, environment="test", smtp_listen_port=None))
    try:
        async with UnitOfWork(db) as uow:
            tech = await uow.session.scalar(select(Team).where(Team.name == "技术支持"))
            linna = await uow.session.scalar(select(Customer).where(Customer.name == "林娜"))
            assert tech is not None and linna is not None
            engineer = await create_user(
                uow, None, email="liqiang@example.cn", name="李强", role=Role.EXPERT, password=PASSWORD,
                team_ids=(tech.id,), commit=False,
            )  # fmt: skip
            started = uow.now() - timedelta(days=2)
            conversation = Conversation(
                customer_id=linna.id, channel=Channel.WECHAT, started_at=started,
                ended_at=started + timedelta(minutes=3),
            )  # fmt: skip
            uow.session.add(conversation)
            await uow.session.flush()
            uow.session.add_all(
                [
                    Message(conversation_id=conversation.id, kind=MessageKind.INBOUND, channel=Channel.WECHAT,
                            body=BOT_QUESTION, author_customer_id=linna.id, created_at=started),
                    Message(conversation_id=conversation.id, kind=MessageKind.REPLY, channel=Channel.WECHAT,
                            body="质量问题退货运费由我们承担，七天无理由退货运费由您承担。", meta={"bot": "小智"},
                            created_at=started + timedelta(minutes=1)),
                ]
            )  # fmt: skip
            await uow.commit()
            engineer_id, linna_id, tech_id = engineer.id, linna.id, tech.id
        async with UnitOfWork(db) as uow:
            me = await principal_by_user_id(uow, engineer_id)
            assert me is not None
            case = await create_ticket(
                uow, me, subject=TECH_SUBJECT, body="按说明书操作了三次，App 还是提示绑定失败。",
                customer_id=linna_id, team_id=tech_id, assignee_id=engineer_id, channel=Channel.EMAIL,
            )  # fmt: skip
            await add_message(uow, me, case.id, kind=MessageKind.REPLY, body=TECH_REPLY)
            await add_message(uow, me, case.id, kind=MessageKind.NOTE, body=TECH_NOTE)
            return case.id
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def history_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Seeded, int]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}"
    upgrade(url)
    seeded = run_in_own_loop(lambda: seed(url))
    tech_case = run_in_own_loop(lambda: _other_team_story(url))
    with serve(around_the_clock(url)) as base:
        yield base, seeded, tech_case


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_agent_reads_the_customers_whole_story(
    history_server: tuple[str, Seeded, int], chromium: Any, lang: str
) -> None:
    from playwright.sync_api import expect

    base, seeded, tech_case = history_server
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, base, seeded.agent_email)
        page.wait_for_url(f"{base}/agent")
        if lang == "en":
            page.goto(f"{base}/lang/en")
        page.goto(f"{base}/agent/tickets/{seeded.ticket_id}")
        panel = page.locator("#customer-history")
        other = panel.locator(f'.hentry[data-case="{tech_case}"]')
        expect(other).to_contain_text(TECH_SUBJECT)
        expect(other).to_contain_text("处理中" if lang == "zh" else "Open")  # words, not codes
        expect(panel.locator(".hentry-conversation")).to_contain_text(BOT_QUESTION)
        expect(panel.locator(".hentry-current")).to_contain_text("当前工单" if lang == "zh" else "This case")
        other.locator("summary").click()  # collapsed until asked for
        expect(other.locator(".hlines")).to_contain_text(TECH_REPLY)
        expect(panel).not_to_contain_text(TECH_NOTE)
        expect(panel).to_contain_text(
            "1 条其他团队的内部备注未显示" if lang == "zh" else "1 internal note of another team"
        )
        for width in (1440, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate("window.scrollTo(0, 0)")
            box = page.evaluate(
                "(() => { const r = document.querySelector('#customer-history').getBoundingClientRect();"
                " return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })()"
            )
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the panel runs off the screen"
            if width == 1440:  # (at 390 the top bar's links overflow on every page: not this panel's)
                assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), "sideways scroll"
            margin = 8
            clip = {
                "x": max(box["x"] - margin, 0),
                "y": box["y"] - margin,
                "width": min(box["width"] + 2 * margin, width),
                "height": box["height"] + 2 * margin,
            }
            # the whole page, clipped to the panel: the sticky top bar stays at the top, off the panel
            page.screenshot(
                path=str(SCREENSHOTS / f"customer-history-{lang}-{width}.png"), full_page=True, clip=clip
            )

        read = "查看完整记录（只读）" if lang == "zh" else "Read the whole case (read-only)"
        other.get_by_role("link", name=read).click()
        page.wait_for_url(f"{base}/agent/tickets/{seeded.ticket_id}/history/{tech_case}")
        expect(page.locator(".timeline")).to_contain_text(TECH_REPLY)
        expect(page.locator("body")).not_to_contain_text(TECH_NOTE)
        expect(page.locator("form.reply")).to_have_count(0)  # read-only: nothing to send from here
        page.screenshot(path=str(SCREENSHOTS / f"customer-history-case-{lang}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1440, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"customer-history-case-{lang}-1440.png"))
    finally:
        context.close()
