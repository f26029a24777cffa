"""Shared fixtures: a real database (SQLite and PostgreSQL), the app, and named people.

Every test that takes `db` runs twice, once per database. PostgreSQL is a throwaway cluster
started by pytest-postgresql from the machine's own binaries.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher, profiles
from pytest_postgresql import factories
from sqlalchemy import make_url, text

from servicedesk.domain.catalog import CustomerTier
from servicedesk.domain.roles import Role
from servicedesk.services.auth import issue_token, use_hasher
from servicedesk.services.customers import create_customer
from servicedesk.services.staff import create_team, create_user
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.migrate import upgrade
from servicedesk.store.models import Base
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.app import create_app


def _pg_ctl() -> str:
    found = shutil.which("pg_ctl")
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found or (str(candidates[-1]) if candidates else "pg_ctl")


use_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
# files that come with messages go to a throwaway directory, never into the checkout
os.environ.setdefault("SERVICEDESK_ATTACHMENTS_DIR", tempfile.mkdtemp(prefix="sd-test-attachments-"))

postgresql_proc = factories.postgresql_proc(executable=_pg_ctl(), port=None)

DATABASES = ["sqlite", "postgresql"]
if os.environ.get("SERVICEDESK_TEST_DATABASES"):
    DATABASES = os.environ["SERVICEDESK_TEST_DATABASES"].split(",")


def _fresh_pg_database(request: pytest.FixtureRequest, suffix: str = "") -> str:
    """A new database on the server scripts/pg-throwaway started (SERVICEDESK_TEST_PG_URL),
    or, for a developer who is not root, on a cluster pytest-postgresql starts."""
    import psycopg

    server = os.environ.get("SERVICEDESK_TEST_PG_URL")
    if server:
        base = make_url(server)
    else:
        proc = request.getfixturevalue("postgresql_proc")
        base = make_url(f"postgresql+asyncpg://{proc.user}@{proc.host}:{proc.port}/postgres")
    dsn = f"host={base.host} port={base.port} user={base.username} dbname=postgres"
    name = f"servicedesk_test_{os.getpid()}{suffix}"  # parallel runs on one server stay apart
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each kind, shared by the session (tests clean up)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "test.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = _fresh_pg_database(request)
    upgrade(url)
    return url


@pytest.fixture
def unmigrated_url(database_url: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database of the same kind as `database_url`, for tests of one migration's data step."""
    if database_url.startswith("sqlite"):
        return f"sqlite+aiosqlite:///{tmp_path / 'unmigrated.db'}"
    return _fresh_pg_database(request, "_unmigrated")


async def wipe(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    async with db.engine.begin() as conn:
        if db.settings.is_sqlite:
            for name in tables:
                await conn.execute(text(f'DELETE FROM "{name}"'))  # noqa: S608 - our table names
        else:
            await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


# Every channel can send, as in an installation that configured them all (nothing is contacted:
# tests hand the dispatcher their own transports). A test of an unconfigured channel says so.
SENDING = {
    "smtp_relay_host": "relay.example.invalid",
    "wechat_app_id": "wx2c2769f8efd9abc2",
    "wechat_app_secret": "test-app-secret",
    "weibo_access_token": "2.00test_weibo_token",
    "douyin_access_token": "act.test_douyin_token",
    "douyin_open_id": "e3af6e1d-d83a-4116-8f9f-5cb8ac2413c7",
}


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    settings = Settings(database_url=database_url, environment="test", db_pool_size=5)
    database = Database(settings.model_copy(update=SENDING))
    try:
        yield database
    finally:
        await wipe(database)
        await database.dispose()


@pytest.fixture
async def client(db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(db.settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@dataclass(frozen=True)
class Person:
    user_id: int
    email: str
    token: str
    customer_id: int | None = None

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """Named people around two teams: Alice works team A, Bob team B; Carol and Dave are
    customers; Sue supervises, Quinn inspects quality, Adam administers, Eve is an expert in
    team B."""

    team_a: int
    team_b: int
    alice: Person
    bob: Person
    eve: Person
    sue: Person
    quinn: Person
    adam: Person
    carol: Person
    dave: Person

    def by_role(self) -> dict[str, Person]:
        return {
            "customer": self.carol, "agent": self.alice, "expert": self.eve,
            "supervisor": self.sue, "quality_inspector": self.quinn, "admin": self.adam,
        }  # fmt: skip


PASSWORD = "correct-horse-9"


async def make_person(
    db: Database,
    name: str,
    role: Role,
    *,
    team_ids: tuple[int, ...] = (),
    tier: CustomerTier = CustomerTier.REGULAR,
) -> Person:
    email = f"{name.lower()}@example.cn"
    async with UnitOfWork(db) as uow:
        user = await create_user(
            uow, None, email=email, name=name, role=role, password=PASSWORD, team_ids=team_ids, commit=False
        )
        customer_id = None
        if role is Role.CUSTOMER:
            customer = await create_customer(
                uow,
                None,
                name=name,
                email=email,
                phone=f"138{user.id:08d}",
                tier=tier,
                user_id=user.id,
                commit=False,
            )
            customer_id = customer.id
        token = await issue_token(uow, user_id=user.id, name="tests")
        await uow.commit()
    return Person(user.id, email, token, customer_id)


@pytest.fixture
async def world(db: Database) -> World:
    async with UnitOfWork(db) as uow:
        team_a = (await create_team(uow, None, name="客服一线", commit=False)).id
        team_b = (await create_team(uow, None, name="技术支持", tier=2, commit=False)).id
        await uow.commit()
    return World(
        team_a=team_a,
        team_b=team_b,
        alice=await make_person(db, "Alice", Role.AGENT, team_ids=(team_a,)),
        bob=await make_person(db, "Bob", Role.AGENT, team_ids=(team_b,)),
        eve=await make_person(db, "Eve", Role.EXPERT, team_ids=(team_b,)),
        sue=await make_person(db, "Sue", Role.SUPERVISOR),
        quinn=await make_person(db, "Quinn", Role.QUALITY_INSPECTOR),
        adam=await make_person(db, "Adam", Role.ADMIN),
        carol=await make_person(db, "Carol", Role.CUSTOMER, tier=CustomerTier.VIP1),
        dave=await make_person(db, "Dave", Role.CUSTOMER),
    )
