"""Phone verification by one-time code (R-IN-3): a stranger from any channel proves a mobile
number, so later contacts on any channel can be traced to them.

The code leaves as an SMS through the outbox (the default provider writes it to the log); only a
salted hash is stored. Codes expire (10 min) and allow 5 tries. A number already verified for
another customer is not taken over: the answer names that customer as a merge candidate, for
an agent to decide.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from servicedesk.channels.message import OutboundMessage
from servicedesk.domain.catalog import Channel
from servicedesk.domain.errors import Conflict, NotFound, ValidationFailed
from servicedesk.domain.pii import normalize_mobile
from servicedesk.domain.roles import Permission, Principal
from servicedesk.services.access import access_customer_by_id, require
from servicedesk.services.outbox import enqueue
from servicedesk.store.models import Customer, CustomerIdentity, PhoneVerification
from servicedesk.store.uow import UnitOfWork

CODE_TTL = timedelta(minutes=10)
RESEND_AFTER = timedelta(seconds=60)
MAX_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class Confirmed:
    customer_id: int
    phone: str
    merge_candidate_id: int | None  # another customer already verified on this number


def _hash(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256(f'{salt}:{code}'.encode()).hexdigest()}"


def _matches(stored: str, code: str) -> bool:
    salt, _, _digest = stored.partition("$")
    return hmac.compare_digest(_hash(code, salt), stored)


def _may_act_for(actor: Principal, customer_id: int) -> None:
    if actor.customer_id != customer_id:
        require(actor, Permission.EDIT_CUSTOMERS)


async def start(uow: UnitOfWork, actor: Principal, customer_id: int, *, phone: str) -> PhoneVerification:
    """Send a code to `phone` for `customer_id` (staff, or the customer themselves)."""
    customer = await access_customer_by_id(uow, actor, customer_id)
    _may_act_for(actor, customer.id)
    mobile = normalize_mobile(phone)
    if mobile is None:
        raise ValidationFailed("not a mobile number", fields={"phone": "11 digits starting with 1"})
    now = uow.now()
    recent = await uow.session.scalar(
        select(PhoneVerification.id).where(
            PhoneVerification.phone == mobile, PhoneVerification.created_at > now - RESEND_AFTER
        )
    )
    if recent is not None:
        raise Conflict("a code was sent to this number less than a minute ago; please wait")
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneVerification(
        customer_id=customer.id, phone=mobile, code_hash=_hash(code), attempts=0,
        created_at=now, expires_at=now + CODE_TTL,
    )  # fmt: skip
    uow.session.add(row)
    await uow.session.flush()
    text = f"【客服中心】您的验证码是 {code}，{CODE_TTL.seconds // 60} 分钟内有效。如非本人操作请忽略。"
    await enqueue(
        uow, OutboundMessage(channel=Channel.PHONE, recipient=mobile, body=text, metadata={"kind": "sms"})
    )
    uow.record(
        actor, "customer.phone_verification_sent", subject_type="customer", subject_id=customer.id,
        after={"verification_id": row.id},
    )  # fmt: skip
    await uow.commit()
    return row


async def confirm(uow: UnitOfWork, actor: Principal, verification_id: int, *, code: str) -> Confirmed:
    row = await uow.session.get(PhoneVerification, verification_id)
    if row is None:
        raise NotFound(f"verification {verification_id} not found")
    await access_customer_by_id(uow, actor, row.customer_id)
    _may_act_for(actor, row.customer_id)
    if row.verified_at is not None:
        raise Conflict("this code was already used")
    if row.attempts >= MAX_ATTEMPTS:
        raise Conflict("too many wrong codes; request a new one")
    if row.expires_at < uow.now():
        raise Conflict("the code has expired; request a new one")
    row.attempts += 1
    if not _matches(row.code_hash, code.strip()):
        await uow.commit()  # the failed attempt counts
        left = MAX_ATTEMPTS - row.attempts
        raise ValidationFailed("wrong code", fields={"code": f"wrong code; {left} tries left"})
    row.verified_at = uow.now()
    other = await _verified_elsewhere(uow, row)
    if other is None:
        await _mark_verified(uow, row)
    uow.record(
        actor, "customer.phone_verified", subject_type="customer", subject_id=row.customer_id,
        after={"verification_id": row.id, "merge_candidate_id": other},
    )  # fmt: skip
    await uow.commit()
    return Confirmed(row.customer_id, row.phone, other)


async def _verified_elsewhere(uow: UnitOfWork, row: PhoneVerification) -> int | None:
    owner = await uow.session.scalar(
        select(CustomerIdentity.customer_id).where(
            CustomerIdentity.channel == Channel.PHONE, CustomerIdentity.external_id == row.phone
        )
    )
    return owner if owner is not None and owner != row.customer_id else None


async def _mark_verified(uow: UnitOfWork, row: PhoneVerification) -> None:
    identity = await uow.session.scalar(
        select(CustomerIdentity).where(
            CustomerIdentity.channel == Channel.PHONE, CustomerIdentity.external_id == row.phone
        )
    )
    if identity is None:
        identity = CustomerIdentity(
            customer_id=row.customer_id, channel=Channel.PHONE, external_id=row.phone, created_at=uow.now()
        )
        uow.session.add(identity)
    identity.verified = True
    customer = await uow.session.get(Customer, row.customer_id)
    if customer is not None and not customer.phone:
        customer.phone = row.phone
