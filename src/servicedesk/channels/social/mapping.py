"""One adapter, two platforms: a per-platform field mapping from a pushed JSON event to one
`InboundMessage`.

Weibo (微博) and Douyin (抖音) push JSON of different shapes (see tests/data/social/README.md for
the public docs each mapping follows). A `PlatformMapping` says, per platform, where each thing
we need lives (dotted JSON paths, several alternatives allowed, first present wins) and which
event types are private messages, comments, other events (follows…) or our own echoes.

- Private messages and comments are `InboundKind.MESSAGE` (metadata["source"] tells them apart;
  a comment's post/video id is metadata["target"]); follows and the like are `EVENT`; our own
  outgoing messages echoed back (Douyin `im_send_msg`) are `AUTOMATIC`: never stored.
- Ids are kept exactly as strings: Python's JSON integers are exact, so a 19-digit Weibo id
  stays exact; a JSON float where an id belongs is refused (it already lost digits).
- Douyin sometimes sends `content` as a JSON *string* rather than an object; paths descend into
  such strings transparently.
- Weibo private messages carry no id (the docs recommend sender_id + created_at to deduplicate),
  so their key is derived from sender, time, type and text: a retried delivery is identical.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.channels.social.errors import SocialPayloadError
from servicedesk.domain.catalog import Channel

Paths = tuple[str, ...]
Source = Literal["private_message", "comment", "event", "automatic"]

MAX_ID_LENGTH = 200  # identities and message ids are stored in 254/255-character columns
_MS_THRESHOLD = 10**11  # 10**11 seconds is the year 5138: anything larger is milliseconds
_WEIBO_TIME = "%a %b %d %H:%M:%S %z %Y"  # "Mon Jul 16 18:09:20 +0800 2012"
_MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldPaths:
    """Where one kind of event keeps its fields. Empty `message_id` means the platform sends
    none and a key is derived; optional fields may be empty tuples."""

    sender_id: Paths
    created_at: Paths = ()
    message_id: Paths = ()
    text: Paths = ()
    sender_name: Paths = ()
    target: Paths = ()  # comments: the post/video commented on; private messages: the conversation
    text_required: bool = True
    created_required: bool = True


@dataclass(frozen=True, slots=True)
class PlatformMapping:
    channel: Channel
    event_type: Paths
    private_message: FieldPaths
    comment: FieldPaths
    event: FieldPaths
    private_message_types: frozenset[str]
    comment_types: frozenset[str]
    event_types: frozenset[str]
    automatic_types: frozenset[str] = frozenset()  # our own echoes: acknowledged, never stored
    event_detail: Paths = ()  # e.g. Weibo's data.subtype (follow, unfollow…)
    message_type: Paths = ()  # text, image…: kept in metadata
    # (list path, id key, name key): a list of user records to find the sender's nickname in.
    user_list: tuple[str, str, str] | None = None
    verify_event: str | None = None  # the URL-verification handshake's event type, if any
    challenge: Paths = ()

    def __post_init__(self) -> None:
        if self.channel not in (Channel.WEIBO, Channel.DOUYIN):
            raise ValueError(f"not a social channel: {self.channel}")
        groups = (self.private_message_types, self.comment_types, self.event_types, self.automatic_types)
        seen: set[str] = set()
        for group in groups:
            if seen & group:
                raise ValueError(f"event types listed twice: {sorted(seen & group)}")
            seen |= group

    def source_of(self, event_type: str) -> Source | None:
        if event_type in self.private_message_types:
            return "private_message"
        if event_type in self.comment_types:
            return "comment"
        if event_type in self.event_types:
            return "event"
        if event_type in self.automatic_types:
            return "automatic"
        return None


# Weibo fan-service push (粉丝服务平台 接收消息/接收事件推送) for private messages and follows;
# comments follow the shape of Weibo's commercial data push (商业数据推送, text.type "comment").
WEIBO = PlatformMapping(
    channel=Channel.WEIBO,
    event_type=("type", "text.type"),
    private_message=FieldPaths(
        sender_id=("sender_id",),
        created_at=("created_at",),
        text=("text",),
    ),
    comment=FieldPaths(
        message_id=("text.comment.id", "text.comment.idstr"),
        sender_id=("text.comment.user.id",),
        sender_name=("text.comment.user.screen_name", "text.comment.user.name"),
        text=("text.comment.text",),
        created_at=("text.comment.created_at",),
        target=("text.comment.status.id", "text.comment.status.mid"),
    ),
    event=FieldPaths(
        sender_id=("sender_id",),
        created_at=("created_at",),
        text=("text",),
        text_required=False,
        created_required=False,
    ),
    private_message_types=frozenset({"text", "position", "voice", "image"}),
    comment_types=frozenset({"comment"}),
    event_types=frozenset({"event"}),
    event_detail=("data.subtype",),
    message_type=("type",),
)

# Douyin open platform webhooks: im_receive_msg (接收私信消息事件), item_comment_reply
# (接收评论回复事件), new_follow_action (接收用户关注事件), verify_webhook (回调地址校验).
DOUYIN = PlatformMapping(
    channel=Channel.DOUYIN,
    event_type=("event",),
    private_message=FieldPaths(
        message_id=("content.server_message_id",),
        sender_id=("from_user_id",),
        text=("content.text",),
        created_at=("content.create_time",),
        target=("content.conversation_short_id",),
        text_required=False,  # images, emoji and video shares carry no text
    ),
    comment=FieldPaths(
        message_id=("content.comment_id",),
        sender_id=("content.comment_user_id", "from_user_id"),
        sender_name=("content.nick_name",),
        text=("content.content",),
        created_at=("content.create_time",),
        target=("content.reply_to_item_id",),
    ),
    event=FieldPaths(
        sender_id=("from_user_id",),
        created_at=("content.action_time", "content.create_time"),
        created_required=False,
        text_required=False,
    ),
    private_message_types=frozenset({"im_receive_msg"}),
    comment_types=frozenset({"item_comment_reply"}),
    event_types=frozenset({"new_follow_action", "im_enter_direct_msg", "authorize", "unauthorize"}),
    automatic_types=frozenset({"im_send_msg"}),
    message_type=("content.message_type",),
    user_list=("content.user_infos", "open_id", "nick_name"),
    verify_event="verify_webhook",
    challenge=("content.challenge",),
)

PLATFORMS: Mapping[str, PlatformMapping] = {"weibo": WEIBO, "douyin": DOUYIN}


def _step(node: object, key: str) -> object:
    if isinstance(node, str) and node.lstrip().startswith(("{", "[")):
        try:
            node = json.loads(node)  # Douyin's `content` as a serialised JSON string
        except ValueError:
            return _MISSING
    if isinstance(node, dict):
        return node.get(key, _MISSING)
    if isinstance(node, list) and key.isdigit():
        index = int(key)
        return node[index] if index < len(node) else _MISSING
    return _MISSING


def lookup(payload: object, path: str) -> object:
    """The value at a dotted path, or `_MISSING`; JSON null counts as missing."""
    node = payload
    for key in path.split("."):
        node = _step(node, key)
        if node is _MISSING or node is None:
            return _MISSING
    return node


def _first(payload: object, paths: Paths) -> tuple[str, object]:
    for path in paths:
        value = lookup(payload, path)
        if value is not _MISSING:
            return path, value
    return (paths[0] if paths else ""), _MISSING


def _missing(paths: Paths) -> SocialPayloadError:
    shown = " or ".join(paths)
    return SocialPayloadError(f"missing required field {shown}", fields={paths[0]: "missing"})


def _wrong(path: str, problem: str) -> SocialPayloadError:
    return SocialPayloadError(f"field {path} {problem}", fields={path: problem})


def _identifier(path: str, value: object) -> str:
    """An id as its exact string: JSON integers are exact in Python; floats and bools are not ids."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        kind = "a float (digits already lost)" if isinstance(value, float) else f"a {type(value).__name__}"
        raise _wrong(path, f"is {kind}, expected a string or integer id")
    text = str(value).strip()
    if not text:
        raise _wrong(path, "is empty")
    if len(text) > MAX_ID_LENGTH:
        raise _wrong(path, f"is longer than {MAX_ID_LENGTH} characters")
    return text


def _required_id(payload: object, paths: Paths) -> str:
    path, value = _first(payload, paths)
    if value is _MISSING:
        raise _missing(paths)
    return _identifier(path, value)


def _optional_text(payload: object, paths: Paths) -> tuple[str, str | None]:
    path, value = _first(payload, paths)
    if value is _MISSING:
        return path, None
    if not isinstance(value, str):
        raise _wrong(path, f"is a {type(value).__name__}, expected text")
    return path, value


def parse_time(path: str, value: object) -> datetime:
    """Unix seconds or milliseconds (number or digit string), or Weibo's
    "Mon Jul 16 18:09:20 +0800 2012"; always returned in UTC."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            number = int(value.strip())
        elif isinstance(value, str):
            return datetime.strptime(value.strip(), _WEIBO_TIME).astimezone(UTC)
        else:
            raise _wrong(path, f"is a {type(value).__name__}, expected a unix time")
        if number >= _MS_THRESHOLD:
            seconds, millis = divmod(number, 1000)
            return datetime.fromtimestamp(seconds, tz=UTC).replace(microsecond=millis * 1000)
        return datetime.fromtimestamp(number, tz=UTC)
    except (ValueError, OverflowError, OSError) as error:
        if isinstance(error, SocialPayloadError):
            raise
        raise _wrong(path, f"is not a time we understand: {str(value)[:40]!r}") from error


def _sender_name(platform: PlatformMapping, paths: Paths, payload: object, sender: str) -> str | None:
    _, name = _optional_text(payload, paths)
    if name and name.strip():
        return name.strip()
    if platform.user_list is None:
        return None
    list_path, id_key, name_key = platform.user_list
    users = lookup(payload, list_path)
    if not isinstance(users, list):
        return None
    for user in users:
        if isinstance(user, dict) and str(user.get(id_key, "")) == sender:
            nick = user.get(name_key)
            return nick.strip() or None if isinstance(nick, str) else None
    return None


def event_type_of(platform: PlatformMapping, payload: Mapping[str, object]) -> str:
    path, value = _first(payload, platform.event_type)
    if value is _MISSING:
        raise _missing(platform.event_type)
    if not isinstance(value, str) or not value.strip():
        raise _wrong(path, "is not an event type name")
    return value.strip()


def challenge_of(platform: PlatformMapping, payload: Mapping[str, object]) -> int | str | None:
    """The URL-verification challenge to echo back, or None when this is not the handshake.
    Only ever call this on a payload whose signature has been verified."""
    if platform.verify_event is None:
        return None
    if lookup(payload, platform.event_type[0]) != platform.verify_event:
        return None
    path, value = _first(payload, platform.challenge)
    if value is _MISSING:
        raise _missing(platform.challenge)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _wrong(path, "is not a number or string")
    return value


def _derived_key(source: str, event_type: str, sender: str, created: str, text: str) -> str:
    digest = hashlib.sha256("\x1f".join((event_type, sender, created, text)).encode("utf-8")).hexdigest()
    return f"{source}:{digest}"


def parse_event(
    platform: PlatformMapping, payload: Mapping[str, object], *, received_at: datetime
) -> InboundMessage:
    """Map one pushed event to an `InboundMessage` of the platform's channel.

    `InboundMessage.received_at` is the platform's own creation time (UTC) when it sends one;
    our clock at receipt, `received_at`, is kept in metadata as `server_received_at`.
    Raises SocialPayloadError naming the path of whatever is missing or malformed.
    """
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if not isinstance(payload, Mapping):
        raise SocialPayloadError("payload is not a JSON object", fields={"body": "not an object"})
    event_type = event_type_of(platform, payload)
    source = platform.source_of(event_type)
    if source is None:
        raise SocialPayloadError(
            f"unsupported {platform.channel.value} event type {event_type[:60]!r}",
            fields={platform.event_type[0]: "unsupported event type"},
        )
    paths = {
        "private_message": platform.private_message,
        "comment": platform.comment,
        "event": platform.event,
        "automatic": platform.event,
    }[source]

    sender = _required_id(payload, paths.sender_id)
    _, text = _optional_text(payload, paths.text)
    if text is None and paths.text_required and source != "event":
        raise _missing(paths.text)
    body = text or ""

    created_path, created_raw = _first(payload, paths.created_at)
    if created_raw is _MISSING:
        if paths.created_required:
            raise _missing(paths.created_at)
        created_at = received_at.astimezone(UTC)
        created_key = ""
    else:
        created_at = parse_time(created_path, created_raw)
        created_key = str(created_raw)

    meta: dict[str, str] = {
        "platform": platform.channel.value,
        "source": source,
        "event_type": event_type,
        "server_received_at": received_at.astimezone(UTC).isoformat(),
    }
    if created_key:
        meta["created_at"] = created_key
    if platform.event_detail:
        _, detail = _optional_text(payload, platform.event_detail)
        if detail:
            meta["event"] = detail
    if platform.message_type:
        _, message_type = _optional_text(payload, platform.message_type)
        if message_type:
            meta["message_type"] = message_type
    if paths.target:
        target_path, target = _first(payload, paths.target)
        if target is not _MISSING:
            meta["target" if source == "comment" else "conversation"] = _identifier(target_path, target)
        elif source == "comment":
            raise _missing(paths.target)

    if paths.message_id:
        message_id = _required_id(payload, paths.message_id)
    else:
        message_id = _derived_key(source, event_type, sender, created_key, body)

    kind = {
        "private_message": InboundKind.MESSAGE,
        "comment": InboundKind.MESSAGE,
        "event": InboundKind.EVENT,
        "automatic": InboundKind.AUTOMATIC,
    }[source]
    return InboundMessage(
        channel=platform.channel,
        sender=sender,
        body=body,
        received_at=created_at,
        message_id=message_id,
        kind=kind,
        sender_name=_sender_name(platform, paths.sender_name, payload, sender),
        metadata=meta,
    )


__all__ = [
    "DOUYIN",
    "PLATFORMS",
    "WEIBO",
    "FieldPaths",
    "PlatformMapping",
    "challenge_of",
    "event_type_of",
    "lookup",
    "parse_event",
    "parse_time",
]
