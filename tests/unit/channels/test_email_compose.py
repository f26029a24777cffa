from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from servicedesk.channels.email.compose import compose_reply
from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.threading import make_message_id, ticket_id_from_refs
from servicedesk.channels.message import Attachment, InboundKind, OutboundMessage
from servicedesk.domain.catalog import Channel

SECRET = "s3cret-for-tests"
DOMAIN = "support.example.com"
NOW = datetime(2024, 3, 20, 8, 0, tzinfo=UTC)
GMAIL_ID = "CAPx8r3xZ7Kq1wY0vN2mB5tR9uJ6hL4gF3dS8aP1oI7eW2zXc+Kw-long-id-0123456789@mail.gmail.com"
BODY = "王先生您好：\n\n师傅将于明天上午 9:00-12:00 上门维修，请保持电话畅通。\n\n客服小李"


def reply(**changes: object) -> OutboundMessage:
    fields: dict[str, object] = {
        "channel": Channel.EMAIL,
        "recipient": "wangxm@example.com.cn",
        "body": BODY,
        "subject": "空气净化器故障 E3",
        "message_id": make_message_id(42, secret=SECRET, domain=DOMAIN, nonce="r1"),
        "thread_refs": (GMAIL_ID, "202403172030000188@example.com.cn"),
        "metadata": {"ticket_id": "42"},
    }
    fields.update(changes)
    return OutboundMessage(**fields)  # type: ignore[arg-type]


def compose(message: OutboundMessage) -> bytes:
    return compose_reply(
        message, from_address="support@" + DOMAIN, from_name="智能客服中心", domain=DOMAIN, date=NOW
    )


def test_it_writes_threading_headers_and_the_ticket_tag() -> None:
    outbound = reply()
    out = BytesParser(policy=policy.default).parsebytes(compose(outbound))
    assert out["Message-ID"] == f"<{outbound.message_id}>"
    assert out["In-Reply-To"] == "<202403172030000188@example.com.cn>"
    assert out["References"].split() == [f"<{GMAIL_ID}>", "<202403172030000188@example.com.cn>"]
    assert out["Subject"] == "[#42] 空气净化器故障 E3"
    assert out["From"].addresses[0].display_name == "智能客服中心"
    assert out["From"].addresses[0].addr_spec == "support@support.example.com"
    assert out["To"] == "wangxm@example.com.cn"
    assert out["Date"] == "Wed, 20 Mar 2024 08:00:00 +0000"
    assert out["X-Servicedesk-Loop"] == DOMAIN


def test_it_writes_standard_seven_bit_mail_with_short_lines() -> None:
    raw = compose(reply())
    assert raw.isascii()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert b"=?utf-8?" in raw  # the Chinese subject and sender name as RFC 2047
    assert GMAIL_ID.encode() in raw  # a long id is never encoded or split


def test_it_does_not_look_automatic_to_the_customer() -> None:
    out = BytesParser(policy=policy.default).parsebytes(compose(reply()))
    for header in ("Auto-Submitted", "Precedence", "X-Loop", "X-Autoreply", "List-Id"):
        assert header not in out


def test_it_does_not_repeat_a_tag_already_in_the_subject() -> None:
    out = BytesParser(policy=policy.default).parsebytes(compose(reply(subject="Re: [#42] 发票")))
    assert out["Subject"] == "Re: [#42] 发票"


def test_it_round_trips_through_parse_email() -> None:
    outbound = reply(attachments=(Attachment("维修单.pdf", "application/pdf", b"%PDF-1.4 fake"),))
    back = parse_email(compose(outbound), received_at=NOW)
    assert back.body == BODY
    assert back.subject == "[#42] 空气净化器故障 E3"
    assert back.sender == "support@support.example.com"
    assert back.sender_name == "智能客服中心"
    assert back.message_id == outbound.message_id
    # In-Reply-To (the last ref) comes first, then the rest of References.
    assert back.thread_refs == ("202403172030000188@example.com.cn", GMAIL_ID)
    assert set(back.thread_refs) == set(outbound.thread_refs)
    assert back.attachments == outbound.attachments
    # our own mail coming back in is recognised by X-Servicedesk-Loop
    assert back.kind is InboundKind.AUTOMATIC
    assert back.metadata["automatic_reason"] == "x-servicedesk-loop"


def test_it_threads_the_customer_reply_to_its_ticket() -> None:
    ours = parse_email(compose(reply()), received_at=NOW)
    assert ours.message_id is not None
    customer = (
        "From: wangxm@example.com.cn\r\nSubject: Re: [#42] 空气净化器故障 E3\r\n"
        f"Message-ID: <c-1@example.com.cn>\r\nIn-Reply-To: <{ours.message_id}>\r\n"
        f"References: <{GMAIL_ID}> <{ours.message_id}>\r\n\r\n好的\r\n"
    ).encode()
    inbound = parse_email(customer, received_at=NOW)
    assert inbound.kind is InboundKind.MESSAGE
    assert ticket_id_from_refs(inbound.thread_refs, secret=SECRET) == 42
    assert ticket_id_from_refs(inbound.thread_refs, secret="other-secret") is None


def test_it_makes_a_message_id_when_none_is_given() -> None:
    out = BytesParser(policy=policy.default).parsebytes(compose(reply(message_id=None, thread_refs=())))
    assert out["Message-ID"].endswith("@support.example.com>")
    assert "In-Reply-To" not in out
    assert "References" not in out


def test_it_leaves_out_refs_that_are_not_message_ids() -> None:
    out = BytesParser(policy=policy.default).parsebytes(
        compose(reply(thread_refs=("ok@example.com", "no spaces@x")))
    )
    assert out["References"] == "<ok@example.com>"


def test_it_refuses_header_injection_and_other_channels() -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        compose(reply(recipient="a@example.com\r\nBcc: victim@example.com"))
    with pytest.raises(ValueError, match="Message-ID"):
        compose(reply(message_id="bad id\r\nX: y"))
    with pytest.raises(ValueError, match="not an email"):
        compose(reply(channel=Channel.WECHAT))
