from __future__ import annotations

import io

import pytest
from typer.testing import CliRunner

from servicedesk.planning.cli import staffing_app
from servicedesk.planning.simulation import CaseType
from servicedesk.planning.staffing import (
    Estimate,
    Experiment,
    HourlyDemand,
    chain,
    dedicated,
    disjoint_pairs,
    equal_types,
    full_cross_training,
    minimum_agents,
    plan_staffing,
    pool_by_hour_of_day,
    read_arrivals,
)

CSV = """hour,arrivals,handle_seconds
2026-11-02T09:00,200,180
2026-11-02T10:00,0,
2026-11-03T09:00,200,180
"""


def test_an_hour_of_ten_erlangs_needs_fourteen_agents() -> None:
    plan = plan_staffing([HourlyDemand("09:00", 200, 180)], target=0.8, within_seconds=20)
    (row,) = plan.rows
    assert (row.load, row.agents, row.abandonment) == (10.0, 14, None)
    assert row.service_level == pytest.approx(0.888, abs=0.001)
    assert row.asa_seconds == pytest.approx(7.8, abs=0.05)


def test_patience_adds_abandonment_and_saves_agents() -> None:
    demand = [HourlyDemand("09:00", 200, 180), HourlyDemand("10:00", 0, 180)]
    plan = plan_staffing(demand, target=0.8, within_seconds=20, patience_seconds=180)
    assert [row.agents for row in plan.rows] == [12, 0]
    assert plan.rows[0].abandonment == pytest.approx(0.053, abs=0.001)
    assert plan.agent_hours == 12


def test_history_becomes_one_typical_day() -> None:
    rows = read_arrivals(io.StringIO(CSV), default_handle_seconds=300)
    assert rows[1] == HourlyDemand("2026-11-02T10:00", 0.0, 300.0)
    pooled = pool_by_hour_of_day([*rows, HourlyDemand("2026-11-04T09:00", 50, 240)])
    assert [row.hour for row in pooled] == ["09:00", "10:00"]
    assert pooled[0].arrivals == pytest.approx(150)
    assert pooled[0].handle_seconds == pytest.approx((400 * 180 + 50 * 240) / 450)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("when,calls\n9,10\n", "needs a header"),
        ("hour,arrivals\n09:00,lots\n", "line 2: not a number"),
        ("hour,arrivals\n09:00,10\n", "line 2: no handle time"),
        ("hour,arrivals,aht\n09:00,10,180\n10:00,-3,180\n", "line 3: arrivals must be"),
    ],
)
def test_a_bad_file_names_the_line(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        read_arrivals(io.StringIO(text), default_handle_seconds=None)


def test_designs_spread_agents_evenly() -> None:
    assert sorted(map(sorted, set(chain(6, 3)))) == [[0, 1], [0, 2], [1, 2]]
    assert len(chain(70, 6)) == 70
    sizes = [chain(70, 6).count(frozenset({k, (k + 1) % 6})) for k in range(6)]
    assert sorted(sizes) == [11, 11, 12, 12, 12, 12]
    assert sizes[0] == 12 and sizes[1] == 11  # the spare agents are spaced out, not bunched
    assert dedicated(7, 3).count(frozenset({0})) == 3
    assert set(full_cross_training(4, 3)) == {frozenset({0, 1, 2})}
    assert set(disjoint_pairs(6, 5)) == {frozenset({0, 1}), frozenset({2, 3}), frozenset({4})}


def test_a_confidence_interval_widens_with_few_replications() -> None:
    few, many = Estimate.of([0.8, 0.9]), Estimate.of([0.8, 0.9] * 8)
    assert few.mean == many.mean == pytest.approx(0.85)
    assert few.half_width > 5 * many.half_width


def test_the_search_finds_the_minimum_for_a_small_floor() -> None:
    """Two types of 2 Erlangs: fully pooled it is an M/M/n of 4 Erlangs (Erlang C: 7 agents,
    SL 0.903; 6 give 0.772), and the simulation must land there too."""
    experiment = Experiment(
        equal_types(2, erlangs=2.0, handle_seconds=180), hours=40, replications=3, max_replications=6
    )
    result = minimum_agents(experiment, full_cross_training, target=0.8)
    assert result.agents == 7
    assert result.below is not None and not result.below.meets(0.8)
    assert result.at.meets(0.8) and result.at.worst.mean == pytest.approx(0.903, abs=0.03)


def test_the_search_goes_below_one_agent_per_type_on_a_light_load() -> None:
    """Six types of 0.01 Erlang: one fully cross-trained agent answers nearly everyone at once
    (Erlang C for 0.06 Erlang on one agent: 0.95 within 20 s), though there are six types."""
    experiment = Experiment(
        equal_types(6, erlangs=0.01, handle_seconds=180), hours=200, replications=3, max_replications=6
    )
    assert minimum_agents(experiment, full_cross_training, target=0.8).agents == 1


def test_a_single_type_floor_is_simulated_like_erlang_c() -> None:
    experiment = Experiment((CaseType("only", 10 / 180, 180),), hours=50, replications=3)
    floor = experiment.run([frozenset({0})] * 14)
    assert floor.agents == 14 and floor.replications == 3
    assert floor.service_level[0].mean == pytest.approx(0.888, abs=0.03)
    assert floor.occupancy.mean == pytest.approx(10 / 14, abs=0.02)


def test_the_simulate_command_prints_each_design() -> None:
    runner = CliRunner()
    quick = [
        "--types",
        "2",
        "--erlangs",
        "2",
        "--hours",
        "5",
        "--replications",
        "2",
        "--max-replications",
        "2",
    ]
    result = runner.invoke(staffing_app, ["simulate", *quick, "--design", "full", "--design", "chain"])
    assert result.exit_code == 0, result.output
    assert "full" in result.output and "chain" in result.output and "type 2" in result.output
    wrong = runner.invoke(staffing_app, ["simulate", "--design", "rota"])
    assert wrong.exit_code == 2 and "unknown design rota" in wrong.output
