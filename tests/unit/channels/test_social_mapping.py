"""Weibo and Douyin pushes → InboundMessage, through one mapping per platform."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from servicedesk.channels.message import InboundKind
from servicedesk.channels.social import (
    DOUYIN,
    WEIBO,
    FieldPaths,
    PlatformMapping,
    SocialPayloadError,
    challenge_of,
    parse_event,
)
from servicedesk.channels.social.mapping import parse_time
from servicedesk.domain.catalog import Channel

DATA = Path(__file__).parents[2] / "data" / "social"
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return payload


def test_a_weibo_private_message() -> None:
    message = parse_event(WEIBO, load("weibo_private_message.json"), received_at=NOW)
    assert message.channel is Channel.WEIBO
    assert message.kind is InboundKind.MESSAGE
    assert message.sender == "2489518277"
    assert message.body == "你好，我买的耳机左边没有声音，怎么办？"
    assert message.received_at == datetime(2012, 7, 16, 10, 9, 20, tzinfo=UTC)  # +0800 → UTC
    assert message.metadata["source"] == "private_message"
    assert message.metadata["server_received_at"] == NOW.isoformat()
    assert "target" not in message.metadata
    # Weibo sends no id: the key is derived, stable across a retried delivery…
    assert message.message_id is not None
    assert message.message_id.startswith("private_message:")
    again = parse_event(WEIBO, load("weibo_private_message.json"), received_at=NOW.replace(minute=1))
    assert again.message_id == message.message_id
    # …and different for another message in the same second.
    other = load("weibo_private_message.json") | {"text": "还有右边也坏了"}
    assert parse_event(WEIBO, other, received_at=NOW).message_id != message.message_id


def test_a_weibo_comment_names_the_post() -> None:
    message = parse_event(WEIBO, load("weibo_comment.json"), received_at=NOW)
    assert message.kind is InboundKind.MESSAGE
    assert message.metadata["source"] == "comment"
    assert message.metadata["target"] == "3700057402482222"
    assert message.message_id == "3700057402482223"
    assert message.sender == "2084126291"
    assert message.sender_name == "可乐默默"
    assert message.body == "客服在吗？订单三天没发货了"


def test_nineteen_digit_ids_are_kept_exactly() -> None:
    message = parse_event(WEIBO, load("weibo_comment_19_digit_id.json"), received_at=NOW)
    assert message.message_id == "9223372036854775806"
    assert message.metadata["target"] == "5012345678901234567"
    assert float(message.message_id) == 2**63  # what a float would have made of it


def test_a_float_id_is_refused_not_rounded() -> None:
    payload = load("weibo_comment.json")
    payload["text"]["comment"]["id"] = 3.700057402482223e15
    with pytest.raises(SocialPayloadError, match=r"text\.comment\.id is a float"):
        parse_event(WEIBO, payload, received_at=NOW)


def test_a_douyin_private_message() -> None:
    message = parse_event(DOUYIN, load("douyin_im_text.json"), received_at=NOW)
    assert message.channel is Channel.DOUYIN
    assert message.kind is InboundKind.MESSAGE
    assert message.sender == "ac6479a5-d7a6-4018-84be-c29bfc000001"
    assert message.sender_name == "小鱼儿"  # the sender's entry in user_infos, not the shop's
    assert message.body == "直播间买的面膜什么时候发货？"
    assert message.message_id is not None
    assert message.message_id.startswith("@c29bfc000+MNggFhRkwGuX1ntuc0RPc0VH")
    assert message.received_at == datetime(2023, 4, 29, 2, 30, 21, 123000, tzinfo=UTC)  # ms
    assert message.metadata["source"] == "private_message"
    assert message.metadata["message_type"] == "text"
    assert message.metadata["conversation"].startswith("@c29bfc000+MNggFhRkwGuX1ntuc0QfA0")


def test_a_douyin_image_message_has_no_text_but_is_still_a_message() -> None:
    payload = load("douyin_im_text.json")
    del payload["content"]["text"]
    payload["content"]["message_type"] = "image"
    message = parse_event(DOUYIN, payload, received_at=NOW)
    assert (message.kind, message.body, message.metadata["message_type"]) == (
        InboundKind.MESSAGE,
        "",
        "image",
    )


def test_a_douyin_comment_with_content_as_a_json_string() -> None:
    message = parse_event(DOUYIN, load("douyin_comment.json"), received_at=NOW)
    assert message.kind is InboundKind.MESSAGE
    assert message.metadata["source"] == "comment"
    assert message.metadata["target"].startswith("@9VwWjvGUTp9kKW+ma4huFs791WPtO")
    assert message.message_id is not None
    assert message.message_id.startswith("@9VwW0qOBUN9mJyD3bNxvGc791")
    assert message.sender == "5adb9d61-b91a-4382-8252-b0cea8793e35"
    assert message.sender_name == "路人甲"
    assert message.body == "视频里的同款在哪买？"
    assert message.received_at == datetime.fromtimestamp(1686817996, tz=UTC)


@pytest.mark.parametrize(
    ("platform", "name", "sender", "detail"),
    [
        (WEIBO, "weibo_follow.json", "2489518277", "follow"),
        (DOUYIN, "douyin_follow.json", "5adb9d61-b91a-4382-8252-b0cea8793e35", None),
    ],
)
def test_follows_are_events(platform: PlatformMapping, name: str, sender: str, detail: str | None) -> None:
    message = parse_event(platform, load(name), received_at=NOW)
    assert message.kind is InboundKind.EVENT
    assert message.sender == sender
    assert message.metadata["source"] == "event"
    assert message.metadata.get("event") == detail


def test_our_own_echo_is_automatic() -> None:
    payload = load("douyin_im_text.json") | {"event": "im_send_msg"}
    assert parse_event(DOUYIN, payload, received_at=NOW).kind is InboundKind.AUTOMATIC


def test_the_same_person_is_the_same_sender_across_kinds() -> None:
    follow = parse_event(WEIBO, load("weibo_follow.json"), received_at=NOW)
    message = parse_event(WEIBO, load("weibo_private_message.json"), received_at=NOW)
    assert follow.sender == message.sender == "2489518277"


@pytest.mark.parametrize(
    ("platform", "name", "remove", "named"),
    [
        (WEIBO, "weibo_private_message.json", ("sender_id",), "sender_id"),
        (WEIBO, "weibo_private_message.json", ("text",), "text"),
        (WEIBO, "weibo_private_message.json", ("created_at",), "created_at"),
        (WEIBO, "weibo_comment.json", ("text", "comment", "status"), "text.comment.status.id"),
        (DOUYIN, "douyin_im_text.json", ("content", "server_message_id"), "content.server_message_id"),
        (DOUYIN, "douyin_im_text.json", ("from_user_id",), "from_user_id"),
        (DOUYIN, "douyin_im_text.json", ("event",), "event"),
    ],
)
def test_missing_required_fields_name_the_path(
    platform: PlatformMapping, name: str, remove: tuple[str, ...], named: str
) -> None:
    payload = load(name)
    node = payload
    for key in remove[:-1]:
        node = node[key]
    del node[remove[-1]]
    with pytest.raises(SocialPayloadError) as caught:
        parse_event(platform, payload, received_at=NOW)
    assert named in caught.value.reason
    assert named in caught.value.fields
    assert isinstance(caught.value, ValueError)


def test_null_counts_as_missing_and_an_unknown_event_type_is_refused() -> None:
    with pytest.raises(SocialPayloadError, match="sender_id"):
        parse_event(WEIBO, load("weibo_private_message.json") | {"sender_id": None}, received_at=NOW)
    with pytest.raises(SocialPayloadError, match="unsupported douyin event type 'group_fans_event'"):
        parse_event(DOUYIN, load("douyin_follow.json") | {"event": "group_fans_event"}, received_at=NOW)


def test_the_douyin_handshake_and_only_it_has_a_challenge() -> None:
    assert challenge_of(DOUYIN, load("douyin_verify_webhook.json")) == 12345
    assert challenge_of(DOUYIN, load("douyin_im_text.json")) is None
    assert challenge_of(WEIBO, load("douyin_verify_webhook.json")) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (1686817996, datetime(2023, 6, 15, 8, 33, 16, tzinfo=UTC)),
        ("1686817996", datetime(2023, 6, 15, 8, 33, 16, tzinfo=UTC)),
        (1686817996250, datetime(2023, 6, 15, 8, 33, 16, 250000, tzinfo=UTC)),
        ("Thu Jun 15 16:33:16 +0800 2023", datetime(2023, 6, 15, 8, 33, 16, tzinfo=UTC)),
    ],
)
def test_times_in_seconds_milliseconds_or_weibo_text(raw: object, expected: datetime) -> None:
    assert parse_time("t", raw) == expected


@pytest.mark.parametrize("raw", ["yesterday", 1.5, True, 10**30])
def test_times_we_cannot_read_are_refused(raw: object) -> None:
    with pytest.raises(SocialPayloadError, match="field t "):
        parse_time("t", raw)


def test_a_mapping_is_for_a_social_channel_and_types_are_listed_once() -> None:
    paths = FieldPaths(sender_id=("a",))
    common = {"event_type": ("t",), "private_message": paths, "comment": paths, "event": paths}
    with pytest.raises(ValueError, match="not a social channel"):
        PlatformMapping(
            channel=Channel.EMAIL, private_message_types=frozenset(), comment_types=frozenset(),
            event_types=frozenset(), **common,  # type: ignore[arg-type]
        )  # fmt: skip
    with pytest.raises(ValueError, match="listed twice"):
        PlatformMapping(
            channel=Channel.WEIBO, private_message_types=frozenset({"x"}), comment_types=frozenset({"x"}),
            event_types=frozenset(), **common,  # type: ignore[arg-type]
        )  # fmt: skip
