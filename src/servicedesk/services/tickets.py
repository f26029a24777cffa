"""Ticket write use cases: create, change fields, change status, add a reply or a note.

Each one checks access, applies the domain rules, writes the audit event in the same
transaction and commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import update

from servicedesk.channels.message import Attachment as File
from servicedesk.domain.assistant import BotRules
from servicedesk.domain.catalog import Channel, MessageKind, Priority, TicketType
from servicedesk.domain.classification import IntentHint
from servicedesk.domain.errors import Conflict, Forbidden, ValidationFailed
from servicedesk.domain.lifecycle import Lifecycle, TicketStatus
from servicedesk.domain.roles import Permission, Principal, Role
from servicedesk.services import attachments, classification, outbound, progress, routing, sla
from servicedesk.services.access import access_ticket_by_id, require
from servicedesk.services.outbound import latest_conversation_id
from servicedesk.store.models import (
    Conversation,
    Customer,
    Message,
    Team,
    Ticket,
    TicketTag,
    User,
)
from servicedesk.store.uow import UnitOfWork

EDITABLE = ("subject", "type", "priority", "team_id", "assignee_id", "tags")
MAX_SUBJECT = 200
MAX_BODY = 50_000
SUMMARY_MAX = 1000  # what was done, as the customer is told on resolution


def clean_subject(subject: str) -> str:
    """Every write path (API, pages, channels) gets the same rule, not only the API schema."""
    cleaned = " ".join(subject.split())
    if not cleaned or len(cleaned) > MAX_SUBJECT:
        raise ValidationFailed("invalid subject", fields={"subject": f"1 to {MAX_SUBJECT} characters"})
    return cleaned


def check_body(body: str) -> str:
    if not body.strip() or len(body) > MAX_BODY:
        raise ValidationFailed("invalid message", fields={"body": f"1 to {MAX_BODY} characters"})
    return body


def normalize_tags(tags: Iterable[str]) -> list[str]:
    cleaned = {t.strip().lower() for t in tags if t and t.strip()}
    too_long = [t for t in cleaned if len(t) > 64]
    if too_long:
        raise ValidationFailed("tag too long", fields={"tags": "each tag is at most 64 chars"})
    return sorted(cleaned)


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "subject": ticket.subject,
        "type": ticket.type.value,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "channel": ticket.channel.value,
        "customer_id": ticket.customer_id,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "tags": [t.tag for t in ticket.tags],
    }


async def _check_refs(
    uow: UnitOfWork, *, team_id: int | None, assignee_id: int | None
) -> tuple[Team | None, User | None]:
    team = await uow.session.get(Team, team_id) if team_id is not None else None
    if team_id is not None and team is None:
        raise ValidationFailed("unknown team", fields={"team_id": f"no team {team_id}"})
    user = await uow.session.get(User, assignee_id) if assignee_id is not None else None
    if assignee_id is not None and (user is None or not user.is_active or not user.role.is_staff):
        raise ValidationFailed(
            "unknown assignee", fields={"assignee_id": f"no active staff user {assignee_id}"}
        )
    return team, user


async def create_ticket(
    uow: UnitOfWork,
    actor: Principal,
    *,
    subject: str,
    body: str,
    customer_id: int | None = None,
    type: TicketType | None = None,
    priority: Priority | None = None,
    channel: Channel | None = None,
    team_id: int | None = None,
    assignee_id: int | None = None,
    tags: Iterable[str] = (),
    files: Sequence[File] = (),
) -> Ticket:
    """A new case with its first message (and any files on it). Customers open cases only for
    themselves, and their priority is judged by its content, never chosen. Type or priority
    left out is suggested."""
    attachments.check_files(files, uow.settings.max_attachment_bytes)
    if actor.role is Role.CUSTOMER:
        if team_id is not None or assignee_id is not None:
            raise Forbidden("customers cannot choose a team or an assignee")
        customer_id, channel, priority = actor.customer_id, channel or Channel.WEB_FORM, None
    else:
        require(actor, Permission.WORK_TICKETS)
    customer = await uow.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None:
        raise ValidationFailed("unknown customer", fields={"customer_id": f"no customer {customer_id}"})
    team, assignee = await _check_refs(uow, team_id=team_id, assignee_id=assignee_id)
    ticket, first = await open_case(
        uow, actor, customer=customer, subject=subject, body=body, type=type, priority=priority,
        channel=channel or Channel.API, team=team, assignee=assignee, tags=tags,
    )  # fmt: skip
    if files:
        await attachments.keep(uow, first, files)
    await uow.commit()
    return ticket


async def open_case(
    uow: UnitOfWork,
    actor: Principal | None,
    *,
    customer: Customer,
    subject: str,
    body: str,
    channel: Channel,
    type: TicketType | None = None,
    priority: Priority | None = None,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Iterable[str] = (),
    external_id: str | None = None,
    meta: dict[str, Any] | None = None,
    hint: IntentHint | None = None,
    rules: BotRules | None = None,
) -> tuple[Ticket, Message]:
    """The ticket, its conversation and first message, and the audit event — not committed.
    Shared by staff and customers (`create_ticket`) and by channel intake (`actor` None: the
    system), so every new case is built the same way. A type or priority nobody chose is
    suggested from the text, the customer's tier and the channel (and `hint`, what the
    assistant's model recognised, and `rules`, the bot's configured urgent words, so a message
    that skips the bot is weighed as a hand-off would be), and kept with its reasons."""
    body = check_body(body)
    suggestion = None
    if type is None or priority is None:
        suggestion = classification.suggestion_for(customer, subject, body, channel, hint, rules)
        type, priority = type or suggestion.type, priority or suggestion.priority
        tags = list(tags) or list(suggestion.tags)  # tags someone chose are theirs
    ticket = _new_ticket(
        uow, customer=customer, subject=subject, channel=channel, type=type, priority=priority,
        team=team, assignee=assignee, tags=tags,
    )  # fmt: skip
    now = ticket.created_at
    conversation = Conversation(customer=customer, channel=channel, ticket=ticket, started_at=now)
    first = Message(
        conversation=conversation, ticket=ticket, kind=MessageKind.INBOUND, channel=channel,
        author_user_id=actor.user_id if actor and actor.role.is_staff else None,
        author_customer_id=customer.id, body=body, created_at=now, attachments=[], external_id=external_id,
        meta=meta,
    )  # fmt: skip
    uow.session.add_all([ticket, conversation, first])
    await uow.session.flush()  # one round of inserts, in dependency order
    uow.record(
        actor, "ticket.created", subject_type="ticket", subject_id=ticket.id,
        ticket_id=ticket.id, after=snapshot(ticket),
    )  # fmt: skip
    if suggestion is not None:
        classification.remember(uow, ticket, suggestion)
    await sla.start_clocks(uow, ticket)
    routed = await routing.route(uow, ticket)  # an unassigned case goes to an agent or the queue
    if routed is not None and routed.position is not None:
        await progress.tell_queued(uow, ticket)  # a live chat hears its place and the estimate
    return ticket, first


def _new_ticket(
    uow: UnitOfWork,
    *,
    customer: Customer,
    subject: str,
    channel: Channel,
    type: TicketType,
    priority: Priority,
    team: Team | None = None,
    assignee: User | None = None,
    tags: Iterable[str] = (),
) -> Ticket:
    now = uow.now()
    return Ticket(
        subject=clean_subject(subject), type=type, priority=priority, status=TicketStatus.NEW,
        channel=channel, customer=customer, team=team, assignee=assignee, created_at=now,
        updated_at=now, reopened_count=0, tags=[TicketTag(tag=t) for t in normalize_tags(tags)],
    )  # fmt: skip


async def adopt_conversation(
    uow: UnitOfWork,
    *,
    customer: Customer,
    conversation: Conversation,
    subject: str,
    type: TicketType,
    priority: Priority,
    tags: Iterable[str] = (),
    assignee_id: int | None = None,
) -> Ticket:
    """A case for a conversation that so far had none (the bot handing over, R-BOT-5): the
    messages already exchanged become the case's history, so the agent reads the whole
    conversation and the customer repeats nothing. Routed, unless someone took it
    (`assignee_id`). Not committed."""
    assignee = await uow.session.get(User, assignee_id) if assignee_id is not None else None
    ticket = _new_ticket(
        uow, customer=customer, subject=subject, channel=conversation.channel, type=type,
        priority=priority, tags=tags, assignee=assignee,
    )  # fmt: skip
    uow.session.add(ticket)
    await uow.session.flush()
    conversation.ticket_id = ticket.id
    await uow.session.execute(
        update(Message).where(Message.conversation_id == conversation.id).values(ticket_id=ticket.id)
    )
    uow.record(
        None, "ticket.created", subject_type="ticket", subject_id=ticket.id, ticket_id=ticket.id,
        after={**snapshot(ticket), "conversation_id": conversation.id},
    )  # fmt: skip
    await sla.start_clocks(uow, ticket, handoff=True)
    await routing.route(uow, ticket)  # nothing to do when someone took it
    return ticket


def _check_version(ticket: Ticket, expected: int | None) -> None:
    if expected is not None and expected != ticket.version:
        raise Conflict(
            f"ticket {ticket.number} was changed by someone else "
            f"(version {ticket.version}, you had {expected}); reload and try again",
            fields={"version": f"current version is {ticket.version}"},
        )


async def update_ticket(
    uow: UnitOfWork,
    actor: Principal,
    ticket_id: int,
    *,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    reason: str | None = None,
) -> Ticket:
    """Change any of EDITABLE; only fields whose value really changes are recorded."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed("unknown fields", fields={f: "not editable" for f in unknown})
    nulls = [f for f in ("subject", "type", "priority", "tags") if f in changes and changes[f] is None]
    if nulls:
        raise ValidationFailed("required fields", fields={f: "may not be null" for f in nulls})
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    require(actor, Permission.WORK_TICKETS)
    _check_version(ticket, expected_version)
    await _check_refs(uow, team_id=changes.get("team_id"), assignee_id=changes.get("assignee_id"))
    overrides = await classification.check_override(uow, ticket, changes, reason)
    before_all = snapshot(ticket)
    for field, value in changes.items():
        if field == "tags":
            ticket.tags = [TicketTag(tag=t) for t in normalize_tags(value)]
        elif field == "subject":
            ticket.subject = clean_subject(value)
        else:
            setattr(ticket, field, value)
    after_all = snapshot(ticket)
    changed = [f for f in EDITABLE if before_all[f] != after_all[f]]
    if not changed:
        return ticket
    ticket.updated_at = uow.now()
    after = {f: after_all[f] for f in changed}
    if reason:
        after["reason"] = reason
    if overrides:
        after["overrides_suggestion"] = overrides
    uow.record(
        actor, "ticket.updated", subject_type="ticket", subject_id=ticket.id,
        ticket_id=ticket.id, before={f: before_all[f] for f in changed}, after=after,
    )  # fmt: skip
    if {"type", "priority", "tags"} & set(changed):
        await sla.on_changed(uow, ticket)
    if {"type", "priority", "tags", "team_id"} & set(changed):  # a new team: its queue and tier
        await routing.after_change(uow, ticket, actor)
    if ticket.status is not TicketStatus.CLOSED and _handed_on(before_all, after_all):
        await progress.tell_transfer(uow, ticket, await _holder(uow, ticket))
    await uow.commit()
    return ticket


def _handed_on(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """A transfer (R-HD-7): another team, or from one person to another — not a case taken up
    for the first time, nor one put back in its team's queue."""
    other_team = before["team_id"] is not None and after["team_id"] not in (None, before["team_id"])
    other_person = before["assignee_id"] is not None and after["assignee_id"] not in (
        None,
        before["assignee_id"],
    )
    return other_team or other_person


async def _holder(uow: UnitOfWork, ticket: Ticket) -> str:
    """Who the customer is told has the case: the person, else their team."""
    user = await uow.session.get(User, ticket.assignee_id) if ticket.assignee_id is not None else None
    if user is not None:
        return user.name
    team = await uow.session.get(Team, ticket.team_id) if ticket.team_id is not None else None
    return team.name if team is not None else ""


def _customer_may_move(current: TicketStatus, target: TicketStatus) -> bool:
    """A customer confirms a resolution (close) or says it is not solved (reopen)."""
    return current is TicketStatus.RESOLVED and target in (TicketStatus.CLOSED, TicketStatus.OPEN)


async def apply_status(
    uow: UnitOfWork, actor: Principal | None, ticket: Ticket, target: TicketStatus
) -> None:
    """Move `ticket` to `target` by the domain's rules, record it and move its SLA clocks; the
    caller commits."""
    before = ticket.status
    state = Lifecycle(ticket.status, ticket.resolved_at, ticket.closed_at, ticket.reopened_count)
    state = state.move_to(target, now=uow.now())
    ticket.status, ticket.resolved_at = state.status, state.resolved_at
    ticket.closed_at, ticket.reopened_count = state.closed_at, state.reopened_count
    ticket.updated_at = uow.now()
    uow.record(
        actor, "ticket.status_changed", subject_type="ticket", subject_id=ticket.id,
        ticket_id=ticket.id, before={"status": before.value}, after={"status": target.value},
    )  # fmt: skip
    await sla.on_status(uow, ticket, before, target)
    await routing.after_status(uow, ticket, before, target)  # a freed place takes from the queue


async def transition_ticket(
    uow: UnitOfWork,
    actor: Principal,
    ticket_id: int,
    *,
    to: TicketStatus,
    expected_version: int | None = None,
    summary: str | None = None,
) -> Ticket:
    """A person moves the case. Staff resolving it tell the customer what was done, when and by
    whom, with `summary` in their own words (R-HD-7)."""
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    if actor.role is Role.CUSTOMER:
        if not _customer_may_move(ticket.status, to):
            raise Forbidden("customers can only confirm or reopen a resolved ticket")
    else:
        require(actor, Permission.WORK_TICKETS)
    _check_version(ticket, expected_version)
    summary = " ".join((summary or "").split()) or None
    if summary is not None and len(summary) > SUMMARY_MAX:
        raise ValidationFailed("summary too long", fields={"summary": f"at most {SUMMARY_MAX} characters"})
    resolving = to is TicketStatus.RESOLVED and ticket.status is not TicketStatus.RESOLVED
    await apply_status(uow, actor, ticket, to)
    if resolving and actor.role.is_staff:
        await progress.tell_resolved(uow, ticket, actor.name, summary)
    await uow.commit()
    return ticket


async def add_message(
    uow: UnitOfWork, actor: Principal, ticket_id: int, *, kind: MessageKind, body: str,
    files: Sequence[File] = (), send: bool = True,
) -> Message:  # fmt: skip
    """A public reply or internal note from staff, or a customer's answer on their case, with
    any files attached (a reply's files go out with it by email).

    Side effects follow the usual helpdesk rules: the first staff reply stamps the first
    response; a staff reply opens a new ticket; a customer answer reopens a pending or
    resolved one. A reply that cannot reach the customer on the case's channel (the delivery
    rule, `services.outbound`) is kept, marked not delivered, and is no response: the clocks
    run on. `send=False` records history that already happened elsewhere (the demo): read in
    place, nothing queued.
    """
    ticket = await access_ticket_by_id(uow, actor, ticket_id)
    if actor.role is Role.CUSTOMER:
        if kind is MessageKind.NOTE:
            raise Forbidden("customers cannot write internal notes")
        kind = MessageKind.INBOUND
        if ticket.status is TicketStatus.CLOSED:
            raise Forbidden("this case is closed; please open a new one")
    else:
        require(actor, Permission.WORK_TICKETS)
        if kind is MessageKind.INBOUND:
            raise ValidationFailed("staff write replies or notes", fields={"kind": "reply|note"})
    check_body(body)
    attachments.check_files(files, uow.settings.max_attachment_bytes)
    now = uow.now()
    message = Message(
        conversation_id=await latest_conversation_id(uow, ticket.id),
        ticket_id=ticket.id,
        kind=kind,
        channel=ticket.channel,
        author_user_id=actor.user_id if actor.role.is_staff else None,
        author_customer_id=ticket.customer_id if kind is MessageKind.INBOUND else None,
        body=body,
        created_at=now,
        attachments=[],
    )
    uow.session.add(message)
    await uow.session.flush()  # the reply's id goes on the clocks it stops
    route = await outbound.route_for_ticket(uow, ticket) if kind is MessageKind.REPLY and send else None
    if kind is MessageKind.REPLY:
        counts = route is None or route.deliverable
        if counts and ticket.first_response_at is None:
            ticket.first_response_at = now
        if ticket.status is TicketStatus.NEW:
            await apply_status(uow, actor, ticket, TicketStatus.OPEN)
        if counts:
            await sla.on_reply(uow, ticket, by=message.id)
    elif kind is MessageKind.INBOUND:
        if ticket.status in (TicketStatus.PENDING, TicketStatus.RESOLVED):
            await apply_status(uow, actor, ticket, TicketStatus.OPEN)
        await sla.on_customer_message(uow, ticket)
    ticket.updated_at = now
    await uow.session.flush()
    if files:
        await attachments.keep(uow, message, files)
    if route is not None:
        await outbound.queue_on(uow, route, ticket, message, files=files)
    uow.record(
        actor, f"message.{kind.value}", subject_type="message", subject_id=message.id,
        ticket_id=ticket.id, after={"kind": kind.value, "length": len(body)},
    )  # fmt: skip
    await uow.commit()
    return message
