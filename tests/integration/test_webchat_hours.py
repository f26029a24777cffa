"""Outside service hours a chat visitor is told when a person will answer; the message is still
stored as a case (R-IN-5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from servicedesk.domain.service_hours import ServiceHours

from servicedesk.store.db import Database
from servicedesk.web.channels.webchat import _on_frame

NIGHT = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
VISITOR = "v_9f8e7d6c5b4a3210"


def message(client_id: str, body: str) -> str:
    return json.dumps({"type": "message", "id": client_id, "body": body})


async def test_a_visitor_writing_at_night_is_told_when_someone_will_answer(db: Database) -> None:
    db.clock = lambda: NIGHT
    frames, _ = await _on_frame(message("n1", "还有人吗？"), visitor=VISITOR, db=db, hours=ServiceHours())
    assert [f["type"] for f in frames] == ["ack", "notice"]
    ack, notice = frames
    assert f"#{ack['ticket_id']}" in notice["body"]
    assert "11月23日 08:00" in notice["body"]
    assert notice["opens_at"].startswith("2026-11-23T08:00:00+08:00")
    again, _ = await _on_frame(message("n1", "还有人吗？"), visitor=VISITOR, db=db, hours=ServiceHours())
    assert [f["type"] for f in again] == ["ack"]  # a resent frame is not told twice


async def test_a_visitor_writing_in_service_hours_gets_no_notice(db: Database) -> None:
    db.clock = lambda: MORNING
    frames, _ = await _on_frame(message("d1", "你好"), visitor=VISITOR, db=db, hours=ServiceHours())
    assert [f["type"] for f in frames] == ["ack"]
