"""Our HMAC-SHA256 scheme for the social webhook: timestamp + "." + raw body."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from servicedesk.channels.social import BadSocialSignature, sign, verify_signature

SECRET = "weibo-relay-secret"
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
BODY = '{"type":"text","sender_id":2489518277,"text":"你好"}'.encode()


def test_the_scheme_is_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), STAMP.encode() + b"." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, STAMP) == expected
    verify_signature(SECRET, BODY, expected, timestamp_header=STAMP, now=NOW)
    verify_signature(SECRET, BODY, "sha256=" + expected.upper(), timestamp_header=STAMP, now=NOW)


@pytest.mark.parametrize(
    ("signature", "timestamp", "reason"),
    [
        (None, STAMP, "missing X-Social-Signature"),
        ("", STAMP, "missing X-Social-Signature"),
        (sign(SECRET, BODY, STAMP), None, "missing X-Social-Timestamp"),
        (sign(SECRET, BODY, STAMP), "", "missing X-Social-Timestamp"),
        (sign(SECRET, BODY, STAMP), "2024-05-01T08:00:00Z", "not a unix time"),
        (sign("another-secret", BODY, STAMP), STAMP, "does not match"),
        (sign(SECRET, BODY + b" ", STAMP), STAMP, "does not match"),
        (sign(SECRET, BODY, int(STAMP) - 1), STAMP, "does not match"),  # timestamp is signed
        ("不是十六进制", STAMP, "does not match"),
    ],
)
def test_forged_or_incomplete_signatures_are_refused(
    signature: str | None, timestamp: str | None, reason: str
) -> None:
    with pytest.raises(BadSocialSignature, match=reason):
        verify_signature(SECRET, BODY, signature, timestamp_header=timestamp, now=NOW)


@pytest.mark.parametrize(("offset", "direction"), [(-301, "past"), (301, "future")])
def test_stale_or_future_timestamps_are_refused_even_when_signed(offset: int, direction: str) -> None:
    stamp = str(int(NOW.timestamp()) + offset)
    with pytest.raises(BadSocialSignature, match=f"301s in the {direction}"):
        verify_signature(SECRET, BODY, sign(SECRET, BODY, stamp), timestamp_header=stamp, now=NOW)


def test_the_window_is_inclusive_and_configurable() -> None:
    stamp = str(int((NOW - timedelta(seconds=300)).timestamp()))
    verify_signature(SECRET, BODY, sign(SECRET, BODY, stamp), timestamp_header=stamp, now=NOW)
    with pytest.raises(BadSocialSignature, match="limit 60s"):
        verify_signature(
            SECRET, BODY, sign(SECRET, BODY, stamp), timestamp_header=stamp, now=NOW, max_skew_s=60
        )


def test_misuse_is_a_programming_error_not_a_refusal() -> None:
    with pytest.raises(ValueError, match="empty secret"):
        verify_signature("", BODY, "x", timestamp_header=STAMP, now=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        verify_signature(SECRET, BODY, "x", timestamp_header=STAMP, now=NOW.replace(tzinfo=None))
