"""`servicedesk staffing plan|simulate`: agents needed per hour, and per skill design by simulation.

Both read demand from a file or drawn at random, or, with `--from-history`, from the desk's own
database (`history`): the plan from its hourly arrivals and measured handle times, the
simulation by replaying the recorded cases. `--policy` makes the simulation route with the
platform's own router (`routed`) instead of the built-in fewest-skills rule.

The planning modules are imported inside the commands: they pull in scipy and simpy, which would
add most of a second to every other `servicedesk` command.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.box import SIMPLE_HEAD
from rich.console import Console
from rich.table import Table

from servicedesk.domain.labels import label
from servicedesk.domain.routing_rules import RoutingPolicy, Workload
from servicedesk.settings import Settings, get_settings

if TYPE_CHECKING:
    from servicedesk.planning.history import HandleRules, History
    from servicedesk.planning.simulation import RoutingRule
    from servicedesk.planning.staffing import (
        Experiment,
        FloorEstimate,
        HourlyDemand,
        SearchResult,
        StaffingPlan,
    )

staffing_app = typer.Typer(
    help="人力测算 / staffing: Erlang C/A plans and skill-routing simulation", no_args_is_help=True
)
console = Console()

Target = Annotated[float, typer.Option(min=0.01, max=0.99, help="service level to reach, e.g. 0.8")]
Within = Annotated[float, typer.Option(min=0, help="answered within this many seconds")]
Patience = Annotated[
    float | None, typer.Option(min=1, help="mean patience in seconds: Erlang A (abandonment) instead of C")
]
FromHistory = Annotated[
    bool, typer.Option("--from-history", help="arrivals and handle times from the database's cases")
]
Days = Annotated[int, typer.Option(min=1, max=3660, help="whole days of history, ending before --until")]
Until = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="the day after the history (local date); default: today"),
]
DatabaseUrl = Annotated[str | None, typer.Option(help="default: the settings' DATABASE_URL")]
ChatGap = Annotated[float, typer.Option(min=0.1, help="minutes of silence that end a live chat session")]
ChatLead = Annotated[float, typer.Option(min=0, help="seconds of work before a session's first staff reply")]
ChatCap = Annotated[float, typer.Option(min=0.1, help="the most minutes one chat session counts")]
TicketReply = Annotated[float, typer.Option(min=0.1, help="minutes of work per staff reply on a ticket")]


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """0 for Monday, as `date.weekday()`."""
        return list(Weekday).index(self)


@staffing_app.command("plan")
def plan(
    arrivals: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="CSV: hour, arrivals[, handle_seconds]")
    ] = None,
    aht: Annotated[
        float | None, typer.Option(min=1, help="handle seconds for rows without their own")
    ] = None,
    target: Target = 0.8,
    within: Within = 20.0,
    patience: Patience = None,
    by_hour_of_day: Annotated[bool, typer.Option(help="average several days into one typical day")] = True,
    from_history: FromHistory = False,
    days: Days = 28,
    until: Until = None,
    weekday: Annotated[Weekday | None, typer.Option(help="plan one weekday from its own days")] = None,
    database_url: DatabaseUrl = None,
    ticket_target: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="with --from-history: tickets answered …")
    ] = 0.8,
    ticket_within: Annotated[
        float, typer.Option(min=0, help="… within this many seconds (first reply)")
    ] = 3600.0,
    chat_gap: ChatGap = 10.0,
    chat_lead: ChatLead = 60.0,
    chat_cap: ChatCap = 60.0,
    ticket_reply: TicketReply = 5.0,
) -> None:
    """Agents needed in each hour of the history to answer `target` within `within` seconds.

    With --from-history: one typical day (or weekday) of the last --days, chats against the
    chat target (Erlang A with --patience) and tickets against the ticket target (Erlang C:
    an email does not hang up)."""
    from servicedesk.planning.staffing import plan_staffing, pool_by_hour_of_day, read_arrivals

    if (arrivals is None) != from_history:
        console.print("[red]give either --arrivals FILE or --from-history[/red]")
        raise typer.Exit(2)
    if arrivals is None:
        handle = _handle_rules(chat_gap, chat_lead, chat_cap, ticket_reply)
        history, settings = _read_history(database_url, days, until, handle)
        targets = {
            Workload.CHAT: (target, within, patience),
            Workload.TICKET: (ticket_target, ticket_within, None),
        }
        for workload, (level, seconds, wait) in targets.items():
            demand = _history_demand(history, settings, workload, weekday)
            if demand is not None:
                _print_plan(
                    plan_staffing(demand, target=level, within_seconds=seconds, patience_seconds=wait)
                )
        return
    try:
        with arrivals.open(newline="", encoding="utf-8-sig") as lines:
            demand = read_arrivals(lines, default_handle_seconds=aht)
    except ValueError as error:
        console.print(f"[red]{arrivals}: {error}[/red]")
        raise typer.Exit(2) from error
    if by_hour_of_day:
        demand = pool_by_hour_of_day(demand)
    _print_plan(plan_staffing(demand, target=target, within_seconds=within, patience_seconds=patience))


def _settings(database_url: str | None) -> Settings:
    settings = get_settings()
    return settings if database_url is None else settings.model_copy(update={"database_url": database_url})


def _handle_rules(gap: float, lead: float, cap: float, reply: float) -> HandleRules:
    from servicedesk.planning.history import HandleRules

    return HandleRules(
        chat_gap=timedelta(minutes=gap), chat_lead=timedelta(seconds=lead),
        chat_cap=timedelta(minutes=cap), ticket_reply=timedelta(minutes=reply),
    )  # fmt: skip


def _read_history(
    database_url: str | None, days: int, until: datetime | None, handle: HandleRules
) -> tuple[History, Settings]:
    """The cases of the window, or a one-line reason and exit status 1: a wrong URL or an
    unmigrated database is a typing slip, not a crash to report."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from servicedesk.planning.history import read_history
    from servicedesk.store.db import Database
    from servicedesk.store.uow import UnitOfWork

    settings = _settings(database_url)

    async def read() -> History:
        db = Database(settings)
        try:
            async with UnitOfWork(db, write=False) as uow:
                return await read_history(
                    uow, days=days, until=until.date() if until else None, handle_rules=handle
                )
        finally:
            await db.dispose()

    try:
        history = asyncio.run(read())
    except (SQLAlchemyError, OSError) as error:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        console.print(
            f"[red]cannot read the history from {where}: {first}[/red] (migrated? `servicedesk migrate`)"
        )
        raise typer.Exit(1) from error
    if not history.cases:
        console.print(f"[yellow]no case arrived in {_span(history)}: nothing to plan from[/yellow]")
        raise typer.Exit(1)
    return history, settings


def _span(history: History) -> str:
    last = history.end.date() - timedelta(days=1)
    days = "the day" if history.days == 1 else f"the {history.days} days"
    return f"{days} {history.start.date()} – {last} ({history.time_zone})"


def _history_demand(
    history: History, settings: Settings, workload: Workload, weekday: Weekday | None
) -> list[HourlyDemand] | None:
    """The typical day of one workload, after a line saying what it rests on; None (and why)
    when there is nothing to plan. Without one measured handle time the routing setting's
    figure stands in, and the line says so."""
    cases, measured = history.of(workload), history.measured(workload)
    name = label(workload, "en").lower()
    if not cases:
        console.print(f"no {name} in {_span(history)}")
        return None
    try:
        demand = history.demand(
            workload,
            weekday=weekday.number if weekday else None,
            default_handle_seconds=_default_handle(settings, workload),
        )
    except ValueError as error:
        console.print(f"[yellow]{name}: {error}[/yellow]")
        return None
    if weekday is not None:
        days = f"{weekday.value} only, {history.day_count(weekday.number)} of them"
    else:
        days = "every day"
    handle = demand[0].handle_seconds
    how = (
        f"the mean of {len(measured)} measured ({_how(history.handle_rules, workload)})"
        if measured
        else "no case measured yet: the routing setting's figure"
    )
    console.print(
        f"[bold]{name}[/bold]: {len(cases)} in {_span(history)}, {days}; handle {handle:.0f} s, {how}"
    )
    return demand


def _default_handle(settings: Settings, workload: Workload) -> float | None:
    """Seconds from the routing setting that stands in for a handle time until history has one."""
    chat = workload is Workload.CHAT
    minutes = settings.routing_chat_handle_minutes if chat else settings.routing_ticket_handle_minutes
    return minutes * 60 if minutes else None


def _how(rules: HandleRules, workload: Workload) -> str:
    if workload is Workload.CHAT:
        return (
            f"live sessions split at {_minutes(rules.chat_gap)} of silence, "
            f"{rules.chat_lead.total_seconds():g} s lead, capped at {_minutes(rules.chat_cap)}"
        )
    return f"{_minutes(rules.ticket_reply)} per staff reply"


def _minutes(span: timedelta) -> str:
    return f"{span.total_seconds() / 60:g} min"


def _number(value: float) -> str:
    """Arrivals as read: whole numbers bare, averages to two places."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


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
            row.hour, _number(row.arrivals), f"{row.handle_seconds:.0f}", f"{row.load:.2f}", str(row.agents),
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
    policy: Annotated[
        RoutingPolicy | None,
        typer.Option(help="route with the platform's router under this policy; default: fewest skills first"),
    ] = None,
    agents: Annotated[
        int | None, typer.Option(min=1, help="simulate this many agents instead of searching the fewest")
    ] = None,
    from_history: FromHistory = False,
    days: Days = 28,
    until: Until = None,
    database_url: DatabaseUrl = None,
    workload: Annotated[
        Workload, typer.Option(help="with --from-history: which cases to replay")
    ] = Workload.CHAT,
    chat_gap: ChatGap = 10.0,
    chat_lead: ChatLead = 60.0,
    chat_cap: ChatCap = 60.0,
    ticket_reply: TicketReply = 5.0,
) -> None:
    """Fewest agents meeting the target on every case type, for each skill design.

    Without --from-history: `types` Poisson streams of `erlangs` each. With it: the recorded
    cases of one workload replayed as they arrived, one case type per ticket type, on a floor
    staffed the same round the clock (so quiet nights lift the service level: plan the hours
    with `plan --from-history`)."""
    from servicedesk.planning.staffing import DESIGNS

    chosen = design or ["dedicated", "chain", "full"]
    unknown = sorted(set(chosen) - DESIGNS.keys())
    if unknown:
        console.print(f"[red]unknown design {', '.join(unknown)}; choose from {', '.join(DESIGNS)}[/red]")
        raise typer.Exit(2)
    run = _Run(within, patience, replications, max(replications, max_replications), seed, policy)
    if from_history:
        handle = _handle_rules(chat_gap, chat_lead, chat_cap, ticket_reply)
        experiment, names, title = _replay(database_url, days, until, handle, workload, run)
    else:
        experiment, names = _poisson(types, erlangs, aht, hours, run)
        title = f"{types} types × {erlangs:g} E"
    rule = "fewest skills first" if policy is None else f"router: {label(policy, 'en').lower()}"
    title += f", {target:.0%} within {within:g} s, {rule}"
    clock = time.perf_counter()
    if agents is not None:
        console.print(
            _floor_table(_floors(experiment, chosen, agents), names, title=f"{title}, {agents} agents")
        )
    else:
        results = _searches(experiment, chosen, target)
        for table in (*search_tables(results, title=title, names=names), _asa_table(results, names)):
            console.print(table)
    console.print(f"{time.perf_counter() - clock:.1f} s")


@dataclass(frozen=True)
class _Run:
    """The simulate options both sources of arrivals share."""

    within: float
    patience: float | None
    replications: int
    max_replications: int
    seed: int
    policy: RoutingPolicy | None


def _poisson(types: int, erlangs: float, aht: float, hours: float, run: _Run) -> tuple[Experiment, list[str]]:
    from servicedesk.planning.staffing import Experiment, equal_types

    kinds = equal_types(types, erlangs=erlangs, handle_seconds=aht)
    names = [kind.name for kind in kinds]
    experiment = Experiment(
        kinds, within_seconds=run.within, patience_seconds=run.patience, hours=hours,
        replications=run.replications, max_replications=run.max_replications, seed=run.seed,
        rule=_rule(names, run.policy, Workload.CHAT),
    )  # fmt: skip
    return experiment, names


def _replay(
    database_url: str | None, days: int, until: datetime | None, handle: HandleRules, workload: Workload,
    run: _Run,
) -> tuple[Experiment, list[str], str]:  # fmt: skip
    from servicedesk.planning.history import recorded, replay_experiment

    history, settings = _read_history(database_url, days, until, handle)
    try:
        recording = recorded(history, workload, default_handle_seconds=_default_handle(settings, workload))
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    name = label(workload, "en").lower()
    if not recording.arrivals:
        console.print(f"[yellow]no {name} in {_span(history)}: nothing to replay[/yellow]")
        raise typer.Exit(1)
    names = [kind.value for kind in recording.ticket_types]
    experiment = replay_experiment(
        recording, within_seconds=run.within, patience_seconds=run.patience, replications=run.replications,
        max_replications=run.max_replications, seed=run.seed, rule=_rule(names, run.policy, workload),
    )  # fmt: skip
    return experiment, names, f"replay of {len(recording.arrivals)} {name} in {_span(history)}"


def _rule(names: list[str], policy: RoutingPolicy | None, workload: Workload) -> RoutingRule | None:
    from servicedesk.planning.routed import RoutedRule

    return None if policy is None else RoutedRule(names, policy, workload=workload)


def _floors(experiment: Experiment, chosen: list[str], agents: int) -> dict[str, FloorEstimate]:
    from servicedesk.planning.staffing import DESIGNS

    kinds, floors = len(experiment.types), {}
    for name in chosen:
        with console.status(f"simulating {name}…"):
            floors[name] = experiment.run(DESIGNS[name](agents, kinds))
    return floors


def _searches(experiment: Experiment, chosen: list[str], target: float) -> dict[str, SearchResult]:
    from servicedesk.planning.staffing import DESIGNS, minimum_agents

    results = {}
    for name in chosen:
        with console.status(f"searching {name}…"):
            results[name] = minimum_agents(experiment, DESIGNS[name], target=target)
    return results


def _floor_table(floors: dict[str, FloorEstimate], names: list[str], *, title: str) -> Table:
    table = Table(title=title, box=SIMPLE_HEAD)
    for column in ("design", "type", "SL ± 95 % CI", "ASA s", "abandoned", "occupancy"):
        table.add_column(column, justify="left" if column in ("design", "type") else "right")
    for design, floor in floors.items():
        for kind, name in enumerate(names):
            level = floor.service_level[kind]
            table.add_row(
                design if kind == 0 else "", name, f"{level.mean:.3f} ± {level.half_width:.3f}",
                f"{floor.asa_seconds[kind].mean:.1f}", f"{floor.abandonment[kind].mean:.1%}",
                f"{floor.occupancy.mean:.1%}" if kind == 0 else "",
            )  # fmt: skip
    return table


def _asa_table(results: dict[str, SearchResult], names: list[str]) -> Table:
    table = Table(title="mean wait (ASA, s) of each type at the minimum", box=SIMPLE_HEAD)
    table.add_column("design")
    for name in names:
        table.add_column(name, justify="right")
    for design, result in results.items():
        table.add_row(design, *(f"{asa.mean:.1f}" for asa in result.at.asa_seconds))
    return table


def search_tables(
    results: dict[str, SearchResult], *, title: str, names: list[str] | None = None
) -> tuple[Table, Table]:
    """The verdicts, then each type's service level at the minimum. Shared with bench.staffing,
    so the command and the benchmark print the same thing; types are "type 1"… unless named."""
    verdicts = Table(title=title, box=SIMPLE_HEAD)
    verdicts.add_column("design")
    for column in ("agents", "worst type SL ± 95 % CI", "one agent fewer", "occupancy", "runs / staffings"):
        verdicts.add_column(column, justify="right")
    per_type = Table(title="service level of each type at the minimum", box=SIMPLE_HEAD)
    per_type.add_column("design")
    kinds = max((len(result.at.service_level) for result in results.values()), default=0)
    for kind in range(kinds):
        per_type.add_column(names[kind] if names else f"type {kind + 1}", justify="right")
    for name, result in results.items():
        worst, below = result.at.worst, result.below.worst if result.below else None
        verdicts.add_row(
            name, str(result.agents), f"{worst.mean:.3f} ± {worst.half_width:.3f}",
            f"{below.mean:.3f} ± {below.half_width:.3f}" if below else "–",
            f"{result.at.occupancy.mean:.1%}", f"{result.replications} / {result.evaluations}",
        )  # fmt: skip
        per_type.add_row(name, *(f"{level.mean:.3f}" for level in result.at.service_level))
    return verdicts, per_type
