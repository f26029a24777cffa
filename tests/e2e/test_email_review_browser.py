"""A mail the parser could not read fully, as the agent sees it: the text it could read, a
word saying why a person should check, and the original attached. zh and en, wide and narrow.

Screenshots go to $SERVICEDESK_SCREENSHOTS when set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from servicedesk.channels.email.server import InboundMailHandler
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import Message
from servicedesk.store.uow import UnitOfWork
from tests.e2e.conftest import SUPERVISOR, around_the_clock, run_in_own_loop, seed, serve
from tests.e2e.test_browser import sign_in

SCREENSHOTS = Path(os.environ.get("SERVICEDESK_SCREENSHOTS", "") or tempfile.mkdtemp(prefix="sd-shots-"))
DATA = Path(__file__).parents[1] / "data" / "email"


async def _flagged_mail(url: str) -> int:
    """The fixture whose multipart lost its boundary, with one byte no charset reads."""
    raw = (DATA / "multipart_without_boundary.eml").read_bytes()
    raw = raw.replace("上午".encode(), "上午".encode() + b"\xff", 1)
    db = Database(Settings(database_url=url, environment="test", smtp_listen_port=None))
    try:
        answer = await InboundMailHandler(db, db.settings).take(
            raw, mail_from="luyao@example.com", rcpt_tos=[]
        )
        assert answer.startswith("250")
        async with UnitOfWork(db, write=False) as uow:
            message = await uow.session.scalar(select(Message).where(Message.external_id.like("nob-1@%")))
        assert message is not None and message.ticket_id is not None
        return message.ticket_id
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('e2e-mail') / 'mail.db'}"
    upgrade(url)
    run_in_own_loop(lambda: seed(url))
    ticket_id = run_in_own_loop(lambda: _flagged_mail(url))
    with serve(around_the_clock(url)) as base:
        yield base, ticket_id


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_the_agent_is_told_to_check_a_mail_that_could_not_be_read_fully(
    flagged: tuple[str, int], chromium: Any, width: int
) -> None:
    from playwright.sync_api import expect

    base, ticket_id = flagged
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, base, SUPERVISOR)
        page.wait_for_url(f"{base}/**")
        page.goto(f"{base}/agent/tickets/{ticket_id}")
        review = page.locator(".msg-inbound .email-review")
        expect(review).to_contain_text("此邮件未能完整识别")
        expect(review).to_contain_text("部分文字的编码无法识别")
        expect(review).to_contain_text("邮件结构已损坏")
        expect(page.locator(".msg-inbound .attachments")).to_contain_text("original.eml")
        expect(page.locator(".msg-inbound .body")).to_contain_text("安装热水器")
        right = page.evaluate("document.querySelector('.email-review').getBoundingClientRect().right")
        assert (
            right <= width
        )  # the notice wraps within the page (the top bar's overflow at 390 px is not its)
        review.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"email-review-zh-{width}.png"), full_page=False)

        page.goto(f"{base}/lang/en")
        page.goto(f"{base}/agent/tickets/{ticket_id}")
        expect(review).to_contain_text("This mail could not be read fully")
        expect(review).to_contain_text("some characters could not be decoded")
        expect(review).to_contain_text("the mail's structure was broken and has been rebuilt")
        review.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / f"email-review-en-{width}.png"), full_page=False)
    finally:
        context.close()
