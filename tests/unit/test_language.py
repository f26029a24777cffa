"""Which language a customer writes (domain.language), with real chat lines in both."""

from __future__ import annotations

import pytest

from servicedesk.domain.language import EN, ZH, detect, language_name, prevailing, supported


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单到哪了？", ZH),
        ("where is my order", EN),
        ("I forgot my password", EN),
        ("退款", ZH),
        ("iPhone 15 Pro Max 屏幕碎了", ZH),  # Chinese customers type product names in Latin
        ("我的邮箱是 lin.na@example.com，收不到验证码", ZH),
        ("my 声悦耳机 Pro won't pair with my phone", EN),  # a pasted Chinese product name
        ("退款 refund", ZH),  # a tie goes to Chinese
        ("ＷＨＥＲＥ ＩＳ ＭＹ ＯＲＤＥＲ", EN),  # full-width letters from a Chinese keyboard
        ("hello 你好", ZH),
        ("5", None),  # a rating
        ("2026111800042", None),  # an order number
        ("👍", None),
        ("", None),
        ("?? !!", None),
    ],
)
def test_it_reads_the_language_from_the_script(text: str, expected: str | None) -> None:
    assert detect(text) == expected


def test_several_messages_are_weighed_together() -> None:
    english = ["Hi, my earbuds will not pair", "I tried resetting them twice", "星辰手机"]
    assert prevailing(english) == EN  # one pasted product name does not outvote them
    assert prevailing(["好的", "ok"]) == ZH
    assert prevailing(["5", "2026111800042"]) is None
    assert prevailing([]) is None


def test_stored_locales_and_names() -> None:
    assert [supported(x) for x in ("en-US", "zh-CN", "EN", None, "", "fr")] == [EN, ZH, EN, ZH, ZH, ZH]
    assert (language_name(ZH), language_name(EN), language_name(ZH, EN), language_name(EN, EN)) == (
        "中文", "英文", "Chinese", "English",
    )  # fmt: skip
