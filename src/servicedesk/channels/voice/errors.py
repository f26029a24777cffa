"""Everything the voice (call center) protocol layer refuses, typed so the door can answer
precisely: a payload missing what we need, or contradicting itself, is 422."""

from __future__ import annotations


class CallPayloadError(ValueError):
    """A signed call event we cannot turn into a message: a required field is missing or has the
    wrong type, the event is unknown, the times contradict each other, or a transcript segment
    lies outside the call. `fields` names the JSON paths at fault (path → problem) for the 422
    answer."""

    def __init__(self, reason: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = fields or {}
