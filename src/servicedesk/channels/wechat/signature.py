"""Request signatures of the Official Account (公众号) server callback.

Plain mode signs every callback URL with ``signature = sha1(sorted([token, timestamp, nonce]))``;
safe mode additionally signs the ciphertext with
``msg_signature = sha1(sorted([token, timestamp, nonce, encrypt]))``. Values are sorted as strings
(lexicographically) and concatenated without separators before hashing.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from servicedesk.channels.wechat.errors import BadSignature, MalformedMessage, StaleTimestamp

DEFAULT_MAX_SKEW_S = 300


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8"), usedforsecurity=False).hexdigest()


def plain_signature(token: str, timestamp: str, nonce: str) -> str:
    """The `signature` query parameter WeChat sends with every callback."""
    return _sha1_sorted(token, timestamp, nonce)


def msg_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """The safe-mode `msg_signature` over the base64 ciphertext (inbound and in our replies)."""
    return _sha1_sorted(token, timestamp, nonce, encrypt)


def _compare(expected: str, given: str) -> None:
    # Both sides are ASCII hex when genuine; encode so compare_digest accepts any input.
    if not hmac.compare_digest(expected.encode("utf-8"), given.strip().lower().encode("utf-8")):
        raise BadSignature("signature does not match")


def check_timestamp(timestamp: str, *, now: datetime, max_skew_s: int = DEFAULT_MAX_SKEW_S) -> None:
    """Refuse a signed timestamp more than `max_skew_s` seconds before or after `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise MalformedMessage(f"timestamp is not a unix time: {timestamp[:20]!r}")
    skew = int(timestamp) - now.timestamp()
    if abs(skew) > max_skew_s:
        direction = "future" if skew > 0 else "past"
        raise StaleTimestamp(f"timestamp is {abs(int(skew))}s in the {direction} (limit {max_skew_s}s)")


def check_signature(
    token: str,
    signature: str,
    timestamp: str,
    nonce: str,
    *,
    now: datetime,
    max_skew_s: int = DEFAULT_MAX_SKEW_S,
) -> None:
    """Verify a plain-mode callback (URL verification GET and every POST); raise or return None.

    The signature is checked first, so an unsigned request never learns anything about our clock.
    """
    _compare(plain_signature(token, timestamp, nonce), signature)
    check_timestamp(timestamp, now=now, max_skew_s=max_skew_s)


def check_msg_signature(
    token: str,
    signature: str,
    timestamp: str,
    nonce: str,
    encrypt: str,
    *,
    now: datetime,
    max_skew_s: int = DEFAULT_MAX_SKEW_S,
) -> None:
    """Verify a safe-mode `msg_signature` over `encrypt`, then the timestamp's freshness."""
    _compare(msg_signature(token, timestamp, nonce, encrypt), signature)
    check_timestamp(timestamp, now=now, max_skew_s=max_skew_s)
