"""A call event pushed by the telephony system (call center / IVR) → one `InboundMessage`.

The schema is **ours**: the telephony system's integration posts it (signed like the social
webhook, see `channels/social/signature.py`). Its field names follow the CDR (话单) pushes of
common Chinese call-center platforms — ``call_id``, ``caller``, ``callee``, ``start_time``,
``end_time``, ``duration`` — so a relay usually only renames a few keys::

    {
      "event": "call.ended",                 # "call.started" | "call.ended"          required
      "call_id": "CC20240501100000001",      # the platform's call id, string or integer  required
      "direction": "inbound",                # "inbound" (呼入) | "outbound" (呼出)        required
      "caller": "13812345678",               # 主叫 number, as text (a landline keeps its 0)  required
      "callee": "4008001234",                # 被叫 number, as text                        required
      "queue": "售后",                        # skill group / queue                        optional
      "start_time": "2024-05-01 10:00:00",   # call established                 required when ended
      "end_time": "2024-05-01 10:03:25",     # hung up                          required when ended
      "duration": 205,                       # talk seconds (default end - start)         optional
      "recording_url": "https://…/rec.mp3",  # http(s) only                              optional
      "transcript": [                        # ASR segments, offsets from start_time     optional
        {"speaker": "customer", "start_ms": 1200, "end_ms": 4800, "text": "你好，我的耳机…"},
        {"speaker": "agent", "start_ms": 5000, "end_ms": 7300, "text": "您好，请提供订单号。"}
      ]
    }

Times are unix seconds or milliseconds (number or digit string), ISO 8601 with an offset, or
"YYYY-MM-DD HH:MM:SS" without one, which is Beijing time (+08:00, as the platforms send it).

- ``call.started`` is an `EVENT` (the customer is resolved, nothing is stored as a message);
  ``call.ended`` is a `MESSAGE` on the PHONE channel whose body is the transcript as readable
  lines ``[mm:ss] 客户：…`` / ``[mm:ss] 客服：…`` in time order, so a call becomes a conversation on
  the customer's timeline. Its `message_id` is ``call:<call_id>``: a retried end event is stored
  once.
- The sender is the customer's side: the caller of an inbound call, the callee of an outbound one;
  a mainland mobile is normalised to its 11 digits, anything else (landline, 400 number) is kept as
  digits in national form (``+86 10 …`` → ``010…``).
- The subject carries the number masked (``电话 呼入 138****5678``), never whole.
- metadata keeps the call for quality inspection: call_id, direction, queue, recording_url,
  duration_s, started_at/ended_at (ISO, UTC) and ``segments``, the transcript as compact JSON.

Every problem found is reported at once in `CallPayloadError.fields` (dotted path → problem,
e.g. ``transcript.2.end_ms``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import urlsplit

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.channels.voice.errors import CallPayloadError
from servicedesk.domain.catalog import Channel
from servicedesk.domain.pii import mask_phone, normalize_mobile

EVENT_STARTED = "call.started"
EVENT_ENDED = "call.ended"
DIRECTIONS: Mapping[str, str] = {"inbound": "呼入", "outbound": "呼出"}
SPEAKERS: Mapping[str, str] = {"customer": "客户", "agent": "客服"}
NO_TRANSCRIPT = "（通话无转写）"
BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")  # China has had no DST since 1991

MAX_CALL_ID = 120  # stored as "call:<id>" in a 255-character column
MAX_QUEUE = 100
MAX_URL = 2000
MIN_DIGITS, MAX_DIGITS = 3, 20
SEGMENT_SLACK_MS = 1000  # ASR and CDR clocks round differently
_MS_THRESHOLD = 10**11  # 10**11 seconds is the year 5138: anything larger is milliseconds
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-()]+$")
_LONG_DISTANCE_MOBILE = re.compile(r"^0(1[3-9]\d{9})$")  # 外地手机加拨 0
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Segment:
    speaker: str
    start_ms: int
    end_ms: int
    text: str


class _Problems:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, problem: str) -> None:
        self.fields.setdefault(path, problem)

    def raise_if_any(self) -> None:
        if not self.fields:
            return
        first, problem = next(iter(self.fields.items()))
        more = f" (and {len(self.fields) - 1} more)" if len(self.fields) > 1 else ""
        raise CallPayloadError(f"field {first} {problem}{more}", fields=dict(self.fields))


def _get(payload: Mapping[str, object], key: str) -> object:
    value = payload.get(key, _MISSING)
    return _MISSING if value is None else value


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _call_id(value: object, problems: _Problems) -> str | None:
    if value is _MISSING:
        problems.add("call_id", "missing")
        return None
    if not (_is_int(value) or isinstance(value, str)):
        kind = "a float (digits already lost)" if isinstance(value, float) else f"a {type(value).__name__}"
        problems.add("call_id", f"is {kind}, expected a string or integer id")
        return None
    text = str(value).strip()
    if not text:
        problems.add("call_id", "is empty")
    elif len(text) > MAX_CALL_ID:
        problems.add("call_id", f"is longer than {MAX_CALL_ID} characters")
    else:
        return text
    return None


def phone_key(raw: str) -> str | None:
    """The customer's number as we store it: a mainland mobile as its 11 digits, anything else as
    digits in national form; None if `raw` is not a phone number."""
    text = raw.strip()
    if not _PHONE_CHARS.match(text):
        return None
    compact = re.sub(r"[\s\-()]", "", text)
    if compact.startswith("0086"):
        compact = "+86" + compact[4:]
    mobile = normalize_mobile(compact)
    if mobile:
        return mobile
    distant = _LONG_DISTANCE_MOBILE.match(compact)
    if distant:
        return distant.group(1)
    digits = compact.lstrip("+")
    if compact.startswith("+86"):
        digits = "0" + digits[2:].lstrip("0")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return None
    return digits


def _number(payload: Mapping[str, object], key: str, problems: _Problems) -> str | None:
    value = _get(payload, key)
    if value is _MISSING:
        problems.add(key, "missing")
        return None
    if not isinstance(value, str):
        problems.add(key, f"is a {type(value).__name__}, expected the number as text")
        return None
    if not value.strip():
        problems.add(key, "is empty")
        return None
    number = phone_key(value)
    if number is None:
        problems.add(key, "is not a phone number")
    return number


def parse_time(value: object) -> datetime:
    """Unix seconds or milliseconds (number or digit string), ISO 8601, or "YYYY-MM-DD HH:MM:SS"
    in Beijing time; always returned in UTC. Raises ValueError."""
    if _is_int(value) or (isinstance(value, str) and value.strip().isascii() and value.strip().isdigit()):
        number = int(str(value).strip())
        seconds, millis = divmod(number, 1000) if number >= _MS_THRESHOLD else (number, 0)
        moment = datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.strip())
        moment = (parsed if parsed.tzinfo else parsed.replace(tzinfo=BEIJING)).astimezone(UTC)
    else:
        raise ValueError(f"is a {type(value).__name__}, expected a time")
    if moment < _EARLIEST:
        raise ValueError("is before the year 2000")
    return moment


def _time(payload: Mapping[str, object], key: str, problems: _Problems, *, required: bool) -> datetime | None:
    value = _get(payload, key)
    if value is _MISSING:
        if required:
            problems.add(key, "missing")
        return None
    try:
        return parse_time(value)
    except (ValueError, OverflowError, OSError) as error:
        reason = str(error) if str(error).startswith("is ") else "is not a time we understand"
        problems.add(key, f"{reason}: {str(value)[:40]!r}")
        return None


def _optional_text(payload: Mapping[str, object], key: str, problems: _Problems, limit: int) -> str | None:
    value = _get(payload, key)
    if value is _MISSING:
        return None
    if _is_int(value) and key == "queue":
        value = str(value)
    if not isinstance(value, str):
        problems.add(key, f"is a {type(value).__name__}, expected text")
        return None
    text = value.strip()
    if len(text) > limit:
        problems.add(key, f"is longer than {limit} characters")
        return None
    return text or None


def _recording_url(payload: Mapping[str, object], problems: _Problems) -> str | None:
    url = _optional_text(payload, "recording_url", problems, MAX_URL)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add("recording_url", "is not an http(s) URL")
        return None
    return url


def _duration(payload: Mapping[str, object], span_s: float | None, problems: _Problems) -> int | None:
    value = _get(payload, "duration")
    if value is _MISSING:
        return None if span_s is None else round(span_s)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())  # some platforms send "205"
    if not _is_int(value) or not isinstance(value, int) or value < 0:
        problems.add("duration", "is not a whole number of seconds ≥ 0")
        return None
    if span_s is not None and value > span_s + 1:
        problems.add("duration", f"is longer than the call ({value}s > {round(span_s)}s)")
        return None
    return value


def _segments(value: object, span_ms: int | None, problems: _Problems) -> list[Segment]:
    if value is _MISSING:
        return []
    if not isinstance(value, list):
        problems.add("transcript", f"is a {type(value).__name__}, expected a list of segments")
        return []
    found: list[Segment] = []
    for index, item in enumerate(value):
        path = f"transcript.{index}"
        if not isinstance(item, Mapping):
            problems.add(path, "is not an object")
            continue
        speaker = item.get("speaker")
        start, end, text = item.get("start_ms"), item.get("end_ms"), item.get("text")
        ok = True
        if speaker not in SPEAKERS:
            problems.add(f"{path}.speaker", f"is not one of {', '.join(SPEAKERS)}")
            ok = False
        for name, ms in (("start_ms", start), ("end_ms", end)):
            if not _is_int(ms) or not isinstance(ms, int) or ms < 0:
                problems.add(f"{path}.{name}", "is not a whole number of milliseconds ≥ 0")
                ok = False
        if not isinstance(text, str):
            problems.add(f"{path}.text", "missing" if text is None else "is not text")
            ok = False
        if not ok:
            continue
        assert isinstance(start, int)
        assert isinstance(end, int)
        assert isinstance(text, str)
        assert isinstance(speaker, str)
        if end < start:
            problems.add(f"{path}.end_ms", "is before start_ms")
            continue
        if span_ms is not None and end > span_ms + SEGMENT_SLACK_MS:
            problems.add(f"{path}.end_ms", f"is after the call ended ({end} > {span_ms} ms)")
            continue
        found.append(Segment(speaker, start, end, " ".join(text.split())))
    return sorted(found, key=lambda s: (s.start_ms, s.end_ms))


def _clock(ms: int) -> str:
    minutes, seconds = divmod(ms // 1000, 60)
    return f"{minutes:02d}:{seconds:02d}"


def transcript_lines(segments: list[Segment]) -> str:
    """The transcript as readable lines in time order; a call without one says so."""
    lines = [f"[{_clock(s.start_ms)}] {SPEAKERS[s.speaker]}：{s.text}" for s in segments if s.text]
    return "\n".join(lines) or NO_TRANSCRIPT


def _segments_json(segments: list[Segment]) -> str:
    rows = [
        {"speaker": s.speaker, "start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text} for s in segments
    ]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def parse_call_event(payload: Mapping[str, object], *, received_at: datetime) -> InboundMessage:
    """Map one call event to an `InboundMessage` on the PHONE channel (see the module docstring
    for the schema). Raises CallPayloadError naming every path at fault."""
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if not isinstance(payload, Mapping):
        raise CallPayloadError("payload is not a JSON object", fields={"body": "not an object"})
    problems = _Problems()
    event = _get(payload, "event")
    if event is _MISSING:
        problems.add("event", "missing")
    elif event not in (EVENT_STARTED, EVENT_ENDED):
        problems.add("event", f"is not {EVENT_STARTED} or {EVENT_ENDED}")
    ended = event == EVENT_ENDED
    call_id = _call_id(_get(payload, "call_id"), problems)
    direction = _get(payload, "direction")
    if direction is _MISSING:
        problems.add("direction", "missing")
    elif direction not in DIRECTIONS:
        problems.add("direction", f"is not one of {', '.join(DIRECTIONS)}")
    caller = _number(payload, "caller", problems)
    callee = _number(payload, "callee", problems)
    queue = _optional_text(payload, "queue", problems, MAX_QUEUE)
    started_at = _time(payload, "start_time", problems, required=ended)
    ended_at = _time(payload, "end_time", problems, required=ended) if ended else None
    span_s: float | None = None
    if started_at is not None and ended_at is not None:
        span_s = (ended_at - started_at).total_seconds()
        if span_s < 0:
            problems.add("end_time", "is before start_time")
            span_s = None
    recording_url = duration = None
    segments: list[Segment] = []
    if ended:
        span_ms = None if span_s is None else round(span_s * 1000)
        recording_url = _recording_url(payload, problems)
        duration = _duration(payload, span_s, problems)
        segments = _segments(_get(payload, "transcript"), span_ms, problems)
    problems.raise_if_any()
    assert call_id is not None
    assert caller is not None
    assert callee is not None
    assert isinstance(direction, str)
    customer = caller if direction == "inbound" else callee

    meta: dict[str, str] = {
        "event": str(event),
        "call_id": call_id,
        "direction": direction,
        "server_received_at": received_at.astimezone(UTC).isoformat(),
    }
    if queue:
        meta["queue"] = queue
    if started_at is not None:
        meta["started_at"] = started_at.isoformat()

    if not ended:
        meta |= {"caller": caller, "callee": callee}
        return InboundMessage(
            channel=Channel.PHONE,
            sender=customer,
            body="",
            received_at=started_at or received_at.astimezone(UTC),
            message_id=f"call:{call_id}:started",
            kind=InboundKind.EVENT,
            metadata=meta,
        )

    assert started_at is not None
    assert ended_at is not None
    assert span_s is not None
    meta |= {
        "ended_at": ended_at.isoformat(),
        "duration_s": str(duration if duration is not None else round(span_s)),
        "segments": _segments_json(segments),
    }
    if recording_url:
        meta["recording_url"] = recording_url
    return InboundMessage(
        channel=Channel.PHONE,
        sender=customer,
        body=transcript_lines(segments),
        received_at=ended_at,
        message_id=f"call:{call_id}",
        kind=InboundKind.MESSAGE,
        subject=f"电话 {DIRECTIONS[direction]} {mask_phone(customer)}",
        metadata=meta,
    )


__all__ = [
    "BEIJING",
    "DIRECTIONS",
    "EVENT_ENDED",
    "EVENT_STARTED",
    "NO_TRANSCRIPT",
    "SPEAKERS",
    "Segment",
    "parse_call_event",
    "parse_time",
    "phone_key",
    "transcript_lines",
]
