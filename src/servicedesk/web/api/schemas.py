"""Request and response bodies. Requests forbid unknown fields; responses mask personal data."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Base64Bytes, BaseModel, ConfigDict, Field, StringConstraints
from starlette.responses import Response

from servicedesk.domain.catalog import Channel, CustomerTier, MessageKind, Priority, TicketType
from servicedesk.domain.delivery import DeliveryProblem, DeliveryState
from servicedesk.domain.lifecycle import TicketStatus
from servicedesk.domain.pii import mask_phone, mask_resident_id
from servicedesk.domain.roles import Role
from servicedesk.store import models

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Body = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Tags = Annotated[list[Tag], Field(max_length=30)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]


def json_response(model: BaseModel, status_code: int = 200) -> Response:
    """The model as JSON, serialised once. Returning a model from a route with a
    `response_model` makes FastAPI validate it all again — a measurable share of a 25-item
    list page; routes keep `response_model` for the OpenAPI contract."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FileIn(Input):
    """A file sent with a message, its bytes base64-encoded."""

    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: Annotated[str, Field(max_length=127)] = "application/octet-stream"
    data: Base64Bytes


class TicketCreate(Input):
    subject: Subject
    body: Body
    customer_id: int | None = None
    type: TicketType | None = Field(None, description="left out: suggested from the text (R-CL-1)")
    priority: Priority | None = Field(
        None, description="left out: suggested from text, tier and channel (R-CL-2); never set by customers"
    )
    channel: Channel | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    tags: Tags = []
    attachments: list[FileIn] = Field(default_factory=list, description="files on the first message")


class TicketUpdate(Input):
    """Only the fields sent are changed; `null` clears team or assignee."""

    subject: Subject | None = None
    type: TicketType | None = None
    priority: Priority | None = None
    team_id: int | None = None
    assignee_id: int | None = None
    tags: Tags | None = None
    version: int | None = Field(None, description="the version you read; 409 if it changed")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class TicketTransition(Input):
    status: TicketStatus
    version: int | None = None
    summary: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        None, description="on resolving: what was done, told to the customer (R-HD-7)"
    )


class MessageCreate(Input):
    kind: Literal["reply", "note"] = "reply"
    body: Body
    attachments: list[FileIn] = Field(
        default_factory=list, description="files to attach (a reply's go out with it by email); fetch them "
        "back at /api/v1/attachments/{id}",
    )  # fmt: skip


class Ref(BaseModel):
    id: int
    name: str


class CustomerRef(Ref):
    tier: CustomerTier


class TicketOut(BaseModel):
    id: int
    number: str
    subject: str
    type: TicketType
    priority: Priority
    status: TicketStatus
    channel: Channel
    customer: CustomerRef
    team: Ref | None
    assignee: Ref | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_count: int
    version: int

    @classmethod
    def of(cls, t: models.Ticket) -> TicketOut:
        return cls(
            id=t.id, number=t.number, subject=t.subject, type=t.type, priority=t.priority,
            status=t.status, channel=t.channel,
            customer=CustomerRef(id=t.customer.id, name=t.customer.name, tier=t.customer.tier),
            team=Ref(id=t.team.id, name=t.team.name) if t.team else None,
            assignee=Ref(id=t.assignee.id, name=t.assignee.name) if t.assignee else None,
            tags=[x.tag for x in t.tags], created_at=t.created_at, updated_at=t.updated_at,
            first_response_at=t.first_response_at, resolved_at=t.resolved_at,
            closed_at=t.closed_at, reopened_count=t.reopened_count, version=t.version,
        )  # fmt: skip


class TicketList(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None


class AttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str
    size: int


class DeliveryOut(BaseModel):
    """Whether a message for the customer reached them. `failed` messages never count as a
    response; `problem` says why (known before writing: not_configured, no_address,
    address_bounced, window_closed, no_target; or the platform refused it / gave up)."""

    state: DeliveryState
    problem: DeliveryProblem | None = None
    detail: str | None = Field(default=None, description="the platform's own words for the last failure")
    delivered_at: datetime | None = None


class MessageOut(BaseModel):
    id: int
    kind: MessageKind
    channel: Channel
    author_user_id: int | None
    author_customer_id: int | None
    body: str
    created_at: datetime
    attachments: list[AttachmentOut]
    meta: dict[str, Any] | None = None
    delivery: DeliveryOut | None = Field(
        default=None,
        description="for staff: how far a message for the customer got; null when it never leaves",
    )

    @classmethod
    def of(cls, m: models.Message) -> MessageOut:
        delivery = None
        if m.delivery is not None:
            delivery = DeliveryOut(state=m.delivery, problem=m.delivery_problem, detail=m.delivery_detail,
                                   delivered_at=m.delivered_at)  # fmt: skip
        return cls(
            id=m.id, kind=m.kind, channel=m.channel, author_user_id=m.author_user_id,
            author_customer_id=m.author_customer_id, body=m.body, created_at=m.created_at,
            attachments=[AttachmentOut.model_validate(a, from_attributes=True) for a in m.attachments],
            meta=m.meta, delivery=delivery,
        )  # fmt: skip


class ReplyChannelOut(BaseModel):
    """Where a public reply on the case would go now, known before writing it."""

    channel: Channel
    deliverable: bool
    problem: DeliveryProblem | None = None
    public: bool = Field(description="a comment reply: everyone who reads the post reads it")
    window_closes_at: datetime | None = Field(
        default=None, description="the platform's deadline for answering"
    )


class EventOut(BaseModel):
    id: int
    occurred_at: datetime
    actor_user_id: int | None
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]
    events: list[EventOut]
    other_tickets: list[Ref]
    reply_channel: ReplyChannelOut | None = Field(
        default=None,
        description="for staff; null when replies are read where the case lives (help center, API)",
    )


class CustomerCreate(Input):
    name: Name
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    id_number: Annotated[str, StringConstraints(max_length=18)] | None = None
    tier: CustomerTier = CustomerTier.REGULAR
    tags: Tags = []
    locale: Literal["zh", "en"] = "zh"


class CustomerUpdate(Input):
    name: Name | None = None
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] | None = None
    id_number: Annotated[str, StringConstraints(max_length=18)] | None = None
    tier: CustomerTier | None = None
    tags: Tags | None = None
    advisor_id: int | None = None
    locale: Literal["zh", "en"] | None = None


class IdentityOut(BaseModel):
    channel: Channel
    external_id: str
    verified: bool


class CustomerOut(BaseModel):
    """Phone and ID number always masked here; the audited reveal endpoint shows them whole."""

    id: int
    name: str
    email: str | None
    phone: str | None
    id_number: str | None
    tier: CustomerTier
    tags: list[str]
    identities: list[IdentityOut]
    advisor_id: int | None
    merged_into_id: int | None
    created_at: datetime

    @classmethod
    def of(cls, c: models.Customer) -> CustomerOut:
        return cls(
            id=c.id, name=c.name, email=c.email,
            phone=mask_phone(c.phone) if c.phone else None,
            id_number=mask_resident_id(c.id_number) if c.id_number else None,
            tier=c.tier, tags=[t.tag for t in c.tags], advisor_id=c.advisor_id,
            identities=[
                IdentityOut(
                    channel=i.channel, verified=i.verified,
                    external_id=mask_phone(i.external_id) if i.channel is Channel.PHONE else i.external_id,
                )
                for i in c.identities
            ],
            created_at=c.created_at, merged_into_id=c.merged_into_id,
        )  # fmt: skip


class MergeRequest(Input):
    merge_id: int = Field(description="the customer folded into this one")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class MergeOut(BaseModel):
    id: int
    survivor_id: int
    merged_id: int
    reason: str
    moved: dict[str, Any]
    merged_at: datetime
    undone_at: datetime | None


class TimelineEntry(MessageOut):
    ticket_id: int | None


class VerificationStart(Input):
    phone: Annotated[str, StringConstraints(max_length=32)]


class VerificationOut(BaseModel):
    id: int
    customer_id: int
    phone: str  # masked
    expires_at: datetime


class VerificationConfirm(Input):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=8)]


class VerificationResult(BaseModel):
    customer_id: int
    phone: str  # masked
    verified: bool
    merge_candidate_id: int | None


class RevealRequest(Input):
    field: Literal["phone", "id_number"]


class RevealOut(BaseModel):
    field: str
    value: str | None


class UserCreate(Input):
    email: Email
    name: Name
    role: Role
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    team_ids: list[int] = []
    skills: dict[Tag, Annotated[int, Field(ge=1, le=5)]] = {}
    locale: Literal["zh", "en"] = "zh"


class UserUpdate(Input):
    name: Name | None = None
    role: Role | None = None
    is_active: bool | None = None
    team_ids: list[int] | None = None
    password: Annotated[str, StringConstraints(min_length=8, max_length=200)] | None = None
    locale: Literal["zh", "en"] | None = None


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    is_active: bool
    locale: str
    team_ids: list[int]
    skills: dict[str, int]

    @classmethod
    def of(cls, u: models.User) -> UserOut:
        return cls(
            id=u.id, email=u.email, name=u.name, role=u.role, is_active=u.is_active,
            locale=u.locale, team_ids=sorted(m.team_id for m in u.memberships),
            skills={s.skill: s.level for s in u.skills},
        )  # fmt: skip


class TeamCreate(Input):
    name: Name
    department_id: int | None = None
    tier: Annotated[int, Field(ge=1, le=3)] = 1


class TeamOut(BaseModel):
    id: int
    name: str
    department_id: int | None
    tier: int


class DepartmentCreate(Input):
    name: Name


class DepartmentOut(BaseModel):
    id: int
    name: str


class TokenRequest(Input):
    email: Annotated[str, StringConstraints(max_length=254)]
    password: Annotated[str, StringConstraints(max_length=200)]
    name: Annotated[str, StringConstraints(max_length=100)] = "api"


class MeOut(BaseModel):
    user_id: int
    name: str
    role: Role
    team_ids: list[int]
    customer_id: int | None
    time_zone: str | None


class MeUpdate(BaseModel):
    """What a caller sets for themselves: the IANA zone their times are shown in."""

    model_config = ConfigDict(extra="forbid")
    time_zone: Annotated[str, Field(min_length=1, max_length=64)]


class TokenOut(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    me: MeOut


class InboxCounts(BaseModel):
    all: int
    mine: int
    team: int
    unassigned: int
