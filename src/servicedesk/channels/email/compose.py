"""`OutboundMessage` -> raw RFC 5322 bytes for SMTP. Pure: no I/O (the clock only when no
`date` is given).

A human reply must look like a human reply to the customer's mail client: no Auto-Submitted,
Precedence or X-Loop (clients and vacation responders treat those as automatic mail). Our own
`X-Servicedesk-Loop` header is set instead, so `parse_email` recognises our mail coming back
(bounced, forwarded to our own inbox, echoed by a misconfigured responder) as AUTOMATIC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from servicedesk.channels.message import OutboundMessage
from servicedesk.domain.catalog import Channel

__all__ = ["LOOP_HEADER", "compose_reply"]

LOOP_HEADER = "X-Servicedesk-Loop"
# Raw (pre-folded) headers are written as given: the default folder would RFC 2047-encode a
# message id longer than a line (Gmail's often are) and break threading.
_POLICY = policy.SMTP.clone(refold_source="none")
_MSG_ID = re.compile(r"[!-;=?-~]+@[!-;=?-~]+")  # printable ASCII, no < > or spaces
_TAG = re.compile(r"\[#([0-9]+)\]")


def _subject(message: OutboundMessage) -> str:
    subject = " ".join((message.subject or "").split())
    ticket = message.metadata.get("ticket_id", "").strip()
    if ticket.isdigit() and f"[#{ticket}]" not in subject:
        subject = f"[#{ticket}] {subject}".strip()
    return subject


def compose_reply(
    message: OutboundMessage,
    *,
    from_address: str,
    from_name: str,
    domain: str,
    date: datetime | None = None,
) -> bytes:
    """The reply as bytes, UTF-8 throughout (headers as RFC 2047/2231, body base64).

    Message-ID is `message.message_id` (see `threading.make_message_id`) or a fresh one at
    `domain`; In-Reply-To is the last of `message.thread_refs` and References all of them
    (refs that are not valid message ids are left out). The subject gets the ticket tag
    `[#<metadata["ticket_id"]>]` unless it already has it. Attachments are added with RFC 2231
    file names."""
    if message.channel is not Channel.EMAIL:
        raise ValueError(f"not an email message: channel {message.channel}")
    msg = EmailMessage(policy=_POLICY)
    msg["From"] = Address(display_name=from_name, addr_spec=from_address)
    msg["To"] = message.recipient
    subject = _subject(message)
    if subject:
        msg["Subject"] = subject
    msg["Date"] = format_datetime((date or datetime.now(UTC)).astimezone(UTC))

    own_id = (message.message_id or "").strip().strip("<>")
    if own_id and not _MSG_ID.fullmatch(own_id):
        raise ValueError(f"not a valid Message-ID: {own_id!r}")
    msg.set_raw("Message-ID", f"<{own_id}>" if own_id else make_msgid(domain=domain))
    refs = [ref.strip().strip("<>") for ref in message.thread_refs]
    refs = [ref for ref in refs if _MSG_ID.fullmatch(ref)]
    if refs:
        msg.set_raw("In-Reply-To", f"<{refs[-1]}>")
        msg.set_raw("References", "\n ".join(f"<{ref}>" for ref in refs))
    msg[LOOP_HEADER] = domain

    msg.set_content(message.body, subtype="plain", charset="utf-8", cte="base64")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if not subtype:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return msg.as_bytes()
