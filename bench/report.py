"""The figures, next to their targets: a Rich table on the terminal and a Markdown section in
docs/benchmarks.md (replaced on every full run, the rest of the file left alone)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.docs import write_marked_section
from bench.load import PhaseResult
from bench.machine import Machine
from bench.seed import SeedResult

CREATE_TARGET = {"sqlite": 300.0, "postgresql": 600.0}
P95_TARGET_MS = 50.0
RSS_TARGET_MB = 300.0
LABEL = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

HEADING = "## HTTP benchmark (`python -m bench.http`)"
BEGIN, END = "<!-- bench.http: begin (generated, replaced on every run) -->", "<!-- bench.http: end -->"

SCALE_NOTE = (
    "For scale, on this machine: the disk allows about 260 fsync'd commits/s from one client; "
    "SQLite in WAL mode with synchronous=NORMAL (no fsync per commit) about 22,000 single-row "
    "commits/s; PostgreSQL groups concurrent commits into one fsync (pgbench: 2,300 tps at 8 "
    "clients, 3,900 at 32). So neither creation target is bound by the disk: a ticket creation "
    "is one transaction."
)


@dataclass
class DbRun:
    kind: str
    workers: int
    settings: str
    version: str
    seed: SeedResult | None = None
    create: PhaseResult | None = None
    reads: list[PhaseResult] = field(default_factory=list)
    rss_peak_mb: float = math.nan
    rss_peak_process_mb: float = math.nan
    processes: int = 0
    connection_spread: list[int] = field(default_factory=list)
    natural_spread: list[int] = field(default_factory=list)
    error: str | None = None

    @property
    def label(self) -> str:
        return LABEL[self.kind]


@dataclass
class Report:
    started: datetime
    machine: Machine
    tickets: int
    concurrency: int
    duration_s: float
    requests: int
    read_cap_s: float
    runs: list[DbRun]
    code: str = ""


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else (f"{value:.0f}" if value >= 100 else f"{value:.1f}")


def _lat(phase: PhaseResult) -> str:
    return f"{_ms(phase.p(50))} / {_ms(phase.p(95))} / {_ms(phase.p(99))}"


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def create_cell(run: DbRun) -> tuple[str, bool | None]:
    phase = run.create
    if phase is None:
        return "–", None
    ok = phase.rate >= CREATE_TARGET[run.kind] and phase.errors == 0
    errors = f", {phase.errors} errors" if phase.errors else ""
    return f"{phase.rate:,.0f}/s{errors}", ok


def read_cell(phase: PhaseResult | None) -> tuple[str, bool | None]:
    if phase is None:
        return "–", None
    ok = phase.p(95) < P95_TARGET_MS and phase.errors == 0
    errors = f" ({phase.errors} errors)" if phase.errors else ""
    return _lat(phase) + errors, ok


def rss_cell(run: DbRun) -> tuple[str, bool | None]:
    if math.isnan(run.rss_peak_mb):
        return "–", None
    text = f"{run.rss_peak_mb:.0f} MB"
    if run.processes > 1:
        text += f" ({run.processes} processes, largest {run.rss_peak_process_mb:.0f} MB)"
    return text, run.rss_peak_mb < RSS_TARGET_MB


def _read_keys(report: Report) -> list[tuple[str, int]]:
    keys: list[tuple[str, int]] = []
    for run in report.runs:
        for phase in run.reads:
            if (phase.name, phase.concurrency) not in keys:
                keys.append((phase.name, phase.concurrency))
    return keys


def _find(run: DbRun, name: str, concurrency: int) -> PhaseResult | None:
    return next((p for p in run.reads if p.name == name and p.concurrency == concurrency), None)


def summary_rows(report: Report) -> list[tuple[str, str, list[tuple[str, bool | None]]]]:
    """(metric, target, one cell per run) for every figure."""
    rows: list[tuple[str, str, list[tuple[str, bool | None]]]] = []
    target = " · ".join(f"≥ {CREATE_TARGET[r.kind]:.0f}/s {r.label}" for r in report.runs)
    rows.append(
        (f"ticket creation, {report.concurrency} clients", target, [create_cell(r) for r in report.runs])
    )
    rows.append((
        "creation latency", "–",
        [((_lat(r.create), None) if r.create else ("–", None)) for r in report.runs],
    ))  # fmt: skip
    for name, concurrency in _read_keys(report):
        rows.append((
            f"{name}, c={concurrency}", f"p95 < {P95_TARGET_MS:.0f} ms",
            [read_cell(_find(r, name, concurrency)) for r in report.runs],
        ))  # fmt: skip
    rows.append(("peak server RSS", f"< {RSS_TARGET_MB:.0f} MB", [rss_cell(r) for r in report.runs]))
    return rows


def print_table(console: Console, report: Report) -> None:
    table = Table(
        title=f"HTTP benchmark, {report.tickets:,} tickets, {report.concurrency} clients",
        caption="latencies: p50 / p95 / p99 ms, seen by the client",
    )
    table.add_column("metric")
    table.add_column("target")
    for run in report.runs:
        table.add_column(
            f"{run.label} ({run.workers} worker{'s' if run.workers > 1 else ''})", justify="right"
        )
    for metric, target, cells in summary_rows(report):
        rendered = []
        for text, ok in cells:
            colour = "" if ok is None else ("green" if ok else "red")
            rendered.append(f"[{colour}]{text}[/{colour}]" if colour else text)
        table.add_row(metric, target, *rendered)
    console.print(table)
    for run in report.runs:
        if run.error:
            console.print(f"[red]{run.label} failed:[/red] {run.error}")


def _verdicts(report: Report) -> list[str]:
    lines = []
    for run in report.runs:
        if run.error:
            lines.append(f"- **{run.label}: the run failed** — {run.error}")
            continue
        text, ok = create_cell(run)
        lines.append(
            f"- {run.label} creation: {text} against ≥ {CREATE_TARGET[run.kind]:.0f}/s — "
            f"**{'met' if ok else 'missed'}**."
        )
        reads = [(p, read_cell(p)[1]) for p in run.reads]
        missed = [f"{p.name} at c={p.concurrency} (p95 {_ms(p.p(95))} ms)" for p, ok in reads if not ok]
        met = sum(1 for _p, ok in reads if ok)
        if missed:
            lines.append(
                f"- {run.label} list/search p95 < {P95_TARGET_MS:.0f} ms: met in {met} of {len(reads)} "
                f"phases; **missed** in: " + "; ".join(missed) + "."
            )
        else:
            lines.append(
                f"- {run.label} list/search p95 < {P95_TARGET_MS:.0f} ms: **met** in all {len(reads)}."
            )
        rss_text, rss_ok = rss_cell(run)
        lines.append(f"- {run.label} server RSS: {rss_text} — **{'met' if rss_ok else 'missed'}**.")
    return lines


def _detail_table(run: DbRun) -> list[str]:
    pg = run.kind == "postgresql"
    head = "| phase | clients | requests | errors | req/s | p50 ms | p95 ms | p99 ms | server CPU |"
    rule = "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    if pg:
        head, rule = head + " PostgreSQL CPU |", rule + "---:|"
    head, rule = head + " client CPU | other CPU |", rule + "---:|---:|"
    lines = [head, rule]
    phases = ([run.create] if run.create else []) + run.reads
    for p in phases:

        def cores(seconds: float, p: PhaseResult = p) -> str:
            return f"{seconds / p.elapsed_s:.2f} cores" if p.elapsed_s else "–"

        row = (
            f"| {p.name} | {p.concurrency} | {p.total:,} | {p.errors} | {p.rate:,.0f} | {_ms(p.p(50))} | "
            f"{_ms(p.p(95))} | {_ms(p.p(99))} | {cores(p.server_cpu_s)} |"
        )
        row += f" {cores(p.db_cpu_s)} |" if pg else ""
        lines.append(row + f" {cores(p.client_cpu_s)} | {cores(p.other_cpu_s)} |")
    return lines


def markdown(report: Report) -> str:
    m = report.machine
    lines = [
        HEADING,
        "",
        BEGIN,
        "",
        f"Run on {report.started:%Y-%m-%d %H:%M %Z}, code at commit {report.code}.",
        "",
        f"**Machine:** {m.cpu}, {m.cores} cores, {m.ram_gb:.0f} GB RAM, {m.os}; Python {m.python}; "
        f"SQLite {m.sqlite}"
        + "".join(f"; PostgreSQL {r.version}" for r in report.runs if r.kind == "postgresql")
        + ".",
        "",
        "**Settings:**",
        "",
        f"- {report.tickets:,} seeded tickets (plus one conversation, one inbound message and one "
        f"`ticket.created` event each, tags on ~30 %), {max(10, report.tickets // 10):,} customers, "
        "5 teams, 25 agents; ids grow with creation time over the last 90 days.",
        f"- {report.concurrency} concurrent clients (httpx, one keep-alive connection each), closed loop, "
        "in one process on the same machine as the server and the database.",
        f"- creation: POST /api/v1/tickets for {report.duration_s:.0f} s; every read phase: up to "
        f"{report.requests} requests, at most {report.read_cap_s:.0f} s, at 1 and at "
        f"{report.concurrency} clients; list pages 25 items; an admin token (sees everything) except "
        "the agent inbox row (agent of one team).",
    ]
    for run in report.runs:
        lines.append(
            f"- {run.label}: `servicedesk serve --workers {run.workers}`; {run.settings}"
            + (f"; seeded in {run.seed.seconds:.1f} s" if run.seed else "")
            + (
                f"; the {report.concurrency} keep-alive connections per worker: "
                + " / ".join(str(n) for n in run.natural_spread)
                + " as the kernel spread them, "
                + " / ".join(str(n) for n in run.connection_spread)
                + " while measuring"
                if run.workers > 1
                else ""
            )
            + "."
        )
    lines += ["", "**Results** (latencies are seen by the client, in ms):", ""]
    lines.append(
        "| metric | target | " + " | ".join(f"{r.label} ({r.workers} w)" for r in report.runs) + " |"
    )
    lines.append("|---|---|" + "---:|" * len(report.runs))
    for metric, target, cells in summary_rows(report):
        shown = [text if ok is None else f"{text} {_mark(ok)}" for text, ok in cells]
        lines.append(f"| {metric} | {target} | " + " | ".join(shown) + " |")
    lines += ["", "**Targets:**", "", *_verdicts(report), "", SCALE_NOTE, ""]
    for run in report.runs:
        if run.create or run.reads:
            lines += [
                f"**{run.label} detail** (CPU: average cores busy during the phase; *other* is everything "
                "else on the machine, i.e. outside interference):",
                "",
            ]
            lines += [*_detail_table(run), ""]
    lines += [END, ""]
    return "\n".join(lines)


def write_section(path: Path, section: str) -> None:
    """Put `section` in place of the previous HTTP section, or append it."""
    marked = re.compile(
        re.escape(HEADING) + r"\s*\n" + re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S
    )
    write_marked_section(path, section, marked, heading=HEADING)
