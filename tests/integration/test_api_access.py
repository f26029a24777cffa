"""The authorisation matrix: every role × every endpoint, on its own fresh ticket.

Carol's ticket sits in team A (Alice's); Dave's in team B (Bob's and Eve's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from servicedesk.domain.roles import Principal
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.tickets import create_ticket
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    body: dict[str, Any] | None = None


async def _ticket_for(db: Database, world: World, customer: Person, team_id: int) -> int:
    async with UnitOfWork(db) as uow:
        admin = await principal_by_user_id(uow, world.adam.user_id)
    assert isinstance(admin, Principal)
    async with UnitOfWork(db) as uow:
        ticket = await create_ticket(
            uow,
            admin,
            subject="无法登录账户",
            body="提示密码错误",
            customer_id=customer.customer_id,
            team_id=team_id,
        )
    return ticket.id


def _calls(carols: int, daves: int, carol_id: int) -> list[Call]:
    return [
        Call("get own-team ticket", "GET", f"/api/v1/tickets/{carols}"),
        Call("update", "PATCH", f"/api/v1/tickets/{carols}", {"priority": "high", "reason": "客户无法使用"}),
        Call("transition", "POST", f"/api/v1/tickets/{carols}/transition", {"status": "open"}),
        Call("note", "POST", f"/api/v1/tickets/{carols}/messages", {"kind": "note", "body": "内部备注"}),
        Call("reply", "POST", f"/api/v1/tickets/{carols}/messages", {"body": "您好"}),
        Call("get other-team ticket", "GET", f"/api/v1/tickets/{daves}"),
        Call(
            "update other-team ticket",
            "PATCH",
            f"/api/v1/tickets/{daves}",
            {"priority": "low", "reason": "客户说不急"},
        ),
        Call("get customer", "GET", f"/api/v1/customers/{carol_id}"),
        Call("customer's tickets", "GET", f"/api/v1/customers/{carol_id}/tickets"),
        Call("reveal phone", "POST", f"/api/v1/customers/{carol_id}/reveal", {"field": "phone"}),
        Call("create customer", "POST", "/api/v1/customers", {"name": "新客户"}),
        Call("list staff", "GET", "/api/v1/staff/users"),
        Call("create team", "POST", "/api/v1/teams", {"name": "物流协调"}),
        Call("list teams", "GET", "/api/v1/teams"),
    ]


COLUMNS = [
    "get own-team ticket", "update", "transition", "note", "reply", "get other-team ticket",
    "update other-team ticket", "get customer", "customer's tickets", "reveal phone",
    "create customer", "list staff", "create team", "list teams",
]  # fmt: skip
MATRIX: dict[str, list[int]] = {
    # one column per COLUMNS entry
    "carol (customer, owner)": [200, 403, 403, 403, 201, 404, 404, 200, 200, 403, 403, 403, 403, 404],
    "dave (another customer)": [404, 404, 404, 404, 404, 200, 403, 404, 404, 404, 403, 403, 403, 404],
    "alice (agent, team A)": [200, 200, 200, 201, 201, 404, 404, 200, 200, 200, 201, 403, 403, 200],
    "eve (expert, team B)": [404, 404, 404, 404, 404, 200, 200, 200, 200, 200, 201, 403, 403, 200],
    "sue (supervisor)": [200, 200, 200, 201, 201, 200, 200, 200, 200, 200, 201, 403, 403, 200],
    "quinn (quality inspector)": [200, 403, 403, 403, 403, 200, 403, 200, 200, 403, 403, 403, 403, 200],
    "adam (admin)": [200, 200, 200, 201, 201, 200, 200, 200, 200, 200, 201, 200, 201, 200],
    "anonymous": [401] * len(COLUMNS),
}


def _person(world: World, row: str) -> Person | None:
    name = row.split(" ")[0]
    return None if name == "anonymous" else getattr(world, name)


@pytest.mark.parametrize("row", list(MATRIX))
async def test_it_enforces_the_access_matrix(
    client: httpx.AsyncClient, db: Database, world: World, row: str
) -> None:
    person = _person(world, row)
    results: dict[str, int] = {}
    for index, column in enumerate(COLUMNS):
        carols = await _ticket_for(db, world, world.carol, world.team_a)
        daves = await _ticket_for(db, world, world.dave, world.team_b)
        assert world.carol.customer_id is not None
        call = _calls(carols, daves, world.carol.customer_id)[index]
        assert call.name == column
        headers = person.auth if person else {}
        response = await client.request(call.method, call.path, json=call.body, headers=headers)
        results[column] = response.status_code
        if response.status_code >= 400:
            assert response.json()["error"]["code"], response.text
    assert results == dict(zip(COLUMNS, MATRIX[row], strict=True))


async def test_it_lists_only_what_each_role_may_see(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    carols = await _ticket_for(db, world, world.carol, world.team_a)
    daves = await _ticket_for(db, world, world.dave, world.team_b)
    expected = {
        world.carol: {carols}, world.dave: {daves}, world.alice: {carols}, world.bob: {daves},
        world.sue: {carols, daves}, world.quinn: {carols, daves}, world.adam: {carols, daves},
    }  # fmt: skip
    for person, ids in expected.items():
        listed = await client.get("/api/v1/tickets", headers=person.auth)
        assert {t["id"] for t in listed.json()["items"]} == ids, person.email
        found = await client.get("/api/v1/tickets", params={"q": f"#{daves}"}, headers=person.auth)
        assert {t["id"] for t in found.json()["items"]} == ids & {daves}, person.email


async def test_an_agent_sees_a_ticket_assigned_to_them_outside_their_teams(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    daves = await _ticket_for(db, world, world.dave, world.team_b)
    assign = await client.patch(
        f"/api/v1/tickets/{daves}", json={"assignee_id": world.alice.user_id}, headers=world.sue.auth
    )
    assert assign.status_code == 200
    assert (await client.get(f"/api/v1/tickets/{daves}", headers=world.alice.auth)).status_code == 200


async def test_a_customer_cannot_open_a_case_for_someone_else(
    client: httpx.AsyncClient, world: World
) -> None:
    body = {"subject": "退款", "body": "请退款", "customer_id": world.dave.customer_id}
    created = await client.post("/api/v1/tickets", json=body, headers=world.carol.auth)
    assert created.status_code == 201
    assert created.json()["customer"]["id"] == world.carol.customer_id
    with_team = await client.post(
        "/api/v1/tickets",
        json={"subject": "x", "body": "y", "team_id": world.team_a},
        headers=world.carol.auth,
    )
    assert with_team.status_code == 403
