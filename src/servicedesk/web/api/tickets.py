"""Tickets: create, list (filters, sort, cursor), get, update, change status, reply or note."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from servicedesk.channels.message import Attachment as File
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services import outbound
from servicedesk.services import ticket_queries as q
from servicedesk.services import tickets as svc
from servicedesk.web.api.schemas import (
    EventOut,
    FileIn,
    InboxCounts,
    MessageCreate,
    MessageOut,
    Ref,
    ReplyChannelOut,
    TicketCreate,
    TicketDetailOut,
    TicketList,
    TicketOut,
    TicketTransition,
    TicketUpdate,
    json_response,
)
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(prefix="/tickets", tags=["tickets"])
TEXT_HELP = "words said in the conversation (messages, call transcripts); slower than q"


def _shown_to(principal: CurrentPrincipal, message: MessageOut) -> MessageOut:
    """Channel details (recording links, transcript segments) and delivery are for staff only."""
    return message if principal.role.is_staff else message.model_copy(update={"meta": None, "delivery": None})


async def _detail(uow: UowFactory, principal: CurrentPrincipal, ticket_id: int) -> Response:
    async with uow(write=False) as u:
        d = await q.ticket_detail(u, principal, ticket_id)
        route = await outbound.route_for_ticket(u, d.ticket) if principal.role.is_staff else None
    detail = TicketDetailOut(
        **TicketOut.of(d.ticket).model_dump(),
        messages=[_shown_to(principal, MessageOut.of(m)) for m in d.messages],
        events=[EventOut.model_validate(e, from_attributes=True) for e in d.events],
        other_tickets=[Ref(id=t.id, name=t.subject) for t in d.other_tickets],
        reply_channel=route and ReplyChannelOut(
            channel=route.channel, deliverable=route.deliverable, problem=route.problem, public=route.public,
            window_closes_at=route.window_closes_at,
        ),
    )  # fmt: skip
    return json_response(detail)


def _files(sent: list[FileIn]) -> list[File]:
    return [File(f.filename, f.content_type, f.data) for f in sent]


@router.post("", response_model=TicketOut, status_code=201)
async def create_ticket(body: TicketCreate, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    """Answers with the ticket and its `Location`; the timeline is one GET away. (The creator
    may have opened it for a team whose queue they cannot read: they still see this answer.)"""
    async with uow() as u:
        fields = body.model_dump(exclude={"attachments"})
        ticket = await svc.create_ticket(u, principal, **fields, files=_files(body.attachments))
    answer = json_response(TicketOut.of(ticket), status_code=201)
    answer.headers["Location"] = f"/api/v1/tickets/{ticket.id}"
    return answer


@router.get("", response_model=TicketList)
async def list_tickets(
    principal: CurrentPrincipal,
    uow: UowFactory,
    view: q.View | None = None,
    status: Annotated[list[TicketStatus] | None, Query()] = None,
    type: TicketType | None = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    customer_id: int | None = None,
    tag: Annotated[str | None, Query(max_length=64)] = None,
    q_: Annotated[str | None, Query(alias="q", max_length=200)] = None,
    text: Annotated[
        str | None,
        Query(max_length=200, description="words said in the conversation (messages, call transcripts)"),
    ] = None,
    sort: q.SortKey = q.SortKey.UPDATED_DESC,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
) -> Response:
    filters = q.TicketFilter(
        view=view, status=status or (), type=type, priority=priority, channel=channel,
        team_id=team_id, assignee_id=assignee_id, unassigned=unassigned,
        customer_id=customer_id, tag=tag, q=q_, text=text,
    )  # fmt: skip
    async with uow(write=False) as u:
        page = await q.list_tickets(u, principal, filters=filters, sort=sort, cursor=cursor, limit=limit)
        items = [TicketOut.of(t) for t in page.items]
    return json_response(TicketList(items=items, next_cursor=page.next_cursor))


@router.get("/counts", response_model=InboxCounts)
async def counts(principal: CurrentPrincipal, uow: UowFactory) -> InboxCounts:
    async with uow(write=False) as u:
        return InboxCounts(**await q.inbox_counts(u, principal))


@router.get("/{ticket_id}", response_model=TicketDetailOut)
async def get_ticket(ticket_id: int, principal: CurrentPrincipal, uow: UowFactory) -> Response:
    return await _detail(uow, principal, ticket_id)


@router.patch("/{ticket_id}", response_model=TicketDetailOut)
async def update_ticket(
    ticket_id: int, body: TicketUpdate, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    changes = body.model_dump(exclude_unset=True, exclude={"version", "reason"})
    async with uow() as u:
        await svc.update_ticket(
            u,
            principal,
            ticket_id,
            changes=changes,
            expected_version=body.version,
            reason=body.reason,
        )
    return await _detail(uow, principal, ticket_id)


@router.post("/{ticket_id}/transition", response_model=TicketDetailOut)
async def transition(
    ticket_id: int, body: TicketTransition, principal: CurrentPrincipal, uow: UowFactory
) -> Response:
    async with uow() as u:
        await svc.transition_ticket(
            u, principal, ticket_id, to=body.status, expected_version=body.version, summary=body.summary
        )
    return await _detail(uow, principal, ticket_id)


@router.post("/{ticket_id}/messages", response_model=MessageOut, status_code=201)
async def add_message(
    ticket_id: int, body: MessageCreate, principal: CurrentPrincipal, uow: UowFactory
) -> MessageOut:
    async with uow() as u:
        message = await svc.add_message(
            u,
            principal,
            ticket_id,
            kind=MessageKind(body.kind),
            body=body.body,
            files=_files(body.attachments),
        )
        return MessageOut.of(message)
