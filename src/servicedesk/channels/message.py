"""The one shape every channel speaks inward and outward, and the one error it raises.

Adapters never touch the database: intake (services) resolves the customer, stores the message
exactly once (by `channel` + `message_id`) and decides what happens next.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem


class InboundKind(StrEnum):
    MESSAGE = "message"  # something a customer wrote or said
    EVENT = "event"  # subscribe, unsubscribe, menu click, call started…
    AUTOMATIC = "automatic"  # auto-reply, out-of-office, bounce: never a ticket, never answered


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class InboundMessage:
    channel: Channel
    sender: str  # the sender's identity on the channel: email address, openid, phone number
    body: str
    received_at: datetime  # aware UTC
    message_id: str | None = None  # the channel's own id, for exactly-once storage
    kind: InboundKind = InboundKind.MESSAGE
    sender_name: str | None = None
    subject: str | None = None
    thread_refs: tuple[str, ...] = ()  # ids this message answers (In-Reply-To, References…)
    attachments: tuple[Attachment, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    channel: Channel
    recipient: str
    body: str
    subject: str | None = None
    message_id: str | None = None
    thread_refs: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    metadata: Mapping[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """A delivery failed. `permanent` failures go to the dead letter at once (bad address,
    WeChat 45015 outside the 48-hour window); the others are retried with backoff.

    `problem` is what the agent is told on the case when the message is finally given up
    (`reason` keeps the platform's own words for the details); None: a permanent failure reads
    as "refused", a temporary one as "gave up after retries"."""

    def __init__(self, reason: str, *, permanent: bool, problem: DeliveryProblem | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.problem = problem

    @property
    def final_problem(self) -> DeliveryProblem:
        if self.problem is not None:
            return self.problem
        return DeliveryProblem.REFUSED if self.permanent else DeliveryProblem.GAVE_UP
