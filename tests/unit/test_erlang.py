from __future__ import annotations

import math

import pytest

from servicedesk.planning.erlang import agents_needed, erlang_b, erlang_c, offered_load, performance

AHT = 180.0


def test_it_reproduces_the_erlang_c_reference() -> None:
    assert agents_needed(load=10, handle_seconds=AHT, target=0.8, within_seconds=20) == 14
    result = performance(14, load=10, handle_seconds=AHT, within_seconds=20)
    assert result.service_level == pytest.approx(0.888, abs=0.001)
    assert result.asa_seconds == pytest.approx(7.8, abs=0.05)
    assert result.occupancy == pytest.approx(10 / 14)
    assert result.abandonment == 0.0


def test_thirteen_agents_just_miss_the_target() -> None:
    assert performance(13, load=10, handle_seconds=AHT, within_seconds=20).service_level < 0.8


def test_abandonment_lowers_the_erlang_a_staffing_to_twelve() -> None:
    needed = agents_needed(load=10, handle_seconds=AHT, target=0.8, within_seconds=20, patience_seconds=180)
    assert needed == 12
    at_12 = performance(12, load=10, handle_seconds=AHT, within_seconds=20, patience_seconds=180)
    at_11 = performance(11, load=10, handle_seconds=AHT, within_seconds=20, patience_seconds=180)
    assert at_12.service_level == pytest.approx(0.8023, abs=1e-4)
    assert at_11.service_level < 0.8
    assert at_12.abandonment == pytest.approx(0.0531, abs=1e-4)


@pytest.mark.parametrize("patience", [None, 60.0, 180.0])
@pytest.mark.parametrize("load", [0.3, 4.0, 37.5, 500.0])
def test_the_answer_is_the_first_staffing_that_meets_the_target(load: float, patience: float | None) -> None:
    def level(agents: int) -> float:
        return performance(
            agents, load=load, handle_seconds=AHT, within_seconds=20, patience_seconds=patience
        ).service_level

    needed = agents_needed(
        load=load, handle_seconds=AHT, target=0.8, within_seconds=20, patience_seconds=patience
    )
    assert level(needed) >= 0.8 > level(needed - 1)


def test_with_abandonment_fewer_agents_than_erlangs_can_do() -> None:
    assert (
        agents_needed(load=500, handle_seconds=AHT, target=0.8, within_seconds=20, patience_seconds=180)
        == 470
    )


def test_an_arrival_rate_is_as_good_as_a_load() -> None:
    by_rate = agents_needed(arrivals_per_second=10 / AHT, handle_seconds=AHT, target=0.8, within_seconds=20)
    assert by_rate == 14


@pytest.mark.parametrize(("agents", "load"), [(14, 10.0), (500, 480.0), (66, 60.0)])
def test_erlang_a_with_endless_patience_is_erlang_c(agents: int, load: float) -> None:
    c = performance(agents, load=load, handle_seconds=AHT, within_seconds=20)
    a = performance(agents, load=load, handle_seconds=AHT, within_seconds=20, patience_seconds=1e8)
    assert a.wait_probability == pytest.approx(c.wait_probability, rel=1e-4)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-4)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-3)


def test_erlang_a_matches_a_truncated_birth_death_chain() -> None:
    """Independent check of wait probability and abandonment: the chain's stationary law."""
    agents, load, patience = 8, 10.0, 60.0
    mu, theta, lam = 1 / AHT, 1 / patience, load / AHT
    weights = [1.0]
    for n in range(1, 400):
        weights.append(weights[-1] * lam / (min(n, agents) * mu + max(n - agents, 0) * theta))
    total = sum(weights)
    waits = sum(weights[agents:]) / total
    queued = sum((n - agents) * w for n, w in enumerate(weights) if n > agents) / total
    result = performance(agents, load=load, handle_seconds=AHT, within_seconds=30, patience_seconds=patience)
    assert result.wait_probability == pytest.approx(waits, rel=1e-9)
    assert result.abandonment == pytest.approx(theta * queued / lam, rel=1e-9)


def test_hundreds_of_agents_neither_overflow_nor_drift() -> None:
    assert 0 < erlang_b(2000, 1900.0) < 1
    c = performance(1000, load=950, handle_seconds=AHT, within_seconds=20)
    a = performance(1000, load=1200, handle_seconds=AHT, within_seconds=20, patience_seconds=180)
    assert 0.99 < c.service_level < 1 and math.isfinite(c.asa_seconds)
    assert a.abandonment == pytest.approx(200 / 1200, rel=1e-3)  # overload leaves by abandonment
    assert agents_needed(load=500, handle_seconds=AHT, target=0.8, within_seconds=20) > 500


def test_no_load_needs_no_agents() -> None:
    assert agents_needed(load=0, handle_seconds=AHT, target=0.8, within_seconds=20) == 0
    idle = performance(3, load=0, handle_seconds=AHT, within_seconds=20)
    assert (idle.wait_probability, idle.service_level, idle.asa_seconds, idle.occupancy) == (0, 1, 0, 0)
    assert (
        performance(3, load=0, handle_seconds=AHT, within_seconds=20, patience_seconds=60).service_level == 1
    )


@pytest.mark.parametrize("load", [10.0, 12.5])
def test_a_load_at_or_above_the_agents_never_drains_without_abandonment(load: float) -> None:
    result = performance(10, load=load, handle_seconds=AHT, within_seconds=20)
    assert erlang_c(10, load) == 1.0
    assert not result.stable and result.asa_seconds == math.inf and result.service_level == 0.0


def test_abandonment_keeps_an_overloaded_queue_finite() -> None:
    result = performance(10, load=12.5, handle_seconds=AHT, within_seconds=20, patience_seconds=120)
    assert result.stable and 0 < result.abandonment < 1


def test_the_classic_erlang_b_value() -> None:
    assert erlang_b(10, 10.0) == pytest.approx(0.21458, abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"load": -1.0}, "load must be zero or more"),
        ({"load": 10.0, "arrivals_per_second": 0.1}, "exactly one"),
        ({}, "exactly one"),
        ({"load": 10.0, "handle_seconds": 0.0}, "handle_seconds must be a positive"),
        ({"load": 10.0, "target": 1.0}, "strictly between 0 and 1"),
        ({"load": 10.0, "patience_seconds": -5.0}, "patience_seconds must be a positive"),
        ({"load": math.nan}, "load must be zero or more"),
    ],
)
def test_bad_inputs_are_refused_with_a_reason(kwargs: dict[str, float], message: str) -> None:
    arguments: dict[str, float] = {"handle_seconds": AHT, "target": 0.8, "within_seconds": 20.0, **kwargs}
    with pytest.raises(ValueError, match=message):
        agents_needed(**arguments)


def test_negative_agents_or_waits_are_refused() -> None:
    with pytest.raises(ValueError, match="agents must be between"):
        performance(-1, load=1, handle_seconds=AHT, within_seconds=20)
    with pytest.raises(ValueError, match="within_seconds must be zero or more"):
        performance(3, load=1, handle_seconds=AHT, within_seconds=-1)
    with pytest.raises(ValueError, match="arrivals_per_second"):
        offered_load(load=None, arrivals_per_second=-0.1, handle_seconds=AHT)
