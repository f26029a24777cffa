"""`python -m bench.staffing`: the issue's Erlang C/A reference figures, a simulation check of
both formulas, and the fewest agents per skill design for 6 case types × 10 Erlangs, into
docs/benchmarks.md (its staffing section)."""

from __future__ import annotations

import argparse
import re
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.planning.cli import search_tables
from servicedesk.planning.erlang import Performance, agents_needed, performance
from servicedesk.planning.simulation import CaseType
from servicedesk.planning.staffing import (
    DESIGNS,
    Experiment,
    FloorEstimate,
    SearchResult,
    equal_types,
    minimum_agents,
)

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- staffing:start -->"
END = "<!-- staffing:end -->"
HANDLE, WITHIN, TARGET, PATIENCE = 180.0, 20.0, 0.8, 180.0
CHECK_REPLICATIONS = 16


@dataclass(frozen=True)
class Reference:
    name: str
    expected: str
    formula: Performance
    simulated: Experiment
    seconds: float


def references() -> list[Reference]:
    """10 Erlangs at 80/20: the issue's figures, each checked against a simulated M/M/n(+M)."""
    rows = []
    for name, patience, expected in (
        ("Erlang C", None, "14 agents, SL 0.888, ASA 7.8 s"),
        ("Erlang A, patience 180 s", PATIENCE, "12 agents"),
    ):
        clock = time.perf_counter()
        agents = agents_needed(
            load=10.0, handle_seconds=HANDLE, target=TARGET, within_seconds=WITHIN, patience_seconds=patience
        )
        formula = performance(
            agents, load=10.0, handle_seconds=HANDLE, within_seconds=WITHIN, patience_seconds=patience
        )
        seconds = time.perf_counter() - clock
        experiment = Experiment((CaseType("one", 10.0 / HANDLE, HANDLE),), patience_seconds=patience, seed=7)
        rows.append(Reference(name, expected, formula, experiment, seconds))
    return rows


def large_scale() -> tuple[int, int, float]:
    """500 Erlangs, where factorials would overflow: agents by Erlang C and A, and the time."""
    clock = time.perf_counter()
    common = {"load": 500.0, "handle_seconds": HANDLE, "target": TARGET, "within_seconds": WITHIN}
    c, a = agents_needed(**common), agents_needed(**common, patience_seconds=PATIENCE)
    return c, a, time.perf_counter() - clock


def markdown(
    refs: list[Reference], checks: list[FloorEstimate], large: tuple[int, int, float],
    searches: dict[str, tuple[SearchResult, float]], experiment: Experiment, started: datetime,
) -> str:  # fmt: skip
    lines = [
        BEGIN, "", "## Staffing: Erlang C/A and skill-routing simulation (`python -m bench.staffing`)", "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}.", "",
        f"**Machine:** {this_machine().describe()}. Other work shared the two cores during the run.", "",
        *_reference_lines(refs, checks, large), "", *_search_lines(searches, experiment), "",
        *ANALYSIS, "", END, "",
    ]  # fmt: skip
    return "\n".join(lines)


def _reference_lines(
    refs: list[Reference], checks: list[FloorEstimate], large: tuple[int, int, float]
) -> list[str]:
    lines = [
        "Service level (SL) is *answered within 20 s over all arrivals*: an abandoned contact is a miss "
        "even when it gave up sooner. ASA is the mean wait of answered contacts. Mean handle time 180 s. "
        f"The simulated columns run {CHECK_REPLICATIONS} × 100 h of one queue at the formula's staffing.",
        "", "| 10 Erlangs, 80/20 | issue expects | agents | SL | ASA s | abandoned | "
        "simulated SL (95 % CI) | simulated ASA s | simulated abandoned | formula ms |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for ref, check in zip(refs, checks, strict=True):
        f, sl = ref.formula, check.service_level[0]
        lines.append(
            f"| {ref.name} | {ref.expected} | {f.agents} | {f.service_level:.4f} | {f.asa_seconds:.2f} | "
            f"{f.abandonment:.2%} | {sl.mean:.4f} ± {sl.half_width:.4f} | {check.asa_seconds[0].mean:.2f} | "
            f"{check.abandonment[0].mean:.2%} | {ref.seconds * 1000:.1f} |"
        )
    c, a, seconds = large
    return [
        *lines, "",
        f"At 500 Erlangs the same target needs {c} agents (Erlang C) or {a} (Erlang A, patience 180 s), "
        f"found in {seconds * 1000:.0f} ms: Erlang B by recursion and incomplete gamma ratios in log "
        "space, so nothing overflows.",
    ]  # fmt: skip


def _search_lines(searches: dict[str, tuple[SearchResult, float]], experiment: Experiment) -> list[str]:
    lines = [
        "**Simulation** (simpy): 6 case types × 10 Erlangs, Poisson arrivals, exponential handle times, "
        f"no abandonment. Each staffing is simulated for {experiment.hours:g} h after a "
        f"{experiment.warmup_hours:g} h warm-up, {experiment.replications} replications at first and up to "
        f"{experiment.max_replications} while the verdict is in doubt (no type surely short and not every "
        "type surely above 0.8 at 95 %); replication *r* has the same seed for every staffing (common "
        "random numbers). Routing: an arriving case goes to the idle agent with the fewest skills, then "
        "the longest idle; a freed agent takes the longest-waiting case among its skills. The verdict: the "
        "mean SL of every type ≥ 0.8.", "",
        "| design | agents needed | worst type SL ± 95 % CI | with one agent fewer | SL per type | "
        "occupancy | runs / staffings tried | seconds |",
        "|---|---:|---:|---:|---|---:|---:|---:|",
    ]  # fmt: skip
    for name, (result, seconds) in searches.items():
        worst, below = result.at.worst, result.below.worst if result.below else None
        per_type = " · ".join(f"{level.mean:.3f}" for level in result.at.service_level)
        fewer = f"{below.mean:.3f} ± {below.half_width:.3f}" if below else "–"
        lines.append(
            f"| {DESCRIPTIONS[name]} | {result.agents} | {worst.mean:.3f} ± {worst.half_width:.3f} | "
            f"{fewer} | {per_type} | {result.at.occupancy.mean:.1%} | "
            f"{result.replications} / {result.evaluations} | {seconds:.0f} |"
        )
    total = sum(seconds for _result, seconds in searches.values())
    return [*lines, "", f"The searches took {total:.0f} s in all."]


DESCRIPTIONS = {
    "dedicated": "dedicated (one skill each)",
    "chain": "2 skills, chain (1,2),(2,3)…(6,1)",
    "full": "full cross-training (all 6)",
    "pairs": "2 skills, closed pairs (1,2),(3,4),(5,6)",
}

ANALYSIS = [
    "**Reading it.** The issue expects no more than 70 agents with 2-skill agents, against 84 dedicated and "
    "67 fully cross-trained. The chain reaches nearly all of full pooling's benefit with only two skills "
    "per agent; the same two skills in closed pairs only pool three queues of 20 Erlangs (Erlang C: 24 "
    "each, 72). Full cross-training is a single M/M/n queue of 60 Erlangs, for which Erlang C gives 66 "
    "(SL 0.823) and 65 (SL 0.759): the issue's 67 is one more than the formula needs under this SL "
    "definition. Where the true SL lies within about 0.01 of 0.8 (dedicated with one pool of 13: Erlang C "
    "0.796; closed pairs at 24 a pool: 0.809), even 32 × 100 h may not put the whole interval on one side, "
    "and the verdict rests on the mean; for those two designs Erlang C per pool is exact and settles it. "
    "Because the verdict asks every one of six noisy estimates to clear 0.8, it leans towards one agent "
    "more when the true SL of several types is just above the target.",
]


def simulated_check(ref: Reference) -> FloorEstimate:
    return ref.simulated.run([frozenset({0})] * ref.formula.agents, replications=CHECK_REPLICATIONS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--designs", nargs="+", default=list(DESIGNS), choices=list(DESIGNS))
    parser.add_argument("--hours", type=float, default=100.0, help="simulated hours per replication")
    args = parser.parse_args()
    console = Console()
    started = datetime.now().astimezone()

    refs = references()
    checks = []
    for ref in refs:
        check = simulated_check(ref)
        f, sl = ref.formula, check.service_level[0]
        console.print(
            f"{ref.name}: {f.agents} agents, SL {f.service_level:.4f}, ASA {f.asa_seconds:.2f} s, "
            f"abandoned {f.abandonment:.2%} (issue: {ref.expected}); simulated SL {sl.mean:.4f} ± "
            f"{sl.half_width:.4f}, ASA {check.asa_seconds[0].mean:.2f} s"
        )
        checks.append(check)
    large = large_scale()
    console.print(f"500 Erlangs: {large[0]} agents (C), {large[1]} (A) in {large[2] * 1000:.0f} ms")

    experiment = Experiment(equal_types(6, erlangs=10.0, handle_seconds=HANDLE), hours=args.hours)
    searches: dict[str, tuple[SearchResult, float]] = {}
    for name in args.designs:
        clock = time.perf_counter()
        with console.status(f"searching {name}…"):
            result = minimum_agents(experiment, DESIGNS[name], target=TARGET)
        searches[name] = (result, time.perf_counter() - clock)
        console.print(f"{name}: {result.agents} agents in {searches[name][1]:.0f} s")
    for table in search_tables(
        {name: pair[0] for name, pair in searches.items()}, title="6 types × 10 E, 80/20"
    ):
        console.print(table)

    marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
    write_marked_section(args.docs, markdown(refs, checks, large, searches, experiment, started), marked)
    console.print(f"wrote the staffing section of {args.docs}")


if __name__ == "__main__":
    main()
