"""Errors the domain and the services raise; the web layer maps each kind to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base: `code` is stable for API clients, `message` is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """Also raised for things that exist but the caller may not see, so nothing leaks."""

    code = "not_found"


class Forbidden(DomainError):
    """The caller may see the thing but not do this to it."""

    code = "forbidden"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    code = "validation_error"


class Conflict(DomainError):
    """A concurrent edit or a duplicate: the caller should reload and try again."""

    code = "conflict"


class TooManyAttempts(DomainError):
    """Refused for a while after repeated failures (sign-in): try again in `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
