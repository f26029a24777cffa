from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from servicedesk.domain.pii import (
    is_valid_resident_id,
    mask_phone,
    mask_resident_id,
    mask_text,
    normalize_mobile,
    resident_id_check_char,
)
from servicedesk.logging_setup import MaskPII

# 11010519491231002X is the standard's own worked example (GB 11643-1999, appendix).
VALID_IDS = ["11010519491231002X", "440524188001010014", "110101199003074514"]


@pytest.mark.parametrize("number", VALID_IDS)
def test_it_accepts_valid_resident_ids(number: str) -> None:
    assert is_valid_resident_id(number)
    assert is_valid_resident_id(number.lower())


@pytest.mark.parametrize(
    "number", ["110105194912310021", "11010519491231002", "1101051949123100XX", "abcdefghijklmnopqr", ""]
)
def test_it_rejects_bad_resident_ids(number: str) -> None:
    assert not is_valid_resident_id(number)


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_every_computed_check_char_validates_and_every_other_does_not(first17: str) -> None:
    good = resident_id_check_char(first17)
    assert is_valid_resident_id(first17 + good)
    for other in "0123456789X":
        if other != good:
            assert not is_valid_resident_id(first17 + other)


def test_it_masks_phones_and_ids() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("010-88886666") == "*******6666"
    assert mask_resident_id("110101199003074514") == "110101********4514"


def test_it_normalizes_mainland_mobiles() -> None:
    assert normalize_mobile("+86 138 1234 1234") == "13812341234"
    assert normalize_mobile("12812341234") is None
    assert normalize_mobile("1381234123") is None


def test_it_masks_personal_data_inside_text() -> None:
    text = "客户电话13812341234，身份证110101199003074514，订单号202611221234567890"
    masked = mask_text(text)
    assert "138****1234" in masked
    assert "110101********4514" in masked
    assert "13812341234" not in masked and "199003074514" not in masked
    assert "202611221234567890" in masked  # fails the ID checksum, so it is an order number


def test_the_log_filter_masks_before_anything_is_written(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("servicedesk.test")
    logger.addFilter(MaskPII())
    with caplog.at_level(logging.INFO, logger="servicedesk.test"):
        logger.info("callback requested by %s", "13812341234")
    assert "138****1234" in caplog.text
    assert "13812341234" not in caplog.text
