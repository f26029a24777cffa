"""Everyone reads times in their own zone (R-PE-2): set on the settings page or through the
API, validated, audited, and used by the pages at once."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from servicedesk.store.db import Database
from servicedesk.store.models import Event, User
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World
from tests.integration.test_pages import csrf_of, sign_in
from tests.integration.test_sla import Frozen

NOW = datetime(2026, 10, 8, 0, 10, tzinfo=UTC)  # 08:10 in Shanghai, 02:10 in Berlin


async def _zone_of(db: Database, person: Person) -> str:
    async with UnitOfWork(db, write=False) as uow:
        return str(await uow.session.scalar(select(User.time_zone).where(User.id == person.user_id)))


@pytest.mark.parametrize("who", ["alice", "carol"])  # an agent and a help-center customer alike
async def test_a_person_sets_their_zone_and_every_time_follows(
    client: httpx.AsyncClient, db: Database, world: World, who: str
) -> None:
    db.clock = Frozen(NOW)
    person: Person = getattr(world, who)
    await sign_in(client, person)
    page = await client.get("/account")
    assert page.status_code == 200
    assert '<option value="Asia/Shanghai" selected>' in page.text and "2026-10-08 08:10" in page.text
    saved = await client.post("/account", data={"csrf": csrf_of(page.text), "time_zone": "Europe/Berlin"})
    assert saved.status_code == 303 and saved.headers["location"] == "/account?saved=1"
    again = await client.get("/account?saved=1")
    assert '<option value="Europe/Berlin" selected>' in again.text and "2026-10-08 02:10" in again.text
    assert "已保存" in again.text
    async with UnitOfWork(db, write=False) as uow:
        event = await uow.session.scalar(select(Event).where(Event.action == "user.settings_changed"))
    assert event is not None and (event.before, event.after) == (
        {"time_zone": "Asia/Shanghai"}, {"time_zone": "Europe/Berlin"},
    )  # fmt: skip


async def test_a_zone_that_does_not_exist_or_a_forged_form_changes_nothing(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    await sign_in(client, world.alice)
    page = await client.get("/account")
    refused = await client.post("/account", data={"csrf": csrf_of(page.text), "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422 and "an IANA zone" in refused.text
    forged = await client.post("/account", data={"csrf": "nope", "time_zone": "Europe/Berlin"})
    assert forged.status_code == 403
    assert await _zone_of(db, world.alice) == "Asia/Shanghai"


async def test_the_api_sets_and_reports_the_callers_zone(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    anonymous = await client.patch("/api/v1/me", json={"time_zone": "UTC"})
    assert anonymous.status_code == 401
    bad = await client.patch("/api/v1/me", json={"time_zone": "Mars/Olympus"}, headers=world.bob.auth)
    assert bad.status_code == 422 and bad.json()["error"]["fields"]["time_zone"]
    extra = await client.patch(
        "/api/v1/me", json={"time_zone": "UTC", "role": "admin"}, headers=world.bob.auth
    )
    assert extra.status_code == 422  # nothing else about oneself is set here
    ok = await client.patch("/api/v1/me", json={"time_zone": "America/New_York"}, headers=world.bob.auth)
    assert ok.status_code == 200 and ok.json()["time_zone"] == "America/New_York"
    me = await client.get("/api/v1/me", headers=world.bob.auth)
    assert (me.json()["time_zone"], me.json()["role"]) == ("America/New_York", "agent")
    assert await _zone_of(db, world.bob) == "America/New_York"
