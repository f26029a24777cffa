"""System administration: the outbox's dead letters, visible to admins and retryable by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from servicedesk.domain.catalog import Channel
from servicedesk.services import outbox as svc
from servicedesk.store.models import OutboxStatus
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(prefix="/admin", tags=["admin"])


class OutboxOut(BaseModel):
    id: int
    channel: Channel
    recipient: str
    status: OutboxStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    ticket_id: int | None
    created_at: datetime
    sent_at: datetime | None


@router.get("/outbox", response_model=list[OutboxOut])
async def list_outbox(
    principal: CurrentPrincipal,
    uow: UowFactory,
    status: OutboxStatus | None = OutboxStatus.DEAD,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OutboxOut]:
    async with uow(write=False) as u:
        rows = await svc.list_outbox(u, principal, status=status, limit=limit)
        return [OutboxOut.model_validate(r, from_attributes=True) for r in rows]


@router.post("/outbox/{outbox_id}/retry", response_model=OutboxOut)
async def retry(outbox_id: int, principal: CurrentPrincipal, uow: UowFactory) -> OutboxOut:
    async with uow() as u:
        return OutboxOut.model_validate(await svc.retry_dead(u, principal, outbox_id), from_attributes=True)
