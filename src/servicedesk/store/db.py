"""The engine: SQLite in WAL mode by default, PostgreSQL through DATABASE_URL.

SQLite note: the driver's implicit BEGIN is replaced by our own, so write units of work can
take the write lock up front (`BEGIN IMMEDIATE`). A deferred transaction that reads and then
writes fails at once with SQLITE_BUSY when another writer committed in between; an immediate
one waits its turn (busy_timeout) instead.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from servicedesk.settings import Settings

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": 30},
            pool_size=settings.db_pool_size,
        )
        _configure_sqlite(engine, settings.sqlite_synchronous)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=False,
    )


def _configure_sqlite(engine: AsyncEngine, synchronous: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


class Database:
    """The engine, its session factory and the clock: what every unit of work needs.

    On SQLite, `writer` queues this process's write transactions in arrival order before they
    ask SQLite for its lock: SQLite's own busy handler retries with sleeps of up to 100 ms and
    no order, which at 16 concurrent writers left some waiting seconds (p99 3.9 s). Writers in
    other processes still meet in the busy handler.
    """

    def __init__(self, settings: Settings, *, clock: Clock = utcnow) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self.clock = clock
        self.writer: asyncio.Lock | None = asyncio.Lock() if settings.is_sqlite else None
        # Set after a commit that queued outbound messages: an in-process dispatcher delivers
        # at once instead of at its next poll (live chat cannot wait a second).
        self.outbox_ready = asyncio.Event()

    async def dispose(self) -> None:
        await self.engine.dispose()
