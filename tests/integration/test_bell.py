"""New notifications are pushed to the pages their person has open, in each page's language,
on both databases; nobody connected costs no query."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from servicedesk.domain.roles import Principal, Role
from servicedesk.services import notifications
from servicedesk.services.auth import principal_by_user_id
from servicedesk.services.tickets import create_ticket
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from servicedesk.web.bell import Bell
from servicedesk.web.live import StaffHub
from tests.conftest import World

DUE = datetime(2026, 10, 8, 0, 10, tzinfo=UTC)  # 08:10 in Shanghai


async def _warn(db: Database, user_ids: list[int], ticket_id: int) -> None:
    async with UnitOfWork(db) as uow:
        data = {"metric": "first_response", "due_at": DUE.isoformat()}
        notifications.notify(uow, user_ids, "sla.warning", ticket_id=ticket_id, data=data)
        await uow.commit()


async def test_a_warning_reaches_its_persons_open_pages_and_nobody_elses(db: Database, world: World) -> None:
    async with UnitOfWork(db) as uow:
        admin = await principal_by_user_id(uow, world.adam.user_id)
        assert isinstance(admin, Principal)
        ticket = await create_ticket(
            uow, admin, subject="发票抬头开错了", body="请重开", customer_id=world.carol.customer_id
        )
    hub = StaffHub()
    pages: list[tuple[str, dict[str, Any]]] = []

    def page(name: str) -> Any:
        async def send(frame: dict[str, Any]) -> None:
            pages.append((name, frame))

        return send

    bell = Bell(db, hub, time_zone="Asia/Shanghai")
    statements: list[str] = []
    listen = lambda *args: statements.append(str(args[2]))  # noqa: E731 - (conn, cursor, statement, …)
    event.listen(db.engine.sync_engine, "before_cursor_execute", listen)
    try:
        assert await bell.ring_once() == 0
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", listen)
    assert statements == []  # nobody has a page open: not even a look

    await _warn(db, [world.sue.user_id], ticket.id)  # before anyone came: on the page they load
    hub.join(Principal(user_id=world.sue.user_id, role=Role.SUPERVISOR), page("sue-zh"), locale="zh")
    abroad = Principal(user_id=world.sue.user_id, role=Role.SUPERVISOR, time_zone="Europe/Berlin")
    hub.join(abroad, page("sue-en"), locale="en")  # where she set her profile to (R-PE-2)
    hub.join(Principal(user_id=world.alice.user_id, role=Role.AGENT), page("alice"))
    assert await bell.ring_once() == 0  # the first look only finds where to start

    await _warn(db, [world.sue.user_id], ticket.id)
    await _warn(db, [world.sue.user_id, world.bob.user_id], ticket.id)  # Bob has no page open
    assert await bell.ring_once() == 2
    assert await bell.ring_once() == 0  # told once
    assert [name for name, _ in pages] == ["sue-zh", "sue-en"]
    zh, en = (frame for _, frame in pages)
    assert (zh["type"], zh["unread"], zh["new"], zh["ticket_id"]) == ("notification", 3, 2, ticket.id)
    assert zh["text"] == f"#{ticket.id}「发票抬头开错了」的首次响应将于 2026-10-08 08:10 到期"
    assert en["text"].startswith(
        f'First response on #{ticket.id} "发票抬头开错了" is due at 2026-10-08 02:10'
    )
