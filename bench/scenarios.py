"""What the benchmark asks the server: ticket creation, list pages, searches."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from bench.load import Request
from bench.seed import SeedResult, body, subject
from servicedesk.domain.catalog import Channel, Priority, TicketType

TICKETS = "/api/v1/tickets"
SUBJECT_WORDS = ("退款", "无法开机", "发票", "物流信息", "扫地机器人", "积分没有到账", "噪音很大", "重复扣款")


@dataclass(frozen=True)
class ReadScenario:
    name: str
    kind: str  # "list" or "search"
    request: Request
    as_agent: bool = False


def create_request(seeded: SeedResult, seed: int = 7) -> Request:
    """POST /api/v1/tickets with a realistic body: a Chinese subject and message, a known
    customer, a team for most, tags for some."""
    rng = random.Random(seed)
    teams = list(seeded.teams.values())
    types, priorities, channels = list(TicketType), list(Priority), list(Channel)

    async def send(client: httpx.AsyncClient, _index: int) -> httpx.Response:
        payload: dict[str, Any] = {
            "subject": subject(rng),
            "body": body(rng),
            "customer_id": rng.choice(seeded.customer_ids),
            "type": rng.choice(types).value,
            "priority": rng.choice(priorities).value,
            "channel": rng.choice(channels).value,
            "team_id": rng.choice(teams) if rng.random() < 0.8 else None,
            "tags": rng.sample(["退款", "加急", "投诉", "物流"], rng.randint(0, 2)),
        }
        return await client.post(TICKETS, json=payload)

    return send


def _get(params_for: Any) -> Request:
    async def send(client: httpx.AsyncClient, index: int) -> httpx.Response:
        params: Mapping[str, str | int] = params_for(index)
        return await client.get(TICKETS, params=params)

    return send


def _rotate(values: Sequence[Any], key: str) -> Any:
    return lambda i: {key: values[i % len(values)]}


def list_scenarios(seeded: SeedResult, second_page_cursor: str) -> list[ReadScenario]:
    teams = list(seeded.teams.values())
    return [
        ReadScenario("list: default (-updated_at)", "list", _get(lambda _i: {})),
        ReadScenario("list: view=unassigned", "list", _get(lambda _i: {"view": "unassigned"})),
        ReadScenario("list: status=open", "list", _get(lambda _i: {"status": "open"})),
        ReadScenario("list: team_id=…", "list", _get(_rotate(teams, "team_id"))),
        ReadScenario("list: sort=-created_at", "list", _get(lambda _i: {"sort": "-created_at"})),
        ReadScenario("list: 2nd page (cursor)", "list", _get(lambda _i: {"cursor": second_page_cursor})),
        ReadScenario("list: agent view=team", "list", _get(lambda _i: {"view": "team"}), as_agent=True),
    ]


def search_scenarios(seeded: SeedResult) -> list[ReadScenario]:
    numbers = [f"#{n}" for n in seeded.sample_ticket_ids]
    return [
        ReadScenario("search: subject word", "search", _get(_rotate(SUBJECT_WORDS, "q"))),
        ReadScenario("search: customer name", "search", _get(_rotate(seeded.sample_customer_names, "q"))),
        ReadScenario("search: ticket number", "search", _get(_rotate(numbers, "q"))),
    ]
