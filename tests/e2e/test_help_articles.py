"""The public help center in a real browser: a supervisor publishes articles through the API,
then a visitor who never signs in searches in Chinese and reads the answer."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import SUPERVISOR, LiveServer
from tests.e2e.test_browser import SCREENSHOTS, VIEWPORT

ARTICLES = [
    {
        "title": "退换货政策",
        "body": "自签收之日起七天内，商品完好、配件齐全即可申请无理由退货。\n"
        "申请路径：我的订单 → 申请售后 → 选择“退货退款”。\n"
        "质量问题的退货运费由我们承担。",
        "questions": ["怎么退货", "收到的东西不想要了能退吗", "七天无理由退货怎么申请"],
        "tags": ["售后", "退换货"],
    },
    {
        "title": "如何开具发票",
        "body": "确认收货后，在订单详情页点击“申请发票”，电子发票会在 24 小时内发送到您的邮箱。",
        "questions": ["能开发票吗", "发票怎么开"],
        "tags": ["发票"],
    },
    {
        "title": "修改收货地址",
        "body": "订单发货前，可在订单详情页修改收货地址；已发货的订单请联系客服拦截。",
        "questions": ["地址填错了怎么办"],
        "tags": ["物流"],
    },
]


def publish(base: str) -> None:
    """Through the doors a person uses: the sign-in form, then the API with the session's
    CSRF token."""
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = client.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf
        signed_in = client.post(
            "/login", data={"email": SUPERVISOR, "password": PASSWORD, "csrf": csrf.group(1)}
        )
        assert signed_in.status_code == 303
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/agent").text)
        assert token
        headers = {"X-CSRF-Token": token.group(1)}
        draft = client.post(
            "/api/v1/kb/articles", json={"title": "内部：退货审核口径", "body": "仅内部"}, headers=headers
        )
        assert draft.status_code == 201, draft.text
        for article in ARTICLES:
            created = client.post("/api/v1/kb/articles", json=article, headers=headers)
            assert created.status_code == 201, created.text
            done = client.post(
                f"/api/v1/kb/articles/{created.json()['id']}/publish", json={}, headers=headers
            )
            assert done.status_code == 200, done.text


@pytest.mark.browser
def test_a_visitor_finds_and_reads_the_returns_policy(live_server: LiveServer, chromium: Any) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    publish(base)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visitor = chromium.new_context(locale="zh-CN", viewport=VIEWPORT)
    try:
        page = visitor.new_page()
        page.goto(f"{base}/help/articles")
        expect(page.get_by_role("heading", name="帮助文章")).to_be_visible()
        page.get_by_label("搜索帮助文章").fill("买的东西不想要了，可以退货吗")
        page.get_by_role("button", name="搜索").click()
        page.wait_for_url(re.compile(r".*/help/articles\?q=.*"))
        results = page.locator(".kb-results li")
        expect(results.first).to_contain_text("退换货政策")
        expect(page.locator(".kb-results")).not_to_contain_text("内部")  # drafts never reach customers
        page.screenshot(path=str(SCREENSHOTS / "help-articles-search.png"), full_page=False)

        results.first.get_by_role("link", name="退换货政策").click()
        page.wait_for_url(re.compile(r".*/help/articles/\d+$"))
        expect(page.get_by_role("heading", name="退换货政策")).to_be_visible()
        expect(page.locator(".kb-text")).to_contain_text("我的订单 → 申请售后")
        expect(page.locator(".kb-more")).to_contain_text("没有解决您的问题？")

        page.goto(f"{base}/help/articles")
        page.get_by_label("搜索帮助文章").fill("发票怎么开")
        page.keyboard.press("Enter")
        expect(page.locator(".kb-results li").first).to_contain_text("如何开具发票")
    finally:
        visitor.close()
