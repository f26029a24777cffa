"""Every fixture in tests/data/email against what it must give (expected.json): real-world
shapes that used to be refused, lose their text, or open cases for machine mail."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.message import InboundKind

DATA = Path(__file__).resolve().parents[2] / "data" / "email"
EXPECTED: dict[str, dict[str, Any]] = {
    name: spec
    for name, spec in json.loads((DATA / "expected.json").read_text()).items()
    if not name.startswith("_")
}
NOW = datetime(2024, 3, 20, 8, 0, tzinfo=UTC)


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(p.name for p in DATA.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    spec = EXPECTED[name]
    envelope = spec.get("envelope")
    msg = parse_email((DATA / name).read_bytes(), received_at=NOW, envelope_sender=envelope)
    assert msg.kind is InboundKind(spec["kind"]), msg.metadata
    if "sender" in spec:
        assert msg.sender == spec["sender"]
    if "subject" in spec:
        assert msg.subject == spec["subject"]
    if "body" in spec:
        assert spec["body"] in msg.body
        assert bool(msg.body) == bool(spec["body"])
    if spec["kind"] == "message":
        assert msg.metadata.get("needs_review") == spec.get("flags"), msg.metadata
        assert "\ufffd" not in (msg.subject or "") + (msg.sender_name or "")
    if "bounce" in spec:
        kind, recipient = spec["bounce"]
        assert (msg.metadata.get("bounce"), msg.metadata.get("bounced_recipient")) == (kind, recipient)
    elif spec["kind"] == "automatic":
        assert "bounce" not in msg.metadata
    if "attachments" in spec:
        assert [a.filename for a in msg.attachments] == spec["attachments"]


@pytest.mark.parametrize("name", ["gbk_plain.eml", "outlook_gb2312.eml", "from_address_with_spaces.eml"])
def test_the_null_envelope_sender_marks_any_mail_automatic(name: str) -> None:
    msg = parse_email((DATA / name).read_bytes(), received_at=NOW, envelope_sender="<>")
    assert (msg.kind, msg.metadata["automatic_reason"]) == (InboundKind.AUTOMATIC, "null-sender")


def test_a_bounce_names_the_signed_message_it_returns() -> None:
    for name in (
        "bounce_postfix.eml",
        "bounce_exim.eml",
        "bounce_qmail.eml",
        "bounce_gmail.eml",
        "bounce_163.eml",
    ):
        msg = parse_email((DATA / name).read_bytes(), received_at=NOW)
        assert (
            msg.metadata["bounced_message_id"]
            == "sd.42.0011223344556677.8899aabbccddeeff@support.example.com"
        )


def test_a_flagged_part_keeps_its_original_bytes() -> None:
    raw = (DATA / "utf8_one_bad_byte.eml").read_bytes()
    msg = parse_email(raw, received_at=NOW)
    [kept] = msg.attachments
    assert b"\xff" in kept.data and kept.filename == msg.metadata["undecodable_parts"]
    assert msg.body.count("\ufffd") == 1
