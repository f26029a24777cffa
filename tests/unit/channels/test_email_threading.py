from __future__ import annotations

import re

import pytest

from servicedesk.channels.email.threading import (
    make_message_id,
    ticket_id_from_refs,
    ticket_number_in_subject,
)

SECRET = "s3cret-for-tests"


def test_it_makes_a_message_id_that_carries_a_signed_ticket_id() -> None:
    message_id = make_message_id(42, secret=SECRET, domain="support.example.com", nonce="abc123")
    assert re.fullmatch(r"sd\.42\.abc123\.[0-9a-f]{16}@support\.example\.com", message_id)
    assert ticket_id_from_refs([message_id], secret=SECRET) == 42
    assert ticket_id_from_refs([f"<{message_id}>"], secret=SECRET) == 42


def test_it_is_deterministic_for_a_nonce_and_random_without_one() -> None:
    fixed = make_message_id(7, secret=SECRET, domain="example.com", nonce="n1")
    assert fixed == make_message_id(7, secret=SECRET, domain="example.com", nonce="n1")
    first = make_message_id(7, secret=SECRET, domain="example.com")
    second = make_message_id(7, secret=SECRET, domain="example.com")
    assert first != second
    assert ticket_id_from_refs([first], secret=SECRET) == ticket_id_from_refs([second], secret=SECRET) == 7


def test_it_returns_the_first_ref_that_verifies() -> None:
    refs = [
        "CAF1234567890@mail.gmail.com",
        make_message_id(5, secret="another-install", domain="support.example.com"),
        make_message_id(9, secret=SECRET, domain="support.example.com"),
        make_message_id(11, secret=SECRET, domain="support.example.com"),
    ]
    assert ticket_id_from_refs(refs, secret=SECRET) == 9


def test_it_rejects_forged_and_foreign_ids() -> None:
    genuine = make_message_id(42, secret=SECRET, domain="support.example.com", nonce="n")
    mac = genuine.split(".")[3].split("@")[0]
    forged_ticket = genuine.replace("sd.42.", "sd.43.")
    wrong_mac = genuine.replace(mac, "0" * 16)
    other_secret = make_message_id(42, secret="someone-else", domain="support.example.com", nonce="n")
    for ref in (forged_ticket, wrong_mac, other_secret, "sd.42.n@support.example.com", "", "garbage"):
        assert ticket_id_from_refs([ref], secret=SECRET) is None
    assert ticket_id_from_refs([], secret=SECRET) is None


def test_it_accepts_a_mac_whose_case_was_changed_in_transit() -> None:
    genuine = make_message_id(42, secret=SECRET, domain="support.example.com", nonce="n")
    local, domain = genuine.split("@")
    assert (
        ticket_id_from_refs(
            [local.upper().replace("SD.", "sd.").replace(".N.", ".n.") + "@" + domain], secret=SECRET
        )
        == 42
    )


@pytest.mark.parametrize(
    ("ticket", "kwargs"),
    [
        (0, {}),
        (-1, {}),
        (True, {}),
        (1, {"nonce": "has.dot"}),
        (1, {"nonce": ""}),
        (1, {"domain": "bad domain"}),
        (1, {"domain": "a@b"}),
        (1, {"secret": ""}),
    ],
)
def test_it_refuses_bad_arguments(ticket: int, kwargs: dict[str, str]) -> None:
    arguments = {"secret": SECRET, "domain": "example.com"} | kwargs
    with pytest.raises(ValueError):  # noqa: PT011
        make_message_id(ticket, **arguments)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("[#123] 空气净化器故障", 123),
        ("Re: 空气净化器故障 [#123]", 123),
        ("【#88】退款", 88),
        ("工单 #456 的进度", 456),
        ("工单＃456", 456),
        ("[#7] 关于 #8", 7),
        ("没有编号", None),
        ("颜色 &#123; 不是编号", None),
        ("abc#12", None),
        ("[#0]", None),
    ],
)
def test_it_finds_the_ticket_number_hint_in_a_subject(subject: str, expected: int | None) -> None:
    assert ticket_number_in_subject(subject) == expected
