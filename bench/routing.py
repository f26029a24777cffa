"""`python -m bench.routing`: how long one routing decision takes among 500 online agents, per
policy, into docs/benchmarks.md (its routing section). Target (issue 5): p99 < 5 ms.

The agents and cases are random but shaped like a shop's service floor: most agents are L1 with
two to five skills, a quarter write English, loads sit around two thirds of capacity; cases
follow the demo's mix of types, channels and tags, with VIP customers and their advisors.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from rich.console import Console
from rich.table import Table

from bench.docs import write_marked_section
from bench.machine import code_version, this_machine
from servicedesk.domain.catalog import Channel, CustomerTier, Priority, TicketType
from servicedesk.domain.routing import AgentState, choose
from servicedesk.domain.routing_rules import (
    DEFAULT_RULES,
    CaseNeeds,
    Presence,
    RoutingPolicy,
    Workload,
    canonical_skills,
    needs_for,
)

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- routing:start -->", "<!-- routing:end -->"
TARGET_P99_MS = 5.0
TARGET_AGENTS = 500
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)

# skill names as staff type them (the demo's), plus product lines; folded by canonical_skills
STAFF_SKILLS = ["退款", "物流", "发票", "技术", "投诉处理", "耳机", "手表", "手机", "平板", "会员"]
TAGS = [
    "物流",
    "退款",
    "技术",
    "投诉",
    "发票",
    "硬件故障",
    "退货",
    "换货",
    "固件",
    "账户",
    "售后",
    "催发货",
    "会员",
]
TYPES = {
    TicketType.CONSULTATION: 8,
    TicketType.TECHNICAL: 7,
    TicketType.PRODUCT_QUALITY: 6,
    TicketType.SERVICE_QUALITY: 4,
    TicketType.OTHER: 4,
}
CHANNELS = {
    Channel.WEB_CHAT: 30,
    Channel.WECHAT: 20,
    Channel.DOUYIN: 5,
    Channel.WEIBO: 3,
    Channel.EMAIL: 15,
    Channel.WEB_FORM: 15,
    Channel.PHONE: 8,
    Channel.API: 4,
}


T = TypeVar("T")


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def make_agent(rng: random.Random, agent_id: int) -> AgentState:
    """One online agent; a few are off shift (their hours ended, they have not signed out)."""
    skills = {
        s: rng.choices([1, 2, 3, 4, 5], [1, 3, 5, 3, 1])[0]
        for s in rng.sample(STAFF_SKILLS, rng.randint(2, 5))
    }
    if rng.random() < 0.25:
        skills["英语"] = rng.randint(2, 5)
    chat_cap = rng.choice([2, 3, 3, 3, 4])
    capacity = {Workload.CHAT: chat_cap, Workload.TICKET: 10}
    load = {Workload.CHAT: rng.randint(0, chat_cap), Workload.TICKET: rng.randint(2, 10)}
    return AgentState(
        id=agent_id,
        presence=Presence.ONLINE,
        on_shift=rng.random() < 0.95,
        skills=canonical_skills(skills, DEFAULT_RULES),
        capacity=capacity,
        load=load,
        tier=rng.choices([1, 2, 3], [70, 25, 5])[0],
        team_ids=frozenset({rng.randint(1, 12)}),
        last_assigned_at=NOW - timedelta(seconds=rng.randint(0, 3600)),
    )


def make_case(rng: random.Random, agent_ids: list[int]) -> CaseNeeds:
    tier = _pick(
        rng, {CustomerTier.REGULAR: 85, CustomerTier.VIP1: 8, CustomerTier.VIP2: 5, CustomerTier.VIP3: 2}
    )
    advisor = rng.choice(agent_ids) if tier.is_vip and rng.random() < 0.6 else None
    return needs_for(
        ticket_type=_pick(rng, TYPES),
        channel=_pick(rng, CHANNELS),
        tags=rng.sample(TAGS, rng.randint(0, 3)),
        language="en" if rng.random() < 0.1 else "zh",
        customer_tier=tier,
        advisor_id=advisor,
        priority=_pick(rng, {Priority.HIGH: 15, Priority.MEDIUM: 50, Priority.LOW: 35}),
        tier=2 if rng.random() < 0.15 else 1,
        team_id=rng.randint(1, 12) if rng.random() < 0.2 else None,
    )


@dataclass(frozen=True)
class Row:
    policy: RoutingPolicy
    agents: int
    cases: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_p99_ms: float  # the thread's own CPU time: what the decision costs without the noise
    assigned: float  # share of cases that got an agent
    advisor: float  # share of cases that went to their dedicated advisor

    @property
    def met(self) -> bool | None:
        """The target is for 500 agents; other sizes show how the cost grows."""
        return self.p99_ms < TARGET_P99_MS if self.agents == TARGET_AGENTS else None

    @property
    def verdict(self) -> str:
        """Wall clock is the target's measure; the CPU figure says whether a miss is the machine's."""
        if self.met is None:
            return "– (scaling)"
        cpu = "met" if self.cpu_p99_ms < TARGET_P99_MS else "missed"
        return f"wall {'met' if self.met else 'missed'}, CPU {cpu}"


def measure(policy: RoutingPolicy, agents: list[AgentState], cases: list[CaseNeeds]) -> Row:
    """Times `choose` alone (the service's loading of agent states is not in it), with the
    garbage collector on as in production, after a short warm-up: wall time, and the thread's
    CPU time, which leaves out the moments other processes had the core."""
    for needs in cases[:200]:
        choose(needs, agents, now=NOW, policy=policy)
    wall, cpu, assigned, advised = [], [], 0, 0
    for needs in cases:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        decision = choose(needs, agents, now=NOW, policy=policy)
        cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
        wall.append((time.perf_counter_ns() - started) / 1e6)
        assigned += decision.agent_id is not None
        advised += decision.agent_id is not None and decision.agent_id == needs.advisor_id
    cut = statistics.quantiles(wall, n=100, method="inclusive")
    cpu_p99 = statistics.quantiles(cpu, n=100, method="inclusive")[98]
    n = len(cases)
    return Row(policy, len(agents), n, cut[49], cut[98], max(wall), cpu_p99, assigned / n, advised / n)


def run(agent_counts: list[int], n_cases: int, seed: int) -> list[Row]:
    rows = []
    for count in agent_counts:
        rng = random.Random(seed)
        agents = [make_agent(rng, i) for i in range(1, count + 1)]
        cases = [make_case(rng, [a.id for a in agents]) for _ in range(n_cases)]
        policies = list(RoutingPolicy) if count == agent_counts[0] else [RoutingPolicy.SKILLS]
        rows += [measure(policy, agents, cases) for policy in policies]
        gc.collect()
    return rows


def print_table(rows: list[Row], console: Console) -> None:
    table = Table(title=f"Routing decision (bench.routing), target p99 < {TARGET_P99_MS:g} ms")
    columns = (
        "policy",
        "agents",
        "cases",
        "p50 ms",
        "p99 ms",
        "max ms",
        "CPU p99 ms",
        "assigned",
        "to advisor",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "policy" else "right")
    for r in rows:
        colour = {None: "default", True: "green", False: "red"}[r.met]
        p99 = f"[{colour}]{r.p99_ms:.2f}[/]"
        table.add_row(
            r.policy.value, str(r.agents), str(r.cases), f"{r.p50_ms:.2f}", p99, f"{r.max_ms:.2f}",
            f"{r.cpu_p99_ms:.2f}", f"{r.assigned * 100:.0f} %", f"{r.advisor * 100:.1f} %",
        )  # fmt: skip
    console.print(table)


def markdown(rows: list[Row], started: datetime, seed: int, load: float) -> str:
    lines = [
        BEGIN,
        "",
        "## Routing decision (`python -m bench.routing`)",
        "",
        f"Run on {started:%Y-%m-%d %H:%M}, code at commit {code_version(ROOT)}; seed {seed}.",
        "",
        f"**Machine:** {this_machine().describe()}. Load average when the run started: {load:.1f} "
        "(other work shared the cores, so wall-clock tails are upper bounds; the CPU column is the "
        "decision's own cost).",
        "",
        "Each row times `servicedesk.domain.routing.choose` alone — one case against a snapshot of "
        "every online agent — not the service's loading of those states. Agents: all online, 95 % "
        "on shift, 70/25/5 % in tiers 1/2/3, two to five skills of ten at levels weighted to 3, a "
        "quarter with English, chat loads uniform in 0–capacity (2–4) and tickets in 2–10 of 10. "
        "Cases: the demo's mix of types, channels and tags, 10 % in English, 15 % VIP (60 % of them "
        "with a dedicated advisor), 15 % escalated to tier 2, 20 % restricted to one of 12 teams.",
        "",
        f"| policy | agents | cases | p50 ms | p99 ms | max ms | CPU p99 ms | assigned | to advisor "
        f"| p99 < {TARGET_P99_MS:g} ms with {TARGET_AGENTS} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.policy.value} | {r.agents} | {r.cases} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.max_ms:.2f} "
            f"| {r.cpu_p99_ms:.2f} | {r.assigned * 100:.0f} % | {r.advisor * 100:.1f} % | {r.verdict} |"
        )
    lines += ["", *NOTES, "", END, ""]
    return "\n".join(lines)


NOTES = [
    "The decision is one pass over the agents passed in (the checks, then the policy's key for "
    "those who fit), so its cost grows linearly with them: the 2,000-agent row shows how. `skills` "
    "costs most because it scores every agent who fits; round robin and least loaded compare one "
    "or two numbers. Wall-clock tails on a shared machine include moments the process waited for "
    "a core; the CPU column is the thread's own time for the same decisions. A case is left "
    "unassigned when every agent who fits is full, or nobody on shift has its required language "
    "or tier: the service queues it.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--docs", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--no-docs", action="store_true", help="print only")
    args = parser.parse_args()
    console = Console()
    started, load = datetime.now().astimezone(), os.getloadavg()[0]
    rows = run(args.agents, args.cases, args.seed)
    print_table(rows, console)
    if not args.no_docs:
        marked = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END) + r"\n?", re.S)
        write_marked_section(args.docs, markdown(rows, started, args.seed, load), marked)
        console.print(f"wrote the routing section of {args.docs}")


if __name__ == "__main__":
    main()
