"""Call events from the telephony system → InboundMessage on the PHONE channel."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from servicedesk.channels.message import InboundKind
from servicedesk.channels.voice import NO_TRANSCRIPT, CallPayloadError, parse_call_event
from servicedesk.channels.voice.call import parse_time, phone_key
from servicedesk.domain.catalog import Channel

DATA = Path(__file__).parents[2] / "data" / "voice"
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return payload


def refused(payload: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(CallPayloadError) as caught:
        parse_call_event(payload, received_at=NOW)
    assert caught.value.reason
    return caught.value.fields


def test_an_inbound_call_is_a_message_from_the_caller_with_the_transcript_in_time_order() -> None:
    message = parse_call_event(load("inbound_mobile_transcript.json"), received_at=NOW)
    assert message.channel is Channel.PHONE
    assert message.kind is InboundKind.MESSAGE
    assert message.sender == "13812345678"  # "+86 138-1234-5678" normalised
    assert message.message_id == "call:CC20240501100000001"
    assert message.subject == "电话 呼入 138****5678"
    assert message.body.splitlines() == [
        "[00:01] 客户：喂，你好，我上周买的蓝牙耳机左边没有声音。",
        "[00:05] 客服：您好，请问有什么可以帮您？",
        "[00:09] 客户：订单号是 202404281234，能换一个吗？",
        "[01:15] 客服：已为您登记换货，快递员明天上门取件。",
    ]
    assert message.received_at == datetime(2024, 5, 1, 2, 3, 25, tzinfo=UTC)  # Beijing 10:03:25
    meta = message.metadata
    assert meta["call_id"] == "CC20240501100000001"
    assert meta["direction"] == "inbound"
    assert meta["queue"] == "售后"
    assert meta["recording_url"].endswith("CC20240501100000001.mp3")
    assert meta["duration_s"] == "200"
    assert meta["started_at"] == "2024-05-01T02:00:00+00:00"
    assert meta["ended_at"] == "2024-05-01T02:03:25+00:00"
    segments = json.loads(meta["segments"])
    assert [s["start_ms"] for s in segments] == [1000, 5200, 9000, 75000]
    assert segments[0] == {
        "speaker": "customer", "start_ms": 1000, "end_ms": 4800, "text": "喂，你好，我上周买的蓝牙耳机左边没有声音。"
    }  # fmt: skip
    assert " " not in meta["segments"].replace("订单号是 2024", "")  # compact JSON
    assert all(isinstance(value, str) for value in meta.values())


def test_an_outbound_call_is_from_the_callee() -> None:
    message = parse_call_event(load("outbound_mobile.json"), received_at=NOW)
    assert message.sender == "13912345678"
    assert message.subject == "电话 呼出 139****5678"
    assert message.message_id == "call:7302001998877665544"  # a 19-digit id, exact
    assert message.metadata["queue"] == "12"
    assert message.metadata["duration_s"] == "60"  # from the times
    assert message.body.splitlines()[0] == "[00:00] 客服：您好，这里是客服中心，回访您的退款申请。"
    assert "recording_url" not in message.metadata


def test_a_call_without_transcript_says_so() -> None:
    message = parse_call_event(load("empty_transcript.json"), received_at=NOW)
    assert message.body == NO_TRANSCRIPT == "（通话无转写）"
    assert message.metadata["segments"] == "[]"
    assert message.metadata["duration_s"] == "12"
    payload = load("empty_transcript.json")
    del payload["transcript"]
    assert parse_call_event(payload, received_at=NOW).body == NO_TRANSCRIPT


def test_a_landline_keeps_its_digits_and_is_masked_in_the_subject() -> None:
    message = parse_call_event(load("landline_inbound.json"), received_at=NOW)
    assert message.sender == "01088886666"
    assert message.subject == "电话 呼入 *******6666"
    assert "8888" not in (message.subject or "")


def test_a_started_call_is_an_event_with_both_numbers() -> None:
    message = parse_call_event(load("started_inbound.json"), received_at=NOW)
    assert message.kind is InboundKind.EVENT
    assert message.channel is Channel.PHONE
    assert message.sender == "13812345678"
    assert message.message_id == "call:CC20240501100000001:started"
    assert {k: message.metadata[k] for k in ("call_id", "direction", "queue", "caller", "callee")} == {
        "call_id": "CC20240501100000001", "direction": "inbound", "queue": "售后",
        "caller": "13812345678", "callee": "4008001234",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("013812345678", "13812345678"),  # long-distance prefix
        ("010-8888-6666", "01088886666"),
        ("+86 10 8888 6666", "01088886666"),
        ("(0755) 2345 6789", "075523456789"),
        ("400-800-1234", "4008001234"),
        ("anonymous", None),
        ("12", None),
        ("+", None),
    ],
)
def test_numbers_are_keyed_as_we_store_them(raw: str, key: str | None) -> None:
    assert phone_key(raw) == key


def test_times_in_every_accepted_form_mean_the_same_moment() -> None:
    moment = datetime(2024, 5, 1, 2, 0, tzinfo=UTC)
    for raw in (1714528800, "1714528800", 1714528800000, "2024-05-01 10:00:00", "2024-05-01T02:00:00Z"):
        assert parse_time(raw) == moment, raw
    for bad in ("yesterday", 1.5, True, 0, "1999-12-31 23:59:59"):
        with pytest.raises(ValueError):  # noqa: PT011 - any refusal
            parse_time(bad)


def edit(name: str, **changes: Any) -> dict[str, Any]:
    payload = load(name)
    for key, value in changes.items():
        if value is ...:
            del payload[key]
        else:
            payload[key] = value
    return payload


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        (edit("inbound_mobile_transcript.json", call_id=...), {"call_id": "missing"}),
        (edit("inbound_mobile_transcript.json", event=...), {"event": "missing"}),
        (edit("inbound_mobile_transcript.json", event="call.ringing"), {"event": "is not call.started or call.ended"}),
        (edit("inbound_mobile_transcript.json", caller=...), {"caller": "missing"}),
        (edit("inbound_mobile_transcript.json", callee=""), {"callee": "is empty"}),
        (edit("inbound_mobile_transcript.json", caller=13812345678), {"caller": "is a int, expected the number as text"}),
        (edit("inbound_mobile_transcript.json", caller="anonymous"), {"caller": "is not a phone number"}),
        (edit("inbound_mobile_transcript.json", direction="sideways"), {"direction": "is not one of inbound, outbound"}),
        (edit("inbound_mobile_transcript.json", call_id=1.5e18), {"call_id": "is a float (digits already lost), expected a string or integer id"}),
        (edit("inbound_mobile_transcript.json", end_time=...), {"end_time": "missing"}),
        (edit("inbound_mobile_transcript.json", end_time="2024-05-01 09:00:00"), {"end_time": "is before start_time"}),
        (edit("inbound_mobile_transcript.json", duration=900), {"duration": "is longer than the call (900s > 205s)"}),
        (edit("inbound_mobile_transcript.json", duration=-1), {"duration": "is not a whole number of seconds ≥ 0"}),
        (edit("inbound_mobile_transcript.json", recording_url="javascript:alert(1)"), {"recording_url": "is not an http(s) URL"}),
        (edit("inbound_mobile_transcript.json", transcript="喂"), {"transcript": "is a str, expected a list of segments"}),
    ],
)  # fmt: skip
def test_bad_payloads_name_the_field_at_fault(payload: dict[str, Any], fields: dict[str, str]) -> None:
    assert refused(payload) == fields


def test_bad_times_are_refused_with_the_value() -> None:
    fields = refused(edit("inbound_mobile_transcript.json", start_time="五月一日"))
    assert list(fields) == ["start_time"]
    assert "五月一日" in fields["start_time"]


def test_transcript_segments_out_of_range_are_named_by_path() -> None:
    payload = load("inbound_mobile_transcript.json")
    payload["transcript"] += [
        {"speaker": "customer", "start_ms": 300000, "end_ms": 301000, "text": "通话结束后"},
        {"speaker": "customer", "start_ms": 5000, "end_ms": 4000, "text": "倒着"},
        {"speaker": "robot", "start_ms": -1, "end_ms": 10, "text": 3},
        "not a segment",
    ]
    assert refused(payload) == {
        "transcript.4.end_ms": "is after the call ended (301000 > 205000 ms)",
        "transcript.5.end_ms": "is before start_ms",
        "transcript.6.speaker": "is not one of customer, agent",
        "transcript.6.start_ms": "is not a whole number of milliseconds ≥ 0",
        "transcript.6.text": "is not text",
        "transcript.7": "is not an object",
    }


def test_every_problem_is_reported_at_once() -> None:
    fields = refused({"event": "call.ended", "direction": "inbound"})
    assert set(fields) == {"call_id", "caller", "callee", "start_time", "end_time"}


def test_a_started_event_needs_its_numbers_but_not_an_end() -> None:
    assert refused(edit("started_inbound.json", callee=...)) == {"callee": "missing"}
    started = parse_call_event(edit("started_inbound.json", start_time=...), received_at=NOW)
    assert started.received_at == NOW


def test_received_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_call_event(load("started_inbound.json"), received_at=datetime(2024, 5, 1))
