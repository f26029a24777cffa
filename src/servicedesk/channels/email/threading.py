"""Threading replies to tickets without trusting anything the customer can type.

Every Message-ID we send carries the ticket id and an HMAC of it, so a reply (whose In-Reply-To /
References quote our id back) finds its ticket by verification, not by guessing from the subject.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

__all__ = ["make_message_id", "message_id_of", "ticket_id_from_refs", "ticket_number_in_subject"]

_MAC_HEX = 16  # 64 bits: plenty against guessing, short enough to keep ids readable
_NONCE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?")
_OURS = re.compile(r"sd\.([1-9][0-9]{0,18})\.([A-Za-z0-9_-]{1,64})\.([0-9a-fA-F]{16})@[^\s<>@]+")


def _mac(ticket_id: int, nonce: str, secret: str) -> str:
    message = f"servicedesk-message-id:v1:{ticket_id}:{nonce}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:_MAC_HEX]


def make_message_id(ticket_id: int, *, secret: str, domain: str, nonce: str | None = None) -> str:
    """A Message-ID (without angle brackets) that proves we issued it for `ticket_id`:
    `sd.<ticket>.<nonce>.<hmac16>@<domain>`. `nonce` defaults to 16 random hex digits, so two
    replies on one ticket get different ids."""
    if isinstance(ticket_id, bool) or not isinstance(ticket_id, int) or not 0 < ticket_id < 10**19:
        raise ValueError(f"ticket_id must be a positive integer, not {ticket_id!r}")
    if not secret:
        raise ValueError("secret must not be empty")
    if not _DOMAIN.fullmatch(domain):
        raise ValueError(f"not a usable domain for a Message-ID: {domain!r}")
    if nonce is None:
        nonce = secrets.token_hex(8)
    elif not _NONCE.fullmatch(nonce):
        raise ValueError("nonce must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
    return f"sd.{ticket_id}.{nonce}.{_mac(ticket_id, nonce, secret)}@{domain}"


def ticket_id_from_refs(refs: Iterable[str], *, secret: str) -> int | None:
    """The ticket of the first reference that is a Message-ID we issued with `secret`; None if
    none verifies (foreign ids, forged or altered ids, ids signed with another secret)."""
    if not secret:
        raise ValueError("secret must not be empty")
    for ref in refs:
        match = _OURS.fullmatch(ref.strip().strip("<>"))
        if match is None:
            continue
        ticket_id, nonce = int(match[1]), match[2]
        if hmac.compare_digest(_mac(ticket_id, nonce, secret), match[3].lower()):
            return ticket_id
    return None


_TAG = re.compile(r"[\[【]\s*[#＃]\s*([0-9]{1,18})\s*[\]】]")
_HASH = re.compile(r"(?<![A-Za-z0-9_&])[#＃]([0-9]{1,18})(?![0-9])")


def ticket_number_in_subject(subject: str) -> int | None:
    """The ticket number a subject mentions: `[#123]` (also 【#123】) first, else a bare `#123`.

    Only a HINT for a human or for grouping: anyone can type `[#123]` into a subject, so this must
    never authenticate the sender or attach mail to a ticket on its own. Use
    `ticket_id_from_refs` for that."""
    match = _TAG.search(subject) or _HASH.search(subject)
    if match is None:
        return None
    number = int(match[1])
    return number or None


def message_id_of(external_id: str) -> str | None:
    """The Message-ID a stored message can be referred to by: intake keys email on
    `<id> <sender>`; a hash (a mail without a Message-ID, an overlong key) names nothing."""
    reference = external_id.split(" ", 1)[0]
    return None if not reference or reference.startswith("sha256:") else reference
