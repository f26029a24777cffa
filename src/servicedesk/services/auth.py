"""Passwords (argon2), bearer tokens (only their SHA-256 is stored), and who a request is."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from servicedesk.domain.errors import TooManyAttempts
from servicedesk.domain.roles import Principal, Role
from servicedesk.store.models import ApiToken, Customer, SignInFailure, TeamMember, User
from servicedesk.store.uow import UnitOfWork

_hasher = PasswordHasher()  # argon2-cffi's default profile (RFC 9106 low-memory)
TOKEN_PREFIX = "sd_"  # noqa: S105 - a marker, not a secret


def use_hasher(hasher: PasswordHasher) -> None:
    """Swap the hashing parameters; tests use argon2's CHEAPEST profile to stay fast.

    Existing hashes keep verifying (argon2 stores its parameters in the hash) and are
    re-hashed with the current parameters at the next sign-in.
    """
    global _hasher
    _hasher = hasher


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


async def principal_for_user(uow: UnitOfWork, user: User) -> Principal | None:
    if not user.is_active:
        return None
    customer_id = None
    if user.role is Role.CUSTOMER:
        customer_id = await uow.session.scalar(select(Customer.id).where(Customer.user_id == user.id))
    team_ids = await uow.session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user.id))
    return Principal(
        user_id=user.id,
        role=user.role,
        name=user.name,
        team_ids=frozenset(team_ids),
        customer_id=customer_id,
        time_zone=user.time_zone,
    )


async def principal_by_user_id(uow: UnitOfWork, user_id: int) -> Principal | None:
    user = await uow.session.get(User, user_id)
    return await principal_for_user(uow, user) if user else None


async def authenticate(
    uow: UnitOfWork, *, email: str, password: str, address: str | None = None
) -> Principal | None:
    """The principal for valid credentials; None, after the same hashing work, otherwise.

    Guessing is bounded: after `sign_in_max_failures` failures for one account (or
    `sign_in_max_failures_per_address` from one client `address`) within the window, every
    attempt is refused with TooManyAttempts until the oldest of them leaves the window, before
    the password is even looked at (so a lock says nothing about whether it was right). A
    success clears the account's count. Failures are committed here; callers need a writing
    unit of work."""
    email = email.strip().lower()
    keys = [f"email:{email}"[:320]] + ([f"ip:{address}"[:320]] if address else [])
    await _refuse_while_locked(uow, keys)
    user = await uow.session.scalar(select(User).where(User.email == email))
    if user is None:
        verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
    if user is None or not verify_password(user.password_hash, password):
        uow.session.add_all(SignInFailure(key=k, failed_at=uow.now()) for k in keys)
        await uow.commit()
        return None
    await uow.session.execute(delete(SignInFailure).where(SignInFailure.key == keys[0]))
    if user.password_hash and _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    await uow.commit()
    return await principal_for_user(uow, user)


async def _refuse_while_locked(uow: UnitOfWork, keys: list[str]) -> None:
    settings, now = uow.settings, uow.now()
    window = timedelta(minutes=settings.sign_in_lockout_minutes)
    limits = [settings.sign_in_max_failures, settings.sign_in_max_failures_per_address]
    for key, limit in zip(keys, limits, strict=False):
        recent = list(await uow.session.scalars(
            select(SignInFailure.failed_at)
            .where(SignInFailure.key == key, SignInFailure.failed_at > now - window)
            .order_by(SignInFailure.failed_at.desc())
            .limit(limit)
        ))  # fmt: skip
        if len(recent) >= limit:  # locked until the limit-th latest failure leaves the window
            wait = max(1, math.ceil((recent[-1] + window - now).total_seconds()))
            minutes = -(-wait // 60)
            raise TooManyAttempts(
                f"too many failed sign-ins; try again in {minutes} minute{'s' if minutes > 1 else ''}",
                retry_after=wait,
            )


async def issue_token(uow: UnitOfWork, *, user_id: int, name: str) -> str:
    """A new bearer token for `user_id`; the raw value is returned once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.session.add(ApiToken(user_id=user_id, name=name, token_hash=_token_hash(raw), created_at=uow.now()))
    return raw


async def principal_for_token(uow: UnitOfWork, raw: str) -> Principal | None:
    if not raw.startswith(TOKEN_PREFIX):
        return None
    user = await uow.session.scalar(
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _token_hash(raw), ApiToken.revoked_at.is_(None))
    )
    return await principal_for_user(uow, user) if user else None


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


class PrincipalCache:
    """Who a token or session belongs to, remembered for `ttl` seconds.

    Looking the caller up costs two queries per request, a large share of a list page. The
    price: a revoked token or a deactivated user keeps working for up to `ttl` seconds in
    other processes; this process forgets at once (`clear`, called after staff changes).
    Only successful look-ups are kept; `ttl` 0 turns the cache off.
    """

    def __init__(
        self, ttl: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl, self._max, self._clock = ttl, max_entries, clock
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires, principal = entry
        if expires < self._clock():
            del self._entries[key]
            return None
        return principal

    def put(self, key: str, principal: Principal) -> None:
        if self._ttl <= 0:
            return
        if len(self._entries) >= self._max:
            self._entries.clear()
        self._entries[key] = (self._clock() + self._ttl, principal)

    def clear(self) -> None:
        self._entries.clear()

    @staticmethod
    def token_key(raw: str) -> str:
        return "t:" + _token_hash(raw)

    @staticmethod
    def user_key(user_id: int) -> str:
        return f"u:{user_id}"
