"""Who takes a case (R-HD-2): a pure decision over a snapshot of agent states.

The service loads the states (presence, shift, skills, loads) and calls `choose`; nothing here
reads a clock, a database or a setting, so every rule is a row in a table test; a decision
among 500 agents costs about half a millisecond of CPU (`python -m bench.routing`).

The order of the checks in `why_not` is part of the contract: each agent is counted under the
first check it fails, and `full` comes last, so the agents counted as full are exactly those who
would fit if they had room — the pool whose finishing work a queued case waits for.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from servicedesk.domain.labels import DEFAULT_LOCALE, Locale, label, register
from servicedesk.domain.language import language_name
from servicedesk.domain.routing_rules import (
    DEFAULT_RULES,
    MAX_LEVEL,
    CaseNeeds,
    LanguageSource,
    Presence,
    RoutingPolicy,
    RoutingRules,
    Workload,
    queue_band,
    skill_label,
)


class Exclusion(StrEnum):
    """Why an agent could not take the case, in the order the checks run."""

    EXCLUDED = "excluded"  # named in CaseNeeds.exclude
    OTHER_TEAM = "other_team"
    NO_CAPACITY = "no_capacity"  # capacity 0 for this workload: does not do this work
    OFFLINE = "offline"
    AWAY = "away"
    OFF_SHIFT = "off_shift"
    WRONG_TIER = "wrong_tier"
    ABOVE_TIER = "above_tier"  # the case is not escalated: tiers are a ceiling
    MISSING_SKILL = "missing_skill"
    FULL = "full"


class RouteReason(StrEnum):
    """Why the chosen agent got the case, as shown to agents and supervisors; the labels are
    templates filled from `Why.params`."""

    ADVISOR = "advisor"
    ADVISOR_UNAVAILABLE = "advisor_unavailable"
    BEST_MATCH = "best_match"
    LEAST_RECENT = "least_recent"
    LEAST_LOADED = "least_loaded"
    SKILL = "skill"
    LACKS = "lacks"
    LOAD = "load"
    LANGUAGE = "language"  # the chosen agent writes the customer's language
    LANGUAGE_WAIT = "language_wait"  # nobody free writes it: the case waits for someone who does
    TIER_CEILING = "tier_ceiling"  # a higher tier was free but the case is not theirs
    AWAY_FALLBACK = "away_fallback"
    NOBODY = "nobody"


for _value, _zh, _en in [
    (Exclusion.EXCLUDED, "已排除", "Excluded"),
    (Exclusion.OTHER_TEAM, "不在该团队", "In another team"),
    (Exclusion.NO_CAPACITY, "不接此类工作", "Does not take this work"),
    (Exclusion.OFFLINE, "离线", "Offline"),
    (Exclusion.AWAY, "离开", "Away"),
    (Exclusion.OFF_SHIFT, "不在班", "Off shift"),
    (Exclusion.WRONG_TIER, "层级不够", "Tier too low"),
    (Exclusion.ABOVE_TIER, "层级高于工单（未升级）", "Higher tier than the case (not escalated)"),
    (Exclusion.MISSING_SKILL, "缺少所需技能", "Missing a required skill"),
    (Exclusion.FULL, "已满负荷", "At capacity"),
    (RouteReason.ADVISOR, "专属顾问", "Dedicated advisor"),
    (RouteReason.ADVISOR_UNAVAILABLE, "专属顾问不可用：{why}", "Dedicated advisor unavailable: {why}"),
    (RouteReason.BEST_MATCH, "综合匹配最优", "Best overall match"),
    (RouteReason.LEAST_RECENT, "轮询：最久未分配", "Round robin: longest since an assignment"),
    (RouteReason.LEAST_LOADED, "负载最低", "Least loaded"),
    (RouteReason.SKILL, "技能 {skill} {level} 级", "Skill {skill} level {level}"),
    (RouteReason.LACKS, "无 {skill} 技能", "No {skill} skill"),
    (RouteReason.LOAD, "负载 {load}/{capacity}", "Load {load}/{capacity}"),
    (
        RouteReason.LANGUAGE,
        "客户语言 {language}（{source}），坐席 {level} 级",
        "Customer writes {language} ({source}); agent level {level}",
    ),
    (
        RouteReason.LANGUAGE_WAIT,
        "客户语言 {language}（{source}），等待懂{language}的坐席",
        "Customer writes {language} ({source}); waits for someone who writes it",
    ),
    (
        RouteReason.TIER_CEILING,
        "未升级的 L{tier} 工单不交给更高层级",
        "Not escalated: an L{tier} case stays within its tier",
    ),
    (RouteReason.AWAY_FALLBACK, "在线坐席均不可接，分给离开中的坐席", "Nobody online fits; away agent"),
    (RouteReason.NOBODY, "暂无可接坐席，进入排队", "Nobody can take it now; queued"),
]:
    register(_value, _zh, _en)

_POLICY_REASON = {
    RoutingPolicy.SKILLS: RouteReason.BEST_MATCH,
    RoutingPolicy.ROUND_ROBIN: RouteReason.LEAST_RECENT,
    RoutingPolicy.LEAST_LOADED: RouteReason.LEAST_LOADED,
}


@dataclass(frozen=True, slots=True)
class AgentState:
    """One agent as routing sees them at one moment. `on_shift` is the service's reading of
    their working hours; `skills` are codes (`canonical_skills`) with levels 1–5; a workload
    missing from `capacity` is one they do not take. `tier` is the highest tier of their teams,
    `min_tier` the lowest (None: the same), which is the one that counts against a case's
    ceiling: an agent in the front line and the emergency group takes front-line work."""

    id: int
    presence: Presence
    on_shift: bool = True
    skills: Mapping[str, int] = field(default_factory=dict)
    capacity: Mapping[Workload, int] = field(default_factory=dict)
    load: Mapping[Workload, int] = field(default_factory=dict)
    tier: int = 1
    team_ids: frozenset[int] = frozenset()
    last_assigned_at: datetime | None = None
    min_tier: int | None = None

    def took(self, kind: Workload, now: datetime) -> AgentState:
        """The state after one more case of `kind`, so a batch does not pile onto one agent."""
        load = {**self.load, kind: self.load.get(kind, 0) + 1}
        return replace(self, load=load, last_assigned_at=now)


@dataclass(frozen=True, slots=True)
class Why:
    code: RouteReason
    params: Mapping[str, str | int] = field(default_factory=dict)

    def text(self, locale: Locale = DEFAULT_LOCALE) -> str:
        return label(self.code, locale).format(**{k: _shown(k, v, locale) for k, v in self.params.items()})


def _shown(key: str, value: str | int, locale: Locale) -> str:
    if key == "skill":
        return skill_label(str(value), locale)
    if key == "why":
        return label(Exclusion(str(value)), locale)
    if key == "language":
        return language_name(str(value), locale)
    if key == "source":
        return label(LanguageSource(str(value)), locale)
    return str(value)


@dataclass(frozen=True, slots=True)
class Decision:
    """`agent_id` None means queue the case. `score` is the chosen agent's skills score under
    any policy, for display. `fitting` / `fitting_slots` count the agents who pass every check
    but capacity, and their capacity for this workload: the pool a queued case waits on."""

    agent_id: int | None
    policy: RoutingPolicy
    score: float | None = None
    reasons: tuple[Why, ...] = ()
    excluded: Mapping[Exclusion, int] = field(default_factory=dict)
    fitting: int = 0
    fitting_slots: int = 0

    def summary(self, locale: Locale = DEFAULT_LOCALE) -> str:
        return ("; " if locale == "en" else "；").join(w.text(locale) for w in self.reasons)


def why_not(agent: AgentState, needs: CaseNeeds, rules: RoutingRules = DEFAULT_RULES) -> Exclusion | None:
    """None when `agent` may take the case now; else the first check they fail. An away agent
    passes for the workloads in `rules.away_takes`; `choose` still prefers anyone online."""
    return _checker(needs, rules)(agent)


def _checker(needs: CaseNeeds, rules: RoutingRules) -> Callable[[AgentState], Exclusion | None]:
    """`why_not` with the case's side worked out once: a decision checks every agent. One flat
    function, because the checks run 500 times a decision and a call costs as much as a check."""
    kind, team, exclude, tier = needs.kind, needs.team_id, needs.exclude, needs.tier
    required, away_ok = tuple(needs.required.items()), kind in rules.away_takes
    ceiling, advisor = needs.max_tier, needs.advisor_id

    def check(agent: AgentState) -> Exclusion | None:
        if agent.id in exclude:
            return Exclusion.EXCLUDED
        if team is not None and team not in agent.team_ids:
            return Exclusion.OTHER_TEAM
        capacity = agent.capacity.get(kind, 0)
        if capacity <= 0:
            return Exclusion.NO_CAPACITY
        if agent.presence is Presence.OFFLINE:
            return Exclusion.OFFLINE
        if agent.presence is Presence.AWAY and not away_ok:
            return Exclusion.AWAY
        if not agent.on_shift:
            return Exclusion.OFF_SHIFT
        if agent.tier < tier:
            return Exclusion.WRONG_TIER
        if ceiling is not None and agent.id != advisor:
            lowest = agent.tier if agent.min_tier is None else agent.min_tier
            if lowest > ceiling:
                return Exclusion.ABOVE_TIER
        if required and any(agent.skills.get(skill, 0) < level for skill, level in required):
            return Exclusion.MISSING_SKILL
        return Exclusion.FULL if agent.load.get(kind, 0) >= capacity else None

    return check


def score(agent: AgentState, needs: CaseNeeds, now: datetime, rules: RoutingRules = DEFAULT_RULES) -> float:
    """Higher is better; see `ScoreWeights` for the balance. Skill fit is the mean level over the
    case's skills (required and preferred), a missing one counting 0; with none it is 0 for all."""
    return _scorer(needs, rules, now)(agent)


def _scorer(needs: CaseNeeds, rules: RoutingRules, now: datetime) -> Callable[[AgentState], float]:
    """`score` with what depends only on the case worked out once: a decision scores hundreds."""
    w = rules.weights
    wanted = (*needs.required, *needs.preferred)
    vip = needs.is_vip
    per_level = w.skill * (w.vip_skill_factor if vip else 1.0) / (MAX_LEVEL * len(wanted)) if wanted else 0.0
    over_tier, kind, tier = (0.0 if vip else w.over_tier), needs.kind, needs.tier
    now_s, horizon_s = now.timestamp(), w.idle_horizon.total_seconds()

    def of(agent: AgentState) -> float:
        levels = sum([min(agent.skills.get(s, 0), MAX_LEVEL) for s in wanted])
        capacity = agent.capacity.get(kind, 0)
        spare = max(capacity - agent.load.get(kind, 0), 0) / capacity if capacity > 0 else 0.0
        last = agent.last_assigned_at
        idle = 1.0 if last is None else min(max((now_s - last.timestamp()) / horizon_s, 0.0), 1.0)
        return per_level * levels + w.spare * spare + w.idle * idle - over_tier * max(agent.tier - tier, 0)

    return of


def _key_for(
    policy: RoutingPolicy, needs: CaseNeeds, rules: RoutingRules, now: datetime
) -> Callable[[AgentState], float | tuple[float, float]]:
    """Larger is better. Round robin without shared state: the least recently assigned goes
    first, which rotates as long as every assignment updates `last_assigned_at`, and survives
    restarts and several app processes. Least loaded compares the share of capacity in use, so
    3 chats of 3 is fuller than 4 of 10; ties go to the least recently assigned."""
    if policy is RoutingPolicy.ROUND_ROBIN:
        return _recency
    if policy is RoutingPolicy.LEAST_LOADED:
        kind = needs.kind
        return lambda agent: (-agent.load.get(kind, 0) / agent.capacity[kind], _recency(agent))
    return _scorer(needs, rules, now)


def _recency(agent: AgentState) -> float:
    last = agent.last_assigned_at
    return math.inf if last is None else -last.timestamp()


@dataclass(slots=True)
class _Scan:
    """One pass over the agents: who fits, who would with room, the counts, the advisor. Filled
    by a plain loop, not a method call per agent: the pass is most of a decision's cost."""

    needs: CaseNeeds
    fit: list[AgentState] = field(default_factory=list)
    full: list[AgentState] = field(default_factory=list)
    excluded: dict[Exclusion, int] = field(default_factory=dict)
    advisor: AgentState | None = None
    advisor_check: Exclusion | None = None

    def advisor_why(self) -> Exclusion | None:
        """None when the advisor takes the case: they pass every check and are online."""
        if self.advisor is None:
            return Exclusion.OFFLINE  # not among the agents: not signed in
        if self.advisor_check is None and self.advisor.presence is not Presence.ONLINE:
            return Exclusion.AWAY
        return self.advisor_check

    def decision(self, agent: AgentState | None, policy: RoutingPolicy, reasons: list[Why]) -> Decision:
        kind, pool = self.needs.kind, (*self.fit, *self.full)
        slots = sum(a.capacity[kind] for a in pool)
        return Decision(
            None if agent is None else agent.id, policy, None, tuple(reasons), self.excluded, len(pool), slots
        )


def _scan(
    needs: CaseNeeds, agents: Iterable[AgentState], check: Callable[[AgentState], Exclusion | None]
) -> _Scan:
    scan = _Scan(needs)
    fit, full, excluded, advisor_id = scan.fit, scan.full, scan.excluded, needs.advisor_id
    for agent in agents:
        why = check(agent)
        if why is None:
            fit.append(agent)
        else:
            excluded[why] = excluded.get(why, 0) + 1
            if why is Exclusion.FULL:
                full.append(agent)
        if agent.id == advisor_id:
            scan.advisor, scan.advisor_check = agent, why
    return scan


def choose(
    needs: CaseNeeds,
    agents: Iterable[AgentState],
    *,
    now: datetime,
    policy: RoutingPolicy = RoutingPolicy.SKILLS,
    rules: RoutingRules = DEFAULT_RULES,
) -> Decision:
    """The agent for one case, or None to queue it.

    A case with a dedicated advisor (专属顾问) goes to them under every policy whenever they
    pass every check — online (not away), on shift, with room, the required skills (a language
    they must write), the tier and team — whatever their preferred skills: the relationship is
    what the customer pays for; for the same reason the advisor is exempt from the case's tier
    ceiling (advisors are often senior). Otherwise the policy picks among those who pass,
    online before away, ties to the lowest id. An advisor not among `agents` counts as offline:
    the service may pass only the agents signed in."""
    if now.tzinfo is None:
        raise ValueError("routing needs an aware `now`")
    scan = _scan(needs, agents, _checker(needs, rules))
    advisor_why = scan.advisor_why()
    if scan.advisor is not None and advisor_why is None:
        return _decided(scan, scan.advisor, [Why(RouteReason.ADVISOR)], policy, rules, now)
    head = [Why(_POLICY_REASON[policy])]
    if needs.advisor_id is not None:
        head.append(Why(RouteReason.ADVISOR_UNAVAILABLE, {"why": str(advisor_why)}))
    if not scan.fit:
        return scan.decision(None, policy, [Why(RouteReason.NOBODY), *head[1:], *_waits_for(scan, rules)])
    key_of = _key_for(policy, needs, rules, now)
    best = max(scan.fit, key=lambda a: (a.presence is Presence.ONLINE, key_of(a), -a.id))
    return _decided(scan, best, head, policy, rules, now)


def _decided(
    scan: _Scan, agent: AgentState, head: list[Why], policy: RoutingPolicy, rules: RoutingRules, now: datetime
) -> Decision:
    needs, kind = scan.needs, scan.needs.kind
    reasons = [*head, *_skill_reasons(agent, needs, rules)]
    reasons.append(Why(RouteReason.LOAD, {"load": agent.load.get(kind, 0), "capacity": agent.capacity[kind]}))
    if agent.presence is Presence.AWAY:
        reasons.append(Why(RouteReason.AWAY_FALLBACK))
    return replace(scan.decision(agent, policy, reasons), score=score(agent, needs, now, rules))


def _waits_for(scan: _Scan, rules: RoutingRules) -> list[Why]:
    """What a queued case waits for that is not plain capacity: someone who writes the
    customer's language, or its own tier while a higher one had room."""
    needs, reasons = scan.needs, []
    if rules.language_skills.get(needs.language) in needs.required:
        reasons.append(Why(RouteReason.LANGUAGE_WAIT, _language_params(needs)))
    if needs.max_tier is not None and scan.excluded.get(Exclusion.ABOVE_TIER):
        reasons.append(Why(RouteReason.TIER_CEILING, {"tier": needs.max_tier}))
    return reasons


def _language_params(needs: CaseNeeds) -> dict[str, str | int]:
    return {"language": needs.language, "source": needs.language_source.value}


def _skill_reasons(agent: AgentState, needs: CaseNeeds, rules: RoutingRules) -> list[Why]:
    reasons = []
    language_skill = rules.language_skills.get(needs.language)
    for skill in (*needs.required, *needs.preferred):
        level = agent.skills.get(skill, 0)
        if skill == language_skill:  # named as the customer's language, with where it was read
            reasons.append(Why(RouteReason.LANGUAGE, {**_language_params(needs), "level": level}))
        elif level > 0:
            reasons.append(Why(RouteReason.SKILL, {"skill": skill, "level": level}))
        else:
            reasons.append(Why(RouteReason.LACKS, {"skill": skill}))
    return reasons


def choose_many(
    cases: Iterable[CaseNeeds],
    agents: Iterable[AgentState],
    *,
    now: datetime,
    policy: RoutingPolicy = RoutingPolicy.SKILLS,
    rules: RoutingRules = DEFAULT_RULES,
) -> list[Decision]:
    """Decisions for several cases in the order given (pass a queue in `queue_key` order),
    each counting the ones before it against the chosen agent's load and recency."""
    pool = {a.id: a for a in agents}
    decisions = []
    for needs in cases:
        decision = choose(needs, pool.values(), now=now, policy=policy, rules=rules)
        if decision.agent_id is not None:
            pool[decision.agent_id] = pool[decision.agent_id].took(needs.kind, now)
        decisions.append(decision)
    return decisions


def reroute_from(
    agent_id: int,
    cases: Sequence[CaseNeeds],
    agents: Iterable[AgentState],
    *,
    now: datetime,
    policy: RoutingPolicy = RoutingPolicy.SKILLS,
    rules: RoutingRules = DEFAULT_RULES,
) -> list[Decision | None]:
    """What to do with the open cases of an agent who went offline, aligned with `cases`: None
    for a case that stays with them (a workload not in `rules.reroute_kinds`), else a decision
    made without them — the most urgent cases first, each counted against the next. A case
    the decision queues should keep its first `enqueued_at`."""
    moving = [i for i, c in enumerate(cases) if c.kind in rules.reroute_kinds]
    moving.sort(key=lambda i: queue_band(cases[i].priority, cases[i].is_vip, rules))
    without = [replace(cases[i], exclude=cases[i].exclude | {agent_id}) for i in moving]
    decided = choose_many(without, agents, now=now, policy=policy, rules=rules)
    out: list[Decision | None] = [None] * len(cases)
    for i, decision in zip(moving, decided, strict=True):
        out[i] = decision
    return out


def next_for(
    agent: AgentState, queue: Sequence[CaseNeeds], rules: RoutingRules = DEFAULT_RULES
) -> int | None:
    """The index of the queued case `agent` should take when they free a slot or come online
    (pass the queue in `queue_key` order). Cases wait because nobody had room, so the slot goes
    to the first case that fits them rather than to a fresh scoring of every agent — except that
    an online advisor takes their own customer's case first, as `choose` would have."""
    first = None
    for i, needs in enumerate(queue):
        if why_not(agent, needs, rules) is None:
            if needs.advisor_id == agent.id and agent.presence is Presence.ONLINE:
                return i
            first = i if first is None else first
    return first
