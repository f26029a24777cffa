"""A refund above the front line's limit in a real browser (R-HD-6): the agent asks on the
ticket page, it waits; the supervisor, whose inbox is open, is told at once, approves on the
approvals page, and the connector runs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import ORDER_NO, SUPERVISOR, LiveServer
from tests.e2e.test_browser import VIEWPORT, sign_in


@pytest.mark.browser
def test_a_refund_above_the_limit_waits_for_the_supervisor(live_server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    base, seeded = live_server.url, live_server.seeded
    ticket = f"{base}/agent/tickets/{seeded.ticket_id}"
    supervisor = chromium.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        inbox = supervisor.new_page()
        sign_in(inbox, base, SUPERVISOR)
        inbox.goto(f"{base}/agent")
        expect(inbox.locator("[data-unread]")).to_be_hidden()
        _agent_asks_for_a_refund(chromium, base, ticket, seeded.agent_email)

        toast = inbox.locator(".toasts .toast", has_text="等待您审批")  # pushed: no reload, no poll
        expect(toast).to_contain_text("耳机左耳无声", timeout=3000)
        expect(inbox.locator("[data-unread]")).to_have_text("1")
        toast.click()
        expect(inbox).to_have_url(ticket)
        inbox.goto(f"{base}/agent/approvals")
        expect(inbox.get_by_text("耳机左耳无声，客户不要换货")).to_be_visible()
        inbox.get_by_role("button", name="批准并执行").first.click()
        inbox.goto(ticket)
        expect(inbox.locator("#actions .chip")).to_have_text("已执行")
        expect(inbox.locator("#actions")).to_contain_text("周敏")  # who approved
    finally:
        supervisor.close()


def _agent_asks_for_a_refund(chromium: Any, base: str, ticket: str, email: str) -> None:
    from playwright.sync_api import expect

    agent = chromium.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        page = agent.new_page()
        sign_in(page, base, email)
        page.goto(ticket)
        actions = page.locator("#actions")
        actions.get_by_text("申请服务操作").click()
        actions.get_by_label("操作").select_option("refund")
        actions.get_by_label("金额（元）").fill("600")
        actions.get_by_label("订单号").fill(ORDER_NO)
        actions.get_by_label("处理依据").fill("耳机左耳无声，客户不要换货，按售后政策退款 600 元。")
        actions.get_by_role("button", name="提交").click()
        expect(page.locator("#actions .chip")).to_have_text("待审批")  # above 500: it waits
        expect(page.locator("#actions")).not_to_contain_text("批准并执行")  # not the agent's to approve
    finally:
        agent.close()
