"""Customers: create, change, search, and the audited reveal of their personal data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

from sqlalchemy import or_, select

from servicedesk.domain.catalog import Channel, CustomerTier
from servicedesk.domain.errors import Conflict, ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.pii import is_valid_resident_id, normalize_mobile
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services import routing, sla
from servicedesk.services.access import CUSTOMER_PROFILE, access_customer_by_id, require
from servicedesk.services.tickets import normalize_tags
from servicedesk.store.models import Customer, CustomerIdentity, CustomerTag, Ticket
from servicedesk.store.search import contains
from servicedesk.store.uow import UnitOfWork

PiiField = Literal["phone", "id_number"]
CUSTOMER_FIELDS = ("name", "email", "phone", "id_number", "tier", "tags", "advisor_id", "locale")


def clean_contact(
    *, phone: str | None = None, id_number: str | None = None, email: str | None = None
) -> dict[str, str | None]:
    """Validate and normalise contact fields; every problem is reported per field."""
    errors: dict[str, str] = {}
    out: dict[str, str | None] = {}
    if phone:
        out["phone"] = normalize_mobile(phone)
        if out["phone"] is None:
            errors["phone"] = "not a mainland China mobile number (11 digits starting with 1)"
    if id_number:
        out["id_number"] = id_number.strip().upper()
        if not is_valid_resident_id(id_number):
            errors["id_number"] = "not a valid resident ID number (GB 11643 checksum failed)"
    if email:
        out["email"] = email.strip().lower()
        if "@" not in email or len(email) > 254:
            errors["email"] = "not an email address"
    if errors:
        raise ValidationFailed("invalid contact details", fields=errors)
    return out


async def _refuse_taken_identities(uow: UnitOfWork, contact: Mapping[str, str | None]) -> None:
    """An email or phone identifies one customer; say which field clashes instead of failing
    on the unique constraint."""
    taken: dict[str, str] = {}
    for field, channel in (("email", Channel.EMAIL), ("phone", Channel.PHONE)):
        value = contact.get(field)
        if value is None:
            continue
        owner = await uow.session.scalar(
            select(CustomerIdentity.customer_id).where(
                CustomerIdentity.channel == channel, CustomerIdentity.external_id == value
            )
        )
        if owner is not None:
            taken[field] = f"already belongs to customer {owner}"
    if taken:
        raise Conflict("contact details belong to another customer", fields=taken)


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    """For the audit trail: personal data is noted as changed, never copied into events."""
    return {
        "name": customer.name,
        "email": customer.email,
        "phone": "***" if customer.phone else None,
        "id_number": "***" if customer.id_number else None,
        "tier": customer.tier.value,
        "tags": [t.tag for t in customer.tags],
        "advisor_id": customer.advisor_id,
        "locale": customer.locale,
    }


async def create_customer(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    name: str,
    email: str | None = None,
    phone: str | None = None,
    id_number: str | None = None,
    tier: CustomerTier = CustomerTier.REGULAR,
    tags: Iterable[str] = (),
    user_id: int | None = None,
    locale: str = "zh",
    commit: bool = True,
) -> Customer:
    if actor is not None:
        require(actor, Permission.EDIT_CUSTOMERS)
    contact = clean_contact(phone=phone, id_number=id_number, email=email)
    await _refuse_taken_identities(uow, contact)
    now = uow.now()
    customer = Customer(
        name=name.strip(), tier=tier, user_id=user_id, locale=locale,
        created_at=now, updated_at=now, **contact,
        tags=[CustomerTag(tag=t) for t in normalize_tags(tags)], identities=[],
    )  # fmt: skip
    if customer.email:
        customer.identities.append(
            CustomerIdentity(channel=Channel.EMAIL, external_id=customer.email, created_at=now)
        )
    if customer.phone:
        customer.identities.append(
            CustomerIdentity(channel=Channel.PHONE, external_id=customer.phone, created_at=now)
        )
    uow.session.add(customer)
    await uow.session.flush()
    uow.record(
        actor, "customer.created", subject_type="customer", subject_id=customer.id,
        after=customer_snapshot(customer),
    )  # fmt: skip
    if commit:
        await uow.commit()
    return customer


async def update_customer(
    uow: UnitOfWork, actor: Principal, customer_id: int, *, changes: Mapping[str, Any]
) -> Customer:
    require(actor, Permission.EDIT_CUSTOMERS)
    customer = await access_customer_by_id(uow, actor, customer_id)
    before = customer_snapshot(customer)
    contact = clean_contact(
        phone=changes.get("phone"), id_number=changes.get("id_number"), email=changes.get("email")
    )
    for field, value in changes.items():
        if field == "tags":
            customer.tags = [CustomerTag(tag=t) for t in normalize_tags(value)]
        else:
            setattr(customer, field, contact.get(field, value))
    after = customer_snapshot(customer)
    changed = [f for f in after if before[f] != after[f] or f in ("phone", "id_number")]
    changed = [f for f in changed if f in changes]
    if changed:
        customer.updated_at = uow.now()
        uow.record(
            actor, "customer.updated", subject_type="customer", subject_id=customer.id,
            before={f: before[f] for f in changed}, after={f: after[f] for f in changed},
        )  # fmt: skip
        if "tier" in changed:  # a VIP (or one no longer) is promised other times on open cases
            open_cases = await uow.session.scalars(
                select(Ticket).where(
                    Ticket.customer_id == customer.id,
                    Ticket.status.in_([s for s in TicketStatus if s.is_active]),
                )
            )
            for ticket in open_cases:
                await sla.on_changed(uow, ticket)
                await routing.after_change(uow, ticket, actor)
        await uow.commit()
    return customer


async def get_customer(uow: UnitOfWork, actor: Principal, customer_id: int) -> Customer:
    return await access_customer_by_id(uow, actor, customer_id)


async def search_customers(
    uow: UnitOfWork, actor: Principal, *, q: str | None = None, limit: int = 25, offset: int = 0
) -> list[Customer]:
    require(actor, Permission.VIEW_CUSTOMERS)
    stmt = select(Customer).options(*CUSTOMER_PROFILE).where(Customer.merged_into_id.is_(None))
    if q and q.strip():
        term = q.strip()

        mobile = normalize_mobile(term)
        stmt = stmt.where(
            or_(
                contains(Customer.name, term, dialect=uow.dialect),
                contains(Customer.email, term, dialect=uow.dialect),
                Customer.phone == (mobile or term),
            )
        )
    stmt = stmt.order_by(Customer.id).limit(limit).offset(offset)
    return list(await uow.session.scalars(stmt))


async def reveal_pii(uow: UnitOfWork, actor: Principal, customer_id: int, *, field: PiiField) -> str | None:
    """The unmasked value; allowed only with REVEAL_PII and always written to the audit log."""
    customer = await access_customer_by_id(uow, actor, customer_id)
    require(actor, Permission.REVEAL_PII)
    value: str | None = getattr(customer, field)
    uow.record(
        actor, "customer.pii_revealed", subject_type="customer", subject_id=customer.id,
        after={"field": field},
    )  # fmt: skip
    await uow.commit()
    return value
