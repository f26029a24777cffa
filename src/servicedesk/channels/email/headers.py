"""Header values as people meant them: RFC 2047 encoded-words (also the broken ones mailers
write), raw 8-bit text, RFC 2231 parameters, and a sender found even in a messy From. Pure.

Headers are read from `compat32` messages, which keep the bytes that arrived (non-ASCII bytes
as surrogate escapes), so every header is decoded here with the same charset rules as the body.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from servicedesk.channels.email.charsets import (
    DEFAULT_FALLBACK_CHARSETS,
    canonical_charset,
    decode_guess,
    plausible,
    strict_decode,
)

__all__ = [
    "Sender",
    "decode_header_text",
    "find_sender",
    "header",
    "message_ids",
    "param",
    "raw_header",
    "raw_headers",
    "strip_subject_prefixes",
]

# The encoded text may hold spaces (mailers that do not encode them, folds inside a word): it
# runs to the first `?=` and never across the start of another word.
_ENCODED_WORD = re.compile(
    r"=\?([^?\s*]+)(\*[^?\s]*)?\?([bBqQ])\?((?:(?!\?=|=\?[^?\s]+\?[bBqQ]\?)[^\r\n]){0,4000}?)\?="
)
_FOLD = re.compile(r"\r?\n(?=[ \t])")
HEADER_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")


def unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", "")


def raw_bytes(value: str) -> bytes:
    """Back to the bytes that arrived: the parser kept non-ASCII bytes as surrogate escapes."""
    return value.encode("utf-8", "surrogateescape")


def decode_raw_text(
    value: str, hints: Sequence[str] = (), fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS
) -> str:
    """Text outside encoded-words: ASCII, or raw 8-bit bytes (RFC 6532 says UTF-8; GBK and
    Shift_JIS in the wild)."""
    if value.isascii():
        return value
    return decode_guess(raw_bytes(value), hints=hints, fallbacks=fallbacks).text


def _encoded_word_bytes(encoding: str, text: str) -> bytes | None:
    if not text.isascii():
        return None
    try:
        if encoding in "bB":
            squeezed = re.sub(r"[^A-Za-z0-9+/]", "", text)
            return base64.b64decode(squeezed + "=" * (-len(squeezed) % 4))
        return binascii.a2b_qp(text.encode("ascii"), header=True)
    except (binascii.Error, ValueError):
        return None


def _decode_word(data: bytes, label: str | None, hints: Sequence[str], fallbacks: Sequence[str]) -> str:
    charset = canonical_charset(label)
    if (
        charset is not None
        and (text := strict_decode(data, charset)) is not None
        and plausible(text, charset)
    ):
        return text
    return decode_guess(data, hints=[c for c in (charset, *hints) if c], fallbacks=fallbacks).text


def decode_header_text(
    raw: str, fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS, hints: Sequence[str] = ()
) -> str:
    """Decode a raw header value: RFC 2047 encoded-words (B and Q, any mapped charset, spaces
    inside tolerated) and raw 8-bit text. Adjacent encoded-words in the same charset are joined
    as bytes before decoding, so a character split across two words (or two folded lines)
    survives; the whitespace between encoded-words is dropped as RFC 2047 §6.2 says. `hints`
    are the charsets the message's text was read in (for raw bytes and unknown labels)."""
    value = unfold(raw)
    out: list[str] = []
    pending = b""
    pending_label: str | None = None
    last_end = 0
    after_word = False

    def flush() -> None:
        nonlocal pending, pending_label
        if pending:
            out.append(_decode_word(pending, pending_label, hints, fallbacks))
        pending, pending_label = b"", None

    for match in _ENCODED_WORD.finditer(value):
        data = _encoded_word_bytes(match[3], match[4])
        if data is None:  # not really an encoded-word: it stays in the surrounding text
            after_word = False
            continue
        between = value[last_end : match.start()]
        if not (after_word and between.strip(" \t") == ""):
            flush()
            out.append(decode_raw_text(between, hints, fallbacks))
        label = match[1].lower()
        if pending and (canonical_charset(label) or label) != (
            canonical_charset(pending_label) or pending_label
        ):
            flush()
        pending += data
        pending_label = label
        last_end = match.end()
        after_word = True
    flush()
    out.append(decode_raw_text(value[last_end:], hints, fallbacks))
    return HEADER_CONTROLS.sub("", "".join(out).replace("\t", " "))


def raw_headers(msg: Message, name: str) -> list[str]:
    """Every `name` header exactly as it arrived (folding and 8-bit bytes included)."""
    wanted = name.lower()
    return [str(value) for key, value in msg.raw_items() if key.lower() == wanted]


def raw_header(msg: Message, name: str) -> str | None:
    found = raw_headers(msg, name)
    return found[0] if found else None


def header(
    msg: Message, name: str, hints: Sequence[str] = (), fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS
) -> str | None:
    """The first non-empty `name` header, decoded, whitespace collapsed."""
    values = raw_headers(msg, name)
    for raw in values:
        text = " ".join(decode_header_text(raw, fallbacks, hints).split())
        if text:
            return text
    return "" if values else None


def param(
    part: Message,
    name: str,
    key: str,
    hints: Sequence[str] = (),
    fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS,
) -> str | None:
    """A header parameter, RFC 2231 (charset, continuations) and RFC 2047 (Outlook-style
    `name="=?GBK?B?…?="`) and raw 8-bit values all decoded."""
    raw = raw_header(part, name)
    if raw is None:
        return None
    # Re-parse the header from text without surrogates: compat32 would otherwise turn raw 8-bit
    # parameter values into U+FFFD before we could decode them.
    holder = Message()
    holder[name] = decode_raw_text(unfold(raw), hints, fallbacks)
    try:
        value = holder.get_param(key, header=name)
    except Exception:  # a parameter list too broken for the stdlib: no such parameter
        return None
    if value is None:
        return None
    if isinstance(value, tuple):  # RFC 2231: (charset, language, text holding bytes as latin-1)
        charset, _language, text = value
        try:
            data = str(text).encode("latin-1")
        except UnicodeEncodeError:  # not percent-encoded bytes after all: already text
            return HEADER_CONTROLS.sub("", str(text))
        return HEADER_CONTROLS.sub("", _decode_word(data, charset or "utf-8", hints, fallbacks))
    return decode_header_text(str(value), fallbacks, hints)


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


def message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    found = _MESSAGE_ID.findall(value)
    if not found:  # broken mailers send bare ids
        found = [token for token in value.split() if "@" in token and re.fullmatch(r"[!-;=?-~]+", token)]
    return [i for i in found if len(i) <= 250]


# --- the sender ---------------------------------------------------------------------------

_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+")
_LOOSE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
_ANGLE = re.compile(r"<([^<>]*)>")


def is_address(text: str) -> bool:
    return len(text) <= 254 and bool(_ADDRESS.fullmatch(text)) and not text.startswith(".")


@dataclass(frozen=True, slots=True)
class Sender:
    address: str  # lower-cased; "" when none could be found anywhere
    name: str | None
    source: str  # "from", "sender", "reply-to", "envelope", "return-path" or "none"


def _clean_name(text: str, hints: Sequence[str], fallbacks: Sequence[str]) -> str | None:
    name = " ".join(decode_header_text(text, fallbacks, hints).split()).strip(" \"'<>()")
    return name[:100] or None


def _address_in(text: str, hints: Sequence[str], fallbacks: Sequence[str]) -> tuple[str, str | None] | None:
    """An address and display name from one header value, however it is written."""
    try:
        pairs = getaddresses([text])
    except Exception:
        pairs = []
    for name, address in pairs:
        if is_address(address):
            return address.lower(), _clean_name(name, hints, fallbacks)
    for match in _ANGLE.finditer(text):  # `<wang xm@example.com>`: spaces inside the brackets
        squeezed = "".join(match[1].split()).strip("'\"")
        if is_address(squeezed):
            return squeezed.lower(), _clean_name(text[: match.start()], hints, fallbacks)
    if found := _LOOSE_ADDRESS.search(text):  # `王小明 wangxm@example.com`, `"a" <>, b@x.cn`
        rest = text[: found.start()] + text[found.end() :]
        return found[0].lower(), _clean_name(re.sub(r"<\s*>", "", rest), hints, fallbacks)
    return None


def find_sender(
    msg: Message,
    envelope_sender: str | None,
    hints: Sequence[str] = (),
    fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS,
) -> Sender:
    """Who wrote this: the first usable address in From (any of several From headers), then
    Sender, Reply-To, the SMTP envelope and Return-Path. The display name comes from the
    header that gave the address, else from the first From."""
    first_name: str | None = None
    for name in ("from", "sender", "reply-to"):
        for raw in raw_headers(msg, name):
            text = decode_raw_text(unfold(raw), hints, fallbacks)
            found = _address_in(text, hints, fallbacks)
            if found is not None:
                return Sender(found[0], found[1] or first_name, name)
            if name == "from" and first_name is None:
                first_name = _clean_name(re.sub(r"<[^<>]*>", "", text), hints, fallbacks)
    envelope = (envelope_sender or "").strip().strip("<>")
    if is_address(envelope):
        return Sender(envelope.lower(), first_name, "envelope")
    for raw in raw_headers(msg, "return-path"):
        found = _address_in(decode_raw_text(unfold(raw), hints, fallbacks), hints, fallbacks)
        if found is not None:
            return Sender(found[0], first_name, "return-path")
    return Sender("", first_name, "none")
