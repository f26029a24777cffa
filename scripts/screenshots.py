"""Take the README's screenshots from a running demo server (scripts/start), with Chromium.

Usage: .venv/bin/python scripts/screenshots.py [http://127.0.0.1:8000]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "screenshots"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]  # fmt: skip


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900}).new_page()
        page.goto(f"{base}/login")
        page.get_by_label("邮箱").fill("agent01@demo.servicedesk.cn")
        page.get_by_label("密码").fill("demo-pass-2026")
        page.get_by_role("button", name="登录").click()
        page.goto(f"{base}/agent?view=team")
        page.screenshot(path=str(OUT / "agent-inbox.png"))
        page.locator("table a[href^='/agent/tickets/']").first.click()
        page.wait_for_load_state()
        page.screenshot(path=str(OUT / "agent-ticket.png"))
        page.context.clear_cookies()
        page.goto(f"{base}/login")
        page.get_by_label("邮箱").fill("supervisor@demo.servicedesk.cn")
        page.get_by_label("密码").fill("demo-pass-2026")
        page.get_by_role("button", name="登录").click()
        page.goto(f"{base}/agent?view=all")  # the newest cases are the bot's demo hand-offs
        page.locator("table a[href^='/agent/tickets/']").filter(has_text="发票").first.click()
        page.wait_for_load_state()
        page.screenshot(path=str(OUT / "bot-handoff.png"))
        page.goto(f"{base}/agent/assistant?text=我买的耳机什么时候能到")
        page.screenshot(path=str(OUT / "bot-intents.png"))
        page.goto(f"{base}/agent/assistant/review")
        page.screenshot(path=str(OUT / "bot-review.png"))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
