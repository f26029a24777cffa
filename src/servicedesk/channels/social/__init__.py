"""Weibo (微博) and Douyin (抖音) private messages and comments: one HMAC-signed webhook adapter
with a per-platform field mapping (pure functions: no I/O, database or HTTP framework), and a
reply transport per platform for the outbox (`weibo.WeiboTransport`, `douyin.DouyinTransport`:
HTTP to the platform's API, no database)."""

from servicedesk.channels.social.errors import BadSocialSignature, SocialPayloadError
from servicedesk.channels.social.mapping import (
    DOUYIN,
    PLATFORMS,
    WEIBO,
    FieldPaths,
    PlatformMapping,
    challenge_of,
    parse_event,
)
from servicedesk.channels.social.signature import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    sign,
    verify_signature,
)

__all__ = [
    "DOUYIN",
    "PLATFORMS",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WEIBO",
    "BadSocialSignature",
    "FieldPaths",
    "PlatformMapping",
    "SocialPayloadError",
    "challenge_of",
    "parse_event",
    "sign",
    "verify_signature",
]
