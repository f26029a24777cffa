"""Everything the social (Weibo, Douyin) protocol layer refuses, typed so the door can answer
precisely: a bad or stale signature is 403, a payload missing what we need is 422."""

from __future__ import annotations


class SocialPayloadError(ValueError):
    """A signed payload we cannot turn into a message: a required field is missing or has the
    wrong type, or the event type is not one the platform mapping knows. `fields` names the
    JSON paths at fault (path → problem) for the 422 answer."""

    def __init__(self, reason: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fields = fields or {}


class BadSocialSignature(Exception):
    """The HMAC does not match, or the signed timestamp is missing, malformed or stale."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
