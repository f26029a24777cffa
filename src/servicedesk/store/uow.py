"""The unit of work: one transaction, the audit events written inside it, hooks after commit.

Services open it (`async with uow:`), change things, call `record(...)` for every change, and
`commit()`. Anything that leaves the process (a push, an email) is queued with `after_commit`
so it never runs for a transaction that rolled back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert, inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from servicedesk.domain.errors import Conflict
from servicedesk.domain.roles import Principal
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.models import Base, Event

AfterCommit = Callable[[], Awaitable[None]]


class UnitOfWork:
    session: AsyncSession
    _lock: asyncio.Lock | None = None

    def __init__(self, db: Database, *, write: bool = True) -> None:
        self._db = db
        self._write = write
        self._after_commit: list[AfterCommit] = []

    async def __aenter__(self) -> Self:
        self._after_commit = []
        self._lock = self._db.writer if self._write else None
        if self._lock is not None:
            await self._lock.acquire()
        self.session = self._db.sessions()
        if self._lock is not None:
            try:
                await self.session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
            except BaseException:
                await self._release()
                raise
        return self

    async def _release(self) -> None:
        try:
            await self.session.close()
        finally:
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back whatever was not committed and detaches objects with their loaded
        # state intact (an explicit rollback would expire them and break later reads).
        await self._release()

    @property
    def settings(self) -> Settings:
        return self._db.settings

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`: for the few queries that must be phrased per database."""
        return self._db.engine.dialect.name

    def now(self) -> datetime:
        return self._db.clock()

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except StaleDataError as error:
            await self.session.rollback()
            raise Conflict(
                "someone else changed this record at the same time; reload and try again"
            ) from error
        except IntegrityError as error:
            await self.session.rollback()
            raise Conflict("this would duplicate or orphan a record") from error
        hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            await hook()

    def wake_outbox_after_commit(self) -> None:
        async def wake() -> None:
            self._db.outbox_ready.set()

        self.after_commit(wake)

    def after_commit(self, hook: AfterCommit) -> None:
        self._after_commit.append(hook)

    def record(
        self,
        actor: Principal | None,
        action: str,
        *,
        subject_type: str,
        subject_id: int,
        ticket_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> Event:
        """Add an audit event to this transaction (R-AN-3)."""
        row = Event(
            occurred_at=self.now(),
            actor_user_id=actor.user_id if actor else None,
            actor_role=actor.role.value if actor else None,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            ticket_id=ticket_id,
            before=before,
            after=after,
        )
        self.session.add(row)
        return row

    async def insert_pending(self, *models: type[Base]) -> None:
        """Write the pending new rows of `models` with one INSERT each, not one per row.

        For batch jobs adding thousands of rows whose ids nobody reads back (audit events,
        notifications): the ORM's flush wants every new id and so, on SQLite, inserts row by row.
        """
        for model in models:
            pending = [o for o in self.session.new if type(o) is model]
            if not pending:
                continue
            columns = {c.key for c in inspect(model).column_attrs}
            values = [{k: v for k, v in inspect(o).dict.items() if k in columns} for o in pending]
            for row in pending:
                self.session.expunge(row)
            await self.session.execute(insert(model), values)
