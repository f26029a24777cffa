from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest

from servicedesk.planning.erlang import performance
from servicedesk.planning.simulation import (
    Agent,
    Arrival,
    Case,
    CaseType,
    FewestSkillsFirst,
    poisson_arrivals,
    simulate,
)

HOUR = 3600.0
TEN_ERLANGS = CaseType("billing", 10 / 180, 180)
ONE, BOTH = frozenset({0}), frozenset({0, 1})


def one_queue(agents: int, *, patience: float | None, hours: float = 250, seed: int = 3) -> tuple[float, ...]:
    arrivals = poisson_arrivals([TEN_ERLANGS], seconds=hours * HOUR, seed=seed, patience_seconds=patience)
    result = simulate(arrivals, skill_sets=[ONE] * agents, kinds=1, count_from=HOUR)
    tally = result.by_type[0]
    return tally.service_level, tally.asa_seconds, tally.abandonment, result.occupancy


def test_one_queue_behaves_as_erlang_c() -> None:
    """250 simulated hours: the estimates' standard errors are about 0.007 (SL) and 0.75 s (ASA,
    whose long tail makes it the noisiest), so the bounds are 3–3.5 of them."""
    level, asa, abandoned, occupancy = one_queue(14, patience=None)
    formula = performance(14, load=10, handle_seconds=180, within_seconds=20)
    assert level == pytest.approx(formula.service_level, abs=0.025)
    assert asa == pytest.approx(formula.asa_seconds, abs=2.5)
    assert abandoned == 0
    assert occupancy == pytest.approx(10 / 14, abs=0.015)


def test_with_patience_it_behaves_as_erlang_a() -> None:
    level, asa, abandoned, occupancy = one_queue(12, patience=180)
    formula = performance(12, load=10, handle_seconds=180, within_seconds=20, patience_seconds=180)
    assert level == pytest.approx(formula.service_level, abs=0.025)
    assert abandoned == pytest.approx(formula.abandonment, abs=0.008)
    assert asa == pytest.approx(formula.asa_seconds, abs=2.5)
    assert occupancy == pytest.approx(formula.occupancy, abs=0.015)


def test_a_replayed_day_is_scored_answered_within_over_all_arrivals() -> None:
    """One agent: the second case waits exactly 20 s (a hit), the third gives up (a miss even
    though it left after 5 s), the fourth waits 21 s (a miss)."""
    day = [
        Arrival(0.0, 0, 30.0),
        Arrival(10.0, 0, 5.0),
        Arrival(12.0, 0, 10.0, patience=5.0),
        Arrival(14.0, 0, 1.0),
    ]
    tally = simulate(day, skill_sets=[ONE], kinds=1).by_type[0]
    assert (tally.arrived, tally.answered, tally.answered_within, tally.abandoned) == (4, 3, 2, 1)
    assert tally.service_level == 0.5
    assert tally.asa_seconds == pytest.approx((0 + 20 + 21) / 3)
    assert tally.abandonment == 0.25


def test_only_arrivals_inside_the_window_count() -> None:
    day = [Arrival(float(t), 0, 1.0) for t in range(10)]
    result = simulate(day, skill_sets=[ONE], kinds=1, count_from=3, count_until=7)
    assert result.by_type[0].arrived == 4
    assert result.occupancy == pytest.approx(4 / 4)


def test_the_specialist_is_used_before_the_generalist() -> None:
    day = [Arrival(0.0, 0, 100.0), Arrival(1.0, 1, 100.0)]
    tallies = simulate(day, skill_sets=[BOTH, ONE], kinds=2).by_type
    assert [t.answered_within for t in tallies] == [1, 1]  # the generalist was kept for type 1


def test_a_freed_agent_takes_the_case_that_waited_longest() -> None:
    """Type 1 arrived first: served at 50 s (waited 49, a hit), the type-0 case after it (51, a
    miss). The other order would have made the type-1 case the miss."""
    day = [Arrival(0.0, 0, 50.0), Arrival(1.0, 1, 3.0), Arrival(2.0, 0, 1.0)]
    tallies = simulate(day, skill_sets=[BOTH], kinds=2, within_seconds=49.5).by_type
    assert [tally.answered_within for tally in tallies] == [1, 1]


class Recorder(FewestSkillsFirst):
    """A stand-in for the platform's routing policy: it sees every decision."""

    def __init__(self) -> None:
        self.offers: list[int] = []

    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
        self.offers.append(len(idle))
        return max(idle, key=lambda agent: agent.number)


def test_the_routing_rule_is_pluggable() -> None:
    rule = Recorder()
    day = [Arrival(0.0, 0, 10.0), Arrival(1.0, 0, 10.0)]
    simulate(day, skill_sets=[ONE, ONE], kinds=1, rule=rule)
    assert rule.offers == [2, 1]


class Hoarder(FewestSkillsFirst):
    def pick_case(self, agent: Agent, heads: Sequence[Case], now: float) -> Case | None:
        return Case(heads[0].arrival)  # not one of the heads it was given


class Impostor(FewestSkillsFirst):
    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
        return Agent(99, frozenset({0}))


def test_a_rule_must_choose_among_what_it_was_offered() -> None:
    day = [Arrival(0.0, 0, 10.0), Arrival(1.0, 0, 10.0)]
    with pytest.raises(ValueError, match="one of the heads"):
        simulate(day, skill_sets=[ONE], kinds=1, rule=Hoarder())
    with pytest.raises(ValueError, match="one of the idle agents"):
        simulate(day, skill_sets=[ONE], kinds=1, rule=Impostor())


class Holder(FewestSkillsFirst):
    """Keeps type-1 cases queued for a later decision instead of answering at once."""

    def pick_agent(self, case: Case, idle: Sequence[Agent], now: float) -> Agent | None:
        return None if case.kind == 1 else super().pick_agent(case, idle, now)


def test_a_rule_may_hold_a_case_until_an_agent_frees_up() -> None:
    day = [Arrival(0.0, 1, 5.0), Arrival(1.0, 0, 30.0)]
    tallies = simulate(day, skill_sets=[BOTH], kinds=2, rule=Holder()).by_type
    assert tallies[1].answered == 1 and tallies[1].asa_seconds == pytest.approx(31.0)


def test_each_type_keeps_its_own_random_stream() -> None:
    """Adding a case type must not change the contacts of the others (common random numbers)."""
    alone = [a for a in poisson_arrivals([TEN_ERLANGS], seconds=HOUR, seed=5)]
    mixed = poisson_arrivals([TEN_ERLANGS, TEN_ERLANGS], seconds=HOUR, seed=5)
    assert [a for a in mixed if a.kind == 0] == alone
    times = [a.at for a in poisson_arrivals([TEN_ERLANGS] * 3, seconds=HOUR, seed=5)]
    assert times == sorted(times)


@pytest.mark.parametrize(
    ("skills", "kinds", "message"),
    [([frozenset({2})], 2, "among case types 0..1"), ([frozenset()], 1, "at least one skill")],
)
def test_agents_need_real_skills(skills: list[frozenset[int]], kinds: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate([], skill_sets=skills, kinds=kinds)


def test_arrivals_out_of_order_or_an_empty_window_are_refused() -> None:
    with pytest.raises(ValueError, match="time order"):
        simulate([Arrival(5.0, 0, 1.0), Arrival(1.0, 0, 1.0)], skill_sets=[ONE], kinds=1)
    with pytest.raises(ValueError, match="count_until"):
        simulate([], skill_sets=[ONE], kinds=1, count_from=10, count_until=10)


def test_nothing_arriving_is_a_perfect_empty_day() -> None:
    result = simulate(itertools.chain(()), skill_sets=[ONE], kinds=1, count_until=HOUR)
    assert result.by_type[0].service_level == 1.0 and result.worst_service_level == 1.0
