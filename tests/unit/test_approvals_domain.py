"""Authority limits and amounts (R-HD-6): the limit decision at the boundary, which row of the
limits table applies, and what a person may type as an amount."""

from __future__ import annotations

from decimal import Decimal

import pytest

from servicedesk.domain.approvals import (
    DEFAULT_LIMITS,
    ActionKind,
    ActionRequest,
    ActionStatus,
    LimitRow,
    advance,
    check_approver,
    first_status,
    limit_for,
    parse_amount,
    within_limit,
)
from servicedesk.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from servicedesk.domain.roles import Principal, Role

D = Decimal
PENDING, APPROVED = ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED


@pytest.mark.parametrize(
    ("amount", "status"),
    [("0.01", APPROVED), ("499.99", APPROVED), ("500", APPROVED), ("500.00", APPROVED),
     ("500.01", PENDING), ("501", PENDING), ("100000", PENDING)],
)  # fmt: skip
def test_it_lets_the_front_line_grant_up_to_and_including_500(amount: str, status: ActionStatus) -> None:
    limit = limit_for(Role.AGENT, ActionKind.REFUND, [])
    assert limit == D("500")
    assert first_status(parse_amount(amount), limit) is status


def test_it_gives_every_role_a_default_and_the_administrator_no_limit() -> None:
    assert set(DEFAULT_LIMITS) == set(Role)
    assert [limit_for(r, ActionKind.COMPENSATION, []) for r in (Role.EXPERT, Role.SUPERVISOR, Role.ADMIN)] == [
        D("1000"), D("10000"), None,
    ]  # fmt: skip
    assert within_limit(D("9999999999.99"), None)
    assert not within_limit(D("0.01"), limit_for(Role.QUALITY_INSPECTOR, ActionKind.REFUND, []))


ROWS = [
    LimitRow("agent", "*", D("300")),
    LimitRow("agent", "refund", D("800")),
    LimitRow("expert", "compensation", None),
    LimitRow("supervisor", "reship", D("50")),
]


@pytest.mark.parametrize(
    ("role", "kind", "limit"),
    [
        (Role.AGENT, ActionKind.REFUND, D("800")),  # the kind's own row beats "*"
        (Role.AGENT, ActionKind.COMPENSATION, D("300")),  # "*" beats the default
        (Role.AGENT, ActionKind.RESHIP_AND_COMPENSATION, D("300")),
        (Role.EXPERT, ActionKind.COMPENSATION, None),  # NULL: no limit
        (Role.EXPERT, ActionKind.REFUND, D("1000")),  # no row for this kind and no "*": the default
        (Role.SUPERVISOR, ActionKind.RESHIP, D("50")),
        (Role.SUPERVISOR, ActionKind.FREE_SHIPPING, D("10000")),
        (Role.DEPARTMENT_LEAD, ActionKind.REFUND, D("2000")),  # no rows at all for the role
    ],
)
def test_it_reads_the_limit_of_a_role_from_the_most_specific_row(
    role: Role, kind: ActionKind, limit: Decimal | None
) -> None:
    assert limit_for(role, kind, ROWS) == limit


def test_a_table_row_moves_the_boundary() -> None:
    limit = limit_for(Role.AGENT, ActionKind.COMPENSATION, ROWS)
    assert first_status(D("300.00"), limit) is APPROVED
    assert first_status(D("300.01"), limit) is PENDING


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("-1", "must be more than 0"),
        ("-0.01", "must be more than 0"),
        ("0", "must be more than 0"),
        ("0.00", "must be more than 0"),
        ("500.001", "at most two decimal places (fen)"),
        ("0.001", "at most two decimal places (fen)"),
        ("abc", "a number of yuan such as 499.99"),
        ("", "a number of yuan such as 499.99"),
        ("1e3", "a number of yuan such as 499.99"),
        ("NaN", "a number of yuan such as 499.99"),
        ("Infinity", "a number of yuan such as 499.99"),
        ("1,000", "a number of yuan such as 499.99"),
        ("5 00", "a number of yuan such as 499.99"),
        ("¥500", "a number of yuan such as 499.99"),
        ("True", "a number of yuan such as 499.99"),
        ("10000000000", "at most 9999999999.99"),
    ],
)
def test_it_refuses_amounts_that_are_not_money_with_a_reason(raw: str, problem: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_amount(raw)
    assert refused.value.fields == {"amount": problem}


@pytest.mark.parametrize(
    ("raw", "value"),
    [("500", "500.00"), (" 499.99 ", "499.99"), ("0.5", "0.50"), ("500.010", "500.01"), (".5", "0.50"),
     ("５００", "500.00"), (D("12.3"), "12.30"), (7, "7.00")],
)  # fmt: skip
def test_it_reads_amounts_exactly(raw: str | Decimal | int, value: str) -> None:
    parsed = parse_amount(raw)
    assert parsed == D(value) and str(parsed) == value


def _request(**overrides: str) -> ActionRequest:
    fields = {"kind": "refund", "amount": "100", "order_no": "2026100100001", "basis": "到货破损"} | overrides
    return ActionRequest.parse(**fields)


def test_it_reads_a_request_and_names_the_wrong_field() -> None:
    request = _request(basis="  客户提供了破损照片  ")
    assert (request.kind, request.amount, request.basis) == (
        ActionKind.REFUND,
        D("100.00"),
        "客户提供了破损照片",
    )
    cases = {
        "kind": {"kind": "cash_gift"},
        "order_no": {"order_no": "订单 1"},
        "basis": {"basis": "   "},
        "compensation": {"compensation": "10"},  # only for reship and compensation
    }
    for field, change in cases.items():
        with pytest.raises(ValidationFailed) as refused:
            _request(**change)
        assert list(refused.value.fields) == [field], change
    with pytest.raises(ValidationFailed) as long_basis:
        _request(basis="据" * 2001)
    assert long_basis.value.fields == {"basis": "1 to 2000 characters"}


def test_reship_and_compensation_splits_the_amount() -> None:
    both = _request(kind="reship_and_compensation", amount="649", compensation="50")
    assert (both.amount, both.compensation, both.goods_value) == (D("649.00"), D("50.00"), D("599.00"))
    for bad, problem in [(None, "how much"), ("649", "less than the amount"), ("-5", "more than 0")]:
        with pytest.raises(ValidationFailed) as refused:
            ActionRequest.parse(
                kind="reship_and_compensation", amount="649", order_no="A1", basis="破损", compensation=bad
            )
        assert problem in refused.value.fields["compensation"]
    assert _request(kind="reship", amount="599").goods_value == D("599.00")


def test_it_moves_an_action_only_forward() -> None:
    assert advance(None, APPROVED) is APPROVED
    assert advance(PENDING, ActionStatus.REJECTED) is ActionStatus.REJECTED
    assert advance(APPROVED, ActionStatus.FAILED) is ActionStatus.FAILED
    for current, target in [
        (None, ActionStatus.EXECUTED),
        (PENDING, ActionStatus.EXECUTED),
        (ActionStatus.REJECTED, APPROVED),
        (ActionStatus.EXECUTED, APPROVED),
        (ActionStatus.FAILED, ActionStatus.EXECUTED),
    ]:
        with pytest.raises(InvalidTransition):
            advance(current, target)


def test_only_another_approver_whose_limit_covers_it_may_approve() -> None:
    sue = Principal(user_id=7, role=Role.SUPERVISOR)
    check_approver(sue, requested_by=3, amount=D("500.01"), limit=D("10000"))
    with pytest.raises(Forbidden, match="own request"):
        check_approver(sue, requested_by=7, amount=D("500.01"), limit=D("10000"))
    with pytest.raises(Forbidden, match="above your own limit"):
        check_approver(sue, requested_by=3, amount=D("10000.01"), limit=D("10000"))
    with pytest.raises(Forbidden, match="may not approve"):
        check_approver(Principal(user_id=4, role=Role.AGENT), requested_by=3, amount=D("1"), limit=None)
    check_approver(Principal(user_id=1, role=Role.ADMIN), requested_by=3, amount=D("9999999"), limit=None)
