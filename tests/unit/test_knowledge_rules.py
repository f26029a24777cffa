"""Stale articles and script variables (R-KB-1, R-KB-3)."""

from __future__ import annotations

from datetime import date

import pytest

from servicedesk.domain.knowledge import StaleReason, render, stale_reasons, variables, version_key

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("older", "newer"),
    [("2.9", "2.10"), ("v2.9", "v3"), ("2024.9", "2024.11"), ("1.0", "1.0.1"), ("1.0-beta", "1.0.1")],
)
def test_versions_order_as_people_write_them(older: str, newer: str) -> None:
    assert version_key(older) < version_key(newer)


def test_an_article_is_stale_when_its_review_date_passed_or_its_product_moved_on() -> None:
    assert stale_reasons(
        today=TODAY, review_by=date(2026, 11, 21), covers_version=None, current_version=None
    ) == (StaleReason.REVIEW_DUE,)
    assert stale_reasons(today=TODAY, review_by=TODAY, covers_version="2.0", current_version="2.1") == (
        StaleReason.NEWER_PRODUCT_VERSION,
    )
    assert stale_reasons(today=TODAY, review_by=None, covers_version="2.1", current_version="2.1") == ()
    assert stale_reasons(today=TODAY, review_by=None, covers_version=None, current_version="9") == ()


def test_script_variables_fill_and_the_missing_stay_visible() -> None:
    template = "您好{customer_name}，订单 {order_no} 已发货，{customer_name}请留意。"
    assert variables(template) == ("customer_name", "order_no")
    rendered = render(template, {"customer_name": "王女士"})
    assert rendered.text == "您好王女士，订单 {order_no} 已发货，王女士请留意。"
    assert rendered.missing == ("order_no",)


def test_templates_cannot_reach_into_values() -> None:
    rendered = render("{0.__class__} {customer_name.__class__} {x}", {"customer_name": "李"})
    assert rendered.text == "{0.__class__} {customer_name.__class__} {x}"
    assert rendered.missing == ("x",)
