"""Inbound callback XML of the Official Account → `InboundMessage`, parsed defensively.

Input is capped in size before parsing and parsed with defusedxml with DTDs forbidden, so entity
expansion ("billion laughs"), external entities and DOCTYPE tricks are all refused.

Deduplication: WeChat retries a callback three times when we do not answer within 5 seconds.
Messages carry `MsgId` — a 64-bit integer that exceeds 2**53, so it is kept as the exact string
and never passes through int()/float()/JSON numbers. Events carry none; their key is
``event:<FromUserName>:<CreateTime>:<Event>:<EventKey>`` as the WeChat docs recommend
(FromUserName + CreateTime).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from xml.etree.ElementTree import Element, ParseError

# No stubs ship with defusedxml and pyproject is not ours to extend: hence the ignores.
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.channels.wechat.errors import MalformedMessage, TooLarge
from servicedesk.domain.catalog import Channel

MAX_XML_BYTES = 64 * 1024

_DIGITS = re.compile(r"[0-9]{1,20}")
# Characters XML 1.0 cannot carry at all, not even inside CDATA.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cdata(text: str) -> str:
    """Wrap `text` in CDATA safely: a "]]>" inside is split across two sections, and characters
    XML cannot represent are dropped."""
    clean = _XML_INVALID.sub("", text)
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def parse_xml(xml: str | bytes, *, max_bytes: int = MAX_XML_BYTES) -> Element:
    """Size cap, then defusedxml with DTDs forbidden. Root must be <xml>."""
    size = len(xml) if isinstance(xml, bytes) else len(xml.encode("utf-8"))
    if size > max_bytes:
        raise TooLarge(f"callback body is {size} bytes (limit {max_bytes})")
    try:
        root: Element = fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedMessage(f"refused unsafe XML: {type(exc).__name__}") from exc
    except ParseError as exc:
        raise MalformedMessage(f"not well-formed XML: {exc}") from exc
    if root.tag != "xml":
        raise MalformedMessage(f"root element is <{root.tag}>, expected <xml>")
    return root


def _raw(root: Element, name: str) -> str | None:
    child = root.find(name)
    if child is None:
        return None
    return child.text or ""


def _field(root: Element, name: str) -> str | None:
    """An identifier-like field: surrounding whitespace (outside CDATA) is not part of it."""
    value = _raw(root, name)
    return None if value is None else value.strip()


def _required(root: Element, name: str) -> str:
    value = _field(root, name)
    if not value:
        raise MalformedMessage(f"missing required field {name}")
    return value


def extract_encrypt(xml: str | bytes, *, max_bytes: int = MAX_XML_BYTES) -> str:
    """The `Encrypt` value of a safe-mode (or compatible-mode) callback body."""
    return _required(parse_xml(xml, max_bytes=max_bytes), "Encrypt")


def _media(root: Element, meta: dict[str, str], **names: str) -> None:
    for key, element in names.items():
        value = _field(root, element)
        if value:
            meta[key] = value


def parse_inbound(
    xml: str | bytes, *, received_at: datetime, max_bytes: int = MAX_XML_BYTES
) -> InboundMessage:
    """Parse a plaintext callback (or the XML `WeChatCrypto.decrypt` returned).

    `InboundMessage.received_at` is WeChat's `CreateTime` (UTC); our own clock at receipt,
    `received_at`, is kept in metadata as `server_received_at`.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    root = parse_xml(xml, max_bytes=max_bytes)
    to_user = _required(root, "ToUserName")
    sender = _required(root, "FromUserName")
    create_time = _required(root, "CreateTime")
    msg_type = _required(root, "MsgType")
    if not _DIGITS.fullmatch(create_time):
        raise MalformedMessage(f"CreateTime is not a unix time: {create_time[:30]!r}")
    created_at = datetime.fromtimestamp(int(create_time), tz=UTC)

    meta: dict[str, str] = {
        "to_user": to_user,
        "msg_type": msg_type,
        "create_time": create_time,
        "server_received_at": received_at.astimezone(UTC).isoformat(),
    }
    kind = InboundKind.MESSAGE
    body = ""

    if msg_type == "event":
        kind = InboundKind.EVENT
        event = _required(root, "Event")
        event_key = _field(root, "EventKey") or ""
        meta["event"] = event
        meta["event_key"] = event_key
        _media(root, meta, ticket="Ticket", latitude="Latitude", longitude="Longitude", precision="Precision")
        message_id = f"event:{sender}:{create_time}:{event}:{event_key}"
    else:
        msg_id = _field(root, "MsgId")
        if msg_id:
            if not _DIGITS.fullmatch(msg_id):
                raise MalformedMessage(f"MsgId is not an integer: {msg_id[:30]!r}")
            message_id = msg_id
        else:
            # Never seen for user messages, but a missing id must not defeat deduplication.
            message_id = f"msg:{sender}:{create_time}:{msg_type}"
        if msg_type == "text":
            content = _raw(root, "Content")
            if content is None:
                raise MalformedMessage("missing required field Content")
            body = content
        elif msg_type == "image":
            _required(root, "MediaId")
            _media(root, meta, media_id="MediaId", pic_url="PicUrl")
        elif msg_type == "voice":
            _required(root, "MediaId")
            _media(root, meta, media_id="MediaId", format="Format")
            # Recognition only exists when speech recognition is on, and may be empty.
            body = (_raw(root, "Recognition") or "").strip()
        elif msg_type in ("video", "shortvideo"):
            _required(root, "MediaId")
            _media(root, meta, media_id="MediaId", thumb_media_id="ThumbMediaId")
        elif msg_type == "location":
            _media(root, meta, latitude="Location_X", longitude="Location_Y", scale="Scale", label="Label")
            if "latitude" not in meta or "longitude" not in meta:
                raise MalformedMessage("location message without Location_X/Location_Y")
            body = meta.get("label", "")
        elif msg_type == "link":
            _media(root, meta, title="Title", description="Description", url="Url")
            if "url" not in meta:
                raise MalformedMessage("missing required field Url")
            body = "\n".join(meta[k] for k in ("title", "description", "url") if k in meta)
        # Other (newer) types are accepted as messages with an empty body; msg_type tells them apart.

    return InboundMessage(
        channel=Channel.WECHAT,
        sender=sender,
        body=body,
        received_at=created_at,
        message_id=message_id,
        kind=kind,
        metadata=meta,
    )
