"""Major incidents over HTTP (R-HD-1), for staff only: a customer is told "not found" — they
only ever receive the updates, on their own case and channel."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from servicedesk.services import incidents
from servicedesk.services.access import access_ticket_by_id, require_staff
from servicedesk.store.incidents import Incident, IncidentUpdate
from servicedesk.web.api.schemas import TicketOut
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["incidents"])
TicketIds = Annotated[list[int], Field(max_length=incidents.MAX_LINK)]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Annotated[str, Field(max_length=incidents.MAX_TITLE * 2)]
    summary: Annotated[str, Field(max_length=incidents.MAX_SUMMARY)] = ""
    tier: Literal[2, 3] = 3
    team_id: int | None = None
    ticket_ids: TicketIds = []


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ticket_ids: TicketIds


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, Field(max_length=incidents.MAX_UPDATE * 2, description="sent to every customer")]


class UpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    body: str
    final: bool
    recipients: int = Field(description="customers it reached, each once")
    author_id: int
    created_at: datetime


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    title: str
    summary: str
    status: Literal["open", "resolved"]
    tier: int
    team_id: int | None
    created_by_id: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None


class IncidentListItem(IncidentOut):
    linked: int
    active: int


class IncidentDetail(IncidentOut):
    tickets: list[TicketOut] = Field(description="the linked cases you may see (at most 500)")
    visible_tickets: int = Field(description="all the linked cases you may see")
    hidden_tickets: int = Field(description="linked cases outside your visibility")
    updates: list[UpdateOut]


class LinkedOut(BaseModel):
    linked: list[int]
    already: list[int]


class CandidateOut(BaseModel):
    ticket: TicketOut
    incident_id: int | None = Field(description="the open incident already holding it")


def _out(incident: Incident) -> IncidentOut:
    return IncidentOut.model_validate(incident)


def _update(update: IncidentUpdate) -> UpdateOut:
    return UpdateOut.model_validate(update)


@router.get("/incidents", response_model=list[IncidentListItem])
async def list_incidents(
    principal: CurrentPrincipal, uow: UowFactory, status: Literal["open", "resolved"] | None = None
) -> list[IncidentListItem]:
    async with uow(write=False) as u:
        rows = await incidents.list_incidents(u, principal, status=status)
    return [IncidentListItem(**_out(r.incident).model_dump(), linked=r.linked, active=r.active) for r in rows]


@router.post("/incidents", response_model=IncidentOut, status_code=201)
async def declare(body: IncidentIn, principal: CurrentPrincipal, uow: UowFactory) -> IncidentOut:
    async with uow() as u:
        incident = await incidents.declare_incident(
            u, principal, title=body.title, summary=body.summary, tier=body.tier, team_id=body.team_id,
            ticket_ids=body.ticket_ids,
        )  # fmt: skip
        return _out(incident)


@router.get("/incidents/{incident_id}", response_model=IncidentDetail)
async def detail(incident_id: int, principal: CurrentPrincipal, uow: UowFactory) -> IncidentDetail:
    async with uow(write=False) as u:
        view = await incidents.incident_view(u, principal, incident_id)
        return IncidentDetail(
            **_out(view.incident).model_dump(), tickets=[TicketOut.of(t) for t in view.tickets],
            visible_tickets=view.visible, hidden_tickets=view.hidden,
            updates=[_update(x) for x in view.updates],
        )  # fmt: skip


@router.get("/incidents/{incident_id}/candidates", response_model=list[CandidateOut])
async def candidates(
    incident_id: int,
    principal: CurrentPrincipal,
    uow: UowFactory,
    q: Annotated[str, Query(max_length=200)] = "",
    tag: Annotated[str, Query(max_length=64)] = "",
) -> list[CandidateOut]:
    """Active cases you can see matching `q` (number, subject, customer) or `tag`."""
    async with uow(write=False) as u:
        await incidents.get_incident(u, principal, incident_id)
        found = await incidents.candidate_tickets(u, principal, q=q, tag=tag)
    return [CandidateOut(ticket=TicketOut.of(c.ticket), incident_id=c.incident_id) for c in found]


@router.post("/incidents/{incident_id}/tickets", response_model=LinkedOut)
async def link(incident_id: int, body: LinkIn, principal: CurrentPrincipal, uow: UowFactory) -> LinkedOut:
    async with uow() as u:
        result = await incidents.link_tickets(u, principal, incident_id, body.ticket_ids)
    return LinkedOut(linked=result.linked, already=result.already)


@router.delete("/incidents/{incident_id}/tickets/{ticket_id}", status_code=204)
async def unlink(incident_id: int, ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> None:
    async with uow() as u:
        await incidents.unlink_ticket(u, principal, incident_id, ticket_id)


@router.get("/incidents/{incident_id}/updates", response_model=list[UpdateOut])
async def updates(incident_id: int, principal: CurrentPrincipal, uow: UowFactory) -> list[UpdateOut]:
    async with uow(write=False) as u:
        await incidents.get_incident(u, principal, incident_id)
        return [_update(x) for x in await incidents.list_updates(u, principal, incident_id)]


@router.post("/incidents/{incident_id}/updates", response_model=UpdateOut, status_code=201)
async def post_update(
    incident_id: int, body: UpdateIn, principal: CurrentPrincipal, uow: UowFactory
) -> UpdateOut:
    async with uow() as u:
        return _update(await incidents.post_update(u, principal, incident_id, body=body.body))


@router.post("/incidents/{incident_id}/resolve", response_model=UpdateOut)
async def resolve(
    incident_id: int, body: UpdateIn, principal: CurrentPrincipal, uow: UowFactory
) -> UpdateOut:
    """Send the final message and resolve every active linked case; returns the final update."""
    async with uow() as u:
        return _update(await incidents.resolve_incident(u, principal, incident_id, body=body.body))


@router.get("/tickets/{ticket_id}/incidents", response_model=list[IncidentOut])
async def of_ticket(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> list[IncidentOut]:
    """The incidents a case belongs to, the open one first (staff only)."""
    async with uow(write=False) as u:
        require_staff(principal)
        ticket = await access_ticket_by_id(u, principal, ticket_id)
        return [_out(i) for i in await incidents.incidents_of_ticket(u, principal, ticket)]
