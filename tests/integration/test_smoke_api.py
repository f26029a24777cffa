from __future__ import annotations

import httpx

from tests.conftest import World


async def test_it_creates_and_reads_a_ticket(client: httpx.AsyncClient, world: World) -> None:
    body = {"subject": "耳机左耳没有声音", "body": "买了三天就坏了", "customer_id": world.carol.customer_id,
            "team_id": world.team_a}  # fmt: skip
    created = await client.post("/api/v1/tickets", json=body, headers=world.alice.auth)
    assert created.status_code == 201, created.text
    ticket = created.json()
    assert ticket["status"] == "new"
    assert created.headers["location"] == f"/api/v1/tickets/{ticket['id']}"
    seen = await client.get(created.headers["location"], headers=world.carol.auth)
    assert seen.status_code == 200
    assert seen.json()["messages"][0]["body"] == "买了三天就坏了"
    hidden = await client.get(f"/api/v1/tickets/{ticket['id']}", headers=world.dave.auth)
    assert hidden.status_code == 404
