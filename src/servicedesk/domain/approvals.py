"""Authority limits (R-HD-6): how much money a person may grant a customer on their own, and
the one approval step above it.

An action (refund, compensation, waived shipping, a reshipment — or, for damaged goods, a
reshipment and a compensation in one step, R-HD-8) carries one `amount`: what it costs the shop,
which is what the limit guards. For a reshipment that is the value of the goods sent again; for
reshipment with compensation it is both together, the compensation part named separately.

A role's limit comes from the `authority_limits` table — a row for the kind beats the role's
"*" row — and otherwise from `DEFAULT_LIMITS`. "Within the limit" is `amount <= limit`, so a
front-line agent grants 500.00 alone and 500.01 waits for a supervisor. Money is `Decimal`
throughout: a float would make 500.01 a hair more or less than itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from servicedesk.domain.errors import Forbidden, InvalidTransition, ValidationFailed
from servicedesk.domain.labels import register
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.domain.text import paragraph

CURRENCY = "CNY"
CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999.99")  # the column is NUMERIC(12, 2)
ANY_KIND = "*"
MAX_BASIS = 2000
MAX_NOTE = 1000
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_ORDER_NO = re.compile(r"[A-Za-z0-9-]{1,32}")


class ActionKind(StrEnum):
    REFUND = "refund"
    COMPENSATION = "compensation"
    FREE_SHIPPING = "free_shipping"  # the shipping fee waived (a return, an exchange)
    RESHIP = "reship"  # the goods sent again (lost or wrong parcel)
    RESHIP_AND_COMPENSATION = "reship_and_compensation"  # damaged goods: both in one step

    @property
    def has_compensation_part(self) -> bool:
        return self is ActionKind.RESHIP_AND_COMPENSATION


class ActionStatus(StrEnum):
    PENDING_APPROVAL = "pending_approval"
    APPROVED = "approved"  # passes on to the connector in the same transaction
    REJECTED = "rejected"
    EXECUTED = "executed"
    FAILED = "failed"  # the connector refused; the reason is kept, nothing was changed


# None as the source: the request itself, which is approved at once when within the limit
TRANSITIONS: Mapping[ActionStatus | None, frozenset[ActionStatus]] = {
    None: frozenset({ActionStatus.PENDING_APPROVAL, ActionStatus.APPROVED}),
    ActionStatus.PENDING_APPROVAL: frozenset({ActionStatus.APPROVED, ActionStatus.REJECTED}),
    ActionStatus.APPROVED: frozenset({ActionStatus.EXECUTED, ActionStatus.FAILED}),
}

for _value, _zh, _en in [
    (ActionKind.REFUND, "退款", "Refund"),
    (ActionKind.COMPENSATION, "补偿", "Compensation"),
    (ActionKind.FREE_SHIPPING, "免运费", "Free shipping"),
    (ActionKind.RESHIP, "补发", "Reship"),
    (ActionKind.RESHIP_AND_COMPENSATION, "补发并补偿", "Reship and compensate"),
    (ActionStatus.PENDING_APPROVAL, "待审批", "Awaiting approval"),
    (ActionStatus.APPROVED, "已批准", "Approved"),
    (ActionStatus.REJECTED, "已驳回", "Rejected"),
    (ActionStatus.EXECUTED, "已执行", "Done"),
    (ActionStatus.FAILED, "执行失败", "Failed"),
]:
    register(_value, _zh, _en)

# Without a row in `authority_limits`: the front line grants up to 500 (the SPEC's figure);
# experts, who take the harder cases, twice that; a department lead 2,000; a supervisor, who
# approves everyone else's, 10,000; an administrator has no limit, so that any amount has
# somebody who can approve it. Roles that do not work cases grant nothing alone.
DEFAULT_LIMITS: Mapping[Role, Decimal | None] = {
    Role.AGENT: Decimal("500.00"),
    Role.EXPERT: Decimal("1000.00"),
    Role.DEPARTMENT_LEAD: Decimal("2000.00"),
    Role.SUPERVISOR: Decimal("10000.00"),
    Role.ADMIN: None,
    Role.QUALITY_INSPECTOR: Decimal("0.00"),
    Role.CUSTOMER: Decimal("0.00"),
}


@dataclass(frozen=True, slots=True)
class LimitRow:
    """One row of `authority_limits`; `max_amount` None means no limit."""

    role: str
    kind: str
    max_amount: Decimal | None


def limit_for(role: Role, kind: ActionKind, rows: Iterable[LimitRow]) -> Decimal | None:
    """The most `role` may grant alone for `kind`; None = no limit.

    The role's row for this kind, else its "*" row, else the built-in default. A role with rows
    for some kinds only keeps the default for the others, so adding one row never silently
    lifts or zeroes the rest."""
    mine = {r.kind: r for r in rows if r.role == role.value}
    row = mine.get(kind.value) or mine.get(ANY_KIND)
    return row.max_amount if row is not None else DEFAULT_LIMITS[role]


def within_limit(amount: Decimal, limit: Decimal | None) -> bool:
    return limit is None or amount <= limit


def first_status(amount: Decimal, limit: Decimal | None) -> ActionStatus:
    """Within the requester's limit the action is approved by the request itself."""
    return ActionStatus.APPROVED if within_limit(amount, limit) else ActionStatus.PENDING_APPROVAL


def advance(current: ActionStatus | None, target: ActionStatus) -> ActionStatus:
    if target not in TRANSITIONS.get(current, frozenset()):
        was = current.value if current is not None else "new"
        raise InvalidTransition(f"this action is {was}; it cannot become {target.value}")
    return target


def check_approver(approver: Principal, *, requested_by: int, amount: Decimal, limit: Decimal | None) -> None:
    """The one approval step: someone with the approving permission, not the requester, whose
    own limit (`limit`) covers the amount — otherwise approval would launder a request past
    the limit it was held at."""
    if not approver.can(Permission.APPROVE_ACTIONS):
        raise Forbidden(f"your role ({approver.role.value}) may not approve service actions")
    if approver.user_id == requested_by:
        raise Forbidden("you cannot approve your own request; another supervisor must decide")
    if not within_limit(amount, limit):
        raise Forbidden(f"{amount} {CURRENCY} is above your own limit of {limit} {CURRENCY}")


def parse_amount(raw: str | Decimal | int, field: str = "amount") -> Decimal:
    """A positive amount in yuan with at most two decimals (fen), as entered by a person.

    Digits with an optional decimal point only: no exponents, no thousands separators, no
    "NaN" — what is stored is exactly what was typed."""
    text = str(raw).strip()
    if not _NUMBER.fullmatch(text):
        raise ValidationFailed("invalid amount", fields={field: "a number of yuan such as 499.99"})
    try:
        value = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only decimals
        raise ValidationFailed("invalid amount", fields={field: "a number of yuan such as 499.99"}) from error
    if value <= 0:
        raise ValidationFailed("invalid amount", fields={field: "must be more than 0"})
    if value > MAX_AMOUNT:
        raise ValidationFailed("invalid amount", fields={field: f"at most {MAX_AMOUNT}"})
    if value != value.quantize(CENT):
        raise ValidationFailed("invalid amount", fields={field: "at most two decimal places (fen)"})
    return value.quantize(CENT)


def parse_kind(raw: str) -> ActionKind:
    try:
        return ActionKind(raw.strip())
    except ValueError as error:
        choices = ", ".join(k.value for k in ActionKind)
        raise ValidationFailed("unknown action", fields={"kind": f"one of {choices}"}) from error


def written(raw: str, field: str, limit: int) -> str:
    """Free text that must say something: trimmed, not blank, not longer than `limit`."""
    return paragraph(raw, field, limit, message=f"{field} is required")


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """A validated request: `amount` is the whole cost; `compensation` its compensation part
    (reshipment with compensation only), the rest being the goods' value."""

    kind: ActionKind
    amount: Decimal
    order_no: str
    basis: str
    compensation: Decimal | None = None

    @property
    def goods_value(self) -> Decimal:
        return self.amount - (self.compensation or Decimal(0))

    @classmethod
    def parse(
        cls,
        *,
        kind: str,
        amount: str | Decimal | int,
        order_no: str,
        basis: str,
        compensation: str | None = None,
    ) -> ActionRequest:
        action = parse_kind(kind)
        value = parse_amount(amount)
        number = order_no.strip()
        if not _ORDER_NO.fullmatch(number):
            raise ValidationFailed(
                "invalid order number", fields={"order_no": "1 to 32 letters, digits or -"}
            )
        part = _compensation_part(action, value, compensation)
        return cls(action, value, number, written(basis, "basis", MAX_BASIS), part)


def _compensation_part(kind: ActionKind, amount: Decimal, raw: str | None) -> Decimal | None:
    given = raw is not None and raw.strip() != ""
    if not kind.has_compensation_part:
        if given:
            raise ValidationFailed(
                "compensation is only for reship and compensation",
                fields={"compensation": f"leave empty for {kind.value}"},
            )
        return None
    if not given or raw is None:
        raise ValidationFailed(
            "the compensation part is required",
            fields={"compensation": "how much of the amount is compensation"},
        )
    part = parse_amount(raw, "compensation")
    if part >= amount:
        raise ValidationFailed(
            "the compensation must leave a value for the goods",
            fields={"compensation": f"less than the amount ({amount}); the rest is the goods' value"},
        )
    return part
