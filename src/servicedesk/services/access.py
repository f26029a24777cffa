"""Who may see and do what: the only way services reach a ticket or a customer.

`ticket_scope` (lists) and `access_ticket_by_id` (one ticket) apply the same domain rule,
`Principal.sees`. Anything the caller may not see is reported as not found, so an id never
reveals that another customer's case exists.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, true
from sqlalchemy.orm import selectinload

from servicedesk.domain.errors import Forbidden, NotFound
from servicedesk.domain.roles import Permission, Principal, Visibility
from servicedesk.store.models import Customer, Ticket
from servicedesk.store.uow import UnitOfWork

CUSTOMER_PROFILE = (selectinload(Customer.tags), selectinload(Customer.identities))


def ticket_scope(principal: Principal) -> ColumnElement[bool]:
    match principal.visibility:
        case Visibility.ALL:
            return true()
        case Visibility.OWN:
            if principal.customer_id is None:
                return false()
            return Ticket.customer_id == principal.customer_id
        case Visibility.TEAMS_AND_ASSIGNED:
            return or_(
                Ticket.assignee_id == principal.user_id,
                Ticket.team_id.in_(sorted(principal.team_ids)),
            )


def require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden(f"your role ({principal.role.value}) may not {permission.value}")


def require_staff(principal: Principal) -> None:
    """Staff-only reads and changes: to anyone else the thing does not exist."""
    if not principal.role.is_staff:
        raise NotFound("not found")


async def access_ticket_by_id(uow: UnitOfWork, principal: Principal, ticket_id: int) -> Ticket:
    ticket = await uow.session.get(Ticket, ticket_id)
    if ticket is None or not principal.sees(
        customer_id=ticket.customer_id, team_id=ticket.team_id, assignee_id=ticket.assignee_id
    ):
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


async def access_customer_by_id(uow: UnitOfWork, principal: Principal, customer_id: int) -> Customer:
    customer = await uow.session.get(Customer, customer_id, options=CUSTOMER_PROFILE)
    own = principal.customer_id is not None and principal.customer_id == customer_id
    if customer is None or not (own or principal.can(Permission.VIEW_CUSTOMERS)):
        raise NotFound(f"customer {customer_id} not found")
    return customer
