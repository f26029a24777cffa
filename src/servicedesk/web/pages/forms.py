"""Turning query strings and form fields into the values the services take.

HTML forms send every field, empty ones as "", so choices are parsed here: "" means "any"
or "none", anything else must be a known value. Limits mirror the API's request schemas.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from starlette.datastructures import UploadFile  # what a parsed form holds (FastAPI's is a subclass)

from servicedesk.channels.message import Attachment as File
from servicedesk.domain.catalog import Channel, Priority, TicketType
from servicedesk.domain.errors import ValidationFailed
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.services.attachments import check_files
from servicedesk.services.ticket_queries import TicketFilter, View

E = TypeVar("E", bound=StrEnum)

SUBJECT_MAX = 200
BODY_MAX = 50_000
REASON_MAX = 500
TAGS_MAX = 30
TAG_MAX = 64
ANY_STATUS = "any"  # the inbox tab that shows every visible ticket, whatever its status
_TAG_SPLIT = re.compile(r"[,，;；\s]+")


def choice(cls: type[E], raw: str | None, field: str) -> E | None:
    """The enum member named by `raw`; None for an empty choice; an error for anything else."""
    if raw is None or not raw.strip():
        return None
    try:
        return cls(raw.strip())
    except ValueError:
        raise ValidationFailed("invalid choice", fields={field: f"unknown value {raw[:40]!r}"}) from None


def required_choice(cls: type[E], raw: str | None, field: str) -> E:
    """As `choice`, for a form that cannot go on without one (a status button, an action)."""
    chosen = choice(cls, raw, field)
    if chosen is None:
        raise ValidationFailed(f"no {field} chosen", fields={field: "required"})
    return chosen


def optional_id(raw: str | None, field: str) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed("invalid choice", fields={field: "not a number"})
    return int(raw.strip())


def split_tags(raw: str) -> list[str]:
    tags = [t for t in _TAG_SPLIT.split(raw) if t]
    if len(tags) > TAGS_MAX or any(len(t) > TAG_MAX for t in tags):
        raise ValidationFailed(
            "too many or too long tags", fields={"tags": f"at most {TAGS_MAX} tags of {TAG_MAX} chars"}
        )
    return tags


def text_error(value: str, *, max_len: int) -> str | None:
    """The i18n key of what is wrong with a required text field, or None."""
    if not value.strip():
        return "err_required"
    if len(value) > max_len:
        return "err_too_long"
    return None


# --- the agent inbox ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InboxParams:
    view: str = ""
    status: str = ""
    type: str = ""
    priority: str = ""
    channel: str = ""
    team: str = ""
    tag: str = ""
    q: str = ""
    cursor: str = ""

    def to_filter(self, view: str) -> TicketFilter:
        status = choice(TicketStatus, self.status, "status")
        return TicketFilter(
            view=None if view == ANY_STATUS else View(view),
            status=(status,) if status else (),
            type=choice(TicketType, self.type, "type"),
            priority=choice(Priority, self.priority, "priority"),
            channel=choice(Channel, self.channel, "channel"),
            team_id=optional_id(self.team, "team"),
            tag=self.tag.strip() or None,
            q=self.q.strip() or None,
        )

    @property
    def has_filters(self) -> bool:
        return any((self.status, self.type, self.priority, self.channel, self.team, self.tag, self.q))

    def url(self, **overrides: str) -> str:
        """/agent with these parameters (minus empty ones), e.g. url(view="team", cursor="")."""
        values = asdict(replace(self, **overrides))
        query = urlencode({k: v for k, v in values.items() if v})
        return f"/agent?{query}" if query else "/agent"


def inbox_params(
    view: Annotated[str, Query(max_length=20)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    type: Annotated[str, Query(max_length=40)] = "",
    priority: Annotated[str, Query(max_length=20)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    team: Annotated[str, Query(max_length=20)] = "",
    tag: Annotated[str, Query(max_length=TAG_MAX)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> InboxParams:
    if view and view != ANY_STATUS:
        choice(View, view, "view")
    return InboxParams(view, status, type, priority, channel, team, tag, q, cursor)


# --- the agent's ticket forms ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TicketUpdate:
    version: int | None
    changes: dict[str, Any]
    reason: str | None


@dataclass(frozen=True, slots=True)
class TicketUpdateForm:
    """The properties form as sent; `parse` (after the CSRF check) validates it."""

    version: str = ""
    subject: str = ""
    type: str = ""
    priority: str = ""
    team_id: str = ""
    assignee_id: str = ""
    tags: str = ""
    reason: str = ""

    def parse(self) -> TicketUpdate:
        if text_error(self.subject, max_len=SUBJECT_MAX):
            raise ValidationFailed("invalid subject", fields={"subject": f"1–{SUBJECT_MAX} characters"})
        changes: dict[str, Any] = {
            "subject": self.subject.strip(),
            "team_id": optional_id(self.team_id, "team_id"),
            "assignee_id": optional_id(self.assignee_id, "assignee_id"),
            "tags": split_tags(self.tags),
        }
        ticket_type = choice(TicketType, self.type, "type")
        level = choice(Priority, self.priority, "priority")
        if ticket_type is not None:
            changes["type"] = ticket_type
        if level is not None:
            changes["priority"] = level
        return TicketUpdate(optional_id(self.version, "version"), changes, self.reason.strip() or None)


def ticket_update_form(
    version: Annotated[str, Form(max_length=20)] = "",
    subject: Annotated[str, Form(max_length=SUBJECT_MAX * 4)] = "",
    type: Annotated[str, Form(max_length=40)] = "",
    priority: Annotated[str, Form(max_length=20)] = "",
    team_id: Annotated[str, Form(max_length=20)] = "",
    assignee_id: Annotated[str, Form(max_length=20)] = "",
    tags: Annotated[str, Form(max_length=TAGS_MAX * (TAG_MAX + 2))] = "",
    reason: Annotated[str, Form(max_length=REASON_MAX)] = "",
) -> TicketUpdateForm:
    return TicketUpdateForm(version, subject, type, priority, team_id, assignee_id, tags, reason)


async def uploaded(request: Request, max_bytes: int, field: str = "files") -> list[File]:
    """The files a form sent in `field`, read no further than the limit. Read from the form
    itself: a file input left empty arrives as a part with no file name, which browsers send and
    a typed parameter would refuse. A file over the limit is refused here, before it is read
    whole (the service checks the rest)."""
    found = []
    for part in (await request.form()).getlist(field):
        if not isinstance(part, UploadFile):
            continue
        data = await part.read(max_bytes + 1)
        if not part.filename and not data:
            continue
        found.append(File(part.filename or "attachment", part.content_type or "", data))
    check_files(found, max_bytes)
    return found
