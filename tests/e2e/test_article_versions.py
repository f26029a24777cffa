"""An editor adds an article's English version on the knowledge page, and an intent's English
answer template, in a real browser; screenshots in Chinese and English at 1440 and 390 px."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import SUPERVISOR, LiveServer
from tests.e2e.test_browser import SCREENSHOTS, sign_in

WIDTHS = (1440, 390)
SOURCE = {
    "title": "发货与配送时间",
    "body": "现货商品在付款后 24 小时内发货，江浙沪一般次日达，其他地区 2–4 天，偏远地区 5–7 天。",
    "questions": ["什么时候发货", "多久能到"],
    "tags": ["物流"],
}


def published_source(base: str) -> int:
    """Through the doors a person uses: the sign-in form, then the API with the session's CSRF."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        assert csrf
        client.post("/login", data={"email": SUPERVISOR, "password": PASSWORD, "csrf": csrf.group(1)})
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/agent").text)
        assert token
        headers = {"X-CSRF-Token": token.group(1)}
        created = client.post("/api/v1/kb/articles", json=SOURCE, headers=headers)
        assert created.status_code == 201, created.text
        article_id: int = created.json()["id"]
        done = client.post(f"/api/v1/kb/articles/{article_id}/publish", json={}, headers=headers)
        assert done.status_code == 200, done.text
        return article_id


def shoot(page: Any, name: str, locale: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{locale}-{width}.png"), full_page=True)


@pytest.mark.browser
def test_an_editor_adds_the_english_version_on_the_knowledge_page(
    live_server: LiveServer, chromium: Any
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    source_id = published_source(base)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        sign_in(page, base, SUPERVISOR)
        page.goto(f"{base}/agent/kb/articles/{source_id}")
        versions = page.locator(".kb-versions")
        expect(versions).to_contain_text("语言版本")
        expect(versions).to_contain_text("中文")
        shoot(page, "kb-versions", "zh")
        versions.get_by_role("link", name="添加英文版本").click()
        page.wait_for_url(re.compile(r".*/agent/kb/articles/new\?translation_of=\d+&locale=en$"))
        expect(page.locator(".kb-source")).to_contain_text("译自：")
        page.locator(".kb-source summary").click()
        expect(page.locator(".kb-source .kb-text")).to_contain_text("现货商品在付款后 24 小时内发货")
        expect(page.get_by_label("语言")).to_have_value("en")
        shoot(page, "kb-translate", "zh")

        context.add_cookies([{"name": "sd_lang", "value": "en", "url": base}])
        page.reload()
        expect(page.locator(".kb-source")).to_contain_text("Translation of:")
        page.locator(".kb-source summary").click()
        shoot(page, "kb-translate", "en")
        page.get_by_label("Title").fill("Shipping and delivery times")
        page.locator("textarea[name=questions]").fill("when will you ship\nhow long does delivery take")
        page.locator("textarea[name=body]").fill(
            "Items in stock ship within 24 hours of payment; Jiangsu, Zhejiang and Shanghai usually get "
            "them the next day, other regions in 2–4 days, remote areas in 5–7 days."
        )
        page.get_by_role("button", name="Save draft").click()
        page.wait_for_url(re.compile(r".*/agent/kb/articles/\d+\?saved=1$"))
        versions = page.locator(".kb-versions")
        expect(versions).to_contain_text("Chinese")
        expect(versions).to_contain_text("English")
        expect(versions).to_contain_text("source")
        expect(versions.get_by_role("link")).to_have_count(1)  # the other version; this one is bold
        shoot(page, "kb-versions", "en")

        page.goto(f"{base}/agent/assistant/intents/new")
        expect(page.get_by_text("Answer template in English")).to_be_visible()
        shoot(page, "intent-answer-en", "en")
        context.add_cookies([{"name": "sd_lang", "value": "zh", "url": base}])
        page.reload()
        expect(page.get_by_text("英文回答模板")).to_be_visible()
        shoot(page, "intent-answer-en", "zh")
    finally:
        context.close()
