"""The queue's clock: offer waiting cases to whoever is on duty now.

Most places free up through an event the services see (a case resolved, an agent online,
capacity raised) and they drain the queue then; a shift starting is announced by nothing, so
this job looks every `routing_drain_interval_s`. An empty queue costs one indexed read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from servicedesk.services import routing
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)


async def drain_once(db: Database) -> int:
    """Assign what can be assigned now; how many cases left the queue."""
    async with UnitOfWork(db) as uow:
        routed = await routing.drain(uow)
        if routed:
            await uow.commit()
    return len(routed)


async def run_forever(db: Database, stop: asyncio.Event, *, idle_s: float) -> None:
    while not stop.is_set():
        try:
            await drain_once(db)
        except Exception:  # a database hiccup must not leave the queue unwatched for good
            log.exception("queue drain failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=idle_s)
