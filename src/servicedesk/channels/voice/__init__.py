"""Telephony (call center / IVR): call start and end events with the ASR transcript, pushed as
JSON by the telephony system's integration and signed with the social webhook's HMAC scheme.
Pure functions only: no I/O, database or HTTP framework."""

from servicedesk.channels.voice.call import (
    EVENT_ENDED,
    EVENT_STARTED,
    NO_TRANSCRIPT,
    parse_call_event,
    transcript_lines,
)
from servicedesk.channels.voice.errors import CallPayloadError

__all__ = [
    "EVENT_ENDED",
    "EVENT_STARTED",
    "NO_TRANSCRIPT",
    "CallPayloadError",
    "parse_call_event",
    "transcript_lines",
]
