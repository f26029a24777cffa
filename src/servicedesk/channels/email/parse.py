"""Raw RFC 5322 bytes -> `InboundMessage`. Pure: no I/O, no database, no clock.

A mail that reached us is never refused for being odd: whatever arrives becomes a message with
the best reading possible, and what could not be read is flagged for a person
(`metadata["needs_review"]`) and kept as it came, never dropped. The rules:

* The raw bytes are parsed with the stdlib `email` package and the `compat32` policy, never
  decoded first; headers and every text part are decoded here, each on its own
  (`charsets.decode_text`), so one bad part or byte costs only itself. A part read with
  replacement characters keeps its original bytes as an attachment (`undecodable_parts`).
* Text before the headers (an mbox line, a blank line, junk) is skipped to the first header
  block; a multipart whose boundary is missing or wrong is split on the delimiter its body
  really uses, or read as text; bytes with no headers at all are read as a body.
* In each multipart/alternative the plain part wins only when it says something; an empty one
  gives way to the HTML. A forwarded message/rfc822 adds its text under a separator.
* The sender is the first usable address in From, Sender, Reply-To, the SMTP envelope or
  Return-Path (`headers.find_sender`). No address anywhere gives `sender == ""` and the flag
  `no_sender`: intake keeps such mail on a case without a reply address.
* No string in the result contains a lone surrogate, so everything can be stored as UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesParser
from io import BytesIO

from servicedesk.channels.email.automatic import automatic_reason, bounce_details, looks_like_bounce
from servicedesk.channels.email.charsets import (
    DEFAULT_FALLBACK_CHARSETS,
    Decoded,
    canonical_charset,
    decode_text,
)
from servicedesk.channels.email.headers import (
    HEADER_CONTROLS,
    decode_header_text,
    find_sender,
    header,
    message_ids,
    param,
    raw_bytes,
    raw_header,
    raw_headers,
    strip_subject_prefixes,
)
from servicedesk.channels.email.html import html_to_text, sanitize_html
from servicedesk.channels.message import Attachment, InboundKind, InboundMessage
from servicedesk.domain.catalog import Channel

__all__ = [
    "DEFAULT_FALLBACK_CHARSETS",
    "REVIEW_REASONS",
    "canonical_charset",
    "decode_header_text",
    "html_to_text",
    "parse_email",
    "sanitize_html",
    "strip_subject_prefixes",
]

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 2**20
ORIGINAL_NAME = "original.eml"
# why a person should look at the mail as it came (the ticket page words each one)
REVIEW_REASONS = ("undecodable", "structure", "no_headers", "no_sender", "unparsed")

_EXTENSIONS = {
    "text/plain": ".txt",
    "text/html": ".html",
    "text/rfc822-headers": ".txt",
    "message/rfc822": ".eml",
    "message/delivery-status": ".txt",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "application/pdf": ".pdf",
}
_FLAT = policy.compat32.clone(max_line_length=None)
_HEADER_LINE = re.compile(rb"[!-9;-~]{1,76}[ \t]*:")
_KNOWN_HEADER = re.compile(
    rb"(?im)^(?:from|to|subject|date|message-id|received|return-path|mime-version|content-type|"
    rb"delivered-to|reply-to|sender|cc|x-[a-z0-9-]+)[ \t]*:"
)
_DELIMITER = re.compile(rb"(?m)^--([^\s]{1,200}?)(--)?[ \t]*\r?$")
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
_FORWARDED = "---------- Forwarded message / 转发的邮件 ----------"


@dataclass
class _Reading:
    """What one message's parts gave, collected while walking it."""

    review: set[str] = field(default_factory=set)
    segments: list[tuple[int | None, str, str]] = field(default_factory=list)  # (alternative, kind, text)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    undecodable: list[str] = field(default_factory=list)
    forwarded: list[Message] = field(default_factory=list)
    charsets: list[str] = field(default_factory=list)
    plain_text: list[str] = field(default_factory=list)  # every text read, for bounce reading


# --- structure ------------------------------------------------------------------------------


def _header_start(raw: bytes) -> int:
    """Where the header block starts: 0 normally; past an mbox `From ` line the parser handles
    itself; past leading blank lines or junk when a real header block follows soon after."""
    head = raw[:16384]
    if _HEADER_LINE.match(head) or head.startswith(b"From "):
        return 0
    for match in re.finditer(rb"(?m)^(?=[!-9;-~]{1,76}[ \t]*:)", head):
        block = head[match.start() :].split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
        if len(_KNOWN_HEADER.findall(block)) >= 2:
            return match.start()
    return 0


def _recover_parts(part: Message) -> list[Message]:
    """A multipart whose declared boundary never appears: split on the delimiter the body uses."""
    data = _undecoded(part)
    counts = Counter(m[1] for m in _DELIMITER.finditer(data))
    if not counts:
        return []
    boundary = counts.most_common(1)[0][0]
    pieces = re.split(rb"(?m)^--" + re.escape(boundary) + rb"(?:--)?[ \t]*\r?\n?", data)
    parser = BytesParser(policy=policy.compat32)
    parts = []
    for piece in pieces[1:]:
        piece = piece.lstrip(b"\r\n") if not _HEADER_LINE.match(piece) else piece
        if piece.strip():
            parts.append(parser.parsebytes(piece))
    return parts


def _as_text(part: Message) -> Message:
    """A broken multipart's body, read as the plain text it most likely is."""
    text = Message()
    text["Content-Type"] = "text/plain"
    text.set_payload(_undecoded(part).decode("ascii", "surrogateescape"))
    return text


def _undecoded(part: Message) -> bytes:
    """A non-multipart's body as bytes (get_payload() without decode would replace 8-bit bytes)."""
    try:
        data = part.get_payload(decode=True)
    except Exception:
        return b""
    return data if isinstance(data, bytes) else b""


def _looks_like_mime_body(msg: Message) -> bool:
    """A message that forgot its multipart Content-Type but whose body is MIME parts."""
    if raw_header(msg, "content-type") is not None or msg.is_multipart():
        return False
    data = _undecoded(msg)[:8192]
    return bool(re.search(rb"(?m)^--\S{1,200}\r?\nContent-(?:Type|Transfer-Encoding):", data, re.IGNORECASE))


def _leaves(
    part: Message, reading: _Reading, alternative: int | None = None, depth: int = 0
) -> Iterator[tuple[Message, int | None]]:
    # is_multipart() before get_payload(): without decode=True, get_payload() decodes text with
    # the declared charset and can raise on a hostile one.
    if depth > 40:
        return
    if part.get_content_maintype() == "multipart":
        group = id(part) if part.get_content_subtype() == "alternative" else alternative
        if part.is_multipart():
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    yield from _leaves(sub, reading, group, depth + 1)
            return
        reading.review.add("structure")
        recovered = _recover_parts(part)
        if recovered:
            for sub in recovered:
                yield from _leaves(sub, reading, group, depth + 1)
        else:
            yield _as_text(part), alternative
        return
    if depth == 0 and _looks_like_mime_body(part):
        recovered = _recover_parts(part)
        if recovered:
            reading.review.add("structure")
            for sub in recovered:
                yield from _leaves(sub, reading, alternative, depth + 1)
            return
    yield part, alternative


def _flatten(msg: Message) -> bytes:
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=_FLAT).flatten(msg)
    except (
        MessageError,
        ValueError,
        LookupError,
        TypeError,
        AttributeError,
    ):  # mangled headers: keep them raw
        head = "".join(f"{name}: {value}\n" for name, value in msg.raw_items())
        return raw_bytes(head) + b"\n" + _part_bytes(msg)
    return buffer.getvalue()


def _part_bytes(part: Message) -> bytes:
    if part.is_multipart():  # message/rfc822, message/delivery-status: parsed sub-messages
        return b"".join(_flatten(sub) for sub in part.get_payload() if isinstance(sub, Message))
    if str(part.get("content-transfer-encoding", "")).strip().lower() == "base64":
        payload = part.get_payload()
        if isinstance(payload, str):
            return _base64(payload)
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a transfer encoding the stdlib cannot undo: the bytes as they came
        payload = part.get_payload()
        data = raw_bytes(payload) if isinstance(payload, str) else b""
    return data if isinstance(data, bytes) else b""


def _base64(text: str) -> bytes:
    """Base64 as mailers really send it: junk characters dropped, padding missing or wrong,
    and a footer a list server appended after a blank line left out instead of decoded."""
    chunks: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            if chunks:
                break
            continue
        cleaned = re.sub(r"[^A-Za-z0-9+/]", "", stripped)
        if chunks and len(cleaned) < 0.8 * len(stripped):
            break  # words after the encoded block
        chunks.append(cleaned)
    data = "".join(chunks)
    data = data[: len(data) - 1] if len(data) % 4 == 1 else data
    try:
        return base64.b64decode(data + "=" * (-len(data) % 4))
    except ValueError:
        return b""


def _safe_filename(name: str | None) -> str | None:
    if name is None:
        return None
    name = re.split(r"[\\/]", HEADER_CONTROLS.sub("", name))[-1].strip()
    return None if name in ("", ".", "..") else name[:200]


# --- reading the parts ----------------------------------------------------------------------


def _charset_param(part: Message) -> object:
    try:
        return part.get_param("charset")
    except Exception:  # a parameter list too broken to read: no label
        return None


def _declared_charsets(msg: Message) -> list[str]:
    found: list[str] = []
    for part in msg.walk() if msg.is_multipart() else [msg]:
        value = _charset_param(part)
        if isinstance(value, str) and (name := canonical_charset(value)) and name not in found:
            found.append(name)
    return found


def _read_text(part: Message, ctype: str, hints: Sequence[str], fallbacks: Sequence[str]) -> Decoded:
    data = _part_bytes(part)
    declared = param(part, "content-type", "charset", hints, fallbacks)
    if declared is None and ctype == "text/html" and (meta := _META_CHARSET.search(data[:4096])):
        declared = meta[1].decode("ascii")
    return decode_text(data, declared, hints=hints, fallbacks=fallbacks)


def _read_parts(msg: Message, reading: _Reading, fallbacks: Sequence[str], max_attachment_bytes: int) -> None:
    hints = _declared_charsets(msg)
    for index, (part, alternative) in enumerate(list(_leaves(msg, reading)), 1):
        ctype = part.get_content_type()
        filename = _safe_filename(
            param(part, "content-disposition", "filename", hints, fallbacks)
            or param(part, "content-type", "name", hints, fallbacks)
        )
        try:
            disposition = part.get_content_disposition()
        except Exception:
            disposition = None
        if (
            ctype in ("text/plain", "text/html", "text/enriched")
            and filename is None
            and disposition != "attachment"
        ):
            decoded = _read_text(part, ctype, hints, fallbacks)
            reading.charsets.append(decoded.charset)
            text = decoded.text
            if decoded.lossy:
                reading.review.add("undecodable")
                name = f"part-{index}{_EXTENSIONS.get(ctype, '.txt')}"
                reading.undecodable.append(name)
                _keep(
                    reading,
                    Attachment(filename=name, content_type=ctype, data=_part_bytes(part)),
                    max_attachment_bytes,
                )
                if text.count("\ufffd") * 4 > len(text):  # mostly unreadable: the file, not the text
                    continue
            kind = "html" if ctype == "text/html" else "plain"
            reading.segments.append((alternative, kind, text))
            reading.plain_text.append(html_to_text(text) if kind == "html" else text)
            if kind == "html":
                reading.html.append(text)
            continue
        if ctype == "message/rfc822":
            reading.forwarded.extend(p for p in part.get_payload() if isinstance(p, Message))
        elif ctype in ("message/delivery-status", "text/rfc822-headers", "text/plain"):
            reading.plain_text.append(_part_bytes(part).decode("utf-8", "replace"))
        name = filename or f"part-{index}{_EXTENSIONS.get(ctype, '.bin')}"
        _keep(
            reading,
            Attachment(filename=name, content_type=ctype[:127], data=_part_bytes(part)),
            max_attachment_bytes,
        )


def _keep(reading: _Reading, attachment: Attachment, limit: int) -> None:
    if len(attachment.data) > limit:
        reading.dropped.append(attachment.filename)
    else:
        reading.attachments.append(attachment)


def _body(reading: _Reading) -> str:
    """Each multipart/alternative gives its plain text if that says anything, else its HTML as
    text; parts outside an alternative give their text, HTML only when no plain text exists."""
    plain_in: dict[int | None, bool] = {}
    for group, kind, text in reading.segments:
        if kind == "plain" and text.strip():
            plain_in[group] = True
    any_plain = any(plain_in.values())
    out: list[str] = []
    for group, kind, text in reading.segments:
        if group is None:
            chosen = "plain" if any_plain else "html"
        else:
            chosen = "plain" if plain_in.get(group) else "html"
        if kind != chosen:
            continue
        text = html_to_text(text) if kind == "html" else text
        if text.strip():
            out.append(text.strip("\r\n"))
    body = "\n\n".join(out)
    return body.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip()


def _forwarded_text(inner: Message, fallbacks: Sequence[str], max_attachment_bytes: int) -> str:
    reading = _Reading()
    _read_parts(inner, reading, fallbacks, max_attachment_bytes)
    hints = reading.charsets
    lines = [_FORWARDED]
    for name, label in (("from", "From"), ("date", "Date"), ("subject", "Subject"), ("to", "To")):
        value = header(inner, name, hints, fallbacks)
        if value:
            lines.append(f"{label}: {value}")
    return "\n".join(lines) + "\n\n" + _body(reading)


# --- the entry point ------------------------------------------------------------------------


def parse_email(
    raw: bytes,
    *,
    received_at: datetime,
    envelope_sender: str | None = None,
    recipients: Sequence[str] = (),
    fallback_charsets: Sequence[str] = DEFAULT_FALLBACK_CHARSETS,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> InboundMessage:
    """Turn one raw message into an `InboundMessage`; never raises for what the bytes hold.

    `envelope_sender` is SMTP's MAIL FROM (None when unknown, "" for the null sender `<>`,
    which marks the mail automatic); `recipients` are the RCPT TO addresses (ours, so never
    a bounce's failed recipient). `kind` is AUTOMATIC for auto-replies, out-of-office, bounces,
    list mail and our own mail coming back (`X-Servicedesk-Loop`), with the reason in
    `metadata["automatic_reason"]`; a bounce also fills `bounce` ("hard"/"soft"),
    `bounced_recipient`, `bounce_status` and `bounced_message_id`. HTML gives plain text plus
    the sanitized HTML in `metadata["html"]`. Attachments larger than `max_attachment_bytes`
    are listed in `metadata["dropped_attachments"]`; `needs_review` lists why a person should
    look at the original (kept as `original.eml` when the structure itself was the problem).
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise TypeError(f"raw must be bytes, not {type(raw).__name__}")
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    raw = bytes(raw)
    fallbacks = []
    for label in fallback_charsets:
        name = canonical_charset(label)
        if name is None:
            raise ValueError(f"unknown fallback charset: {label!r}")
        fallbacks.append(name)
    try:
        return _parse(raw, received_at, envelope_sender, recipients, fallbacks, max_attachment_bytes)
    except Exception:  # the last guard: a mail we cannot take apart is still kept, whole
        return _unparsed(raw, received_at, envelope_sender, max_attachment_bytes)


def _hash_id(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _unparsed(raw: bytes, received_at: datetime, envelope_sender: str | None, limit: int) -> InboundMessage:
    text = decode_text(raw, None).text
    sender = (envelope_sender or "").strip().strip("<>").lower()
    metadata = {"needs_review": "unparsed"}
    if envelope_sender is not None and not sender:
        metadata["automatic_reason"] = "null-sender"
    files = (Attachment(ORIGINAL_NAME, "message/rfc822", raw),) if len(raw) <= limit else ()
    return InboundMessage(
        channel=Channel.EMAIL, sender=sender if "@" in sender else "", body=text.strip()[:100_000],
        received_at=received_at.astimezone(UTC), message_id=_hash_id(raw),
        kind=InboundKind.AUTOMATIC if "automatic_reason" in metadata else InboundKind.MESSAGE,
        attachments=files, metadata=metadata,
    )  # fmt: skip


def _parse(
    raw: bytes,
    received_at: datetime,
    envelope_sender: str | None,
    recipients: Sequence[str],
    fallbacks: Sequence[str],
    max_attachment_bytes: int,
) -> InboundMessage:
    reading = _Reading()
    start = _header_start(raw)
    msg = BytesParser(policy=policy.compat32).parsebytes(raw[start:])
    if not msg.keys():
        reading.review.add("no_headers")
    _read_parts(msg, reading, fallbacks, max_attachment_bytes)
    hints = [c for c in dict.fromkeys(reading.charsets) if c != "ascii"]

    sender = find_sender(msg, envelope_sender, hints, fallbacks)
    if not sender.address:
        reading.review.add("no_sender")
    subject = header(msg, "subject", hints, fallbacks)
    ids = message_ids(raw_header(msg, "message-id"))
    message_id = ids[0] if ids else _hash_id(raw)
    refs: list[str] = []
    for ref in message_ids(raw_header(msg, "in-reply-to")) + message_ids(raw_header(msg, "references")):
        if ref not in refs:
            refs.append(ref)

    body = _body(reading)
    for inner in reading.forwarded[:3]:
        if msg.get_content_type() != "multipart/report":
            body = (body + "\n\n" if body else "") + _forwarded_text(inner, fallbacks, max_attachment_bytes)

    metadata: dict[str, str] = {}
    subject_text = subject or ""
    reason = automatic_reason(msg, envelope_sender=envelope_sender, subject=subject_text)
    if looks_like_bounce(msg, envelope_sender=envelope_sender, subject=subject_text):
        ours = [
            *recipients,
            *(v for n in ("to", "delivered-to", "x-original-to") for v in raw_headers(msg, n)),
        ]
        ours_addresses = [a for v in ours for a in re.findall(r"[^\s<>,;:\"]+@[^\s<>,;:\"]+", v)]
        details = bounce_details(
            msg,
            text="\n".join(reading.plain_text),
            raw_text=raw.decode("utf-8", "replace"),
            ours=ours_addresses,
        )
        if details:
            metadata.update(details)
            reason = reason or "bounce"
    if reason:
        metadata["automatic_reason"] = reason
        reading.review.discard("no_sender")  # nobody to answer anyway
    if sender.source not in ("from", "none"):
        metadata["sender_source"] = sender.source
    if reading.html:
        metadata["html"] = "\n".join(sanitize_html(h) for h in reading.html)
    if reading.dropped:
        metadata["dropped_attachments"] = ", ".join(reading.dropped)
    if reading.undecodable:
        metadata["undecodable_parts"] = ", ".join(reading.undecodable)
    attachments = list(reading.attachments)
    if reading.review & {"structure", "no_headers"} and len(raw) <= max_attachment_bytes:
        attachments.append(Attachment(ORIGINAL_NAME, "message/rfc822", raw))
    if reading.review:
        metadata["needs_review"] = ",".join(r for r in REVIEW_REASONS if r in reading.review)

    return InboundMessage(
        channel=Channel.EMAIL,
        sender=sender.address,
        body=body,
        received_at=received_at.astimezone(UTC),
        message_id=message_id,
        kind=InboundKind.AUTOMATIC if reason else InboundKind.MESSAGE,
        sender_name=sender.name,
        subject=None if subject is None else strip_subject_prefixes(subject),
        thread_refs=tuple(refs),
        attachments=tuple(attachments),
        metadata=metadata,
    )
