"""The bot's self-service rate on the scripted conversations, end to end on SQLite
(`python -m bench.selfservice`); writes its section of docs/benchmarks.md."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime
from pathlib import Path

import psutil

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.evaluation.command import markdown
from servicedesk.evaluation.selfservice import figures, load_conversations, play

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- selfservice:start -->", "<!-- selfservice:end -->"


def main() -> None:
    started = datetime.now().astimezone()
    outcomes, latencies = asyncio.run(play())
    found = figures(outcomes, latencies)
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
        "the real intake and bot on a fresh SQLite database with the demo shop's knowledge, as a "
        "web-chat visitor who owns one order. Latency is per message: intake, understanding, the "
        "answer and its outbox row, and the commit.", "",
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
