"""Customers (with masked and audited personal data) and staff administration."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from servicedesk.store.db import Database
from servicedesk.store.models import Event
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

VALID_ID = "11010519491231002X"


async def test_it_masks_personal_data_and_audits_every_reveal(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    body = {"name": "张伟", "phone": "+86 139-1234-5678", "id_number": VALID_ID.lower(), "tier": "vip2",
            "email": "ZhangWei@Example.cn", "tags": ["高价值"]}  # fmt: skip
    created = await client.post("/api/v1/customers", json=body, headers=world.alice.auth)
    assert created.status_code == 201, created.text
    customer = created.json()
    assert customer["phone"] == "139****5678"
    assert customer["id_number"] == "110105********002X"
    assert customer["email"] == "zhangwei@example.cn"
    assert {"channel": "phone", "external_id": "139****5678", "verified": False} in customer["identities"]
    cid = customer["id"]
    for reader in (world.alice, world.quinn, world.sue):
        shown = (await client.get(f"/api/v1/customers/{cid}", headers=reader.auth)).json()
        assert "13912345678" not in str(shown)
    revealed = await client.post(
        f"/api/v1/customers/{cid}/reveal", json={"field": "phone"}, headers=world.alice.auth
    )
    assert revealed.json() == {"field": "phone", "value": "13912345678"}
    refused = await client.post(
        f"/api/v1/customers/{cid}/reveal", json={"field": "phone"}, headers=world.quinn.auth
    )
    assert refused.status_code == 403
    async with UnitOfWork(db, write=False) as uow:
        reveals = list(
            await uow.session.scalars(select(Event).where(Event.action == "customer.pii_revealed"))
        )
        created_event = await uow.session.scalar(
            select(Event).where(Event.action == "customer.created", Event.subject_id == cid)
        )
    assert [(e.actor_user_id, e.subject_id, e.after) for e in reveals] == [
        (world.alice.user_id, cid, {"field": "phone"})
    ]
    assert created_event is not None
    assert "13912345678" not in str(created_event.after)  # the audit trail never copies personal data


async def test_it_refuses_invalid_or_taken_contact_details(client: httpx.AsyncClient, world: World) -> None:
    bad = await client.post(
        "/api/v1/customers",
        json={"name": "李娜", "phone": "12345", "id_number": "110105194912310021"},
        headers=world.alice.auth,
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"phone", "id_number"}
    taken = await client.post(
        "/api/v1/customers", json={"name": "冒名", "email": world.carol.email}, headers=world.alice.auth
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["fields"] == {
        "email": f"already belongs to customer {world.carol.customer_id}"
    }


async def test_it_searches_customers_by_name_email_and_phone(client: httpx.AsyncClient, world: World) -> None:
    await client.post(
        "/api/v1/customers", json={"name": "王芳", "phone": "15012345678"}, headers=world.alice.auth
    )

    async def names(q: str) -> list[str]:
        found = await client.get("/api/v1/customers", params={"q": q}, headers=world.alice.auth)
        return [c["name"] for c in found.json()]

    assert await names("王") == ["王芳"]
    assert await names("150 1234 5678") == ["王芳"]
    assert await names("carol@") == ["Carol"]
    assert await names("CAROL") == ["Carol"]  # the same on PostgreSQL (case-sensitive LIKE) and SQLite
    assert await names("100%") == []


async def test_an_admin_manages_staff_and_teams(client: httpx.AsyncClient, world: World) -> None:
    auth = world.adam.auth
    department = await client.post("/api/v1/departments", json={"name": "技术部"}, headers=auth)
    assert department.status_code == 201
    team = await client.post(
        "/api/v1/teams",
        json={"name": "二线专家", "department_id": department.json()["id"], "tier": 2},
        headers=auth,
    )
    assert team.status_code == 201
    body = {"email": "Li.Lei@Example.cn", "name": "李雷", "role": "expert", "password": "long-enough-1",
            "team_ids": [team.json()["id"]], "skills": {"技术": 5, "英语": 3}}  # fmt: skip
    user = await client.post("/api/v1/staff/users", json=body, headers=auth)
    assert user.status_code == 201, user.text
    assert user.json()["skills"] == {"技术": 5, "英语": 3}
    assert user.json()["email"] == "li.lei@example.cn"
    duplicate = await client.post("/api/v1/staff/users", json=body, headers=auth)
    assert duplicate.status_code == 409
    uid = user.json()["id"]
    token = (
        await client.post(
            "/api/v1/auth/token", json={"email": "li.lei@example.cn", "password": "long-enough-1"}
        )
    ).json()
    as_li = {"Authorization": f"Bearer {token['token']}"}
    assert (await client.get("/api/v1/me", headers=as_li)).status_code == 200  # now remembered
    deactivated = await client.patch(f"/api/v1/staff/users/{uid}", json={"is_active": False}, headers=auth)
    assert deactivated.json()["is_active"] is False
    assert (await client.get("/api/v1/me", headers=as_li)).status_code == 401  # forgotten at once
    login = await client.post(
        "/api/v1/auth/token", json={"email": "li.lei@example.cn", "password": "long-enough-1"}
    )
    assert login.status_code == 401
    bad_team = await client.post(
        "/api/v1/staff/users", json=body | {"email": "x@y.cn", "team_ids": [999]}, headers=auth
    )
    assert bad_team.json()["error"]["fields"] == {"team_ids": "no teams [999]"}


async def test_a_token_is_issued_for_valid_credentials_only(client: httpx.AsyncClient, world: World) -> None:
    good = await client.post(
        "/api/v1/auth/token", json={"email": "ALICE@example.cn", "password": "correct-horse-9"}
    )
    assert good.status_code == 201
    token = good.json()["token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["role"] == "agent"
    assert me.json()["team_ids"] == [world.team_a]
    wrong = await client.post("/api/v1/auth/token", json={"email": "alice@example.cn", "password": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "not_authenticated"
