"""Handle times from message timestamps, the hourly demand of a window, and the replay of
recorded cases (`planning.history`), without a database: the reading itself is tested on both
databases in tests/integration/test_staffing_history.py."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from servicedesk.domain.catalog import Channel, TicketType
from servicedesk.domain.routing_rules import RoutingPolicy, Workload
from servicedesk.planning.history import (
    CaseRecord,
    HandleRules,
    History,
    Said,
    chat_handle_seconds,
    recorded,
    replay_experiment,
    ticket_handle_seconds,
    window,
)
from servicedesk.planning.routed import RoutedRule
from servicedesk.planning.simulation import Arrival
from servicedesk.planning.staffing import dedicated, minimum_agents

T0 = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def customer(minutes: float) -> Said:
    return Said(at(minutes), by_staff=False, reply=False)


def agent(minutes: float, *, note: bool = False) -> Said:
    return Said(at(minutes), by_staff=True, reply=not note)


def test_a_chat_costs_its_live_sessions() -> None:
    """Session 1: staff at 2 and 5 min (customer messages keep it alive up to 6) → 60 s lead +
    180 s. Then 24 min of silence; session 2: one staff reply → 60 s. Session 3 has only the
    customer: nothing."""
    chat = [customer(0), agent(2), customer(3), agent(5), customer(6), customer(30), agent(31), customer(50)]
    assert chat_handle_seconds(chat) == 60 + 180 + 60


def test_a_customer_message_bridges_the_gap_between_two_staff_replies() -> None:
    """Staff at 0 and 16 min, the customer at 8: no silence over 10 minutes, one session."""
    assert chat_handle_seconds([agent(0), customer(8), agent(16)]) == 60 + 16 * 60
    assert chat_handle_seconds([agent(0), agent(16)]) == 60 + 60


def test_a_marathon_session_is_capped_and_notes_count_as_work() -> None:
    marathon = [agent(5 * n, note=n % 3 == 0) for n in range(25)]  # two hours, a message every 5 min
    assert chat_handle_seconds(marathon) == 3600
    rules = HandleRules(chat_cap=timedelta(hours=3), chat_lead=timedelta())
    assert chat_handle_seconds(marathon, rules) == 120 * 60


def test_a_case_nobody_on_staff_wrote_in_has_no_handle_time() -> None:
    assert chat_handle_seconds([customer(0), customer(1)]) is None
    assert chat_handle_seconds([]) is None
    assert ticket_handle_seconds([customer(0), agent(5, note=True)]) is None


def test_a_ticket_costs_its_replies_not_its_notes() -> None:
    mail = [customer(0), agent(60), agent(61, note=True), customer(600), agent(2000)]
    assert ticket_handle_seconds(mail) == 2 * 300
    assert ticket_handle_seconds(mail, HandleRules(ticket_reply=timedelta(minutes=8))) == 2 * 480


@pytest.mark.parametrize(
    "rules",
    [
        {"chat_gap": timedelta()},
        {"chat_cap": timedelta(seconds=-1)},
        {"ticket_reply": timedelta()},
        {"chat_lead": timedelta(seconds=-1)},
    ],
)
def test_nonsense_rules_are_refused(rules: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        HandleRules(**rules)


def test_a_window_is_whole_local_days_even_across_a_clock_change() -> None:
    """Berlin moved to summer time on 29 March 2026: two local days, 47 hours."""
    start, end = window(date(2026, 3, 30), 2, "Europe/Berlin")
    assert (start.isoformat(), end.isoformat()) == ("2026-03-28T00:00:00+01:00", "2026-03-30T00:00:00+02:00")
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=47)
    history = History(start, end, "Europe/Berlin", ())
    assert history.days == 2 and history.day_count(weekday=6) == 1 and history.day_count(weekday=0) == 0
    with pytest.raises(ValueError, match="at least one day"):
        window(date(2026, 3, 30), 0, "UTC")


def case(local: str, channel: Channel, kind: TicketType, handle: float | None) -> CaseRecord:
    arrived = datetime.fromisoformat(local).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    workload = Workload.CHAT if channel in (Channel.WEB_CHAT, Channel.WECHAT) else Workload.TICKET
    return CaseRecord(arrived, workload, kind, channel, handle)


def history() -> History:
    """A week from Wednesday 4 March 2026 (Shanghai): three chats at 09:xx, two on Tuesday."""
    start, end = window(date(2026, 3, 11), 7, "Asia/Shanghai")
    cases = (
        case("2026-03-09 09:10", Channel.WEB_CHAT, TicketType.CONSULTATION, 300.0),
        case("2026-03-10 09:40", Channel.WECHAT, TicketType.TECHNICAL, 900.0),
        case("2026-03-10 09:50", Channel.WEB_CHAT, TicketType.TECHNICAL, None),
        case("2026-03-05 14:20", Channel.EMAIL, TicketType.OTHER, 600.0),
    )
    return History(start, end, "Asia/Shanghai", cases)


def test_arrivals_are_a_mean_per_day_of_each_local_hour() -> None:
    week = history()
    chats = week.arrivals_by_hour(Workload.CHAT)
    assert chats[9] == pytest.approx(3 / 7) and sum(chats) == pytest.approx(3 / 7)
    assert week.arrivals_by_hour(Workload.CHAT, weekday=1)[9] == 2.0  # the one Tuesday
    assert week.arrivals_by_hour(Workload.TICKET)[14] == pytest.approx(1 / 7)
    assert week.handle_seconds(Workload.CHAT) == 600.0  # the unanswered chat is not in the mean
    assert week.handle_seconds(Workload.CHAT, TicketType.TECHNICAL) == 900.0
    demand = week.demand(Workload.CHAT)
    assert len(demand) == 24 and demand[9].hour == "09:00"
    assert {row.handle_seconds for row in demand} == {600.0}


def test_demand_without_any_measured_handle_time_needs_a_default() -> None:
    start, end = window(date(2026, 3, 11), 7, "Asia/Shanghai")
    silent = History(
        start, end, "Asia/Shanghai", (case("2026-03-09 09:10", Channel.EMAIL, TicketType.OTHER, None),)
    )
    with pytest.raises(ValueError, match="no ticket case in the window has a handle time"):
        silent.demand(Workload.TICKET)
    assert silent.demand(Workload.TICKET, default_handle_seconds=900)[9].handle_seconds == 900


def test_the_recorded_chats_replay_in_seconds_from_the_start_of_the_window() -> None:
    week = history()
    recording = recorded(week, Workload.CHAT)
    assert recording.ticket_types == (TicketType.TECHNICAL, TicketType.CONSULTATION)  # catalogue order
    monday_0910 = (5 * 24 + 9) * 3600 + 600
    assert recording.arrivals == (
        Arrival(monday_0910, 1, 300.0),
        Arrival(monday_0910 + 24 * 3600 + 30 * 60, 0, 900.0),
        Arrival(monday_0910 + 24 * 3600 + 40 * 60, 0, 900.0),  # unanswered: its type's mean
    )
    assert recording.seconds == 7 * 24 * 3600
    assert recording.types[0].arrivals_per_second == pytest.approx(2 / recording.seconds)


def test_a_replay_is_one_run_per_staffing_unless_patience_adds_chance() -> None:
    """One technical agent: the 09:50 case waits 5 min for the 15-minute 09:40 one; late is a
    miss whether the case then stays or gives up, so the service level is 0.5 either way."""
    recording = recorded(history(), Workload.CHAT)
    exact = replay_experiment(recording, within_seconds=20)
    floor = exact.run([frozenset({0}), frozenset({1})])
    assert (exact.replications, exact.max_replications, floor.replications) == (2, 2, 2)
    assert floor.service_level[0].mean == 0.5 and floor.service_level[0].half_width == 0.0
    assert floor.asa_seconds[0].mean == pytest.approx(150.0)
    assert minimum_agents(exact, dedicated, target=0.8).agents == 3

    routed = RoutedRule(["technical", "consultation"], RoutingPolicy.SKILLS)
    impatient = replay_experiment(recording, within_seconds=20, patience_seconds=60, seed=1, rule=routed)
    runs = impatient.run([frozenset({0}), frozenset({1})], replications=8)
    assert runs.replications == 8 and runs.abandonment[0].mean > 0
    assert runs.service_level[0].mean == 0.5  # the first technical case is answered at once, the other never
