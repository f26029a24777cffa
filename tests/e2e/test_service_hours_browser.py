"""The service-levels page in a real browser: which calendar is the service hours, whether its
public holidays are staffed, and the form where a supervisor decides it — in Chinese and
English, on a desktop and a phone. Screenshots: sla-service-hours-{zh,en}-{1440,390}.png and
sla-calendar-{zh,en}-{1440,390}.png."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from tests.e2e.conftest import SUPERVISOR, LiveServer
from tests.e2e.test_browser import SCREENSHOTS

WIDTHS = (1440, 390)


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.locator("input[name=email]").fill(SUPERVISOR)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{base}/agent**")


@pytest.mark.browser
@pytest.mark.parametrize(("locale", "lang"), [("zh-CN", "zh"), ("en-US", "en")])
def test_a_supervisor_sees_and_decides_whether_holidays_are_staffed(
    live_server: LiveServer, chromium: Any, locale: str, lang: str
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    context = chromium.new_context(locale=locale, viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        _sign_in(page, base)
        page.goto(f"{base}/agent/sla")
        badge, staffed = ("服务时间", "照常服务") if lang == "zh" else ("Service hours", "Staffed")
        row = page.locator("tr", has=page.locator(".tag", has_text=badge))
        expect(row).to_contain_text(staffed)  # R-IN-5: open on public holidays by default
        expect(page.locator("#service-hours")).to_be_visible()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.locator("#calendars").scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / f"sla-service-hours-{lang}-{width}.png"), full_page=False)
        page.set_viewport_size({"width": 1440, "height": 900})
        row.locator("a").first.click()
        box = page.locator("input[name=holidays_staffed]")
        expect(box).to_be_checked()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            box.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / f"sla-calendar-{lang}-{width}.png"), full_page=False)
        if lang == "en":  # decide once, and change it back, so the zh run and others see the default
            box.uncheck()
            page.locator("button.primary[type=submit]").click()
            expect(page.locator("tr", has=page.locator(".tag", has_text=badge))).to_contain_text("Closed")
            page.locator("tr", has=page.locator(".tag", has_text=badge)).locator("a").first.click()
            page.locator("input[name=holidays_staffed]").check()
            page.locator("button.primary[type=submit]").click()
            expect(page.locator("tr", has=page.locator(".tag", has_text=badge))).to_contain_text(staffed)
    finally:
        context.close()
