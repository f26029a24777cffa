from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicedesk.channels.email.parse import (
    decode_header_text,
    html_to_text,
    parse_email,
    strip_subject_prefixes,
)
from servicedesk.channels.message import InboundKind, InboundMessage
from servicedesk.domain.catalog import Channel

DATA = Path(__file__).resolve().parents[2] / "data" / "email"
NOW = datetime(2024, 3, 20, 8, 0, tzinfo=UTC)


def parse_fixture(name: str) -> InboundMessage:
    return parse_email((DATA / name).read_bytes(), received_at=NOW)


def minimal(headers: str, body: bytes = b"hello\r\n") -> bytes:
    return headers.replace("\n", "\r\n").encode() + b"\r\n" + body


def test_it_decodes_a_gbk_mail_with_a_gbk_encoded_word_subject() -> None:
    msg = parse_fixture("gbk_plain.eml")
    assert msg.channel is Channel.EMAIL
    assert msg.kind is InboundKind.MESSAGE
    assert msg.sender == "wangxm@example.com.cn"  # lower-cased
    assert msg.sender_name == "王小明"
    assert msg.subject == "空气净化器故障 E3"
    assert msg.message_id == "202403120914550125831@example.com.cn"
    assert msg.body.startswith("您好：\n\n我上周在贵公司网店购买的空气净化器")
    assert "故障代码 E3" in msg.body
    assert msg.body.endswith("王小明")
    assert msg.received_at == NOW
    assert msg.attachments == ()
    assert "html" not in msg.metadata


def test_it_reads_gbk_only_characters_in_a_gb2312_labelled_mail() -> None:
    msg = parse_fixture("gb2312_mislabelled.eml")
    assert "张喆" in msg.body
    assert "陈堃" in msg.body
    assert "朱镕" in msg.body
    assert msg.subject == "发票抬头 - 张喆"
    assert msg.sender_name == "张喆"
    assert "\ufffd" not in msg.body + (msg.subject or "")


def test_it_reads_big5_with_hong_kong_characters() -> None:
    msg = parse_fixture("big5_hkscs.eml")
    assert "收到嘅時候有啲花痕" in msg.body  # 嘅 and 啲 are HKSCS, not plain Big5
    assert msg.subject == "換貨申請"
    assert msg.sender_name == "陳大文"


def test_it_turns_html_only_mail_into_text_and_sanitized_html() -> None:
    msg = parse_fixture("utf8_html_only.eml")
    assert msg.body.splitlines()[0] == "您好，"
    assert "登录后台时提示“账号已锁定”，无法查看订单。" in msg.body
    assert "截图见附件\n联系电话：138 0013 8000" in msg.body
    for hostile in ("document.cookie", "evil.example", "ignored title", "color:red"):
        assert hostile not in msg.body
    html = msg.metadata["html"]
    assert "<b>无法</b>" in html
    assert 'href="https://shop.example.com/order/42"' in html
    for hostile in ("<script", "onerror", "onclick", "javascript:", "<img", "<style", "document.cookie"):
        assert hostile not in html
    assert msg.attachments == ()


def test_it_decodes_rfc2231_and_rfc2047_attachment_names() -> None:
    msg = parse_fixture("rfc2231_attachment.eml")
    assert msg.body == "附件是发票和截图，请查收。"
    names = [a.filename for a in msg.attachments]
    assert names == ["发票.pdf", "二〇二四年三月对账单.xlsx", "截图1.png"]
    pdf = msg.attachments[0]
    assert pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-1.4\n")
    assert msg.attachments[2].data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "dropped_attachments" not in msg.metadata


def test_it_lists_attachments_over_the_limit_instead_of_losing_them() -> None:
    raw = (DATA / "rfc2231_attachment.eml").read_bytes()
    msg = parse_email(raw, received_at=NOW, max_attachment_bytes=48)
    assert [a.filename for a in msg.attachments] == ["二〇二四年三月对账单.xlsx"]
    assert msg.metadata["dropped_attachments"] == "发票.pdf, 截图1.png"


def test_it_strips_reply_prefixes_and_collects_thread_refs() -> None:
    msg = parse_fixture("reply_thread.eml")
    assert msg.subject == "空气净化器故障 E3"
    assert msg.kind is InboundKind.MESSAGE
    # In-Reply-To first, then References in order, brackets removed, duplicates dropped.
    assert msg.thread_refs == (
        "sd.42.a1b2c3d4e5f60718.0000000000000000@support.example.com",
        "202403120914550125831@example.com.cn",
    )


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Re: 回复：RE：Fwd: 订单问题", "订单问题"),
        ("FW: Aw: re: hello", "hello"),
        ("回复: 答复：转发：发票", "发票"),
        ("Re[2]: Re^3: 退款", "退款"),
        ("\u3000回复\u3000：\u3000Re ： 全角空格", "全角空格"),
        ("回覆：轉寄：繁體", "繁體"),
        ("Reply: not a prefix", "Reply: not a prefix"),
        ("Re: Re:", ""),
        ("Regarding 订单", "Regarding 订单"),
    ],
)
def test_it_strips_subject_prefixes_repeatedly(subject: str, expected: str) -> None:
    assert strip_subject_prefixes(subject) == expected


def test_it_marks_an_auto_reply_as_automatic() -> None:
    msg = parse_fixture("auto_reply.eml")
    assert msg.kind is InboundKind.AUTOMATIC
    assert msg.subject == "自动回复: 空气净化器故障 E3"
    assert msg.metadata["automatic_reason"] == "auto-submitted"


def test_it_marks_an_out_of_office_with_x_autoreply_as_automatic() -> None:
    msg = parse_fixture("out_of_office.eml")  # saved with bare LF line endings
    assert msg.kind is InboundKind.AUTOMATIC
    assert msg.metadata["automatic_reason"] == "x-autoreply"
    assert msg.body == "我3月18日至3月25日休假，期间邮件无法及时回复。"


def test_it_reads_a_delivery_status_bounce() -> None:
    msg = parse_fixture("bounce_dsn.eml")
    assert msg.kind is InboundKind.AUTOMATIC
    assert msg.metadata["bounce"] == "hard"
    assert msg.metadata["bounced_recipient"] == "nobody@example.com.cn"
    assert msg.metadata["bounced_message_id"] == "sd.42.0011223344556677.8899aabbccddeeff@support.example.com"
    assert "could not\nbe delivered" in msg.body
    assert {a.content_type for a in msg.attachments} == {"message/delivery-status", "text/rfc822-headers"}


def test_it_calls_a_4xx_status_a_soft_bounce() -> None:
    raw = (DATA / "bounce_dsn.eml").read_bytes().replace(b"Status: 5.1.1", b"Status: 4.4.1")
    raw = raw.replace(b"Action: failed", b"Action: delayed")
    assert parse_email(raw, received_at=NOW).metadata["bounce"] == "soft"


def test_it_reads_iso_2022_cn_which_python_has_no_codec_for() -> None:
    msg = parse_fixture("unknown_charset.eml")
    assert msg.subject == "旧系统邮件"
    first, second = msg.body.split("\n\n")
    assert (first, second[1:]) == ("正文在第二部分。", "户的回复")
    assert msg.attachments == ()
    assert "needs_review" not in msg.metadata


def test_it_reads_a_part_no_charset_can_read_with_replacements_and_keeps_its_bytes() -> None:
    raw = minimal(
        'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\n\xff\xfe\x80 binary data here\r\n--b--\r\n",
    )
    msg = parse_email(raw, received_at=NOW)
    assert "binary data here" in msg.body
    assert [(a.filename, a.data) for a in msg.attachments] == [
        ("part-1.txt", b"\xff\xfe\x80 binary data here")
    ]
    assert msg.metadata["needs_review"] == "undecodable"
    assert msg.metadata["undecodable_parts"] == "part-1.txt"


def test_it_joins_encoded_words_split_inside_a_character() -> None:
    msg = parse_fixture("split_encoded_word.eml")
    assert msg.subject == "关于退款进度的查询（订单 8871）"
    assert msg.sender_name == "欧阳娜娜"
    assert msg.sender == "ouyang@example.com"


def test_it_keeps_the_space_between_an_encoded_word_and_plain_text() -> None:
    word = "=?UTF-8?B?" + base64.b64encode("订单".encode()).decode() + "?="
    assert decode_header_text(f"[#42] {word} 8871") == "[#42] 订单 8871"
    assert decode_header_text(f"{word}\r\n {word}") == "订单订单"
    assert decode_header_text("=?x-nonsense?Q?abc?=") == "abc"


def test_it_decodes_raw_8bit_headers() -> None:
    raw = "From: 张三 <zs@example.com>\r\nSubject: 回复：发票\r\n\r\nhi\r\n".encode("gbk")
    msg = parse_email(raw, received_at=NOW)
    assert msg.sender_name == "张三"
    assert msg.subject == "发票"


def test_it_hashes_the_raw_bytes_when_there_is_no_message_id() -> None:
    raw = minimal("From: a@example.com\nSubject: x\n")
    first = parse_email(raw, received_at=NOW)
    second = parse_email(raw, received_at=NOW + timedelta(hours=1))
    assert first.message_id is not None
    assert first.message_id.startswith("sha256:")
    assert len(first.message_id) == len("sha256:") + 64
    assert first.message_id == second.message_id
    assert parse_email(raw + b"!", received_at=NOW).message_id != first.message_id


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@example.com\nAuto-Submitted: auto-generated\n",
        "From: a@example.com\nPrecedence: bulk\n",
        "From: a@example.com\nPrecedence: auto_reply\n",
        "From: a@example.com\nX-Autorespond: yes\n",
        "From: a@example.com\nX-Auto-Response-Suppress: All\n",
        "From: a@example.com\nX-Loop: crm@example.com\n",
        "From: a@example.com\nList-Id: <news.example.com>\n",
        "From: a@example.com\nList-Unsubscribe: <mailto:u@example.com>\n",
        "Return-Path: <>\nFrom: a@example.com\n",
        "From: a@example.com\nX-Servicedesk-Loop: support.example.com\n",
        'From: a@example.com\nContent-Type: multipart/report; report-type=disposition-notification; boundary="b"\n',
    ],
)
def test_it_marks_machine_mail_as_automatic(headers: str) -> None:
    assert parse_email(minimal(headers), received_at=NOW).kind is InboundKind.AUTOMATIC


@pytest.mark.parametrize(
    "headers",
    [
        "From: a@example.com\nAuto-Submitted: no\n",
        "From: a@example.com\nPrecedence: first-class\n",
        "Return-Path: <a@example.com>\nFrom: a@example.com\n",
    ],
)
def test_it_leaves_human_mail_alone(headers: str) -> None:
    msg = parse_email(minimal(headers), received_at=NOW)
    assert msg.kind is InboundKind.MESSAGE
    assert "automatic_reason" not in msg.metadata


@pytest.mark.parametrize(
    ("raw", "body", "flags"),
    [
        (b"", "", "no_headers,no_sender"),
        (
            b"\x00\xff\xfe\x89garbage \x01\x02 not mail at all",
            "not mail at all",
            "undecodable,no_headers,no_sender",
        ),
        (b"Subject: hello\r\n\r\nbody\r\n", "body", "no_sender"),
        (b"From: \r\nSubject: hello\r\n\r\nbody\r\n", "body", "no_sender"),
        (b"From: just a name\r\n\r\nbody\r\n", "body", "no_sender"),
    ],
)
def test_it_keeps_what_it_cannot_attribute_and_flags_it(raw: bytes, body: str, flags: str) -> None:
    msg = parse_email(raw, received_at=NOW)
    assert body in msg.body
    assert msg.sender == ""
    assert msg.metadata["needs_review"] == flags
    assert msg.kind is InboundKind.MESSAGE


def test_the_envelope_names_a_sender_the_headers_do_not() -> None:
    msg = parse_email(
        b"From: just a name\r\n\r\nbody\r\n", received_at=NOW, envelope_sender="Real@Example.cn"
    )
    assert (msg.sender, msg.sender_name, msg.metadata["sender_source"]) == (
        "real@example.cn",
        "just a name",
        "envelope",
    )
    assert "needs_review" not in msg.metadata


def test_it_gives_an_empty_body_for_a_mail_without_one() -> None:
    msg = parse_email(b"From: a@example.com\r\nSubject: (no body)\r\n", received_at=NOW)
    assert msg.body == ""


def test_it_requires_an_aware_received_at_and_stores_it_in_utc() -> None:
    raw = minimal("From: a@example.com\n")
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_email(raw, received_at=datetime(2024, 1, 1))
    beijing = datetime(2024, 1, 1, 8, 0, tzinfo=timezone(timedelta(hours=8)))
    assert parse_email(raw, received_at=beijing).received_at == datetime(2024, 1, 1, tzinfo=UTC)


def test_it_refuses_path_tricks_in_attachment_names() -> None:
    raw = minimal(
        'From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n',
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
        b'--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="../../etc/passwd"\r\n\r\nx\r\n'
        b"--b--\r\n",
    )
    msg = parse_email(raw, received_at=NOW)
    assert msg.body == "see file"
    assert [a.filename for a in msg.attachments] == ["passwd"]


def test_it_renders_html_line_breaks_sensibly() -> None:
    html = (
        "<div>第一行<br>第二行</div><ul><li>一</li><li>二</li></ul><p>a&amp;b&nbsp;c</p><script>x()</script>"
    )
    assert html_to_text(html) == "第一行\n第二行\n\n一\n二\n\na&b c"
    assert html_to_text("<div>line 1</div><div><br></div><div>line 2</div>") == "line 1\n\nline 2"
    assert (
        html_to_text("<table><tr><td>订单</td><td>8871</td></tr><tr><td>状态</td></tr></table>")
        == "订单 8871\n状态"
    )


_HEADER_PREFIX = b"From: Tester <t@example.com>\r\nMIME-Version: 1.0\r\n"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_it_never_crashes_and_never_returns_surrogates(tail: bytes) -> None:
    msg = parse_email(_HEADER_PREFIX + tail, received_at=NOW)
    texts = [msg.sender, msg.body, msg.sender_name or "", msg.subject or "", msg.message_id or ""]
    texts += list(msg.thread_refs) + [a.filename for a in msg.attachments] + list(msg.metadata.values())
    for text in texts:
        text.encode("utf-8")  # raises on a lone surrogate


def test_it_reads_unlabelled_utf8_as_utf8_not_gb18030() -> None:
    raw = "From: a@example.cn\r\nSubject: x\r\nMessage-ID: <u8@example.cn>\r\n\r\n中文 hello\r\n".encode()
    parsed = parse_email(raw, received_at=datetime(2026, 11, 22, tzinfo=UTC))
    assert parsed.body.strip() == "中文 hello"


def test_western_8bit_text_under_an_ascii_label_is_read_as_windows_1252_not_cjk() -> None:
    raw = b"From: r@example.fr\r\nSubject: R\xe9ponse caf\xe9\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
    msg = parse_email(raw + "Café crème, “quoted”".encode("cp1252"), received_at=NOW)
    assert (msg.subject, msg.body) == ("Réponse café", "Café crème, “quoted”")
    assert "needs_review" not in msg.metadata


@pytest.mark.parametrize(
    ("subject", "automatic"),
    [
        ("AUTO: Zhang is out of the office (returning 03/25/2024)", True),
        ("Away: back Monday", True),
        ("【自动回复】休假中", True),
        ("Automobile order", False),
        ("关于自动回复功能的建议", False),
    ],
)
def test_out_of_office_subjects(subject: str, automatic: bool) -> None:
    msg = parse_email(minimal(f"From: a@example.com\nSubject: {subject}\n"), received_at=NOW)
    assert (msg.kind is InboundKind.AUTOMATIC) is automatic


def test_a_mail_the_parser_trips_over_is_still_kept_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from servicedesk.channels.email import parse

    def trip(*_args: object) -> InboundMessage:
        raise RecursionError("a structure nobody foresaw")

    monkeypatch.setattr(parse, "_parse", trip)
    raw = minimal("From: a@example.com\nSubject: x\n", "订单 8871 没到".encode())
    msg = parse_email(raw, received_at=NOW, envelope_sender="a@example.com")
    assert (msg.sender, msg.metadata["needs_review"], msg.kind) == (
        "a@example.com",
        "unparsed",
        InboundKind.MESSAGE,
    )
    assert "订单 8871 没到" in msg.body
    assert [(a.filename, a.data) for a in msg.attachments] == [("original.eml", raw)]
