"""What an agent sees of a case the bot pre-filled (R-BOT-5, R-CL-1, R-CL-2), in a real browser:
a chat visitor whose new earphones will not switch on asks for a person; the case page shows
the hand-off's urgency, keywords and the order number it found, and the suggested type and
priority with the rule and the model's confidence behind them — in Chinese and English, on a
desktop and a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from servicedesk.store.migrate import upgrade
from tests.e2e.conftest import ORDER_NO, SUPERVISOR, around_the_clock, run_in_own_loop, seed, serve
from tests.e2e.test_bot_chat import _knowledge
from tests.e2e.test_browser import SCREENSHOTS, sign_in
from tests.e2e.test_webchat import Visitor

TEXT = f"订单{ORDER_NO}的耳机收到就开不了机，充电也没反应，我要投诉"


@pytest.fixture(scope="module")
def handoff_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('prefill') / 'prefill.db'}"
    upgrade(url)
    run_in_own_loop(lambda: seed(url))
    run_in_own_loop(lambda: _knowledge(url))
    with serve(around_the_clock(url)) as base:
        yield base


def _hand_over(base: str) -> int:
    visitor = Visitor(base)
    visitor.thread.start()
    try:
        visitor.wait_for(lambda f: f["type"] == "hello", seconds=20)
        visitor.say("p1", TEXT)
        # the complaint intent always goes to a person: the ack names the new case
        ack = visitor.wait_for(lambda f: f["type"] == "ack" and f.get("ticket_id"), seconds=30)
        return int(ack["ticket_id"])
    finally:
        visitor.done.set()
        visitor.thread.join(timeout=10)


@pytest.mark.browser
def test_an_agent_reads_why_the_bot_prefilled_the_case(handoff_server: str, chromium: Any) -> None:
    from playwright.sync_api import expect

    ticket_id = _hand_over(handoff_server)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    expected = {
        "zh": ("紧急", "客户提供的信息", f"订单号 {ORDER_NO}", "完全无法使用「开不了机」", "识别意图：投诉"),
        "en": (
            "Urgent",
            "Details the customer gave",
            f"Order {ORDER_NO}",
            "cannot be used at all",
            "intent: Complaint",
        ),
    }
    confidence = {"zh": "模型判断，置信度", "en": "the model, "}
    for width in (1440, 390):
        context = chromium.new_context(locale="zh-CN", viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            sign_in(page, handoff_server, SUPERVISOR)
            page.wait_for_url(re.compile(r".*/agent.*"))
            for locale in ("zh", "en"):
                context.add_cookies([{"name": "sd_lang", "value": locale, "url": handoff_server}])
                page.goto(f"{handoff_server}/agent/tickets/{ticket_id}")
                handoff, suggested = page.locator("section.handoff"), page.locator("section.classification")
                urgency, slots, order, rule, model = expected[locale]
                for text in (urgency, slots, order):
                    expect(handoff).to_contain_text(text)
                for word in ("开不了机", "投诉"):
                    expect(handoff.locator(".tag", has_text=word).first).to_be_visible()
                expect(suggested).to_contain_text(rule)
                expect(suggested).to_contain_text(model)
                expect(suggested).to_contain_text(confidence[locale])
                for panel in (handoff, suggested):  # nothing of the two panels past the screen's edge
                    box = panel.bounding_box()
                    assert box is not None and box["x"] + box["width"] <= width, f"{locale} {width}px"
                    assert panel.evaluate("p => p.scrollWidth <= p.clientWidth"), f"{locale} {width}px"
                handoff.scroll_into_view_if_needed()
                page.screenshot(
                    path=str(SCREENSHOTS / f"handoff-prefill-{locale}-{width}.png"), full_page=False
                )
                suggested.screenshot(path=str(SCREENSHOTS / f"handoff-suggestion-{locale}-{width}.png"))
        finally:
            context.close()
