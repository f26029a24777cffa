from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from servicedesk.channels.wechat import (
    BadSignature,
    MalformedMessage,
    StaleTimestamp,
    WeChatError,
    check_msg_signature,
    check_signature,
    msg_signature,
    plain_signature,
)

# Published vector: wechatpy tests/test_utils.py (test_check_signature_should_ok).
TOKEN = "test"
TIMESTAMP = "1410685589"
NONCE = "test"
SIGNATURE = "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"
AT_TIMESTAMP = datetime.fromtimestamp(int(TIMESTAMP), tz=UTC)


def test_it_accepts_the_published_vector() -> None:
    assert plain_signature(TOKEN, TIMESTAMP, NONCE) == SIGNATURE
    check_signature(TOKEN, SIGNATURE, TIMESTAMP, NONCE, now=AT_TIMESTAMP)


def test_it_accepts_an_uppercase_signature() -> None:
    check_signature(TOKEN, SIGNATURE.upper(), TIMESTAMP, NONCE, now=AT_TIMESTAMP)


@pytest.mark.parametrize(
    "signature",
    [
        "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe",  # wechatpy's should_fail vector: last digit off
        "",
        "签名",
    ],
)
def test_it_refuses_a_wrong_signature(signature: str) -> None:
    with pytest.raises(BadSignature):
        check_signature(TOKEN, signature, TIMESTAMP, NONCE, now=AT_TIMESTAMP)


def test_it_refuses_a_signature_made_with_another_token() -> None:
    other = plain_signature("other-token", TIMESTAMP, NONCE)
    with pytest.raises(BadSignature):
        check_signature(TOKEN, other, TIMESTAMP, NONCE, now=AT_TIMESTAMP)


def test_it_sorts_lexicographically_not_numerically() -> None:
    # "10" < "9" as strings: a numeric sort would hash "910…" instead.
    expected = hashlib.sha1(b"109tok", usedforsecurity=False).hexdigest()
    assert plain_signature("tok", "10", "9") == expected


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 10**6])
def test_it_refuses_stale_and_future_timestamps(offset: int) -> None:
    timestamp = str(int(TIMESTAMP) + offset)
    signature = plain_signature(TOKEN, timestamp, NONCE)
    with pytest.raises(StaleTimestamp):
        check_signature(TOKEN, signature, timestamp, NONCE, now=AT_TIMESTAMP)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_it_accepts_timestamps_within_the_skew(offset: int) -> None:
    timestamp = str(int(TIMESTAMP) + offset)
    check_signature(TOKEN, plain_signature(TOKEN, timestamp, NONCE), timestamp, NONCE, now=AT_TIMESTAMP)


def test_it_honours_a_custom_skew() -> None:
    timestamp = str(int(TIMESTAMP) - 60)
    signature = plain_signature(TOKEN, timestamp, NONCE)
    with pytest.raises(StaleTimestamp):
        check_signature(TOKEN, signature, timestamp, NONCE, now=AT_TIMESTAMP, max_skew_s=30)


def test_it_checks_the_signature_before_the_clock() -> None:
    with pytest.raises(BadSignature):
        check_signature(TOKEN, "0" * 40, "1", NONCE, now=AT_TIMESTAMP)


def test_it_refuses_a_non_numeric_timestamp() -> None:
    signature = plain_signature(TOKEN, "12e3", NONCE)
    with pytest.raises(MalformedMessage):
        check_signature(TOKEN, signature, "12e3", NONCE, now=AT_TIMESTAMP)


def test_it_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        check_signature(TOKEN, SIGNATURE, TIMESTAMP, NONCE, now=datetime(2014, 9, 14))


def test_it_computes_the_published_msg_signature() -> None:
    # Official WXBizMsgCrypt sample (Sample.py, 2014; also in wegostudio/wego tests/crypto/tests.py).
    encrypt = (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8PGHQHFVAFmOD2L"
        "dJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332jisa+h6tEDYsVticbSnyU8dKOIbgU6u"
        "x5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgavjIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJ"
        "pXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6OewpusjZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCz"
        "pu9GhglF2PE="
    )
    expected = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    assert msg_signature("spamtest", "1409735669", "1320562132", encrypt) == expected
    now = datetime.fromtimestamp(1409735669, tz=UTC)
    check_msg_signature("spamtest", expected, "1409735669", "1320562132", encrypt, now=now)
    with pytest.raises(BadSignature):
        check_msg_signature("spamtest", expected, "1409735669", "1320562132", encrypt + "x", now=now)


def test_it_raises_errors_in_one_hierarchy() -> None:
    for error in (BadSignature, StaleTimestamp, MalformedMessage):
        assert issubclass(error, WeChatError)
