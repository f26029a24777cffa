"""The migrations and the models agree, and the API publishes its contract."""

from __future__ import annotations

from typing import Any

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from servicedesk.store.db import Database
from servicedesk.store.models import Base


async def test_the_migrated_schema_matches_the_models(db: Database) -> None:
    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_the_openapi_contract_lists_every_resource(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/v1/openapi.json")).json()
    paths = set(spec["paths"])
    assert {
        "/api/v1/tickets", "/api/v1/tickets/{ticket_id}", "/api/v1/tickets/{ticket_id}/transition",
        "/api/v1/tickets/{ticket_id}/messages", "/api/v1/customers", "/api/v1/customers/{customer_id}/reveal",
        "/api/v1/staff/users", "/api/v1/teams", "/api/v1/departments", "/api/v1/auth/token",
    } <= paths  # fmt: skip
    assert not any(p.startswith("/agent") or p.startswith("/help") for p in paths)
    create = spec["components"]["schemas"]["TicketCreate"]
    assert create["additionalProperties"] is False
    assert create["properties"]["subject"]["maxLength"] == 200
