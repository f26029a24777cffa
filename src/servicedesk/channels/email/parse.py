"""Raw RFC 5322 bytes -> `InboundMessage`. Pure: no I/O, no database, no clock.

Chinese mail is the norm here, and it is messy: GB2312 labels on GBK text, Big5 with Hong Kong
characters, encoded-words split in the middle of a character, raw 8-bit headers, RFC 2231 and
RFC 2047 file names. The rules:

* The raw bytes are parsed with the stdlib `email` package and the `compat32` policy, never
  decoded first. `compat32` keeps headers as the bytes that arrived (non-ASCII bytes as
  surrogate escapes), so every header is decoded here with the same charset rules as the body;
  the default policy would decode them itself and replace what it cannot read with U+FFFD.
* Charset labels are mapped before use: gb2312/gbk/cp936/x-gbk (and their aliases) become
  gb18030, big5 becomes big5hkscs. A text part is decoded strictly with its (mapped) declared
  charset, then with each fallback charset in order; a decode that yields control characters
  counts as a failure. A text part nobody can read is kept, bytes untouched, as an attachment
  named `part-<n>.txt` (listed in `metadata["undecodable_parts"]`) instead of becoming mojibake.
* No string in the result contains a lone surrogate, so everything can be stored as UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from email import policy
from email.errors import MessageError
from email.generator import BytesGenerator
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser
from io import BytesIO

import nh3

from servicedesk.channels.message import Attachment, InboundKind, InboundMessage
from servicedesk.domain.catalog import Channel

__all__ = [
    "DEFAULT_FALLBACK_CHARSETS",
    "EmailParseError",
    "canonical_charset",
    "decode_header_text",
    "html_to_text",
    "parse_email",
    "sanitize_html",
    "strip_subject_prefixes",
]

# Strict UTF-8 first: it almost never accepts GBK bytes, while gb18030 accepts nearly any byte
# string and would turn unlabelled UTF-8 into mojibake ("中文" → "涓枃").
DEFAULT_FALLBACK_CHARSETS: tuple[str, ...] = ("utf-8", "gb18030", "big5hkscs")
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 2**20


class EmailParseError(ValueError):
    """The bytes are not an email message we can take in (no headers, no usable From…)."""


# --- charsets -------------------------------------------------------------------------------

_GB = ("gb2312", "gbk", "cp936", "x-gbk", "ms936", "windows-936", "euc-cn", "x-euc-cn", "csgb2312")
_BIG5 = ("big5", "x-big5", "csbig5", "big5-hkscs", "big5hkscs")
_CHARSET_ALIASES: dict[str, str] = {
    **dict.fromkeys(_GB, "gb18030"),
    "gb_2312-80": "gb18030",
    "gb_2312": "gb18030",
    **dict.fromkeys(_BIG5, "big5hkscs"),
}

# C0 controls other than tab, LF, FF and CR, plus DEL: a decode that yields these is a wrong guess
# (ISO-2022 escapes read as ASCII, binary read as text).
_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HEADER_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def canonical_charset(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None if there is no such codec.

    GB2312/GBK labels map to gb18030 (a superset; mislabelled GBK is common) and Big5 to
    big5hkscs (a superset carrying the Hong Kong characters)."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*zh-cn
    name = _CHARSET_ALIASES.get(name, name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.:+-]*", name):
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _candidates(declared: str | None, fallbacks: Sequence[str]) -> list[str]:
    out: list[str] = []
    first = canonical_charset(declared)
    for name in ([first] if first else []) + list(fallbacks):
        if name not in out:
            out.append(name)
    return out


def _decode_strict(data: bytes, charsets: Sequence[str]) -> str | None:
    for charset in charsets:
        try:
            text = data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _IMPLAUSIBLE.search(text):
            return text
    return None


def _raw_bytes(value: str) -> bytes:
    """Back to the bytes that arrived: the parser kept non-ASCII bytes as surrogate escapes."""
    return value.encode("utf-8", "surrogateescape")


def _decode_raw_text(value: str, fallbacks: Sequence[str]) -> str:
    """Text outside encoded-words: ASCII, or raw 8-bit bytes (RFC 6532 says UTF-8; GBK in the wild)."""
    if value.isascii():
        return value
    data = _raw_bytes(value)
    text = _decode_strict(data, _candidates("utf-8", fallbacks))
    return text if text is not None else data.decode(fallbacks[0] if fallbacks else "utf-8", "replace")


# --- headers --------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", "")


def _encoded_word_bytes(encoding: str, text: str) -> bytes | None:
    if not text.isascii():
        return None
    try:
        if encoding in "bB":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


def decode_header_text(raw: str, fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS) -> str:
    """Decode a raw header value: RFC 2047 encoded-words (B and Q, any mapped charset) and raw
    8-bit text. Adjacent encoded-words in the same charset are joined as bytes before decoding,
    so a character split across two words (or two folded lines) survives; the whitespace between
    encoded-words is dropped as RFC 2047 §6.2 says. Control characters are removed."""
    value = _unfold(raw)
    out: list[str] = []
    pending = b""
    pending_charset: str | None = None
    last_end = 0
    after_word = False

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            charsets = _candidates(pending_charset, fallbacks)
            text = _decode_strict(pending, charsets)
            if text is None:
                text = pending.decode(charsets[0] if charsets else "utf-8", "replace")
            out.append(text)
        pending, pending_charset = b"", None

    for match in _ENCODED_WORD.finditer(value):
        data = _encoded_word_bytes(match[3], match[4])
        if data is None:  # not really an encoded-word: it stays in the surrounding text
            after_word = False
            continue
        between = value[last_end : match.start()]
        if not (after_word and between.strip(" \t") == ""):
            flush()
            out.append(_decode_raw_text(between, fallbacks))
        charset = canonical_charset(match[1]) or match[1].lower()
        if pending and charset != pending_charset:
            flush()
        pending += data
        pending_charset = charset
        last_end = match.end()
        after_word = True
    flush()
    out.append(_decode_raw_text(value[last_end:], fallbacks))
    return _HEADER_CONTROLS.sub("", "".join(out).replace("\t", " "))


def _raw_header(msg: Message, name: str) -> str | None:
    """The first `name` header exactly as it arrived (folding and 8-bit bytes included)."""
    wanted = name.lower()
    for key, value in msg.raw_items():
        if key.lower() == wanted:
            return str(value)
    return None


def _header(msg: Message, name: str, fallbacks: Sequence[str]) -> str | None:
    raw = _raw_header(msg, name)
    return None if raw is None else " ".join(decode_header_text(raw, fallbacks).split())


def _has_header(msg: Message, name: str) -> bool:
    return _raw_header(msg, name) is not None


def _param(part: Message, header: str, param: str, fallbacks: Sequence[str]) -> str | None:
    """A header parameter, RFC 2231 (charset, continuations) and RFC 2047 (Outlook-style
    `name="=?GBK?B?…?="`) and raw 8-bit values all decoded."""
    raw = _raw_header(part, header)
    if raw is None:
        return None
    # Re-parse the header from text without surrogates: compat32 would otherwise turn raw 8-bit
    # parameter values into U+FFFD before we could decode them.
    holder = Message()
    holder[header] = _decode_raw_text(_unfold(raw), fallbacks)
    value = holder.get_param(param, header=header)
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text holding bytes as latin-1)
        charset, _language, text = value
        try:
            data = str(text).encode("latin-1")
        except UnicodeEncodeError:  # not percent-encoded bytes after all: already text
            return _HEADER_CONTROLS.sub("", str(text))
        decoded = _decode_strict(data, _candidates(charset or "utf-8", fallbacks))
        return decoded if decoded is not None else data.decode("utf-8", "replace")
    return decode_header_text(str(value), fallbacks)


_PREFIX = re.compile(
    r"(?:re|fwd?|aw|回复|答复|转发|回覆|答覆|轉寄|轉發)\s*(?:\[\d+\]|\^\d+)?\s*[:：]\s*", re.IGNORECASE
)


def strip_subject_prefixes(subject: str) -> str:
    """Remove reply/forward prefixes, repeatedly: `Re: 回复：RE：Fwd: 订单` -> `订单`.

    Handles Re/RE/Fwd/FW/Aw (also `Re[2]:`), 回复/答复/转发 and their Traditional forms, with
    ASCII or full-width colons and any (also full-width) spaces."""
    text = subject.strip()
    while match := _PREFIX.match(text):
        text = text[match.end() :].strip()
    return text


_MESSAGE_ID = re.compile(r"<([!-;=?-~]+)>")  # printable ASCII without < > and without spaces


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MESSAGE_ID.findall(value)
    if not found:  # broken mailers send bare ids
        found = [token for token in value.split() if "@" in token and re.fullmatch(r"[!-;=?-~]+", token)]
    return found


# --- HTML -----------------------------------------------------------------------------------

_SAFE_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt", "em",
    "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "li", "ol", "p", "pre", "q", "s",
    "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
    "thead", "tr", "u", "ul",
}  # fmt: skip
_SAFE_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "p": {"align"},
    "div": {"align"},
}


def sanitize_html(html: str) -> str:
    """Customer HTML made safe to show: an allow-list of formatting tags, no scripts, styles,
    event handlers, images (tracking pixels) or non-http(s)/mailto links."""
    return nh3.clean(
        html,
        tags=_SAFE_TAGS,
        clean_content_tags={"script", "style", "title", "head", "template"},
        attributes=_SAFE_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        strip_comments=True,
        link_rel="noopener noreferrer nofollow",
    )


class _TextExtractor(HTMLParser):
    # Paragraph-like elements are set off by a blank line, line-like ones (Gmail writes one <div>
    # per line) by a line break; <br> always breaks, so <br><br> gives a blank line.
    _PARAGRAPH = frozenset({
        "address", "article", "aside", "blockquote", "dl", "footer", "form", "h1", "h2", "h3", "h4",
        "h5", "h6", "header", "hr", "ol", "p", "pre", "section", "table", "ul",
    })  # fmt: skip
    _LINE = frozenset({"caption", "dd", "div", "dt", "li", "tbody", "tfoot", "thead", "tr"})
    _SKIP = frozenset({"script", "style", "title", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._pre = 0

    def _breaks(self, wanted: int) -> None:
        tail = "".join(self.parts[-8:]).rstrip(" ")
        have = len(tail) - len(tail.rstrip("\n"))
        if tail and have < wanted:
            self.parts.append("\n" * (wanted - have))

    def _block(self, tag: str) -> None:
        if tag in self._PARAGRAPH:
            self._breaks(2)
        elif tag in self._LINE:
            self._breaks(1)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        else:
            self._block(tag)
            self._pre += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag != "br":
            self._block(tag)
            if tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Plain text from HTML: tags dropped, script/style content dropped, entities decoded, one
    line break per block element or <br>, runs of blank lines collapsed to one."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.replace("\xa0", " ").strip() for line in "".join(parser.parts).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- MIME structure -------------------------------------------------------------------------

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


def _leaves(part: Message) -> Iterator[Message]:
    # is_multipart() before get_payload(): without decode=True, get_payload() decodes text with
    # the declared charset and can raise on a hostile one.
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield part


def _flatten(msg: Message) -> bytes:
    buffer = BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=_FLAT).flatten(msg)
    except (MessageError, ValueError, LookupError, TypeError):  # mangled headers: keep them raw
        head = "".join(f"{name}: {value}\n" for name, value in msg.raw_items())
        return _raw_bytes(head) + b"\n" + _part_bytes(msg)
    return buffer.getvalue()


def _part_bytes(part: Message) -> bytes:
    if part.is_multipart():  # message/rfc822, message/delivery-status: parsed sub-messages
        return b"".join(_flatten(sub) for sub in part.get_payload() if isinstance(sub, Message))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _safe_filename(name: str | None) -> str | None:
    if name is None:
        return None
    name = re.split(r"[\\/]", _HEADER_CONTROLS.sub("", name))[-1].strip()
    return None if name in ("", ".", "..") else name


def _bounce(leaves: list[Message], fallbacks: Sequence[str]) -> dict[str, str]:
    info: dict[str, str] = {}
    for part in leaves:
        ctype = part.get_content_type()
        if ctype == "message/delivery-status" and "bounce" not in info:
            blocks = re.split(rb"\r?\n[ \t]*\r?\n", _part_bytes(part))
            for block in blocks:
                fields = BytesHeaderParser(policy=policy.compat32).parsebytes(block.strip() + b"\n")
                status = _header(fields, "status", fallbacks) or ""
                action = (_header(fields, "action", fallbacks) or "").lower()
                code = re.match(r"\s*([245])\.\d{1,3}\.\d{1,3}", status)
                if code and code[1] in "45":
                    info["bounce"] = "hard" if code[1] == "5" else "soft"
                    info["bounce_status"] = code[0].strip()
                elif action in ("failed", "delayed"):
                    info["bounce"] = "hard" if action == "failed" else "soft"
                else:
                    continue
                recipient = _header(fields, "final-recipient", fallbacks) or _header(
                    fields, "original-recipient", fallbacks
                )
                if recipient:
                    info["bounced_recipient"] = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                break
        elif ctype in ("message/rfc822", "text/rfc822-headers") and "bounced_message_id" not in info:
            payload = part.get_payload() if part.is_multipart() else None
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                returned: Message = payload[0]
            else:
                returned = BytesHeaderParser(policy=policy.compat32).parsebytes(_part_bytes(part))
            ids = _message_ids(_raw_header(returned, "message-id"))
            if ids:
                info["bounced_message_id"] = ids[0]
    return info


def _automatic_reason(msg: Message) -> str | None:
    """Why this is mail no human wrote (RFC 3834 and the de-facto headers), or None."""
    auto_submitted = _raw_header(msg, "auto-submitted")
    if auto_submitted is not None:
        value = re.sub(r"\(.*?\)", "", _unfold(auto_submitted)).split(";")[0].strip().lower()
        if value != "no":
            return "auto-submitted"
    precedence = (_raw_header(msg, "precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return "precedence"
    for name in ("x-autoreply", "x-autorespond", "x-auto-response-suppress", "x-loop", "x-servicedesk-loop"):
        if _has_header(msg, name):
            return name
    if _has_header(msg, "list-id") or _has_header(msg, "list-unsubscribe"):
        return "mailing-list"
    return_path = _raw_header(msg, "return-path")
    if return_path is not None and _unfold(return_path).strip() in ("<>", ""):
        return "null-return-path"
    if msg.get_content_type() == "multipart/report":
        return "report"
    return None


# --- the entry point ------------------------------------------------------------------------


def parse_email(
    raw: bytes,
    *,
    received_at: datetime,
    fallback_charsets: Sequence[str] = DEFAULT_FALLBACK_CHARSETS,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
) -> InboundMessage:
    """Turn one raw message into an `InboundMessage`.

    `kind` is AUTOMATIC for auto-replies, out-of-office, bounces, list mail and our own mail
    coming back (`X-Servicedesk-Loop`); a bounce also fills `metadata["bounce"]` ("hard"/"soft"),
    `bounced_recipient` and `bounced_message_id`. The body prefers text/plain; HTML-only mail
    gives plain text plus the sanitized HTML in `metadata["html"]`. Attachments larger than
    `max_attachment_bytes` are listed in `metadata["dropped_attachments"]` (comma-separated).
    Raises `EmailParseError` for bytes that are not a usable email (no headers, no From address);
    a message without a body is fine and gives `body == ""`.
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
    if not raw.strip():
        raise EmailParseError("empty input: no headers and no body")

    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it still chokes on is bad input
        raise EmailParseError(f"not a parseable email message: {exc}") from exc
    if not msg.keys():
        raise EmailParseError("no headers found: this is not an email message")

    sender, sender_name = _sender(msg, fallbacks)
    subject = _header(msg, "subject", fallbacks)
    ids = _message_ids(_raw_header(msg, "message-id"))
    message_id = ids[0] if ids else "sha256:" + hashlib.sha256(raw).hexdigest()
    refs: list[str] = []
    for ref in _message_ids(_raw_header(msg, "in-reply-to")) + _message_ids(_raw_header(msg, "references")):
        if ref not in refs:
            refs.append(ref)

    metadata: dict[str, str] = {}
    reason = _automatic_reason(msg)
    if reason:
        metadata["automatic_reason"] = reason

    leaves = list(_leaves(msg))
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    dropped: list[str] = []
    undecodable: list[str] = []
    for index, part in enumerate(leaves, 1):
        ctype = part.get_content_type()
        filename = _safe_filename(
            _param(part, "content-disposition", "filename", fallbacks)
            or _param(part, "content-type", "name", fallbacks)
        )
        inline = (part.get_content_disposition() or "inline") != "attachment"
        if ctype in ("text/plain", "text/html") and filename is None and inline:
            declared = _param(part, "content-type", "charset", fallbacks) or "us-ascii"
            text = _decode_strict(_part_bytes(part), _candidates(declared, fallbacks))
            if text is not None:
                (plain if ctype == "text/plain" else html).append(text)
                continue
            filename = f"part-{index}{_EXTENSIONS[ctype]}"
            undecodable.append(filename)
        name = filename or f"part-{index}{_EXTENSIONS.get(ctype, '.bin')}"
        data = _part_bytes(part)
        if len(data) > max_attachment_bytes:
            dropped.append(name)
            continue
        attachments.append(Attachment(filename=name, content_type=ctype, data=data))

    if html:
        metadata["html"] = "\n".join(sanitize_html(h) for h in html)
    body = "\n\n".join(plain) if plain else "\n\n".join(html_to_text(h) for h in html)
    body = body.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip("\n").rstrip()
    if dropped:
        metadata["dropped_attachments"] = ", ".join(dropped)
    if undecodable:
        metadata["undecodable_parts"] = ", ".join(undecodable)
    if msg.get_content_type() == "multipart/report":
        metadata.update(_bounce(leaves, fallbacks))

    return InboundMessage(
        channel=Channel.EMAIL,
        sender=sender,
        body=body,
        received_at=received_at.astimezone(UTC),
        message_id=message_id,
        kind=InboundKind.AUTOMATIC if reason else InboundKind.MESSAGE,
        sender_name=sender_name,
        subject=None if subject is None else strip_subject_prefixes(subject),
        thread_refs=tuple(refs),
        attachments=tuple(attachments),
        metadata=metadata,
    )


_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")


def _sender(msg: Message, fallbacks: Sequence[str]) -> tuple[str, str | None]:
    raw = _raw_header(msg, "from")
    if raw is None or not raw.strip():
        raise EmailParseError("missing From header")
    for name, address in getaddresses([_decode_raw_text(_unfold(raw), fallbacks)]):
        if _ADDRESS.fullmatch(address):
            display = " ".join(decode_header_text(name, fallbacks).split())
            return address.lower(), display or None
    raise EmailParseError("the From header has no usable email address")
