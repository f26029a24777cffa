from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.channels.wechat import MalformedMessage, TooLarge, extract_encrypt, parse_inbound
from servicedesk.domain.catalog import Channel

DATA = Path(__file__).resolve().parents[2] / "data" / "wechat"
NOW = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(name: str) -> InboundMessage:
    return parse_inbound(fixture(name), received_at=NOW)


def test_it_parses_a_text_message() -> None:
    message = parse("text.xml")
    assert message.channel is Channel.WECHAT
    assert message.kind is InboundKind.MESSAGE
    assert message.sender == "oyORnuP8q7ou2gfYjqLzSIWZf0rs"
    assert message.body == "abcdteT"
    assert message.message_id == "6054768590064713728"
    assert message.received_at == datetime.fromtimestamp(1409735668, tz=UTC)
    assert message.received_at.tzinfo is UTC
    assert message.metadata["to_user"] == "gh_10f6c3c3ac5a"
    assert message.metadata["msg_type"] == "text"
    assert message.metadata["create_time"] == "1409735668"
    assert message.metadata["server_received_at"] == NOW.isoformat()


def test_it_keeps_a_msg_id_beyond_2_53_exactly() -> None:
    message = parse("text_chinese.xml")
    assert message.message_id == "9007199254740993"
    assert 9007199254740993 > 2**53
    assert float(9007199254740993) != 9007199254740993  # why it must stay a string
    assert message.body == "你好，我的订单 <#1024> 还没发货 & 想退款"


def test_it_accepts_str_input_too() -> None:
    message = parse_inbound(fixture("text_chinese.xml").decode("utf-8"), received_at=NOW)
    assert message.message_id == "9007199254740993"


def test_it_parses_an_image() -> None:
    message = parse("image.xml")
    assert message.kind is InboundKind.MESSAGE
    assert message.body == ""
    assert message.metadata["media_id"] == "media_id"
    assert message.metadata["pic_url"] == "http://mmbiz.qpic.cn/mmbiz_jpg/example/0"
    assert message.message_id == "1234567890123456"


def test_it_parses_a_voice_with_recognition() -> None:
    message = parse("voice.xml")
    assert message.body == "腾讯微信团队"
    assert message.metadata["media_id"] == "media_id"
    assert message.metadata["format"] == "amr"


@pytest.mark.parametrize(
    ("name", "media_id"),
    [("voice_empty_recognition.xml", "media_id_empty"), ("voice_no_recognition.xml", "media_id_plain")],
)
def test_it_keeps_a_voice_without_recognition(name: str, media_id: str) -> None:
    message = parse(name)
    assert message.kind is InboundKind.MESSAGE
    assert message.body == ""
    assert message.metadata["media_id"] == media_id


@pytest.mark.parametrize("name", ["video.xml", "shortvideo.xml"])
def test_it_parses_videos(name: str) -> None:
    message = parse(name)
    assert message.metadata["msg_type"] == name.removesuffix(".xml")
    assert message.metadata["media_id"] == "media_id"
    assert message.metadata["thumb_media_id"] == "thumb_media_id"


def test_it_parses_a_location() -> None:
    message = parse("location.xml")
    assert message.body == "位置信息"
    assert message.metadata["latitude"] == "23.134521"
    assert message.metadata["longitude"] == "113.358803"
    assert message.metadata["scale"] == "20"


def test_it_parses_a_link() -> None:
    message = parse("link.xml")
    assert message.metadata["url"] == "url"
    assert message.metadata["title"] == "公众平台官网链接"
    assert message.body == "公众平台官网链接\n公众平台官网链接\nurl"


@pytest.mark.parametrize(
    ("name", "event", "event_key"),
    [
        ("event_subscribe.xml", "subscribe", ""),
        ("event_subscribe_qrscene.xml", "subscribe", "qrscene_123123"),
        ("event_unsubscribe.xml", "unsubscribe", ""),
        ("event_scan.xml", "SCAN", "SCENE_VALUE"),
        ("event_click.xml", "CLICK", "EVENTKEY"),
        ("event_view.xml", "VIEW", "www.qq.com"),
        ("event_location.xml", "LOCATION", ""),
    ],
)
def test_it_parses_events(name: str, event: str, event_key: str) -> None:
    message = parse(name)
    assert message.kind is InboundKind.EVENT
    assert message.body == ""
    assert message.metadata["event"] == event
    assert message.metadata["event_key"] == event_key
    create_time = message.metadata["create_time"]
    assert message.message_id == f"event:{message.sender}:{create_time}:{event}:{event_key}"


def test_it_keeps_event_extras() -> None:
    assert parse("event_scan.xml").metadata["ticket"] == "TICKET"
    location = parse("event_location.xml").metadata
    assert (location["latitude"], location["longitude"], location["precision"]) == (
        "23.137466",
        "113.352425",
        "119.385040",
    )


def test_it_gives_distinct_events_distinct_keys() -> None:
    keys = {
        parse(name).message_id
        for name in ("event_subscribe.xml", "event_subscribe_qrscene.xml", "event_unsubscribe.xml")
    }
    assert len(keys) == 3


def test_it_refuses_a_missing_sender() -> None:
    with pytest.raises(MalformedMessage, match="FromUserName"):
        parse("missing_from.xml")


@pytest.mark.parametrize("name", ["bomb.xml", "doctype_external.xml"])
def test_it_refuses_dtds_and_entities(name: str) -> None:
    with pytest.raises(MalformedMessage, match="unsafe"):
        parse(name)


def test_it_refuses_oversized_input_before_parsing() -> None:
    big = b"<xml><Content><![CDATA[" + b"a" * (64 * 1024) + b"]]></Content></xml>"
    with pytest.raises(TooLarge):
        parse_inbound(big, received_at=NOW)
    # counted in bytes, not characters: 30 000 CJK characters are 90 000 UTF-8 bytes
    with pytest.raises(TooLarge):
        parse_inbound("<xml>" + "字" * 30_000 + "</xml>", received_at=NOW)
    assert issubclass(TooLarge, MalformedMessage)


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        ("not xml at all", "well-formed"),
        ("<root><FromUserName>a</FromUserName></root>", "root"),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType></xml>",
            "Content",
        ),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>soon</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "CreateTime",
        ),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content>"
            "<MsgId>6.05e18</MsgId></xml>",
            "MsgId",
        ),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>event</MsgType></xml>",
            "Event",
        ),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName> </FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content></xml>",
            "FromUserName",
        ),
        (
            "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName>"
            "<CreateTime>1</CreateTime><MsgType>image</MsgType><MsgId>1</MsgId></xml>",
            "MediaId",
        ),
    ],
)
def test_it_explains_what_is_malformed(xml: str, reason: str) -> None:
    with pytest.raises(MalformedMessage, match=reason):
        parse_inbound(xml, received_at=NOW)


def test_it_accepts_unknown_message_types() -> None:
    xml = (
        "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>miniprogrampage</MsgType><MsgId>77</MsgId></xml>"
    )
    message = parse_inbound(xml, received_at=NOW)
    assert message.metadata["msg_type"] == "miniprogrampage"
    assert message.message_id == "77"


def test_it_strips_whitespace_around_identifiers_only() -> None:
    xml = (
        "<xml><ToUserName> a </ToUserName><FromUserName>\n b \n</FromUserName><CreateTime> 1 </CreateTime>"
        "<MsgType>  <![CDATA[text]]></MsgType><Content><![CDATA[  indented  ]]></Content><MsgId>5</MsgId></xml>"
    )
    message = parse_inbound(xml, received_at=NOW)
    assert (message.sender, message.metadata["to_user"], message.body) == ("b", "a", "  indented  ")


def test_it_refuses_a_naive_received_at() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_inbound(fixture("text.xml"), received_at=datetime(2024, 5, 1))


def test_it_extracts_the_ciphertext_of_a_safe_mode_body() -> None:
    assert extract_encrypt(fixture("encrypted_envelope.xml")).startswith("hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk")
    with pytest.raises(MalformedMessage, match="Encrypt"):
        extract_encrypt(fixture("text.xml"))
