"""Skill routing (R-HD-2), decision by decision: needs, checks, policies, advisors, the queue."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.routing import (
    AgentState,
    Exclusion,
    RouteReason,
    choose,
    choose_many,
    next_for,
    reroute_from,
    score,
    why_not,
)
from servicedesk.domain.routing_rules import (
    PINNED_BAND,
    CaseNeeds,
    LanguageSource,
    Presence,
    RoutingPolicy,
    RoutingRules,
    ScoreWeights,
    Workload,
    canonical_skills,
    needs_for,
    queue_band,
    queue_key,
    tier_ceiling,
    workload_of,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CHAT, TICKET = Workload.CHAT, Workload.TICKET
ONLINE, AWAY, OFFLINE = Presence.ONLINE, Presence.AWAY, Presence.OFFLINE
SKILLS, ROUND_ROBIN, LEAST_LOADED = list(RoutingPolicy)


def agent(
    id: int,
    *,
    presence: Presence = ONLINE,
    on_shift: bool = True,
    skills: Mapping[str, int] | None = None,
    chats: int = 0,
    tickets: int = 0,
    chat_cap: int = 3,
    ticket_cap: int = 10,
    tier: int = 1,
    min_tier: int | None = None,
    teams: tuple[int, ...] = (1,),
    idle_minutes: float | None = 30,
) -> AgentState:
    last = None if idle_minutes is None else NOW - timedelta(minutes=idle_minutes)
    return AgentState(
        id=id,
        presence=presence,
        on_shift=on_shift,
        skills=skills or {},
        capacity={CHAT: chat_cap, TICKET: ticket_cap},
        load={CHAT: chats, TICKET: tickets},
        tier=tier,
        min_tier=min_tier,
        team_ids=frozenset(teams),
        last_assigned_at=last,
    )


def case(kind: Workload = CHAT, /, **kw: object) -> CaseNeeds:
    return CaseNeeds(kind, **kw)  # type: ignore[arg-type]


REFUNDS = case(preferred=("refunds",))
ENGLISH = case(required={"lang:en": 2})


# -- what a case needs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "kind", "required", "preferred", "vip"),
    [
        ({"ticket_type": TicketType.TECHNICAL, "channel": Channel.WEB_CHAT}, CHAT, {}, ("technical",), False),
        ({"ticket_type": TicketType.TECHNICAL, "channel": Channel.WECHAT, "tags": ["技术", "固件"]}, CHAT, {}, ("technical",), False),
        ({"ticket_type": TicketType.SERVICE_QUALITY, "channel": Channel.EMAIL, "tags": ["退款"]}, TICKET, {}, ("complaint", "refunds"), False),
        ({"ticket_type": TicketType.CONSULTATION, "channel": Channel.WEB_FORM, "tags": [" 投诉 ", "发票"]}, TICKET, {}, ("billing", "complaint"), False),
        ({"ticket_type": TicketType.CONSULTATION, "channel": Channel.DOUYIN, "tags": ["Logistics"]}, CHAT, {}, ("logistics",), False),
        ({"ticket_type": TicketType.OTHER, "channel": Channel.WEB_CHAT, "language": "en-US"}, CHAT, {"lang:en": 2}, (), False),
        ({"ticket_type": TicketType.OTHER, "channel": Channel.PHONE, "language": "zh"}, TICKET, {}, (), False),
        ({"ticket_type": TicketType.OTHER, "channel": Channel.API, "customer_tier": CustomerTier.VIP2}, TICKET, {}, (), True),
        ({"ticket_type": TicketType.OTHER, "channel": Channel.WEIBO, "tags": ["高价值"]}, CHAT, {}, (), True),
        ({"ticket_type": TicketType.OTHER, "channel": Channel.WEIBO, "tags": ["老客户"]}, CHAT, {}, (), False),
    ],
)  # fmt: skip
def test_it_derives_needs_from_the_case(
    kw: dict[str, object], kind: Workload, required: dict[str, int], preferred: tuple[str, ...], vip: bool
) -> None:
    needs = needs_for(**kw)  # type: ignore[arg-type]
    got = (needs.kind, dict(needs.required), needs.preferred, needs.is_vip)
    assert got == (kind, required, preferred, vip)


def test_it_makes_a_skill_required_when_the_rules_say_so() -> None:
    rules = RoutingRules(required_skills=frozenset({"refunds"}), required_level=3)
    needs = needs_for(ticket_type=TicketType.TECHNICAL, channel=Channel.EMAIL, tags=["退款"], rules=rules)
    assert dict(needs.required) == {"refunds": 3}
    assert needs.preferred == ("technical",)


def test_it_carries_the_routing_context_of_the_case() -> None:
    needs = needs_for(
        ticket_type=TicketType.TECHNICAL,
        channel=Channel.EMAIL,
        advisor_id=9,
        priority=Priority.HIGH,
        tier=2,
        team_id=4,
    )
    assert (needs.advisor_id, needs.priority, needs.tier, needs.team_id) == (9, Priority.HIGH, 2, 4)


@pytest.mark.parametrize(
    ("raw", "aliases", "expected"),
    [
        ({"退款": 4, "英语": 3}, {}, {"refunds": 4, "lang:en": 3}),
        ({"退款": 4, "Refunds": 5}, {}, {"refunds": 5}),
        ({"投诉处理": 5, "客户关系": 2}, {}, {"complaint": 5, "客户关系": 2}),
        ({"售后": 3}, {"售后": "refunds"}, {"refunds": 3}),
    ],
)
def test_it_folds_skill_names_onto_codes(
    raw: dict[str, int], aliases: dict[str, str], expected: dict[str, int]
) -> None:
    assert canonical_skills(raw, RoutingRules(skill_aliases=aliases)) == expected


@pytest.mark.parametrize(
    ("channel", "kind"),
    [(Channel.WEB_CHAT, CHAT), (Channel.WECHAT, CHAT), (Channel.EMAIL, TICKET), (Channel.PHONE, TICKET)],
)
def test_it_maps_channels_to_workloads(channel: Channel, kind: Workload) -> None:
    assert workload_of(channel) is kind


# -- who may take it ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "needs", "expected"),
    [
        (agent(1), case(), None),
        (agent(1, presence=OFFLINE), case(), Exclusion.OFFLINE),
        (agent(1, presence=AWAY), case(CHAT), Exclusion.AWAY),
        (agent(1, presence=AWAY), case(TICKET), None),
        (agent(1, on_shift=False), case(), Exclusion.OFF_SHIFT),
        (agent(1, chats=3), case(CHAT), Exclusion.FULL),
        (agent(1, chats=3), case(TICKET), None),
        (agent(1, tickets=10), case(TICKET), Exclusion.FULL),
        (agent(1, chat_cap=0), case(CHAT), Exclusion.NO_CAPACITY),
        (agent(1, tier=1), case(tier=2), Exclusion.WRONG_TIER),
        (agent(1, tier=3), case(tier=2), None),
        # tiers are a ceiling: an ordinary case goes no higher than its own tier
        (agent(1, tier=2), case(max_tier=1), Exclusion.ABOVE_TIER),
        (agent(1, tier=3), case(max_tier=2), Exclusion.ABOVE_TIER),
        (agent(1, tier=2), case(max_tier=2), None),
        (agent(1, tier=3, min_tier=1), case(max_tier=1), None),  # also on the front line
        (agent(1, tier=3), case(max_tier=1, advisor_id=1), None),  # a VIP's advisor, whatever tier
        (agent(1, tier=3), case(tier=2, max_tier=None), None),  # escalated: no ceiling
        (agent(1, tier=3, chats=3), case(max_tier=1), Exclusion.ABOVE_TIER),  # before "full"
        (agent(1), ENGLISH, Exclusion.MISSING_SKILL),
        (agent(1, skills={"lang:en": 1}), ENGLISH, Exclusion.MISSING_SKILL),
        (agent(1, skills={"lang:en": 2}), ENGLISH, None),
        (agent(1), REFUNDS, None),  # a preferred skill only scores
        (agent(1, teams=(2,)), case(team_id=1), Exclusion.OTHER_TEAM),
        (agent(1, teams=(1, 2)), case(team_id=2), None),
        (agent(1), case(exclude=frozenset({1})), Exclusion.EXCLUDED),
        (agent(1, presence=OFFLINE, chats=3, on_shift=False), case(), Exclusion.OFFLINE),  # first failure
        (agent(1, on_shift=False, chats=3), ENGLISH, Exclusion.OFF_SHIFT),
    ],
)
def test_it_excludes_an_agent_for_the_first_check_they_fail(
    who: AgentState, needs: CaseNeeds, expected: Exclusion | None
) -> None:
    assert why_not(who, needs) == expected


def test_it_lets_away_agents_take_only_the_workloads_the_rules_name() -> None:
    rules = RoutingRules(away_takes=frozenset())
    assert why_not(agent(1, presence=AWAY), case(TICKET), rules) is Exclusion.AWAY


# -- which of them: the policies ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "agents", "needs", "chosen"),
    [
        # skills: a specialist with one chat left beats an idle generalist
        (SKILLS, [agent(1), agent(2, skills={"refunds": 5}, chats=2)], REFUNDS, 2),
        # skills: a higher level wins at equal load
        (SKILLS, [agent(1, skills={"refunds": 3}), agent(2, skills={"refunds": 4})], REFUNDS, 2),
        # skills: equal skills, more spare capacity wins
        (SKILLS, [agent(1, skills={"refunds": 4}, chats=1), agent(2, skills={"refunds": 4})], REFUNDS, 2),
        # skills: equal skills and load, longer idle wins
        (SKILLS, [agent(1, idle_minutes=2), agent(2, idle_minutes=8)], case(), 2),
        # skills: an L1 agent before an equal L2 expert for L1 work
        (SKILLS, [agent(1, tier=2), agent(2, tier=1)], case(), 2),
        # skills: required language levels count in the fit
        (SKILLS, [agent(1, skills={"lang:en": 2}), agent(2, skills={"lang:en": 5})], ENGLISH, 2),
        # round robin: never assigned first, else least recently assigned, skills ignored
        (ROUND_ROBIN, [agent(1, skills={"refunds": 5}), agent(2, idle_minutes=None)], REFUNDS, 2),
        (
            ROUND_ROBIN,
            [agent(1, idle_minutes=5), agent(2, idle_minutes=9), agent(3, idle_minutes=1)],
            case(),
            2,
        ),
        # least loaded: share of capacity, so 3 of 10 is lighter than 1 of 3
        (LEAST_LOADED, [agent(1, chats=1, chat_cap=3), agent(2, chats=3, chat_cap=10)], case(), 2),
        (LEAST_LOADED, [agent(1, tickets=4), agent(2, tickets=1, skills={"refunds": 1})], case(TICKET), 2),
        # least loaded: equal share, the least recently assigned
        (LEAST_LOADED, [agent(1, chats=1, idle_minutes=3), agent(2, chats=1, idle_minutes=20)], case(), 2),
    ],
)
def test_it_chooses_by_policy(
    policy: RoutingPolicy, agents: list[AgentState], needs: CaseNeeds, chosen: int
) -> None:
    assert choose(needs, agents, now=NOW, policy=policy).agent_id == chosen


@pytest.mark.parametrize("policy", list(RoutingPolicy))
def test_it_breaks_ties_by_the_lowest_id(policy: RoutingPolicy) -> None:
    agents = [agent(7), agent(3), agent(5)]
    assert choose(case(), agents, now=NOW, policy=policy).agent_id == 3


@pytest.mark.parametrize("policy", list(RoutingPolicy))
def test_it_prefers_anyone_online_to_an_away_agent(policy: RoutingPolicy) -> None:
    agents = [agent(1, presence=AWAY, skills={"refunds": 5}, idle_minutes=None), agent(2, tickets=9)]
    decision = choose(case(TICKET, preferred=("refunds",)), agents, now=NOW, policy=policy)
    assert decision.agent_id == 2


def test_it_gives_a_ticket_to_an_away_agent_when_nobody_online_fits() -> None:
    agents = [agent(1, presence=AWAY), agent(2, tickets=10), agent(3, presence=OFFLINE)]
    decision = choose(case(TICKET), agents, now=NOW)
    assert decision.agent_id == 1
    assert decision.reasons[-1].code is RouteReason.AWAY_FALLBACK


def test_it_weighs_skills_more_and_ignores_seniority_for_a_vip() -> None:
    junior = agent(1, skills={"refunds": 4})
    expert = agent(2, skills={"refunds": 5}, tier=2, chats=1)
    assert choose(REFUNDS, [junior, expert], now=NOW).agent_id == 1
    vip = case(preferred=("refunds",), is_vip=True)
    assert choose(vip, [junior, expert], now=NOW).agent_id == 2
    assert score(expert, vip, NOW) > score(expert, REFUNDS, NOW)


def test_it_keeps_experts_for_expert_work_but_not_from_a_vip() -> None:
    expert, junior = agent(1, tier=2), agent(2, tier=1)
    assert choose(case(), [expert, junior], now=NOW).agent_id == 2
    assert choose(case(is_vip=True), [expert, junior], now=NOW).agent_id == 1  # equal: lowest id


# -- the dedicated advisor ---------------------------------------------------------------------

SPECIALIST = agent(1, skills={"refunds": 5, "lang:en": 5}, idle_minutes=None)


@pytest.mark.parametrize(
    ("advisor", "needs", "policy", "chosen", "why"),
    [
        (agent(9), case(preferred=("refunds",)), SKILLS, 9, None),  # preferred skills do not matter
        (agent(9, chats=2), case(), ROUND_ROBIN, 9, None),  # under every policy
        (agent(9, chats=2), case(), LEAST_LOADED, 9, None),
        (agent(9, presence=AWAY), case(TICKET), SKILLS, 1, Exclusion.AWAY),  # must be online
        (agent(9, chats=3), case(), SKILLS, 1, Exclusion.FULL),
        (agent(9, presence=OFFLINE), case(), SKILLS, 1, Exclusion.OFFLINE),
        (agent(9, on_shift=False), case(), SKILLS, 1, Exclusion.OFF_SHIFT),
        (agent(9), case(required={"lang:en": 2}), SKILLS, 1, Exclusion.MISSING_SKILL),  # must write English
        (agent(9), case(tier=2), SKILLS, None, Exclusion.WRONG_TIER),  # escalated past them
        (None, case(), SKILLS, 1, Exclusion.OFFLINE),  # not signed in: not among the agents
    ],
)
def test_it_gives_a_case_to_the_dedicated_advisor_when_available(
    advisor: AgentState | None,
    needs: CaseNeeds,
    policy: RoutingPolicy,
    chosen: int | None,
    why: Exclusion | None,
) -> None:
    needs = replace(needs, is_vip=True, advisor_id=9)
    agents = [SPECIALIST] if advisor is None else [SPECIALIST, advisor]
    decision = choose(needs, agents, now=NOW, policy=policy)
    assert decision.agent_id == chosen
    if why is None:
        assert decision.reasons[0].code is RouteReason.ADVISOR
    else:
        unavailable = [w for w in decision.reasons if w.code is RouteReason.ADVISOR_UNAVAILABLE]
        assert [w.params["why"] for w in unavailable] == [why.value]


# -- when nobody fits: the queue ---------------------------------------------------------------


def test_it_queues_and_counts_who_was_excluded_and_why() -> None:
    agents = [
        agent(1, chats=3),
        agent(2, chats=2, chat_cap=2, skills={"lang:en": 4}),
        agent(3, presence=OFFLINE),
        agent(4, on_shift=False),
        agent(5, presence=AWAY),
        agent(6, chat_cap=0),
        agent(7, skills={"lang:en": 4}, chats=3),
    ]
    decision = choose(ENGLISH, agents, now=NOW)
    assert decision.agent_id is None and decision.score is None
    assert decision.reasons[0].code is RouteReason.NOBODY
    assert dict(decision.excluded) == {
        Exclusion.FULL: 2,
        Exclusion.MISSING_SKILL: 1,
        Exclusion.OFFLINE: 1,
        Exclusion.OFF_SHIFT: 1,
        Exclusion.AWAY: 1,
        Exclusion.NO_CAPACITY: 1,
    }
    assert (decision.fitting, decision.fitting_slots) == (2, 5)  # agents 2 and 7: 2 + 3 chats


def test_it_explains_the_choice_in_both_languages() -> None:
    agents = [agent(1, skills={"refunds": 4, "lang:en": 3}, chats=2), agent(2, presence=OFFLINE)]
    decision = choose(case(required={"lang:en": 2}, preferred=("refunds", "billing")), agents, now=NOW)
    assert decision.summary() == "综合匹配最优；技能 英语 3 级；技能 退款 4 级；无 发票 技能；负载 2/3"
    assert decision.summary("en") == (
        "Best overall match; Skill English level 3; Skill Refunds level 4; No Billing skill; Load 2/3"
    )
    assert dict(decision.excluded) == {Exclusion.OFFLINE: 1}


def test_it_names_the_customers_language_and_where_it_was_read() -> None:
    needs = needs_for(
        ticket_type=TicketType.OTHER, channel=Channel.WEB_CHAT, language="en",
        language_source=LanguageSource.MESSAGES,
    )  # fmt: skip
    chosen = choose(needs, [agent(1), agent(2, skills={"lang:en": 4})], now=NOW)
    assert chosen.agent_id == 2
    assert chosen.summary() == "综合匹配最优；客户语言 英文（据客户消息识别），坐席 4 级；负载 0/3"
    assert chosen.summary("en") == (
        "Best overall match; Customer writes English (detected from what they wrote); agent level 4; Load 0/3"
    )
    waiting = choose(needs, [agent(1), agent(2, skills={"lang:en": 4}, chats=3)], now=NOW)
    assert waiting.agent_id is None
    assert waiting.summary("en") == (
        "Nobody can take it now; queued; Customer writes English (detected from what they wrote); "
        "waits for someone who writes it"
    )


def test_it_says_when_a_case_waits_below_a_free_higher_tier() -> None:
    decision = choose(case(max_tier=2), [agent(1, tier=2, chats=3), agent(2, tier=3)], now=NOW)
    assert decision.agent_id is None
    assert decision.summary() == "暂无可接坐席，进入排队；未升级的 L2 工单不交给更高层级"
    assert dict(decision.excluded) == {Exclusion.FULL: 1, Exclusion.ABOVE_TIER: 1}
    assert (decision.fitting, decision.fitting_slots) == (1, 3)  # the wait counts only its own tier


@pytest.mark.parametrize(
    ("needs", "ceiling"),
    [
        (case(), 1),  # nothing special: the front line
        (case(preferred=("refunds",)), 1),  # the front line has refunds
        (case(preferred=("complaint",)), 2),  # only the complaint team (L2) handles complaints
        (case(preferred=("refunds", "complaint")), 2),
        (case(preferred=("technical",)), 1),  # the front line has it, the experts better: still L1
        (case(required={"lang:en": 2}), 2),  # English at level 2 only among the experts
        (case(required={"lang:en": 1}), 1),
        (case(preferred=("billing",)), 1),  # nobody has it: nowhere higher to go
        (case(preferred=("emergency",)), 3),
    ],
)
def test_a_case_with_no_team_reaches_up_only_for_what_the_front_line_lacks(
    needs: CaseNeeds, ceiling: int
) -> None:
    holders = {
        "refunds": {1: 3, 2: 4},
        "complaint": {2: 5, 3: 4},
        "technical": {1: 2, 2: 5},
        "lang:en": {1: 1, 2: 4},
        "emergency": {3: 5},
    }
    assert tier_ceiling(needs, holders) == ceiling
    assert tier_ceiling(needs, holders, RoutingRules(open_max_tier=2)) == max(ceiling, 2)


def test_it_explains_an_unavailable_advisor() -> None:
    needs = case(is_vip=True, advisor_id=9)
    decision = choose(needs, [agent(1), agent(9, chats=3)], now=NOW, policy=ROUND_ROBIN)
    assert decision.summary() == "轮询：最久未分配；专属顾问不可用：已满负荷；负载 0/3"
    advised = choose(needs, [agent(1), agent(9)], now=NOW)
    assert advised.summary("en") == "Dedicated advisor; Load 0/3"


def _queued(priority: Priority, vip: bool, minute: int) -> tuple[int, datetime]:
    return queue_key(priority, vip, NOW + timedelta(minutes=minute))


def test_it_orders_the_queue_by_band_then_arrival() -> None:
    expected = [
        ("vip high", _queued(Priority.HIGH, True, 9)),
        ("vip medium", _queued(Priority.MEDIUM, True, 5)),  # a VIP medium goes before a regular high
        ("high early", _queued(Priority.HIGH, False, 1)),
        ("high late", _queued(Priority.HIGH, False, 8)),
        ("vip low", _queued(Priority.LOW, True, 7)),
        ("medium", _queued(Priority.MEDIUM, False, 0)),
        ("low", _queued(Priority.LOW, False, 2)),
    ]
    shuffled = random.Random(5).sample(expected, len(expected))
    assert [name for name, _ in sorted(shuffled, key=lambda pair: pair[1])] == [name for name, _ in expected]


@pytest.mark.parametrize(("boost", "vip_medium_first"), [(0, False), (1, True), (2, True)])
def test_it_lets_the_rules_set_how_far_a_vip_moves_up(boost: int, vip_medium_first: bool) -> None:
    rules = RoutingRules(vip_band_boost=boost)
    vip_medium = queue_band(Priority.MEDIUM, True, rules)
    assert (vip_medium < queue_band(Priority.HIGH, False, rules)) is vip_medium_first
    assert min(queue_band(p, v, rules) for p in Priority for v in (True, False)) > PINNED_BAND


def test_it_gives_a_freed_slot_to_the_first_queued_case_that_fits() -> None:
    queue = [ENGLISH, case(TICKET), case(CHAT), case(CHAT)]
    assert next_for(agent(1), queue) == 1
    assert next_for(agent(1, tickets=10), queue) == 2
    assert next_for(agent(1, skills={"lang:en": 3}), queue) == 0
    assert next_for(agent(1, chats=3, tickets=10), queue) is None


def test_it_gives_a_freed_advisor_their_own_customer_first() -> None:
    own = {"is_vip": True, "advisor_id": 1}
    queue = [case(), case(TICKET), case(TICKET, **own), case(**own)]
    assert next_for(agent(1), queue) == 2
    assert next_for(agent(1, tickets=10), queue) == 3
    assert next_for(agent(1, presence=AWAY), queue) == 1  # away: the first ticket, no advisor priority
    assert next_for(agent(2), queue) == 0


# -- batches: several cases at once, an agent going offline -----------------------------------


def test_it_counts_earlier_cases_of_a_batch_against_the_agent() -> None:
    decisions = choose_many([case(), case(), case()], [agent(1, chat_cap=1), agent(2, chat_cap=1)], now=NOW)
    assert [d.agent_id for d in decisions] == [1, 2, None]


def test_it_rotates_round_robin_across_a_batch() -> None:
    agents = [agent(1), agent(2), agent(3)]
    decisions = choose_many([case()] * 4, agents, now=NOW, policy=ROUND_ROBIN)
    assert [d.agent_id for d in decisions] == [1, 2, 3, 1]


def test_it_reroutes_the_live_chats_of_an_agent_who_went_offline_most_urgent_first() -> None:
    leaving = agent(1, chats=3, presence=OFFLINE)
    helper = agent(2, chats=2)  # room for one more chat
    cases = [
        case(CHAT, priority=Priority.LOW),
        case(TICKET),
        case(CHAT, priority=Priority.HIGH, is_vip=True),
    ]
    low, ticket, vip = reroute_from(1, cases, [leaving, helper], now=NOW)
    assert ticket is None  # stays with them for their next shift
    assert vip is not None and vip.agent_id == 2
    assert low is not None and low.agent_id is None
    assert dict(low.excluded) == {Exclusion.EXCLUDED: 1, Exclusion.FULL: 1}


# -- rules and invariants ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: RoutingRules(required_level=0),
        lambda: RoutingRules(required_level=6),
        lambda: RoutingRules(vip_band_boost=-1),
        lambda: RoutingRules(default_capacity={CHAT: -1}),
        lambda: RoutingRules(channel_workload={Channel.EMAIL: TICKET}),
        lambda: ScoreWeights(skill=-1),
        lambda: ScoreWeights(idle_horizon=timedelta()),
    ],
)
def test_it_refuses_rules_that_make_no_sense(make: object) -> None:
    with pytest.raises(ValueError, match=r"."):
        make()  # type: ignore[operator]


def test_it_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="aware"):
        choose(case(), [agent(1)], now=datetime(2026, 3, 2, 10, 0))


_agents = st.builds(
    lambda i, presence, shift, en, refunds, chats, tickets, tier, idle: agent(
        i,
        presence=presence,
        on_shift=shift,
        skills={k: v for k, v in (("lang:en", en), ("refunds", refunds)) if v},
        chats=chats,
        tickets=tickets,
        tier=tier,
        idle_minutes=idle,
    ),
    st.integers(1, 60),
    st.sampled_from(list(Presence)),
    st.booleans(),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 3),
    st.integers(0, 10),
    st.integers(1, 3),
    st.none() | st.integers(0, 60),
)
_needs = st.builds(
    CaseNeeds,
    st.sampled_from(list(Workload)),
    st.sampled_from([{}, {"lang:en": 2}]),
    st.sampled_from([(), ("refunds",)]),
    st.integers(1, 3),
    st.booleans(),
    st.none() | st.integers(1, 60),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_agents, max_size=12, unique_by=lambda a: a.id), _needs, st.sampled_from(list(RoutingPolicy)))
def test_it_only_chooses_someone_who_fits_whatever_the_order(
    agents: list[AgentState], needs: CaseNeeds, policy: RoutingPolicy
) -> None:
    decision = choose(needs, agents, now=NOW, policy=policy)
    reversed_ = choose(needs, list(reversed(agents)), now=NOW, policy=policy)
    assert decision.agent_id == reversed_.agent_id
    fits = [a for a in agents if why_not(a, needs) is None]
    assert sum(decision.excluded.values()) == len(agents) - len(fits)  # each agent counted once
    assert (decision.agent_id is None) == (not fits)
    if decision.agent_id is not None:
        assert decision.agent_id in {a.id for a in fits}
