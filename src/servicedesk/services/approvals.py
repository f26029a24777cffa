"""Refunds, compensation and other money for the customer, within authority limits (R-HD-6).

A member of staff who works the case asks for an action with an amount and a written basis.
Within their own limit it is carried out at once through the business connector (R-HD-8);
above it, it waits for one approval step by someone with APPROVE_ACTIONS whose own limit covers
the amount and who is not the requester. Every step is an audit event naming who, what, how
much, on what basis and who approved, and the customer hears on their channel what was done.

The connector runs inside the same transaction, in a savepoint: a refusal (unknown order, a
refund above what was paid) undoes whatever the connector had done, marks the action failed with
the reason and keeps the request; an unexpected error rolls everything back, leaving the action
as it was (pending), so nothing is lost and nothing is paid twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from servicedesk.domain.approvals import (
    CURRENCY,
    MAX_NOTE,
    ActionKind,
    ActionRequest,
    ActionStatus,
    LimitRow,
    advance,
    check_approver,
    first_status,
    limit_for,
    within_limit,
    written,
)
from servicedesk.domain.errors import Conflict, Forbidden, InvalidTransition, NotFound, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.roles import PERMISSIONS, Permission, Principal, Role
from servicedesk.services import notifications, progress
from servicedesk.services.access import access_ticket_by_id, require, ticket_scope
from servicedesk.services.business_actions import (
    ActionRefused,
    BusinessActions,
    OrderRef,
    Outcome,
    carry_out,
    default_connector,
)
from servicedesk.services.staff import names_of
from servicedesk.store.approvals import AuthorityLimit, ServiceAction
from servicedesk.store.models import Ticket, User
from servicedesk.store.uow import UnitOfWork

DUPLICATE_WINDOW = timedelta(minutes=10)  # a second identical grant this soon is a double submit
APPROVERS = tuple(r for r in Role if Permission.APPROVE_ACTIONS in PERMISSIONS[r])
MAX_PENDING_LISTED = 200


@dataclass(frozen=True, slots=True)
class ActionView:
    """An action with the names and labels a reader needs, and whether the reader may decide."""

    action: ServiceAction
    kind: ActionKind
    status: ActionStatus
    requested_by: str
    approver: str | None
    ticket_number: str
    ticket_subject: str
    can_decide: bool = False
    why_not: str | None = None


async def limit_rows(uow: UnitOfWork) -> list[LimitRow]:
    rows = await uow.session.scalars(select(AuthorityLimit))
    return [LimitRow(r.role, r.kind, r.max_amount) for r in rows]


async def limits_of(uow: UnitOfWork, role: Role) -> dict[ActionKind, Decimal | None]:
    """`role`'s limit per kind, for the request form."""
    return (await limit_table(uow, [role]))[role]


async def limit_table(uow: UnitOfWork, roles: Iterable[Role]) -> dict[Role, dict[ActionKind, Decimal | None]]:
    """The limit in force for each role and kind, table rows and defaults together."""
    rows = await limit_rows(uow)
    return {role: {kind: limit_for(role, kind, rows) for kind in ActionKind} for role in roles}


async def request_action(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, kind: str, amount: str | Decimal | int,
    order_no: str, basis: str, compensation: str | None = None, connector: BusinessActions | None = None,
) -> ServiceAction:  # fmt: skip
    """Ask for an action on a case; carried out now when within the actor's own limit."""
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    if ticket.status is TicketStatus.CLOSED:
        raise InvalidTransition("the case is closed; nothing more can be granted on it")
    request = ActionRequest.parse(
        kind=kind, amount=amount, order_no=order_no, basis=basis, compensation=compensation
    )
    await _refuse_duplicate(uow, ticket.id, request)
    limit = limit_for(actor.role, request.kind, await limit_rows(uow))
    now = uow.now()
    action = ServiceAction(
        ticket_id=ticket.id, kind=request.kind.value, amount=request.amount, currency=CURRENCY,
        basis=request.basis, details=_details(request), requested_by_id=actor.user_id, requested_at=now,
        limit_amount=limit, status=advance(None, first_status(request.amount, limit)).value,
    )  # fmt: skip
    uow.session.add(action)
    await uow.session.flush()
    uow.record(
        actor, "action.requested", subject_type="service_action", subject_id=action.id, ticket_id=ticket.id,
        after=_summary(action) | {"action_status": action.status, "limit_amount": _money(limit)},
    )  # fmt: skip
    if action.status == ActionStatus.APPROVED:
        action.decided_at = now
        await _execute(uow, actor, action, ticket, connector or default_connector())
    else:
        await _ask_approvers(uow, action, ticket)
    await uow.commit()
    return action


async def approve(
    uow: UnitOfWork,
    actor: Principal,
    action_id: int,
    *,
    note: str = "",
    connector: BusinessActions | None = None,
) -> ServiceAction:
    """The one approval step; the approved action is carried out at once."""
    action, ticket = await _decidable(uow, actor, action_id)
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed("the note is too long", fields={"note": f"at most {MAX_NOTE} characters"})
    limit = limit_for(actor.role, ActionKind(action.kind), await limit_rows(uow))
    check_approver(actor, requested_by=action.requested_by_id, amount=action.amount, limit=limit)
    _decide(uow, actor, action, ActionStatus.APPROVED, note)
    await _execute(uow, actor, action, ticket, connector or default_connector())
    kind = "action.executed" if action.status == ActionStatus.EXECUTED else "action.failed"
    _tell_requester(uow, action, kind, action.failure or note)
    await uow.commit()
    return action


async def reject(uow: UnitOfWork, actor: Principal, action_id: int, *, note: str) -> ServiceAction:
    """Turn a request down; the requester is told why (a note is required)."""
    action, _ticket = await _decidable(uow, actor, action_id)
    note = written(note, "note", MAX_NOTE)
    check_approver(actor, requested_by=action.requested_by_id, amount=action.amount, limit=None)
    _decide(uow, actor, action, ActionStatus.REJECTED, note)
    _tell_requester(uow, action, "action.rejected", note)
    await uow.commit()
    return action


async def actions_of(uow: UnitOfWork, actor: Principal, ticket_id: int) -> list[ActionView]:
    """A case's actions, oldest first; internal, so staff only."""
    if not actor.role.is_staff:
        raise Forbidden("service actions are for staff")
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    rows = list(
        await uow.session.scalars(
            select(ServiceAction).where(ServiceAction.ticket_id == ticket.id).order_by(ServiceAction.id)
        )
    )
    return await _views(uow, actor, [(r, ticket) for r in rows])


async def pending_for(uow: UnitOfWork, actor: Principal) -> list[ActionView]:
    """Requests waiting for approval on the cases `actor` sees, oldest first."""
    require(actor, Permission.APPROVE_ACTIONS)
    rows = await uow.session.execute(
        select(ServiceAction, Ticket)
        .join(Ticket, Ticket.id == ServiceAction.ticket_id)
        .where(ServiceAction.status == ActionStatus.PENDING_APPROVAL.value, ticket_scope(actor))
        .order_by(ServiceAction.requested_at, ServiceAction.id)
        .limit(MAX_PENDING_LISTED)
    )
    return await _views(uow, actor, [(a, t) for a, t in rows.all()])


async def _views(
    uow: UnitOfWork, actor: Principal, rows: Sequence[tuple[ServiceAction, Ticket]]
) -> list[ActionView]:
    ids = {a.requested_by_id for a, _ in rows} | {a.approver_id for a, _ in rows if a.approver_id}
    names = await names_of(uow, ids)
    limits = await limit_rows(uow)
    views = []
    for action, ticket in rows:
        why_not = _why_not(actor, action, limits)
        views.append(
            ActionView(
                action, ActionKind(action.kind), ActionStatus(action.status),
                names.get(action.requested_by_id, f"#{action.requested_by_id}"),
                names.get(action.approver_id, f"#{action.approver_id}") if action.approver_id else None,
                ticket.number, ticket.subject, can_decide=why_not is None, why_not=why_not,
            )
        )  # fmt: skip
    return views


def _why_not(actor: Principal, action: ServiceAction, limits: Iterable[LimitRow]) -> str | None:
    """Why `actor` may not approve `action` now (None: they may), for the forms."""
    if action.status != ActionStatus.PENDING_APPROVAL:
        return "decided"
    limit = limit_for(actor.role, ActionKind(action.kind), limits)
    try:
        check_approver(actor, requested_by=action.requested_by_id, amount=action.amount, limit=limit)
    except Forbidden:
        if not actor.can(Permission.APPROVE_ACTIONS):
            return "no_permission"
        return "own_request" if actor.user_id == action.requested_by_id else "above_limit"
    return None


async def _decidable(uow: UnitOfWork, actor: Principal, action_id: int) -> tuple[ServiceAction, Ticket]:
    """The action, locked, on a case `actor` sees; only approvers get this far."""
    require(actor, Permission.APPROVE_ACTIONS)
    action = await uow.session.get(ServiceAction, action_id, with_for_update=True)
    if action is None:
        raise NotFound(f"action {action_id} not found")
    ticket = await access_ticket_by_id(uow, actor, action.ticket_id)
    return action, ticket


def _decide(uow: UnitOfWork, actor: Principal, action: ServiceAction, to: ActionStatus, note: str) -> None:
    before = action.status
    action.status = advance(ActionStatus(action.status), to).value
    action.approver_id, action.decided_at, action.decision_note = actor.user_id, uow.now(), note or None
    uow.record(
        actor, f"action.{to.value}", subject_type="service_action", subject_id=action.id,
        ticket_id=action.ticket_id, before={"action_status": before},
        after=_summary(action)
        | {"action_status": action.status, "approver_id": actor.user_id, "reason": note or None},
    )  # fmt: skip


async def _execute(
    uow: UnitOfWork, actor: Principal, action: ServiceAction, ticket: Ticket, connector: BusinessActions
) -> None:
    request = _request_of(action)
    order = OrderRef(customer_id=ticket.customer_id, order_no=request.order_no, reference=action.id)
    try:
        async with uow.session.begin_nested():
            outcome = await carry_out(connector, uow, request, order)
    except ActionRefused as refusal:
        action.status = advance(ActionStatus(action.status), ActionStatus.FAILED).value
        action.failure = refusal.reason
        uow.record(
            actor, "action.failed", subject_type="service_action", subject_id=action.id, ticket_id=ticket.id,
            after=_summary(action) | {"action_status": action.status, "failure": refusal.reason},
        )  # fmt: skip
        return
    action.status = advance(ActionStatus(action.status), ActionStatus.EXECUTED).value
    action.executed_at, action.connector_ref = uow.now(), outcome.reference[:100]
    action.details = {**action.details, "connector": connector.name, "result": outcome.details}
    uow.record(
        actor, "action.executed", subject_type="service_action", subject_id=action.id, ticket_id=ticket.id,
        after=_summary(action) | {
            "action_status": action.status, "requested_by_id": action.requested_by_id,
            "approver_id": action.approver_id, "connector_ref": action.connector_ref,
        },
    )  # fmt: skip
    await _tell_customer(uow, ticket, request, outcome)


async def _refuse_duplicate(uow: UnitOfWork, ticket_id: int, request: ActionRequest) -> None:
    """The same grant again while the first waits or was just done is a double submit."""
    since = uow.now() - DUPLICATE_WINDOW
    rows = await uow.session.scalars(
        select(ServiceAction).where(
            ServiceAction.ticket_id == ticket_id,
            ServiceAction.kind == request.kind.value,
            ServiceAction.amount == request.amount,
            ServiceAction.status.in_([ActionStatus.PENDING_APPROVAL.value, ActionStatus.EXECUTED.value]),
        )
    )
    for row in rows:
        same_order = row.details.get("order_no") == request.order_no
        if same_order and (row.status == ActionStatus.PENDING_APPROVAL or row.requested_at >= since):
            raise Conflict(
                f"the same {request.kind.value} of {request.amount} for order {request.order_no} "
                f"is already {row.status} (action {row.id})"
            )


async def _ask_approvers(uow: UnitOfWork, action: ServiceAction, ticket: Ticket) -> None:
    """Everyone who could approve it; all approvers when no single limit covers the amount."""
    rows = await limit_rows(uow)
    people = (
        await uow.session.execute(
            select(User.id, User.role)
            .where(User.role.in_(APPROVERS), User.is_active.is_(True), User.id != action.requested_by_id)
            .order_by(User.id)
        )
    ).all()
    candidates = list(people)
    kind = ActionKind(action.kind)
    covered = [u for u, role in candidates if within_limit(action.amount, limit_for(role, kind, rows))]
    data = {
        "action_id": action.id,
        "kind": action.kind,
        "amount": _money(action.amount),
        "reason": action.basis,
    }
    recipients = covered or [u for u, _ in candidates]
    notifications.notify(uow, recipients, "action.pending", ticket_id=ticket.id, data=data)


def _tell_requester(uow: UnitOfWork, action: ServiceAction, kind: str, reason: str) -> None:
    data = {"action_id": action.id, "kind": action.kind, "amount": _money(action.amount), "reason": reason}
    notifications.notify(uow, [action.requested_by_id], kind, ticket_id=action.ticket_id, data=data)


async def _tell_customer(uow: UnitOfWork, ticket: Ticket, request: ActionRequest, outcome: Outcome) -> None:
    locale = await progress.customer_locale(uow, ticket)
    result = outcome.details
    eta = _day(date.fromisoformat(result["eta"]), locale) if "eta" in result else ""
    values = {
        "number": ticket.number, "order_no": request.order_no, "amount": _money(request.amount) or "",
        "compensation": _money(request.compensation) or "", "carrier": result.get("carrier", ""),
        "tracking_no": result.get("tracking_no", ""), "eta": eta,
    }  # fmt: skip
    body = progress.text(f"action_{request.kind.value}", locale, **values)
    await progress.tell_customer(uow, ticket, body, reason="service_action")


def _day(day: date, locale: str) -> str:
    return f"{day:%m-%d}" if locale == "en" else f"{day.month}月{day.day}日"


def _request_of(action: ServiceAction) -> ActionRequest:
    part = action.details.get("compensation")
    return ActionRequest(
        ActionKind(action.kind), action.amount, str(action.details["order_no"]), action.basis,
        Decimal(part) if part is not None else None,
    )  # fmt: skip


def _details(request: ActionRequest) -> dict[str, Any]:
    details: dict[str, Any] = {"order_no": request.order_no}
    if request.compensation is not None:
        details["compensation"] = _money(request.compensation)
    return details


def _summary(action: ServiceAction) -> dict[str, Any]:
    """Who asked for what, how much, on what basis: repeated on every event of the action."""
    return {
        "action_kind": action.kind, "amount": _money(action.amount), "currency": action.currency,
        "order_no": action.details.get("order_no"), "basis": action.basis,
    }  # fmt: skip


def _money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None
