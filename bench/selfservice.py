"""The bot's self-service rate on the scripted conversations, end to end on SQLite
(`python -m bench.selfservice`); writes its section of docs/benchmarks.md."""

from __future__ import annotations

import argparse
import asyncio
import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.assistant import articles
from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.evaluation.command import markdown
from servicedesk.evaluation.selfservice import figures, load_conversations, play
from servicedesk.nlp.figures import Figure
from servicedesk.services.assistant import Assistant, BotOutcome
from servicedesk.store.knowledge import Article
from servicedesk.store.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- selfservice:start -->", "<!-- selfservice:end -->"


async def synthetic_articles(uow: UnitOfWork, n: int) -> None:
    """`n` published catalogue articles from the retrieval benchmark's generator, as
    distractors: the bot must still find the shop's own answers among them."""
    now = uow.now()
    for doc, _topic, product in articles(n):
        uow.session.add(
            Article(
                title=doc.title[:200], body=doc.body, questions=list(doc.questions), tags=list(doc.tags),
                product=product, locale="zh", status=ContentStatus.PUBLISHED, revision=1,
                created_at=now, updated_at=now, published_at=now,
            )
        )  # fmt: skip
    await uow.session.flush()


def time_the_bot() -> list[float]:
    """Wrap `Assistant.respond` to time the bot's own part of each message (benchmark only)."""
    timings: list[float] = []
    original = Assistant.respond

    async def timed(self: Assistant, uow: UnitOfWork, **kwargs: Any) -> BotOutcome:
        started = time.perf_counter()
        try:
            return await original(self, uow, **kwargs)
        finally:
            timings.append((time.perf_counter() - started) * 1000)

    Assistant.respond = timed  # type: ignore[method-assign]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=10_000, help="synthetic published articles added")
    n = parser.parse_args().articles
    started = datetime.now().astimezone()
    bot_ms = time_the_bot()
    outcomes, latencies = asyncio.run(play(prepare=lambda uow: synthetic_articles(uow, n)))
    found = figures(outcomes, latencies)
    found.append(
        Figure("speed", "demo shop scripted conversations", f"bot alone p99 ms ({n:,} articles)",
               float(np.percentile(bot_ms, 99)), 30.0, higher_is_better=False,
               note=f"understand, decide, compose; no intake, no commit; p50 {np.percentile(bot_ms, 50):.1f}")
    )  # fmt: skip
    misses = [
        (c.turns, o.expected, o.got or ("a person" if o.handed_off else "no answer"))
        for c, o in zip(load_conversations(), outcomes, strict=True)
        if not o.resolved
    ]
    rss = psutil.Process().memory_info().rss / 2**20
    lines = [
        BEGIN, "", "## The bot's self-service rate (`python -m bench.selfservice`)", "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}.", "",
        f"**Machine:** {this_machine().describe()}. Process RSS after the run: {rss:.0f} MB.", "",
        "Each of the 60 scripted conversations (`src/servicedesk/evaluation/conversations_zh.jsonl`, "
        "written for the project, phrased differently from the intents' examples) is played through "
        "the real intake and bot on a fresh SQLite database with the demo shop's knowledge plus "
        f"{n:,} synthetic published catalogue articles (the retrieval benchmark's generator) as "
        "distractors, as a web-chat visitor who owns one order. Latency is per message: intake, "
        "understanding, the answer and its outbox row, and the commit.", "",
        markdown(found), "",
        "Questions it did not resolve:", "",
        *[f"- {' → '.join(turns)}: expected {exp}, got {got}" for turns, exp, got in misses],
        "", END,
    ]  # fmt: skip
    print("\n".join(lines))
    marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.S)
    write_marked_section(ROOT / "docs" / "benchmarks.md", "\n".join(lines), marked)


if __name__ == "__main__":
    main()
