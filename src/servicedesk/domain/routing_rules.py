"""What a case needs from an agent, and how it waits when nobody fits (R-HD-2).

Everything the business may want to tune — which tags call for which skill, the score weights,
whether an away agent takes tickets — is data in `RoutingRules`, so settings can fill it and a
test can change one rule without touching code. The decision itself is in `routing`.

Skills are short codes ("refunds", "lang:en"). Staff type skill names in Chinese (the demo
seeds 退款, 投诉处理, 英语…), so `canonical_skills` folds the names in `SKILLS` and the
`skill_aliases` of the rules onto the codes; the codes are what routing compares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.labels import DEFAULT_LOCALE, Locale, register

MAX_LEVEL = 5
PINNED_BAND = 0  # a supervisor moved the case to the front; computed bands start at 1


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Workload(StrEnum):
    """What a case costs an agent while open: a live conversation is held at the same time as a
    few others (chat); a ticket waits in a list, so an agent holds many (ticket)."""

    CHAT = "chat"
    TICKET = "ticket"


class LanguageSource(StrEnum):
    """Where the case's language came from: what the customer wrote, or their profile when
    nothing they wrote shows a language."""

    MESSAGES = "messages"
    PROFILE = "profile"


class RoutingPolicy(StrEnum):
    SKILLS = "skills"  # best score: skills, spare capacity, idle time, tier
    ROUND_ROBIN = "round_robin"  # whoever was assigned least recently
    LEAST_LOADED = "least_loaded"  # the smallest share of capacity in use


for _value, _zh, _en in [
    (Presence.ONLINE, "在线", "Online"),
    (Presence.AWAY, "离开", "Away"),
    (Presence.OFFLINE, "离线", "Offline"),
    (Workload.CHAT, "会话", "Chats"),
    (Workload.TICKET, "工单", "Tickets"),
    (LanguageSource.MESSAGES, "据客户消息识别", "detected from what they wrote"),
    (LanguageSource.PROFILE, "据客户资料", "from their profile"),
    (RoutingPolicy.SKILLS, "技能匹配", "Skill match"),
    (RoutingPolicy.ROUND_ROBIN, "轮询", "Round robin"),
    (RoutingPolicy.LEAST_LOADED, "最少负载", "Least loaded"),
]:
    register(_value, _zh, _en)

# The skills the default rules derive, with their labels; a Chinese or English label typed as
# an agent's skill name counts as the code.
SKILLS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "technical": ("技术", "Technical"),
        "complaint": ("投诉处理", "Complaint handling"),
        "refunds": ("退款", "Refunds"),
        "logistics": ("物流", "Logistics"),
        "billing": ("发票", "Billing"),
        "lang:en": ("英语", "English"),
    }
)


def skill_label(skill: str, locale: Locale = DEFAULT_LOCALE) -> str:
    pair = SKILLS.get(skill)
    if pair is None:
        return skill
    return pair[1] if locale == "en" else pair[0]


_TYPE_SKILLS: Mapping[TicketType, tuple[str, ...]] = MappingProxyType(
    {TicketType.TECHNICAL: ("technical",), TicketType.SERVICE_QUALITY: ("complaint",)}
)
_TAG_SKILLS: Mapping[str, str] = MappingProxyType(
    {
        **dict.fromkeys(("technical", "技术", "固件", "硬件故障", "联网", "蓝牙"), "technical"),
        **dict.fromkeys(("complaint", "投诉", "服务态度"), "complaint"),
        **dict.fromkeys(("refund", "refunds", "退款", "退货", "价保"), "refunds"),
        **dict.fromkeys(("logistics", "物流", "快递", "催发货", "发错货"), "logistics"),
        **dict.fromkeys(("invoice", "billing", "发票"), "billing"),
    }
)
_CHANNEL_WORKLOAD: Mapping[Channel, Workload] = MappingProxyType(
    {
        **dict.fromkeys((Channel.WEB_CHAT, Channel.WECHAT, Channel.WEIBO, Channel.DOUYIN), Workload.CHAT),
        # the telephony platform routes live calls to its own skill groups; what reaches us is a
        # finished call (channels/voice/call.py), whose follow-up is ticket work
        **dict.fromkeys((Channel.EMAIL, Channel.WEB_FORM, Channel.API, Channel.PHONE), Workload.TICKET),
    }
)


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Skills outweigh the rest together (3 against 1.5), so a level-5 refunds specialist with
    one chat left beats an idle generalist; between equal skills, spare capacity and idle time
    spread the work. One skill level (0.2 × 3 = 0.6) is worth 60 % of spare capacity."""

    skill: float = 3.0  # × mean level / 5 over the case's skills
    spare: float = 1.0  # × share of this workload's capacity still free
    idle: float = 0.5  # × time since the last assignment, up to `idle_horizon`
    over_tier: float = 0.5  # − per tier above the one needed: keep experts for what needs them
    vip_skill_factor: float = 2.0  # a VIP case weighs skills twice and ignores `over_tier`
    idle_horizon: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if min(self.skill, self.spare, self.idle, self.over_tier, self.vip_skill_factor) < 0:
            raise ValueError("score weights cannot be negative")
        if self.idle_horizon <= timedelta():
            raise ValueError("the idle horizon must be positive")


@dataclass(frozen=True, slots=True)
class RoutingRules:
    """Defaults follow R-HD-2 and the demo's teams; every field is meant to come from settings.

    - Skills a case implies are *preferred* (scored) unless named in `required_skills`; a
      language skill is always *required*, at `required_level` or above: an English chat
      waits for someone who can write English rather than go to someone who cannot.
    - `away_takes`: an away agent is not watching a chat, so by default only tickets may go to
      them, and only when no online agent fits (they are still at work; a ticket can sit in a
      list for minutes, a queue helps nobody).
    - `reroute_kinds`: what leaves an agent who goes offline — live chats, not the tickets they
      will pick up again on their next shift.
    - `vip_band_boost`: in the queue a VIP case counts this many priority levels higher.
    - `open_max_tier`: tiers are a ceiling (R-HD-1). A case with no team belongs to the front
      line, so it reaches no higher tier than this — unless it calls for a skill nobody at this
      tier has (`tier_ceiling`) — until someone escalates it (which gives it the higher team)
      or links it to a declared major incident. When its tiers are full it waits rather than
      overflow into the experts or the emergency group.
    - Keys of `tag_skills`, `language_skills`, `skill_aliases` and `vip_tags` are matched against
      case-folded input: write them in lower case.
    """

    type_skills: Mapping[TicketType, tuple[str, ...]] = field(default_factory=lambda: _TYPE_SKILLS)
    tag_skills: Mapping[str, str] = field(default_factory=lambda: _TAG_SKILLS)
    language_skills: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({"en": "lang:en"}))
    skill_aliases: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    required_skills: frozenset[str] = frozenset()
    required_level: int = 2
    vip_tags: frozenset[str] = frozenset({"vip", "high_value", "高价值", "大客户"})
    channel_workload: Mapping[Channel, Workload] = field(default_factory=lambda: _CHANNEL_WORKLOAD)
    default_capacity: Mapping[Workload, int] = field(
        default_factory=lambda: MappingProxyType({Workload.CHAT: 3, Workload.TICKET: 10})
    )
    away_takes: frozenset[Workload] = frozenset({Workload.TICKET})
    reroute_kinds: frozenset[Workload] = frozenset({Workload.CHAT})
    weights: ScoreWeights = ScoreWeights()
    vip_band_boost: int = 1
    open_max_tier: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.required_level <= MAX_LEVEL:
            raise ValueError(f"required_level must be 1–{MAX_LEVEL}, not {self.required_level}")
        if self.open_max_tier < 1:
            raise ValueError(f"open_max_tier must be at least 1, not {self.open_max_tier}")
        if any(c < 0 for c in self.default_capacity.values()) or self.vip_band_boost < 0:
            raise ValueError("capacities and the VIP queue boost cannot be negative")
        missing = set(Channel) - set(self.channel_workload)
        if missing:
            raise ValueError(f"no workload for channels {sorted(missing)}")


DEFAULT_RULES = RoutingRules()


def workload_of(channel: Channel, rules: RoutingRules = DEFAULT_RULES) -> Workload:
    return rules.channel_workload[channel]


def canonical_skills(raw: Mapping[str, int], rules: RoutingRules = DEFAULT_RULES) -> dict[str, int]:
    """An agent's skill rows keyed by code; when two names fold onto one code the higher level
    counts. Call it once when building an agent's state, not per decision."""
    folded: dict[str, int] = {}
    for name, level in raw.items():
        code = _skill_code(name, rules)
        folded[code] = max(level, folded.get(code, 0))
    return folded


def _skill_code(name: str, rules: RoutingRules) -> str:
    key = name.strip().casefold()
    if key in rules.skill_aliases:
        return rules.skill_aliases[key]
    for code, (zh, en) in SKILLS.items():
        if key in (code, zh, en.casefold()):
            return code
    return key


@dataclass(frozen=True, slots=True)
class CaseNeeds:
    """What routing needs to know about one case. `required` maps a skill to its minimum level;
    `preferred` skills only raise the score. `tier` is the lowest team tier that may take it
    (2 after an escalation to the experts); `max_tier` the highest (its own tier, unless it was
    escalated or belongs to a major incident; None: no ceiling). `language` is the one the
    customer writes and `language_source` how that is known, for the reasons. `exclude` names
    agents who must not get it (the one who just went offline, one who handed it back)."""

    kind: Workload
    required: Mapping[str, int] = field(default_factory=dict)
    preferred: tuple[str, ...] = ()
    tier: int = 1
    is_vip: bool = False
    advisor_id: int | None = None
    priority: Priority = Priority.MEDIUM
    team_id: int | None = None
    exclude: frozenset[int] = frozenset()
    max_tier: int | None = None
    language: str = "zh"
    language_source: LanguageSource = LanguageSource.PROFILE


def needs_for(
    *,
    ticket_type: TicketType,
    channel: Channel,
    tags: Iterable[str] = (),
    language: str = "zh",
    language_source: LanguageSource = LanguageSource.PROFILE,
    customer_tier: CustomerTier = CustomerTier.REGULAR,
    advisor_id: int | None = None,
    priority: Priority = Priority.MEDIUM,
    tier: int = 1,
    max_tier: int | None = None,
    team_id: int | None = None,
    rules: RoutingRules = DEFAULT_RULES,
) -> CaseNeeds:
    """`tags` are the case's and the customer's profile tags together (R-AN-4): a 高价值 profile
    tag makes the case VIP like a VIP tier does. `language` is the one the customer writes
    (the service reads it from their messages, the profile only as a fallback)."""
    folded = {t.strip().casefold() for t in tags}
    implied = [*rules.type_skills.get(ticket_type, ()), *sorted(_tag_skills(folded, rules))]
    language = language.split("-")[0].casefold()
    language_skill = rules.language_skills.get(language)
    required = {s: rules.required_level for s in implied if s in rules.required_skills}
    if language_skill is not None:
        required[language_skill] = rules.required_level
    return CaseNeeds(
        kind=workload_of(channel, rules),
        required=required,
        preferred=tuple(dict.fromkeys(s for s in implied if s not in required)),
        tier=tier,
        is_vip=customer_tier.is_vip or bool(folded & rules.vip_tags),
        advisor_id=advisor_id,
        priority=priority,
        team_id=team_id,
        max_tier=max_tier,
        language=language,
        language_source=language_source,
    )


def tier_ceiling(
    needs: CaseNeeds, holders: Mapping[str, Mapping[int, int]], rules: RoutingRules = DEFAULT_RULES
) -> int:
    """The highest tier a case with no team may go to: the front line (`open_max_tier`), or, for
    each skill the case calls for that nobody there has, the lowest tier where someone has it
    (a complaint reaches the complaint team when the front line has no complaint handler, and
    never the emergency group). `holders` maps a skill code to {team tier: best level there}."""
    ceiling = rules.open_max_tier
    wanted = {**dict.fromkeys(needs.preferred, 1), **needs.required}
    for skill, level in wanted.items():
        tiers = [tier for tier, best in holders.get(skill, {}).items() if best >= level]
        if tiers and min(tiers) > ceiling:
            ceiling = min(tiers)
    return ceiling


def _tag_skills(tags: set[str], rules: RoutingRules) -> set[str]:
    return {rules.tag_skills[t] for t in tags if t in rules.tag_skills}


def queue_band(priority: Priority, is_vip: bool, rules: RoutingRules = DEFAULT_RULES) -> int:
    """Lower is served first. A VIP counts `vip_band_boost` levels higher and, at equal level,
    goes before a regular customer; with the default boost a VIP's medium case ties a regular
    high one and goes first. A small integer, so the queue table can store and index it."""
    top = Priority.HIGH.rank + rules.vip_band_boost
    effective = priority.rank + (rules.vip_band_boost if is_vip else 0)
    return PINNED_BAND + 1 + 2 * (top - effective) + (0 if is_vip else 1)


def queue_key(
    priority: Priority, is_vip: bool, enqueued_at: datetime, rules: RoutingRules = DEFAULT_RULES
) -> tuple[int, datetime]:
    """Sort ascending: band, then first come first served. A re-routed case keeps its original
    `enqueued_at` so it is not sent to the back."""
    return queue_band(priority, is_vip, rules), enqueued_at
