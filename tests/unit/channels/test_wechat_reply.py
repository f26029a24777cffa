from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from servicedesk.channels.message import Attachment, OutboundMessage
from servicedesk.channels.wechat import (
    classify_api_error,
    customer_service_payload,
    encode_payload,
    parse_inbound,
    passive_text_reply,
    within_service_window,
)
from servicedesk.domain.catalog import Channel

NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
DATA = Path(__file__).resolve().parents[2] / "data" / "wechat"


def test_it_builds_a_passive_text_reply() -> None:
    xml = passive_text_reply("oUser", "gh_account", "您好，已收到", now=NOW)
    root = fromstring(xml)
    assert root.findtext("ToUserName") == "oUser"
    assert root.findtext("FromUserName") == "gh_account"
    assert root.findtext("CreateTime") == str(int(NOW.timestamp()))
    assert root.findtext("MsgType") == "text"
    assert root.findtext("Content") == "您好，已收到"
    assert "<Content><![CDATA[您好，已收到]]></Content>" in xml


@pytest.mark.parametrize(
    "content",
    ["a]]>b", "]]>", "]]]]>", "<script>&amp;</script>", "x]]><Injected>1</Injected><![CDATA[y", "行1\n行2"],
)
def test_it_escapes_cdata_terminators(content: str) -> None:
    xml = passive_text_reply("oUser", "gh_account", content, now=NOW)
    root = fromstring(xml)
    assert root.findtext("Content") == content
    assert root.find("Injected") is None


def test_it_drops_characters_xml_cannot_carry() -> None:
    xml = passive_text_reply("oUser", "gh_account", "a\x00b\x07c\td", now=NOW)
    assert fromstring(xml).findtext("Content") == "abc\td"


def test_it_answers_an_inbound_message_with_roles_swapped() -> None:
    inbound = parse_inbound((DATA / "text.xml").read_bytes(), received_at=NOW)
    xml = passive_text_reply(inbound.sender, inbound.metadata["to_user"], "好的", now=NOW)
    root = fromstring(xml)
    assert root.findtext("ToUserName") == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert root.findtext("FromUserName") == "gh_10f6c3c3ac5a"


def test_it_builds_a_customer_service_text_payload() -> None:
    message = OutboundMessage(channel=Channel.WECHAT, recipient="oUser", body="工单已解决")
    payload = customer_service_payload(message)
    assert payload == {"touser": "oUser", "msgtype": "text", "text": {"content": "工单已解决"}}
    body = encode_payload(payload)
    assert "工单已解决".encode() in body
    assert b"\\u" not in body
    assert json.loads(body) == payload


def test_it_builds_a_customer_service_image_payload() -> None:
    message = OutboundMessage(
        channel=Channel.WECHAT, recipient="oUser", body="", metadata={"media_id": "MEDIA_ID"}
    )
    assert customer_service_payload(message) == {
        "touser": "oUser",
        "msgtype": "image",
        "image": {"media_id": "MEDIA_ID"},
    }


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(channel=Channel.EMAIL, recipient="oUser", body="x"),
        OutboundMessage(channel=Channel.WECHAT, recipient="", body="x"),
        OutboundMessage(channel=Channel.WECHAT, recipient="oUser", body=""),
        OutboundMessage(
            channel=Channel.WECHAT,
            recipient="oUser",
            body="see attached",
            attachments=(Attachment("a.png", "image/png", b"\x89PNG"),),
        ),
    ],
)
def test_it_refuses_payloads_it_cannot_send(message: OutboundMessage) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
        customer_service_payload(message)


def test_it_classifies_success_as_no_error() -> None:
    assert classify_api_error(0, "ok") is None


@pytest.mark.parametrize("errcode", [45015, 45047, 40003, 43004])
def test_it_classifies_permanent_errors(errcode: int) -> None:
    error = classify_api_error(errcode, "some errmsg")
    assert error is not None
    assert error.permanent
    assert str(errcode) in error.reason
    assert "some errmsg" in error.reason


@pytest.mark.parametrize("errcode", [-1, 45009, 40001, 99999])
def test_it_classifies_retryable_errors(errcode: int) -> None:
    error = classify_api_error(errcode, "busy")
    assert error is not None
    assert not error.permanent


def test_it_knows_the_48_hour_window() -> None:
    assert within_service_window(NOW - timedelta(hours=47, minutes=59), NOW)
    assert not within_service_window(NOW - timedelta(hours=48), NOW)
    assert not within_service_window(NOW - timedelta(days=3), NOW)
    assert not within_service_window(None, NOW)
    assert within_service_window(NOW - timedelta(hours=5), NOW, hours=6)
    assert not within_service_window(NOW - timedelta(hours=7), NOW, hours=6)


def test_it_refuses_naive_datetimes_for_the_window() -> None:
    with pytest.raises(ValueError, match="aware"):
        within_service_window(datetime(2024, 5, 1), NOW)
