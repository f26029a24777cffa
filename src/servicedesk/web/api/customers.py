"""Customers: create, search, get, update, their tickets, and the audited reveal of PII."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from servicedesk.domain.pii import mask_phone
from servicedesk.services import customers as svc
from servicedesk.services import merges, verification
from servicedesk.services import ticket_queries as q
from servicedesk.web.api.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerUpdate,
    MergeOut,
    MergeRequest,
    MessageOut,
    RevealOut,
    RevealRequest,
    TicketList,
    TicketOut,
    TimelineEntry,
    VerificationConfirm,
    VerificationOut,
    VerificationResult,
    VerificationStart,
)
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(prefix="/customers", tags=["customers"])
merge_router = APIRouter(prefix="/customer-merges", tags=["customers"])
verification_router = APIRouter(prefix="/phone-verifications", tags=["customers"])


@router.post("", response_model=CustomerOut, status_code=201)
async def create_customer(body: CustomerCreate, principal: CurrentPrincipal, uow: UowFactory) -> CustomerOut:
    async with uow() as u:
        return CustomerOut.of(await svc.create_customer(u, principal, **body.model_dump()))


@router.get("", response_model=list[CustomerOut])
async def search_customers(
    principal: CurrentPrincipal,
    uow: UowFactory,
    q_: Annotated[str | None, Query(alias="q", max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[CustomerOut]:
    async with uow(write=False) as u:
        found = await svc.search_customers(u, principal, q=q_, limit=limit, offset=offset)
        return [CustomerOut.of(c) for c in found]


@router.get("/{customer_id}", response_model=CustomerOut)
async def get_customer(customer_id: int, principal: CurrentPrincipal, uow: UowFactory) -> CustomerOut:
    async with uow(write=False) as u:
        return CustomerOut.of(await svc.get_customer(u, principal, customer_id))


@router.patch("/{customer_id}", response_model=CustomerOut)
async def update_customer(
    customer_id: int, body: CustomerUpdate, principal: CurrentPrincipal, uow: UowFactory
) -> CustomerOut:
    async with uow() as u:
        changes = body.model_dump(exclude_unset=True)
        return CustomerOut.of(await svc.update_customer(u, principal, customer_id, changes=changes))


@router.get("/{customer_id}/tickets", response_model=TicketList)
async def customer_tickets(
    customer_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> TicketList:
    async with uow(write=False) as u:
        await svc.get_customer(u, principal, customer_id)
        page = await q.list_tickets(
            u, principal, filters=q.TicketFilter(customer_id=customer_id),
            sort=q.SortKey.CREATED_DESC, cursor=cursor, limit=limit,
        )  # fmt: skip
        return TicketList(items=[TicketOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.post("/{customer_id}/reveal", response_model=RevealOut)
async def reveal(
    customer_id: int, body: RevealRequest, principal: CurrentPrincipal, uow: UowFactory
) -> RevealOut:
    async with uow() as u:
        value = await svc.reveal_pii(u, principal, customer_id, field=body.field)
    return RevealOut(field=body.field, value=value)


@router.post("/{customer_id}/merge", response_model=MergeOut, status_code=201)
async def merge(
    customer_id: int, body: MergeRequest, principal: CurrentPrincipal, uow: UowFactory
) -> MergeOut:
    """Fold customer `merge_id` into this one; undo with POST /customer-merges/{id}/undo."""
    async with uow() as u:
        record = await merges.merge_customers(
            u, principal, survivor_id=customer_id, merged_id=body.merge_id, reason=body.reason
        )
        return MergeOut.model_validate(record, from_attributes=True)


@merge_router.post("/{merge_id}/undo", response_model=MergeOut)
async def undo(merge_id: int, principal: CurrentPrincipal, uow: UowFactory) -> MergeOut:
    async with uow() as u:
        return MergeOut.model_validate(await merges.undo_merge(u, principal, merge_id), from_attributes=True)


@router.get("/{customer_id}/timeline", response_model=list[TimelineEntry])
async def timeline(
    customer_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[TimelineEntry]:
    async with uow(write=False) as u:
        await svc.get_customer(u, principal, customer_id)
        found = await q.customer_timeline(u, principal, customer_id, limit=limit)
        staff = principal.role.is_staff  # channel details (recordings, segments) are for staff only
        return [
            TimelineEntry(
                **MessageOut.of(m).model_dump() | ({} if staff else {"meta": None}), ticket_id=m.ticket_id
            )
            for m in found
        ]


@router.post("/{customer_id}/phone-verifications", response_model=VerificationOut, status_code=202)
async def start_verification(
    customer_id: int, body: VerificationStart, principal: CurrentPrincipal, uow: UowFactory
) -> VerificationOut:
    """Text a one-time code to `phone`; confirm with POST /phone-verifications/{id}/confirm."""
    async with uow() as u:
        row = await verification.start(u, principal, customer_id, phone=body.phone)
    return VerificationOut(
        id=row.id, customer_id=row.customer_id, phone=mask_phone(row.phone), expires_at=row.expires_at
    )


@verification_router.post("/{verification_id}/confirm", response_model=VerificationResult)
async def confirm_verification(
    verification_id: int, body: VerificationConfirm, principal: CurrentPrincipal, uow: UowFactory
) -> VerificationResult:
    async with uow() as u:
        done = await verification.confirm(u, principal, verification_id, code=body.code)
    return VerificationResult(
        customer_id=done.customer_id, phone=mask_phone(done.phone), verified=True,
        merge_candidate_id=done.merge_candidate_id,
    )  # fmt: skip
