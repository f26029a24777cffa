"""The one rule for typed free text (domain.text)."""

from __future__ import annotations

import pytest

from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.text import one_line, paragraph


def test_one_line_folds_whitespace_and_checks_length() -> None:
    assert one_line("  客户\n 来电\t催促 ", "reason", 20) == "客户 来电 催促"
    with pytest.raises(ValidationFailed) as blank:
        one_line(" \n ", "reason", 20, message="a reason is required")
    assert blank.value.message == "a reason is required" and blank.value.fields == {
        "reason": "1 to 20 characters"
    }
    with pytest.raises(ValidationFailed) as long:
        one_line("退" * 21, "reason", 20)
    assert long.value.fields == {"reason": "1 to 20 characters"}


def test_optional_text_may_be_empty_but_not_too_long() -> None:
    assert one_line("   ", "duty", 5, required=False) == ""
    with pytest.raises(ValidationFailed) as long:
        one_line("123456", "duty", 5, required=False)
    assert long.value.fields == {"duty": "at most 5 characters"}


def test_a_paragraph_keeps_its_line_breaks() -> None:
    assert paragraph("\n第一行\n第二行  \n", "answer", 50) == "第一行\n第二行"
    with pytest.raises(ValidationFailed):
        paragraph("  ", "answer", 50)
