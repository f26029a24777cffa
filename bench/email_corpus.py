"""How well real-world mail is taken in: `python -m bench.email_corpus`.

Reads every fixture in tests/data/email with what it must give (expected.json), and measures
two ways:

1. the parser alone: people's mail refused, with the expected text in the body, flagged for a
   person; bounces with the right failed recipient and kind; machine mail recognised;
   parse time per mail;
2. the real path: the SMTP listener on 127.0.0.1 in this process, on a fresh migrated SQLite
   database, every fixture sent over SMTP with its envelope sender: SMTP answers, cases
   opened for people's mail and for machine mail.

Prints the table and writes the email section of docs/benchmarks.md (between its markers).
The fixtures are written by the project; they are not a sample of anyone's mail, so the
figures say which shapes are handled, not how often those shapes occur.
"""

from __future__ import annotations

import asyncio
import json
import re
import smtplib
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.server import start_mail_listener
from servicedesk.channels.message import InboundKind
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import Message, Ticket
from servicedesk.store.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "email"
DOC = ROOT / "docs" / "benchmarks.md"
MARKED = re.compile(r"<!-- email-corpus:start -->.*?<!-- email-corpus:end -->\n?", re.DOTALL)


def expectations() -> dict[str, dict[str, Any]]:
    table = json.loads((DATA / "expected.json").read_text())
    return {name: spec for name, spec in table.items() if not name.startswith("_")}


def envelope_of(spec: dict[str, Any]) -> str:
    if spec.get("envelope") == "<>":
        return ""
    return str(spec.get("envelope") or spec.get("sender") or "someone@example.com")


@dataclass
class Figures:
    people: int = 0
    refused: int = 0
    body_right: int = 0
    flagged: int = 0
    bounces: int = 0
    bounce_right: int = 0
    machine: int = 0
    machine_recognised: int = 0
    misses: list[str] = field(default_factory=list)
    parse_ms: list[float] = field(default_factory=list)
    smtp_250: int = 0
    sent: int = 0
    cases_people: int = 0
    cases_expected: int = 0
    cases_machine: int = 0


def parse_all(figures: Figures) -> None:
    now = datetime.now(UTC)
    for name, spec in sorted(expectations().items()):
        raw = (DATA / name).read_bytes()
        envelope = spec.get("envelope")
        started = time.perf_counter()
        try:
            msg = parse_email(raw, received_at=now, envelope_sender=envelope)
        except Exception:
            msg = None
        figures.parse_ms.append((time.perf_counter() - started) * 1000)
        if spec["kind"] == "message":
            figures.people += 1
            if msg is None:
                figures.refused += 1
                figures.misses.append(f"{name}: refused")
                continue
            want = spec.get("body", "")
            if want in msg.body and bool(msg.body) == bool(want) and msg.kind is InboundKind.MESSAGE:
                figures.body_right += 1
            else:
                figures.misses.append(f"{name}: body")
            figures.flagged += "needs_review" in msg.metadata
            continue
        figures.machine += 1
        if msg is not None and msg.kind is InboundKind.AUTOMATIC:
            figures.machine_recognised += 1
        else:
            figures.misses.append(f"{name}: not recognised as automatic")
        if "bounce" in spec:
            figures.bounces += 1
            got = (msg.metadata.get("bounce"), msg.metadata.get("bounced_recipient")) if msg else None
            if got == tuple(spec["bounce"]):
                figures.bounce_right += 1
            else:
                figures.misses.append(f"{name}: bounce {got}")


async def over_smtp(figures: Figures) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        await asyncio.to_thread(upgrade, url)
        db = Database(Settings(database_url=url, environment="test", attachments_dir=Path(folder) / "files"))
        server = await start_mail_listener(db, db.settings, port=0)
        port = server.sockets[0].getsockname()[1]
        people: list[str] = []
        try:
            for name, spec in sorted(expectations().items()):
                raw = (DATA / name).read_bytes()

                def send(raw: bytes = raw, sender: str = envelope_of(spec)) -> bool:
                    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                        try:
                            client.sendmail(sender, ["support@support.example.com"], raw)
                        except smtplib.SMTPException:
                            return False
                    return True

                figures.sent += 1
                figures.smtp_250 += await asyncio.to_thread(send)
                if spec["kind"] == "message":
                    people.append(spec.get("sender", ""))
            async with UnitOfWork(db, write=False) as uow:
                figures.cases_people = int(
                    await uow.session.scalar(select(func.count()).select_from(Ticket)) or 0
                )
                inbound = int(await uow.session.scalar(select(func.count()).select_from(Message)) or 0)
            figures.cases_expected = len(people)
            figures.cases_machine = max(0, inbound - len(people))
        finally:
            server.close()
            await server.wait_closed()
            await db.dispose()


def section(figures: Figures) -> str:
    machine = this_machine()
    p95 = statistics.quantiles(figures.parse_ms, n=20)[-1] if len(figures.parse_ms) > 1 else 0.0
    rows = [
        ("people's mail refused by the parser", f"{figures.refused} of {figures.people}", "0"),
        (
            "people's mail with the expected text in the body",
            f"{figures.body_right} of {figures.people}",
            "all",
        ),
        ("… of them flagged for a person (needs_review)", f"{figures.flagged}", "–"),
        (
            "bounces: right failed recipient and hard/soft",
            f"{figures.bounce_right} of {figures.bounces}",
            "all",
        ),
        (
            "machine mail (bounces, auto-replies, bulk) recognised",
            f"{figures.machine_recognised} of {figures.machine}",
            "all",
        ),
        ("over SMTP: answered 250", f"{figures.smtp_250} of {figures.sent}", "all"),
        (
            "over SMTP: cases opened for people's mail",
            f"{figures.cases_people} (expected {figures.cases_expected})",
            "equal",
        ),
        ("over SMTP: messages stored for machine mail", f"{figures.cases_machine}", "0"),
        ("parse time per mail, mean / p95 ms", f"{statistics.mean(figures.parse_ms):.2f} / {p95:.2f}", "–"),
    ]
    table = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows)
    misses = "\n".join(f"- {m}" for m in figures.misses) or "- none"
    return (
        "<!-- email-corpus:start -->\n## Real-world email (`python -m bench.email_corpus`)\n\n"
        f"Run on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, code at commit {code_version(ROOT)}.\n\n"
        f"**Machine:** {machine.describe()}.\n\n"
        f"**Corpus:** the {figures.people + figures.machine} fixtures in `tests/data/email` with their "
        "expectations (`expected.json`), written by the project: mail clients (Outlook, Foxmail, QQ Mail, "
        "163, Apple Mail), GBK/GB18030/Big5/Shift_JIS/ISO-2022/UTF-7 bodies and mislabelled charsets, "
        "broken MIME, messy From lines, text before the headers; bounces from Postfix, Exim, qmail, "
        "Sendmail, Exchange, Gmail, QQ, 163 and Sina, plain text and `multipart/report`, a delayed DSN; "
        "RFC 3834, X-Autoreply, Precedence and Chinese out-of-office auto-replies. They show which "
        "shapes are handled, not how often each occurs in real traffic.\n\n"
        "| metric | measured | target |\n|---|---:|---:|\n" + table + "\n\n**Misses:**\n\n" + misses + "\n\n"
        "<!-- email-corpus:end -->\n"
    )


def main() -> None:
    figures = Figures()
    parse_all(figures)
    asyncio.run(over_smtp(figures))
    text = section(figures)
    print(text)
    write_marked_section(DOC, text, MARKED)


if __name__ == "__main__":
    main()
