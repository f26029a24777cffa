"""`servicedesk staffing plan|simulate`: agents needed per hour, and per skill design by simulation.

The planning modules are imported inside the commands: they pull in scipy and simpy, which would
add most of a second to every other `servicedesk` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from servicedesk.planning.staffing import SearchResult, StaffingPlan

staffing_app = typer.Typer(
    help="人力测算 / staffing: Erlang C/A plans and skill-routing simulation", no_args_is_help=True
)
console = Console()

Target = Annotated[float, typer.Option(min=0.01, max=0.99, help="service level to reach, e.g. 0.8")]
Within = Annotated[float, typer.Option(min=0, help="answered within this many seconds")]
Patience = Annotated[
    float | None, typer.Option(min=1, help="mean patience in seconds: Erlang A (abandonment) instead of C")
]


@staffing_app.command("plan")
def plan(
    arrivals: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="CSV: hour, arrivals[, handle_seconds]")
    ],
    aht: Annotated[
        float | None, typer.Option(min=1, help="handle seconds for rows without their own")
    ] = None,
    target: Target = 0.8,
    within: Within = 20.0,
    patience: Patience = None,
    by_hour_of_day: Annotated[bool, typer.Option(help="average several days into one typical day")] = True,
) -> None:
    """Agents needed in each hour of the history to answer `target` within `within` seconds."""
    from servicedesk.planning.staffing import plan_staffing, pool_by_hour_of_day, read_arrivals

    try:
        with arrivals.open(newline="", encoding="utf-8-sig") as lines:
            demand = read_arrivals(lines, default_handle_seconds=aht)
    except ValueError as error:
        console.print(f"[red]{arrivals}: {error}[/red]")
        raise typer.Exit(2) from error
    if by_hour_of_day:
        demand = pool_by_hour_of_day(demand)
    _print_plan(plan_staffing(demand, target=target, within_seconds=within, patience_seconds=patience))


def _print_plan(plan: StaffingPlan) -> None:
    model = "Erlang C" if plan.patience_seconds is None else f"Erlang A, patience {plan.patience_seconds:g} s"
    table = Table(
        title=f"{plan.target:.0%} answered within {plan.within_seconds:g} s ({model})",
        box=SIMPLE_HEAD,
        pad_edge=False,
    )
    columns = ["hour", "calls", "AHT s", "Erl.", "agents", "SL", "ASA s", "occ."]
    if plan.patience_seconds is not None:
        columns.insert(-1, "aband.")
    table.add_column(columns[0], overflow="fold", min_width=10)
    for column in columns[1:]:
        table.add_column(column, justify="right", no_wrap=True)
    for row in plan.rows:
        cells = [
            row.hour, f"{row.arrivals:g}", f"{row.handle_seconds:.0f}", f"{row.load:.2f}", str(row.agents),
            f"{row.service_level:.1%}", f"{row.asa_seconds:.1f}", f"{row.occupancy:.1%}",
        ]  # fmt: skip
        if row.abandonment is not None:
            cells.insert(-1, f"{row.abandonment:.1%}")
        table.add_row(*cells)
    console.print(table)
    console.print(f"{plan.agent_hours} agent-hours")


@staffing_app.command("simulate")
def simulate(
    types: Annotated[int, typer.Option(min=1, max=50, help="case types")] = 6,
    erlangs: Annotated[float, typer.Option(min=0.1, help="load of each type")] = 10.0,
    aht: Annotated[float, typer.Option(min=1, help="mean handle seconds")] = 180.0,
    target: Target = 0.8,
    within: Within = 20.0,
    patience: Patience = None,
    design: Annotated[
        list[str] | None, typer.Option(help="dedicated, chain, full, pairs (repeatable)")
    ] = None,
    hours: Annotated[float, typer.Option(min=1, help="simulated hours per replication")] = 100.0,
    replications: Annotated[int, typer.Option(min=2, help="first replications per staffing")] = 4,
    max_replications: Annotated[int, typer.Option(min=2, help="while the verdict is in doubt")] = 32,
    seed: int = 2026,
) -> None:
    """Fewest agents meeting the target on every case type, for each skill design."""
    from servicedesk.planning.staffing import DESIGNS, Experiment, equal_types, minimum_agents

    chosen = design or ["dedicated", "chain", "full"]
    unknown = sorted(set(chosen) - DESIGNS.keys())
    if unknown:
        console.print(f"[red]unknown design {', '.join(unknown)}; choose from {', '.join(DESIGNS)}[/red]")
        raise typer.Exit(2)
    experiment = Experiment(
        equal_types(types, erlangs=erlangs, handle_seconds=aht), within_seconds=within,
        patience_seconds=patience, hours=hours, replications=replications,
        max_replications=max(max_replications, replications), seed=seed,
    )  # fmt: skip
    results = {}
    for name in chosen:
        with console.status(f"searching {name}…"):
            results[name] = minimum_agents(experiment, DESIGNS[name], target=target)
    for table in search_tables(
        results, title=f"{types} types × {erlangs:g} E, {target:.0%} within {within:g} s"
    ):
        console.print(table)


def search_tables(results: dict[str, SearchResult], *, title: str) -> tuple[Table, Table]:
    """The verdicts, then each type's service level at the minimum. Shared with bench.staffing,
    so the command and the benchmark print the same thing."""
    verdicts = Table(title=title, box=SIMPLE_HEAD)
    verdicts.add_column("design")
    for column in ("agents", "worst type SL ± 95 % CI", "one agent fewer", "occupancy", "runs / staffings"):
        verdicts.add_column(column, justify="right")
    per_type = Table(title="service level of each type at the minimum", box=SIMPLE_HEAD)
    per_type.add_column("design")
    kinds = max((len(result.at.service_level) for result in results.values()), default=0)
    for kind in range(kinds):
        per_type.add_column(f"type {kind + 1}", justify="right")
    for name, result in results.items():
        worst, below = result.at.worst, result.below.worst if result.below else None
        verdicts.add_row(
            name, str(result.agents), f"{worst.mean:.3f} ± {worst.half_width:.3f}",
            f"{below.mean:.3f} ± {below.half_width:.3f}" if below else "–",
            f"{result.at.occupancy.mean:.1%}", f"{result.replications} / {result.evaluations}",
        )  # fmt: skip
        per_type.add_row(name, *(f"{level.mean:.3f}" for level in result.at.service_level))
    return verdicts, per_type
