"""`python -m bench.staffing_history [--database-url URL] [--replications 8] [--search]`: staffing
from the desk's own records, and the platform's router inside the simulation. Prints only.

1. The demo (`services.demo.load_demo`) loaded into a throwaway SQLite database, unless a
   database is given; its last 28 whole days read by `planning.history` and planned hour by
   hour: 80 % of chats answered in 20 s, 80 % of tickets in 1 h.
2. The issue's 6 case types × 10 Erlangs on the 2-skill chain at 68 agents, simulated with the
   built-in fewest-skills rule and with the router (`planning.routed`) under each policy, on
   the same arrivals (common random numbers); with --search also the fewest agents under the
   router's skills policy (a few minutes: the router costs about five times the built-in rule).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from rich.console import Console
from rich.table import Table

from servicedesk.domain.routing_rules import RoutingPolicy, Workload
from servicedesk.planning.history import History, read_history
from servicedesk.planning.routed import RoutedRule
from servicedesk.planning.staffing import (
    Experiment,
    FloorEstimate,
    chain,
    equal_types,
    minimum_agents,
    plan_staffing,
)
from servicedesk.services.demo import load_demo
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade_async
from servicedesk.store.uow import UnitOfWork

AGENTS, KINDS, ERLANGS, HANDLE = 68, 6, 10.0, 180.0
TARGETS = {Workload.CHAT: (0.8, 20.0), Workload.TICKET: (0.8, 3600.0)}


async def demo_history(database_url: str | None, console: Console) -> tuple[History, float, float]:
    """The history and the seconds spent loading the demo (0 for a given database) and reading."""
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}"
        db = Database(Settings(database_url=url))
        try:
            loading = 0.0
            if database_url is None:
                clock = time.perf_counter()
                with console.status("loading the demo…"):
                    await upgrade_async(url)
                    await load_demo(db)
                loading = time.perf_counter() - clock
            clock = time.perf_counter()
            async with UnitOfWork(db, write=False) as uow:
                history = await read_history(uow, days=28)
            return history, loading, time.perf_counter() - clock
        finally:
            await db.dispose()


def plan_table(history: History) -> Table:
    last = history.end.date() - timedelta(days=1)
    table = Table(
        title=f"plan from the {history.days} days {history.start:%Y-%m-%d} – {last} ({history.time_zone})"
    )
    for column in (
        "workload",
        "cases",
        "measured",
        "mean handle s",
        "peak hour",
        "agents at peak",
        "agent-hours",
    ):
        table.add_column(column, justify="right")
    for workload, (target, within) in TARGETS.items():
        demand = history.demand(workload)
        plan = plan_staffing(demand, target=target, within_seconds=within)
        peak = max(plan.rows, key=lambda row: row.arrivals)
        table.add_row(
            workload.value, str(len(history.of(workload))), str(len(history.measured(workload))),
            f"{demand[0].handle_seconds:.0f}", f"{peak.hour} ({peak.arrivals:.2f}/h)", str(peak.agents),
            str(plan.agent_hours),
        )  # fmt: skip
    return table


def routed_comparison(replications: int, console: Console) -> Table:
    types = equal_types(KINDS, erlangs=ERLANGS, handle_seconds=HANDLE)
    names = [kind.name for kind in types]
    table = Table(title=f"{KINDS} types × {ERLANGS:g} E, chain, {AGENTS} agents, {replications} × 100 h")
    for column in ("rule", "worst type SL ± 95 % CI", "SL per type", "ASA s", "occupancy", "seconds"):
        table.add_column(column, justify="right")
    rules: dict[str, RoutedRule | None] = {"fewest skills first (built in)": None}
    rules |= {f"router: {policy.value}": RoutedRule(names, policy) for policy in RoutingPolicy}
    for name, rule in rules.items():
        clock = time.perf_counter()
        with console.status(f"simulating {name}…"):
            floor = Experiment(types, replications=replications, rule=rule).run(chain(AGENTS, KINDS))
        table.add_row(name, *_floor_cells(floor), f"{time.perf_counter() - clock:.1f}")
    return table


def _floor_cells(floor: FloorEstimate) -> list[str]:
    worst = floor.worst
    asa = sum(level.mean for level in floor.asa_seconds) / len(floor.asa_seconds)
    return [
        f"{worst.mean:.3f} ± {worst.half_width:.3f}",
        " ".join(f"{level.mean:.3f}" for level in floor.service_level),
        f"{asa:.1f}",
        f"{floor.occupancy.mean:.1%}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="an existing database instead of a fresh demo")
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument(
        "--search", action="store_true", help="fewest agents under the router's skills policy"
    )
    args = parser.parse_args()
    console = Console()

    history, loading, reading = asyncio.run(demo_history(args.database_url, console))
    if loading:
        console.print(f"demo loaded in {loading:.1f} s")
    console.print(f"history read in {reading * 1000:.0f} ms: {len(history.cases)} cases")
    console.print(plan_table(history))
    console.print(routed_comparison(args.replications, console))
    if args.search:
        types = equal_types(KINDS, erlangs=ERLANGS, handle_seconds=HANDLE)
        rule = RoutedRule([kind.name for kind in types], RoutingPolicy.SKILLS)
        clock = time.perf_counter()
        with console.status("searching the fewest agents under the router…"):
            result = minimum_agents(Experiment(types, rule=rule), chain, target=0.8)
        worst = result.at.worst
        console.print(
            f"router, skills policy, chain: {result.agents} agents (worst type SL {worst.mean:.3f} ± "
            f"{worst.half_width:.3f}; {result.replications} runs over {result.evaluations} staffings) "
            f"in {time.perf_counter() - clock:.0f} s"
        )


if __name__ == "__main__":
    main()
