"""One journey in a real browser: an agent answers a case in Chinese, the customer reads it.

Screenshots go to $SERVICEDESK_SCREENSHOTS when set (the README's come from the demo data).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import LiveServer

SCREENSHOTS = Path(os.environ.get("SERVICEDESK_SCREENSHOTS", "") or tempfile.mkdtemp(prefix="sd-shots-"))
VIEWPORT = {"width": 1360, "height": 900}


def sign_in(page: Any, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("邮箱").fill(email)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


@pytest.mark.browser
def test_it_carries_an_agents_reply_to_the_customer(live_server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    base, seeded = live_server.url, live_server.seeded
    reply = "您好，非常抱歉给您带来不便！我们已为您安排换货，新耳机明天发出。"
    note = "已联系仓库加急处理。"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    agent = chromium.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        page = agent.new_page()
        sign_in(page, base, seeded.agent_email)
        page.wait_for_url(f"{base}/agent")
        row = page.locator("table.tickets tbody tr", has_text=seeded.subject)
        expect(row).to_contain_text("VIP2")
        page.set_viewport_size({"width": VIEWPORT["width"], "height": 420})  # no empty space below
        page.screenshot(path=str(SCREENSHOTS / "agent-inbox.png"), full_page=False)
        page.set_viewport_size(VIEWPORT)

        row.get_by_role("link", name=seeded.subject).click()
        page.wait_for_url(f"{base}/agent/tickets/{seeded.ticket_id}")
        expect(page.locator(".msg-inbound").first).to_contain_text("订单号 20240611-8831")
        page.locator('textarea[name="body"]').fill(reply)
        exchange = {"name": "换货单.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 exchange"}
        page.locator('input[name="files"]').set_input_files(files=[exchange])
        page.get_by_role("button", name="发送").click()
        expect(page.locator(".msg-reply").last).to_contain_text(reply)
        expect(page.locator(".msg-reply").last.locator(".attachments")).to_contain_text("换货单.pdf")
        expect(page.locator(".ticket-head")).to_contain_text("处理中")  # a first reply opens the case

        page.get_by_label("内部备注").check()
        page.locator('textarea[name="body"]').fill(note)
        page.get_by_role("button", name="发送").click()
        expect(page.locator(".msg-note").last).to_contain_text(note)
        page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar belongs at the top
        page.screenshot(path=str(SCREENSHOTS / "agent-ticket.png"), full_page=False)
    finally:
        agent.close()

    customer = chromium.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        page = customer.new_page()
        sign_in(page, base, seeded.customer_email)
        page.wait_for_url(f"{base}/help")
        page.get_by_role("link", name=seeded.subject).click()
        page.wait_for_url(f"{base}/help/tickets/{seeded.ticket_id}")
        expect(page.locator(".timeline")).to_contain_text(reply)
        sheet = page.locator(".timeline .attachments a", has_text="换货单.pdf")
        assert (
            page.request.get(f"{base}{sheet.get_attribute('href')}").body() == b"%PDF-1.4 exchange"
        )  # hers to fetch
        expect(page.locator(".timeline")).not_to_contain_text(note)
        expect(page.locator(".timeline")).not_to_contain_text("同批次已有两起类似反馈")
    finally:
        customer.close()
