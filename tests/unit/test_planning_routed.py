"""The platform's router on the simulated floor (`planning.routed`): its decisions on small
days worked out by hand, and on random floors against the built-in rule and Erlang C."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pytest

from servicedesk.domain.routing_rules import RoutingPolicy
from servicedesk.planning.erlang import performance
from servicedesk.planning.routed import LevelOf, RoutedRule, breadth_levels
from servicedesk.planning.simulation import Agent, Arrival, Case, SimulationResult, simulate
from servicedesk.planning.staffing import Estimate, Experiment, chain, equal_types, full_cross_training

ONE, OTHER, BOTH = frozenset({0}), frozenset({1}), frozenset({0, 1})
NAMES = ("billing", "refunds")
POLICIES = list(RoutingPolicy)


def rule(policy: RoutingPolicy = RoutingPolicy.SKILLS, level_of: LevelOf = breadth_levels) -> RoutedRule:
    return RoutedRule(NAMES, policy, level_of=level_of)


def tallies(result: SimulationResult) -> list[tuple[int, int, int, int, float]]:
    return [(t.arrived, t.answered, t.answered_within, t.abandoned, t.wait_seconds) for t in result.by_type]


def test_levels_fall_with_breadth() -> None:
    assert [breadth_levels(Agent(0, frozenset(range(n))), 0) for n in (1, 2, 5, 9)] == [5, 4, 1, 1]


def test_the_skills_policy_keeps_the_generalist_free_and_round_robin_does_not() -> None:
    """Agent 0 can do both, agent 1 only billing. A billing case, then a refund a second later:
    the skills policy gives the billing case to the deeper specialist, so the generalist is
    free for the refund; round robin gives it to agent 0 (neither was ever assigned: the
    lowest id), and the refund waits 99 s for them."""
    day = [Arrival(0.0, 0, 100.0), Arrival(1.0, 1, 100.0)]
    skills = simulate(day, skill_sets=[BOTH, ONE], kinds=2, rule=rule())
    assert [t.answered_within for t in skills.by_type] == [1, 1]
    rotating = simulate(day, skill_sets=[BOTH, ONE], kinds=2, rule=rule(RoutingPolicy.ROUND_ROBIN))
    assert [t.answered_within for t in rotating.by_type] == [1, 0]
    assert rotating.by_type[1].wait_seconds == pytest.approx(99.0)


def test_round_robin_rotates_by_the_last_assignment() -> None:
    """Each case ends before the next arrives, so every agent is idle each time: round robin
    goes 0, 1, 2, 0 (never assigned first, then the longest since an assignment)."""
    chosen: list[int] = []

    class Watching(RoutedRule):
        def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
            agent = super().pick_agent(case, idle, now)
            chosen.append(-1 if agent is None else agent.number)
            return agent

    day = [Arrival(10.0 * n, 0, 1.0) for n in range(4)]
    simulate(day, skill_sets=[ONE] * 3, kinds=2, rule=Watching(NAMES, RoutingPolicy.ROUND_ROBIN))
    assert chosen == [0, 1, 2, 0]


def test_a_freed_agent_takes_the_case_that_waited_longest_under_every_policy() -> None:
    """As `services.routing.drain_for`: the first case in queue order that fits, here the
    refund that arrived first (waited 49 s, a hit at 49.5 s), then the billing case."""
    day = [Arrival(0.0, 0, 50.0), Arrival(1.0, 1, 3.0), Arrival(2.0, 0, 1.0)]
    for policy in POLICIES:
        result = simulate(day, skill_sets=[BOTH], kinds=2, within_seconds=49.5, rule=rule(policy))
        assert [t.answered_within for t in result.by_type] == [1, 1], policy


def test_levels_are_what_the_skills_policy_scores() -> None:
    """Told the generalist is the deeper one, the skills policy sends the billing case to them
    and the refund waits."""
    day = [Arrival(0.0, 0, 100.0), Arrival(1.0, 1, 100.0)]
    deeper = rule(level_of=lambda agent, kind: len(agent.skills))
    result = simulate(day, skill_sets=[BOTH, ONE], kinds=2, rule=deeper)
    assert [t.answered_within for t in result.by_type] == [1, 0]


def experiment(kinds: int, erlangs: float, policy: RoutingPolicy | None, *, hours: float = 40) -> Experiment:
    types = equal_types(kinds, erlangs=erlangs, handle_seconds=180)
    routed = None if policy is None else RoutedRule([t.name for t in types], policy)
    return Experiment(types, hours=hours, replications=4, rule=routed)


def test_on_specialists_and_generalists_the_skills_policy_decides_as_the_built_in_rule() -> None:
    """Levels by breadth make the deepest skill the fewest skills (one level is worth 0.6 of
    score, idle time at most 0.5), so the router picks from the same group as the fewest-
    skills rule; agents within a group are interchangeable (handle times travel with the
    case), so every tally comes out identical, replication by replication."""
    floor = [ONE, ONE, OTHER, OTHER, BOTH, BOTH]
    built_in, routed = experiment(2, 2.0, None), experiment(2, 2.0, RoutingPolicy.SKILLS)
    runs = [built_in.once(floor, replication) for replication in range(2)]
    for replication, run in enumerate(runs):
        assert tallies(routed.once(floor, replication)) == tallies(run)
    rotating = experiment(2, 2.0, RoutingPolicy.ROUND_ROBIN).once(floor, 0)
    assert tallies(rotating) != tallies(runs[0])  # a policy that ignores skills decides otherwise


@pytest.mark.parametrize("policy", POLICIES)
def test_every_policy_is_erlang_c_on_a_fully_pooled_floor(policy: RoutingPolicy) -> None:
    """Seven agents who all do everything: any rule that never leaves a case waiting beside an
    idle agent is one M/M/7 queue served in order, whichever agent answers (4 Erlangs, 80/20:
    SL 0.903), and with common random numbers the very same waits as the built-in rule."""
    floor = full_cross_training(7, 2)
    routed = experiment(2, 2.0, policy).run(floor)
    assert routed == experiment(2, 2.0, None).run(floor)
    formula = performance(7, load=4.0, handle_seconds=180, within_seconds=20).service_level
    for level in routed.service_level:
        assert abs(level.mean - formula) <= level.half_width


def test_on_a_three_type_chain_the_router_agrees_with_the_built_in_rule() -> None:
    """Chain pools (1,2), (2,3), (3,1): every type has two pools that can take it, and the two
    rules choose between them differently (longest since an assignment against longest idle),
    so the runs differ; the service levels must agree within their confidence intervals, and
    the paired difference (same arrivals in each replication) must be small."""
    floor = chain(14, 3)
    built_in = [experiment(3, 3.0, None).once(floor, r) for r in range(6)]
    routed = [experiment(3, 3.0, RoutingPolicy.SKILLS).once(floor, r) for r in range(6)]
    for kind in range(3):
        ours = Estimate.of([run.by_type[kind].service_level for run in built_in])
        theirs = Estimate.of([run.by_type[kind].service_level for run in routed])
        assert abs(ours.mean - theirs.mean) <= ours.half_width + theirs.half_width
        pairs = zip(built_in, routed, strict=True)
        paired = Estimate.of(
            [a.by_type[kind].service_level - b.by_type[kind].service_level for a, b in pairs]
        )
        assert abs(paired.mean) <= max(paired.half_width, 0.01)
    assert [run.by_type[0].arrived for run in routed] == [run.by_type[0].arrived for run in built_in]


def test_one_rule_serves_many_runs_without_carrying_state_over() -> None:
    """An Experiment reuses its rule: assignment times of one run must not steer the next."""
    used = experiment(2, 2.0, RoutingPolicy.ROUND_ROBIN, hours=5)
    used.once(chain(5, 2), 0)
    fresh = experiment(2, 2.0, RoutingPolicy.ROUND_ROBIN, hours=5)
    assert tallies(used.once(chain(6, 2), 1)) == tallies(fresh.once(chain(6, 2), 1))


def test_the_origin_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        RoutedRule(NAMES, origin=datetime(2026, 1, 1))  # naive: the mistake under test
