"""A discrete-event contact floor (simpy): arrivals of several case types meet agents with skill
sets, and a routing rule decides who takes what.

Service level is *answered within `within_seconds`, over every counted arrival*: abandoned cases
are misses whenever they gave up, as in `erlang`. Only arrivals in [count_from, count_until) are
counted, so a warm-up can be discarded; the run then drains, so each counted case ends answered
or abandoned. Arrivals are drawn per case type from separate seeded streams with the handle time
and patience attached at arrival, so two staffings given the same seed meet the very same
contacts (common random numbers): comparing staffings needs far fewer replications that way.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np
import simpy

_CHUNK = 4096


@dataclass(frozen=True)
class CaseType:
    name: str
    arrivals_per_second: float
    handle_seconds: float

    @property
    def load(self) -> float:
        return self.arrivals_per_second * self.handle_seconds


class Arrival(NamedTuple):
    """One contact, recorded or drawn: seconds from the start, index of its case type, handle
    time and patience in seconds. A tuple, because streams are merged by comparing these."""

    at: float
    kind: int
    handle: float
    patience: float = math.inf


@dataclass(eq=False)
class Agent:
    """Identity-hashed: the floor keys its idle lists on the agent object."""

    number: int
    skills: frozenset[int]
    idle_since: float = 0.0


@dataclass(eq=False)
class Case:
    arrival: Arrival
    answered_at: float | None = None
    abandoned: bool = False

    @property
    def kind(self) -> int:
        return self.arrival.kind


class RoutingRule(Protocol):
    """The two decisions a router makes; the platform's own policy can stand in for the default.

    `pick_agent` gets the idle agents having the case's skill (never empty) and may return None
    to keep the case queued; `pick_case` gets the oldest waiting case of each type the freed agent
    serves (never empty) and may return None to leave the agent idle."""

    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None: ...

    def pick_case(self, agent: Agent, heads: Sequence[Case], now: float) -> Case | None: ...


class FewestSkillsFirst:
    """Give a case to the idle agent with the fewest skills (then the longest idle), keeping the
    versatile agents free for the types only they can take; a freed agent takes the case that has
    waited longest among its skills."""

    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
        return min(idle, key=lambda agent: (len(agent.skills), agent.idle_since))

    def pick_case(self, agent: Agent, heads: Sequence[Case], now: float) -> Case | None:
        return min(heads, key=lambda case: case.arrival.at)


@dataclass
class TypeTally:
    arrived: int = 0
    answered: int = 0
    answered_within: int = 0
    abandoned: int = 0
    wait_seconds: float = 0.0

    @property
    def service_level(self) -> float:
        return self.answered_within / self.arrived if self.arrived else 1.0

    @property
    def asa_seconds(self) -> float:
        return self.wait_seconds / self.answered if self.answered else 0.0

    @property
    def abandonment(self) -> float:
        return self.abandoned / self.arrived if self.arrived else 0.0


@dataclass(frozen=True)
class SimulationResult:
    by_type: tuple[TypeTally, ...]
    occupancy: float

    @property
    def worst_service_level(self) -> float:
        return min(tally.service_level for tally in self.by_type)


def poisson_arrivals(
    types: Sequence[CaseType], *, seconds: float, seed: int, patience_seconds: float | None = None
) -> Iterator[Arrival]:
    """Merged, time-ordered Poisson streams with exponential handle times and patience."""
    streams = [_stream(kind, spec, seconds, seed, patience_seconds) for kind, spec in enumerate(types)]
    return heapq.merge(*streams)


def _stream(
    kind: int, spec: CaseType, seconds: float, seed: int, patience: float | None
) -> Iterator[Arrival]:
    if spec.arrivals_per_second <= 0:
        return
    rng = np.random.default_rng([seed, kind])
    at = 0.0
    while True:
        gaps = rng.exponential(1.0 / spec.arrivals_per_second, _CHUNK)
        handles = rng.exponential(spec.handle_seconds, _CHUNK)
        waits = rng.exponential(patience, _CHUNK) if patience else np.full(_CHUNK, math.inf)
        for gap, handle, wait in zip(gaps.tolist(), handles.tolist(), waits.tolist(), strict=True):
            at += gap
            if at >= seconds:
                return
            yield Arrival(at, kind, handle, wait)


@dataclass
class _Floor:
    env: simpy.Environment
    agents: list[Agent]
    rule: RoutingRule
    within: float
    window: tuple[float, float]
    tallies: list[TypeTally]
    idle: list[dict[Agent, None]] = field(default_factory=list)
    queues: list[deque[Case]] = field(default_factory=list)
    busy_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.idle = [{} for _ in self.tallies]
        self.queues = [deque() for _ in self.tallies]
        for agent in self.agents:
            self._make_idle(agent)

    def arrive(self, arrival: Arrival) -> None:
        case = Case(arrival)
        if self._counted(case):
            self.tallies[case.kind].arrived += 1
        idle = self.idle[case.kind]
        agent = self.rule.pick_agent(case, list(idle), self.env.now) if idle else None
        if agent is not None:
            if agent not in idle:
                raise ValueError("pick_agent must return one of the idle agents it was given")
            self._start(agent, case)
            return
        self.queues[case.kind].append(case)
        if math.isfinite(arrival.patience):
            self.env.timeout(arrival.patience).callbacks.append(lambda _event: self._abandon(case))

    def _start(self, agent: Agent, case: Case) -> None:
        now = self.env.now
        for kind in agent.skills:
            self.idle[kind].pop(agent, None)
        case.answered_at = now
        if self._counted(case):
            tally = self.tallies[case.kind]
            wait = now - case.arrival.at
            tally.answered += 1
            tally.answered_within += wait <= self.within
            tally.wait_seconds += wait
        self.env.timeout(case.arrival.handle).callbacks.append(lambda _event: self._finish(agent, now))

    def _finish(self, agent: Agent, started: float) -> None:
        start, end = self.window
        self.busy_seconds += max(0.0, min(self.env.now, end) - max(started, start))
        heads = [case for kind in agent.skills if (case := self._head(kind)) is not None]
        chosen = self.rule.pick_case(agent, heads, self.env.now) if heads else None
        if chosen is None:
            self._make_idle(agent)
            return
        queue = self.queues[chosen.kind]
        if not queue or queue[0] is not chosen:
            raise ValueError("pick_case must return one of the heads it was given")
        queue.popleft()
        self._start(agent, chosen)

    def _make_idle(self, agent: Agent) -> None:
        agent.idle_since = self.env.now
        for kind in agent.skills:
            self.idle[kind][agent] = None

    def _head(self, kind: int) -> Case | None:
        queue = self.queues[kind]
        while queue and queue[0].abandoned:
            queue.popleft()
        return queue[0] if queue else None

    def _abandon(self, case: Case) -> None:
        if case.answered_at is None:
            case.abandoned = True
            if self._counted(case):
                self.tallies[case.kind].abandoned += 1

    def _counted(self, case: Case) -> bool:
        return self.window[0] <= case.arrival.at < self.window[1]


def simulate(
    arrivals: Iterable[Arrival],
    *,
    skill_sets: Sequence[frozenset[int]],
    kinds: int,
    within_seconds: float = 20.0,
    count_from: float = 0.0,
    count_until: float = math.inf,
    rule: RoutingRule | None = None,
) -> SimulationResult:
    """Replay `arrivals` (time-ordered) against agents with `skill_sets` until every case ends."""
    if any(not skills or min(skills) < 0 or max(skills) >= kinds for skills in skill_sets):
        raise ValueError(f"every agent needs at least one skill among case types 0..{kinds - 1}")
    if count_until <= count_from:
        raise ValueError("count_until must come after count_from")
    env = simpy.Environment()
    agents = [Agent(number, frozenset(skills)) for number, skills in enumerate(skill_sets)]
    tallies = [TypeTally() for _ in range(kinds)]
    window = (count_from, count_until)
    floor = _Floor(env, agents, rule or FewestSkillsFirst(), within_seconds, window, tallies)
    env.process(_feed(env, floor, arrivals))
    env.run()
    last = min(count_until, env.now)
    capacity = len(agents) * max(last - count_from, 0.0)
    return SimulationResult(tuple(tallies), floor.busy_seconds / capacity if capacity else 0.0)


def _feed(
    env: simpy.Environment, floor: _Floor, arrivals: Iterable[Arrival]
) -> Generator[simpy.Event, object, None]:
    for arrival in arrivals:
        if arrival.at < env.now:
            raise ValueError("arrivals must be in time order")
        if arrival.at > env.now:
            yield env.timeout(arrival.at - env.now)
        floor.arrive(arrival)
