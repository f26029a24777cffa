"""The platform's own router on the simulated floor: `RoutedRule` makes each simulated decision
with `domain.routing.choose` (who takes an arriving case) and `next_for` (what a freed agent
takes), the very functions `services.routing` calls, under any `RoutingPolicy`.

The simulated agents become `AgentState`s: online, on shift, one case at a time (capacity 1 of
the workload, so an idle agent has all of it spare), with one skill per case type they serve.
The simulation's skill sets carry no levels, and the skills policy scores levels, so
`level_of` supplies them; the default, `breadth_levels`, gives a specialist level 5 and one
level less per extra skill — the usual trade between depth and breadth, and what lets the
skills policy keep cross-trained agents for the types only they can take, as a desk's skill
matrix would. Case types become `CaseNeeds` that require their skill, medium priority, no
VIP, no advisor: the replay carries nothing more.

What the policies then do on a floor of single-case agents: *skills* gives a case to the
deepest skill, then the most spare capacity (equal when idle), then the longest since an
assignment (up to the scoring's ten minutes), then the lowest id; *round robin* to the least
recently assigned whatever their skills; *least loaded* compares the share of capacity in use,
which is 0 for every idle agent, so it falls back to its tie-break, recency, and behaves as
round robin here. A freed agent takes the first queued case that fits them in queue order
(band, then arrival), under every policy, as `services.routing.drain_for` does.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from servicedesk.domain.routing import AgentState, choose, next_for
from servicedesk.domain.routing_rules import (
    DEFAULT_RULES,
    MAX_LEVEL,
    CaseNeeds,
    Presence,
    RoutingPolicy,
    RoutingRules,
    Workload,
    queue_key,
)
from servicedesk.planning.simulation import Agent, Case

LevelOf = Callable[[Agent, int], int]
"""(agent, case type it serves) → skill level 1–5."""

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
"""Simulated second 0 as an instant: routing wants aware times; only differences matter."""


def breadth_levels(agent: Agent, kind: int) -> int:
    """5 for a specialist, one less per further skill, never below 1 (see the module docstring)."""
    return max(1, MAX_LEVEL + 1 - len(agent.skills))


def skill_code(name: str) -> str:
    """A case type's skill in the simulated skill matrix; prefixed, so that a type named like a
    real skill ("technical") cannot be mistaken for it."""
    return f"type:{name}"


class RoutedRule:
    """A `simulation.RoutingRule` that asks the platform's router. Agents' states live in a
    weak map keyed by the simulation's agent objects, so one rule serves any number of runs
    (an `Experiment` reuses its rule) without one run's assignment times leaking into the next."""

    def __init__(
        self,
        type_names: Sequence[str],
        policy: RoutingPolicy = RoutingPolicy.SKILLS,
        *,
        workload: Workload = Workload.CHAT,
        level_of: LevelOf = breadth_levels,
        rules: RoutingRules = DEFAULT_RULES,
        origin: datetime = ORIGIN,
    ) -> None:
        if origin.tzinfo is None:
            raise ValueError("the origin must be an aware instant")
        self.policy, self.rules, self.origin = policy, rules, origin
        self._workload, self._level_of = workload, level_of
        self._codes = [skill_code(name) for name in type_names]
        self._needs = [CaseNeeds(kind=workload, required={code: 1}) for code in self._codes]
        self._states: weakref.WeakKeyDictionary[Agent, AgentState] = weakref.WeakKeyDictionary()

    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
        at = self._instant(now)
        by_id = {agent.number: agent for agent in idle}
        decision = choose(
            self._needs[case.kind], [self._state(agent) for agent in idle], now=at,
            policy=self.policy, rules=self.rules,
        )  # fmt: skip
        if decision.agent_id is None:
            return None
        chosen = by_id[decision.agent_id]
        self._assigned(chosen, at)
        return chosen

    def pick_case(self, agent: Agent, heads: Sequence[Case], now: float) -> Case | None:
        at = self._instant(now)
        ordered = sorted(heads, key=self._queue_key)
        index = next_for(self._state(agent), [self._needs[case.kind] for case in ordered], self.rules)
        if index is None:
            return None
        self._assigned(agent, at)
        return ordered[index]

    def _queue_key(self, case: Case) -> tuple[int, datetime]:
        needs = self._needs[case.kind]
        return queue_key(needs.priority, needs.is_vip, self._instant(case.arrival.at), self.rules)

    def _state(self, agent: Agent) -> AgentState:
        state = self._states.get(agent)
        if state is None:
            skills = {self._codes[kind]: self._level_of(agent, kind) for kind in agent.skills}
            state = AgentState(
                id=agent.number, presence=Presence.ONLINE, skills=skills, capacity={self._workload: 1}
            )
            self._states[agent] = state
        return state

    def _assigned(self, agent: Agent, at: datetime) -> None:
        state = self._state(agent)  # built directly: `dataclasses.replace` costs a tenth of a run
        self._states[agent] = AgentState(
            state.id, state.presence, skills=state.skills, capacity=state.capacity, last_assigned_at=at
        )

    def _instant(self, seconds: float) -> datetime:
        return self.origin + timedelta(seconds=seconds)
