"""Our signature scheme for the social webhook (Weibo and Douyin alike).

The platforms sign differently and weakly: Douyin sends ``X-Douyin-Signature =
sha1(client_secret + body)`` with no timestamp (a captured delivery can be replayed forever);
Weibo's fan-service signs only the query string (``sha1(sorted([app_secret, timestamp,
nonce]))``), never the body. So this door accepts one scheme of **ours**, applied by the relay
that forwards the platforms' pushes to us::

    X-Social-Timestamp: <unix seconds>
    X-Social-Signature: hex(HMAC-SHA256(secret, timestamp + "." + raw body))

(an optional ``sha256=`` prefix on the signature is tolerated). The timestamp is signed with the
body, so a replay outside `max_skew_s` is refused even with a valid signature, and the raw bytes
are signed, so no JSON re-serialisation can make a signature match a different payload.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from servicedesk.channels.social.errors import BadSocialSignature

SIGNATURE_HEADER = "X-Social-Signature"
TIMESTAMP_HEADER = "X-Social-Timestamp"
DEFAULT_MAX_SKEW_S = 300


def sign(secret: str, body: bytes, timestamp: str | int) -> str:
    """The hex HMAC-SHA256 of ``timestamp + "." + body``: what the sender puts in the header."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str,
    body: bytes,
    signature_header: str | None,
    *,
    timestamp_header: str | None,
    now: datetime,
    max_skew_s: int = DEFAULT_MAX_SKEW_S,
) -> None:
    """Return None for a genuine, fresh delivery; raise BadSocialSignature otherwise.

    The signature is compared (in constant time) before the clock is looked at, so an unsigned
    request learns nothing about our clock.
    """
    if not secret:
        raise ValueError("an empty secret would accept anyone's signature")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not signature_header:
        raise BadSocialSignature(f"missing {SIGNATURE_HEADER}")
    stamp = (timestamp_header or "").strip()
    if not stamp:
        raise BadSocialSignature(f"missing {TIMESTAMP_HEADER}")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise BadSocialSignature(f"{TIMESTAMP_HEADER} is not a unix time in seconds")
    given = signature_header.strip().lower().removeprefix("sha256=")
    if not hmac.compare_digest(sign(secret, body, stamp).encode("ascii"), given.encode("utf-8")):
        raise BadSocialSignature("signature does not match")
    skew = int(stamp) - now.timestamp()
    if abs(skew) > max_skew_s:
        direction = "future" if skew > 0 else "past"
        raise BadSocialSignature(f"timestamp is {abs(int(skew))}s in the {direction} (limit {max_skew_s}s)")
