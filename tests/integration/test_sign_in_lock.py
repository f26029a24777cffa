"""Password guessing is bounded, on both databases: an account locks after repeated failures
for the rest of the window, an address after many, and a lock says nothing about the password."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from servicedesk.store.db import Database
from tests.conftest import PASSWORD, World
from tests.integration.test_pages import csrf_of
from tests.integration.test_sla import Frozen

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


async def _token(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/v1/auth/token", json={"email": email, "password": password})


async def test_an_account_locks_after_five_failures_until_the_window_passes(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    clock = Frozen(NOW)
    db.clock = clock
    for n in range(5):
        clock.at = NOW + timedelta(minutes=n)
        assert (await _token(client, world.alice.email, f"guess-{n}")).status_code == 401
    locked = await _token(client, world.alice.email, PASSWORD)  # even the right password now
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    assert int(locked.headers["retry-after"]) == 11 * 60  # the first failure leaves the window at 02:15
    wrong = await _token(client, world.alice.email, "guess-again")
    assert (wrong.status_code, wrong.json()) == (locked.status_code, locked.json())  # no oracle
    assert (await _token(client, world.bob.email, PASSWORD)).status_code == 201  # others are unaffected
    clock.at = NOW + timedelta(minutes=15, seconds=1)
    assert (await _token(client, world.alice.email, PASSWORD)).status_code == 201
    for n in range(4):  # a success wiped the count: four more failures lock nothing
        assert (await _token(client, world.alice.email, f"again-{n}")).status_code == 401
    assert (await _token(client, world.alice.email, PASSWORD)).status_code == 201


async def test_the_sign_in_page_says_the_account_is_locked(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    db.clock = Frozen(NOW)
    form = await client.get("/login")
    fields = {"email": world.sue.email, "csrf": csrf_of(form.text)}
    for n in range(5):
        assert (await client.post("/login", data=fields | {"password": f"guess-{n}"})).status_code == 401
    locked = await client.post("/login", data=fields | {"password": PASSWORD})
    assert locked.status_code == 429 and "暂时锁定" in locked.text and "15 分钟后再试" in locked.text
    assert (await client.get("/agent")).status_code == 303  # not signed in: back to the sign-in page


async def test_one_address_guessing_many_accounts_is_refused(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    db.clock = Frozen(NOW)
    db.settings.sign_in_max_failures_per_address = 3
    for person in (world.alice, world.bob, world.eve):
        assert (await _token(client, person.email, "guess")).status_code == 401
    assert (await _token(client, world.adam.email, PASSWORD)).status_code == 429
