"""How many agents: per hour from history (Erlang C or A), and for multi-skill floors by simulation.

The hourly plan treats each hour as stationary and independent, as workforce tools do; within
an hour the analytic formulas are exact for Poisson arrivals and exponential handle times and
patience. Skill designs have no closed form, so `minimum_agents` searches with `simulation`.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from scipy.special import stdtrit

from servicedesk.planning.erlang import agents_needed, performance
from servicedesk.planning.simulation import (
    CaseType,
    RoutingRule,
    SimulationResult,
    poisson_arrivals,
    simulate,
)

HOUR = 3600.0


@dataclass(frozen=True)
class HourlyDemand:
    """One interval of history: its label (an ISO time or an hour of day), arrivals, mean handle."""

    hour: str
    arrivals: float
    handle_seconds: float


@dataclass(frozen=True)
class PlanRow:
    hour: str
    arrivals: float
    handle_seconds: float
    load: float
    agents: int
    service_level: float
    asa_seconds: float
    abandonment: float | None
    occupancy: float


@dataclass(frozen=True)
class StaffingPlan:
    target: float
    within_seconds: float
    patience_seconds: float | None
    rows: tuple[PlanRow, ...]

    @property
    def agent_hours(self) -> int:
        return sum(row.agents for row in self.rows)


def plan_staffing(
    demand: Iterable[HourlyDemand],
    *,
    target: float,
    within_seconds: float,
    patience_seconds: float | None = None,
    interval_seconds: float = HOUR,
) -> StaffingPlan:
    """The fewest agents for each interval to reach `target` answered within `within_seconds`."""
    rows = tuple(_plan_row(d, target, within_seconds, patience_seconds, interval_seconds) for d in demand)
    return StaffingPlan(target, within_seconds, patience_seconds, rows)


def _plan_row(
    demand: HourlyDemand, target: float, within: float, patience: float | None, interval: float
) -> PlanRow:
    load = demand.arrivals * demand.handle_seconds / interval
    agents = agents_needed(
        load=load,
        handle_seconds=demand.handle_seconds,
        target=target,
        within_seconds=within,
        patience_seconds=patience,
    )
    result = performance(
        agents,
        load=load,
        handle_seconds=demand.handle_seconds,
        within_seconds=within,
        patience_seconds=patience,
    )
    abandonment = result.abandonment if patience is not None else None
    return PlanRow(
        demand.hour, demand.arrivals, demand.handle_seconds, load, agents,
        result.service_level, result.asa_seconds, abandonment, result.occupancy,
    )  # fmt: skip


def pool_by_hour_of_day(history: Iterable[HourlyDemand]) -> list[HourlyDemand]:
    """Several days of history become one typical day: rows whose label is an ISO date-time are
    grouped by hour of day ("09:00"), other labels by themselves; arrivals are averaged over the
    rows of a group and handle time weighted by arrivals, so a busy day counts for more."""
    groups: dict[str, list[HourlyDemand]] = defaultdict(list)
    for row in history:
        groups[_hour_key(row.hour)].append(row)
    pooled = []
    for key, rows in groups.items():
        arrivals = sum(row.arrivals for row in rows)
        handle = sum(row.arrivals * row.handle_seconds for row in rows) / arrivals if arrivals else 0.0
        pooled.append(HourlyDemand(key, arrivals / len(rows), handle or rows[0].handle_seconds))
    return sorted(pooled, key=lambda row: row.hour)


def _hour_key(label: str) -> str:
    try:
        return f"{datetime.fromisoformat(label).hour:02d}:00"
    except ValueError:
        return label


def read_arrivals(lines: Iterable[str], *, default_handle_seconds: float | None) -> list[HourlyDemand]:
    """CSV with a header: `hour`, `arrivals` and optionally `handle_seconds` (or `aht`); rows
    without a handle time take the default. Errors name the line, since these files are typed
    or exported by hand."""
    reader = csv.DictReader(lines)
    fields = {name.strip().lower() for name in reader.fieldnames or ()}
    if not {"hour", "arrivals"} <= fields:
        raise ValueError("the arrivals CSV needs a header with at least `hour` and `arrivals`")
    rows = []
    for line, raw in enumerate(reader, start=2):
        record = {(key or "").strip().lower(): (value or "").strip() for key, value in raw.items()}
        rows.append(_demand(record, line, default_handle_seconds))
    return rows


def _demand(record: dict[str, str], line: int, default_handle: float | None) -> HourlyDemand:
    handle_text = record.get("handle_seconds") or record.get("aht") or ""
    try:
        arrivals = float(record["arrivals"])
        handle = float(handle_text) if handle_text else default_handle
    except ValueError as error:
        raise ValueError(f"line {line}: not a number ({error})") from error
    if handle is None:
        raise ValueError(f"line {line}: no handle time in the file and no default given")
    if not (math.isfinite(arrivals) and arrivals >= 0 and math.isfinite(handle) and handle > 0):
        raise ValueError(f"line {line}: arrivals must be ≥ 0 and handle time > 0")
    return HourlyDemand(record["hour"], arrivals, handle)


Design = Callable[[int, int], list[frozenset[int]]]
"""(agents, case types) → one skill set per agent."""


def dedicated(agents: int, kinds: int) -> list[frozenset[int]]:
    return _pools([frozenset({kind}) for kind in range(kinds)], agents)


def chain(agents: int, kinds: int) -> list[frozenset[int]]:
    """Two skills each, pools (0,1), (1,2) … (k−1,0): every type reaches every other through a
    closed chain, which captures most of the benefit of full cross-training (Jordan & Graves)."""
    return _pools([frozenset({kind, (kind + 1) % kinds}) for kind in range(kinds)], agents)


def disjoint_pairs(agents: int, kinds: int) -> list[frozenset[int]]:
    """Two skills each but in closed pairs (0,1), (2,3) …: the contrast that shows why the chain
    matters."""
    return _pools([frozenset({kind, min(kind + 1, kinds - 1)}) for kind in range(0, kinds, 2)], agents)


def full_cross_training(agents: int, kinds: int) -> list[frozenset[int]]:
    return [frozenset(range(kinds))] * agents


DESIGNS: dict[str, Design] = {
    "dedicated": dedicated,
    "chain": chain,
    "full": full_cross_training,
    "pairs": disjoint_pairs,
}


def equal_types(kinds: int, *, erlangs: float, handle_seconds: float) -> tuple[CaseType, ...]:
    """The issue's benchmark floor: `kinds` case types each offering the same load."""
    rate = erlangs / handle_seconds
    return tuple(CaseType(f"type {kind + 1}", rate, handle_seconds) for kind in range(kinds))


def _pools(pools: Sequence[frozenset[int]], agents: int) -> list[frozenset[int]]:
    """Agents spread as evenly as the count allows, the extra ones at evenly spaced pools so
    that no stretch of the chain gets all the slack."""
    base, extra = divmod(agents, len(pools))
    lucky = {round(i * len(pools) / extra) for i in range(extra)} if extra else set()
    return [pool for index, pool in enumerate(pools) for _ in range(base + (index in lucky))]


@dataclass(frozen=True)
class Estimate:
    """Mean over replications with the half-width of its 95 % confidence interval (Student's t:
    a search starts with few replications, where the normal quantile would be overconfident)."""

    mean: float
    half_width: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Estimate:
        if len(values) < 2:
            return cls(values[0], math.inf)
        quantile = float(stdtrit(len(values) - 1, 0.975))
        return cls(statistics.fmean(values), quantile * statistics.stdev(values) / math.sqrt(len(values)))


@dataclass(frozen=True)
class FloorEstimate:
    agents: int
    replications: int
    service_level: tuple[Estimate, ...]
    asa_seconds: tuple[Estimate, ...]
    abandonment: tuple[Estimate, ...]
    occupancy: Estimate

    def meets(self, target: float) -> bool:
        return all(level.mean >= target for level in self.service_level)

    def decided(self, target: float) -> bool:
        """Some type is surely short of the target, or every type surely meets it."""
        levels = self.service_level
        short = any(level.mean + level.half_width < target for level in levels)
        return short or all(level.mean - level.half_width >= target for level in levels)

    @property
    def worst(self) -> Estimate:
        return min(self.service_level, key=lambda level: level.mean)


@dataclass(frozen=True)
class Experiment:
    """How a floor is simulated: hours counted per replication after a warm-up, fixed seeds.
    Replication r uses seed + r whatever the staffing (common random numbers); a search adds
    replications, up to `max_replications`, only where a verdict is still in doubt."""

    types: tuple[CaseType, ...]
    within_seconds: float = 20.0
    patience_seconds: float | None = None
    hours: float = 100.0
    warmup_hours: float = 1.0
    replications: int = 4
    max_replications: int = 32
    seed: int = 2026
    rule: RoutingRule | None = None

    def run(self, skill_sets: Sequence[frozenset[int]], replications: int | None = None) -> FloorEstimate:
        count = replications or self.replications
        return self.summarize(len(skill_sets), [self.once(skill_sets, r) for r in range(count)])

    def once(self, skill_sets: Sequence[frozenset[int]], replication: int) -> SimulationResult:
        start, end = self.warmup_hours * HOUR, (self.warmup_hours + self.hours) * HOUR
        seed = self.seed + replication
        arrivals = poisson_arrivals(
            self.types, seconds=end, seed=seed, patience_seconds=self.patience_seconds
        )
        return simulate(
            arrivals, skill_sets=skill_sets, kinds=len(self.types), within_seconds=self.within_seconds,
            count_from=start, count_until=end, rule=self.rule,
        )  # fmt: skip

    def summarize(self, agents: int, results: Sequence[SimulationResult]) -> FloorEstimate:
        kinds = range(len(self.types))
        return FloorEstimate(
            agents,
            len(results),
            tuple(Estimate.of([res.by_type[k].service_level for res in results]) for k in kinds),
            tuple(Estimate.of([res.by_type[k].asa_seconds for res in results]) for k in kinds),
            tuple(Estimate.of([res.by_type[k].abandonment for res in results]) for k in kinds),
            Estimate.of([res.occupancy for res in results]),
        )


@dataclass(frozen=True)
class SearchResult:
    agents: int
    at: FloorEstimate
    below: FloorEstimate | None
    evaluations: int
    replications: int


def minimum_agents(experiment: Experiment, design: Design, *, target: float) -> SearchResult:
    """Bisection between full pooling (Erlang C on the total load, which no design beats by
    much) and dedicated staffing (Erlang C per type, which any design with these skills at
    least matches); both ends are checked by simulation and widened if they do not hold.
    With common random numbers the estimated service level rises with every agent added."""
    kinds = len(experiment.types)
    cache: dict[int, FloorEstimate] = {}

    def estimate(agents: int) -> FloorEstimate:
        if agents not in cache:
            cache[agents] = _until_decided(experiment, design(agents, kinds), target)
        return cache[agents]

    low, high = _bounds(experiment, target)
    # down to a single agent: on a light load one cross-trained person may already be enough
    while low > 1 and estimate(low).meets(target):
        low, high = max(1, low - kinds), low
    if estimate(low).meets(target):  # only at one agent
        high = low
    while not estimate(high).meets(target):
        high += kinds
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if estimate(middle).meets(target) else (middle, high)
    runs = sum(floor.replications for floor in cache.values())
    return SearchResult(high, estimate(high), cache.get(high - 1), len(cache), runs)


def _until_decided(experiment: Experiment, skill_sets: list[frozenset[int]], target: float) -> FloorEstimate:
    results = [experiment.once(skill_sets, r) for r in range(experiment.replications)]
    summary = experiment.summarize(len(skill_sets), results)
    while not summary.decided(target) and len(results) < experiment.max_replications:
        more = min(len(results), experiment.max_replications - len(results))
        results += [experiment.once(skill_sets, len(results) + r) for r in range(more)]
        summary = experiment.summarize(len(skill_sets), results)
    return summary


def _bounds(experiment: Experiment, target: float) -> tuple[int, int]:
    def needed(load: float, handle: float) -> int:
        return agents_needed(
            load=load, handle_seconds=handle, target=target,
            within_seconds=experiment.within_seconds, patience_seconds=experiment.patience_seconds,
        )  # fmt: skip

    total = sum(kind.load for kind in experiment.types)
    rate = sum(kind.arrivals_per_second for kind in experiment.types)
    pooled = needed(total, total / rate) if rate else 0
    alone = sum(needed(kind.load, kind.handle_seconds) for kind in experiment.types)
    return max(pooled - 1, len(experiment.types) - 1), max(alone, pooled)
