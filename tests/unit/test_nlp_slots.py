from datetime import date
from decimal import Decimal

import pytest

from servicedesk.nlp import slots
from servicedesk.nlp.slots import Slots, chinese_number, extract

TODAY = date(2024, 11, 27)  # a Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单2024112200123到哪了", "2024112200123"),
        ("订单号：２０２４１１２２００１２３", "2024112200123"),  # full-width digits and colon
        ("订单号：2024 1122 00123 还没到", "2024112200123"),
        ("Order #2024-1122-00123 has not arrived", "2024112200123"),
        ("单号是20241122001234567，麻烦查一下", "20241122001234567"),
        ("电话13812345678", None),  # a phone number is not an order
        ("008613812345678", None),  # nor is one with the country code
        ("卡号6222021234567890123", None),  # a bank card
        ("身份证11010519491231002X", None),  # an identity card
        ("2024 1122 00123", None),  # groups without a keyword are too ambiguous
        ("123456789012345678901", None),  # 21 digits
    ],
)
def test_order_number(text: str, expected: str | None) -> None:
    assert slots.order_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机是13812345678", "13812345678"),
        ("手机 +86 138-1234-5678", "13812345678"),
        ("联系电话：１３９ １２３４ ５６７８", "13912345678"),
        ("0086 15912345678", "15912345678"),
        ("12812345678", None),  # 12x is not a mobile prefix
        ("订单2024113812345678", None),  # inside a longer run
        ("1381234567", None),  # ten digits
    ],
)
def test_phone_number(text: str, expected: str | None) -> None:
    assert slots.phone_number(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("退款1,299.50元", "1299.50"),
        ("¥99", "99"),
        ("￥１２９", "129"),
        ("RMB 200", "200"),
        ("CNY1,000", "1000"),
        ("退我三百元", "300"),
        ("两千五百块", "2500"),
        ("一共1.5万元", "15000"),
        ("三块五", "3.5"),
        ("50块钱的东西", "50"),
        ("买了两块电池", None),  # 块 as a measure word
        ("住在3单元", None),
        ("我买了3件", None),
        ("订单2024112200123", None),
    ],
)
def test_amount(text: str, expected: str | None) -> None:
    value = slots.amount(text)
    assert value == (None if expected is None else Decimal(expected))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-11-22下的单", date(2024, 11, 22)),
        ("2024/11/22", date(2024, 11, 22)),
        ("2024年11月22日", date(2024, 11, 22)),
        ("11月22日买的", date(2024, 11, 22)),
        ("十一月二十二号到的货", date(2024, 11, 22)),
        ("昨天下的单", date(2024, 11, 26)),
        ("前天", date(2024, 11, 25)),
        ("三天前", date(2024, 11, 24)),
        ("上周五", date(2024, 11, 22)),
        ("周五", date(2024, 11, 22)),
        ("下周一送货", date(2024, 12, 2)),
        ("yesterday", date(2024, 11, 26)),
        ("last friday", date(2024, 11, 22)),
        ("2024-02-30", None),  # no such day
        ("订单2024112200123", None),  # digits of an order are not a date
    ],
)
def test_date(text: str, expected: date | None) -> None:
    assert slots.date_mentioned(text, today=TODAY) == expected


def test_month_day_takes_the_nearest_year() -> None:
    assert slots.date_mentioned("12月30日", today=date(2025, 1, 3)) == date(2024, 12, 30)
    assert slots.date_mentioned("1月2日", today=date(2024, 12, 30)) == date(2025, 1, 2)


@pytest.mark.parametrize(
    ("numeral", "value"),
    [("三百五十", 350), ("两万三", 23000), ("一百零五", 105), ("三百五", 350), ("十五", 15), ("壹佰", 100),
     ("三千零五十", 3050), ("一亿三千万", 130_000_000), ("三五", None), ("abc", None)],
)  # fmt: skip
def test_chinese_number(numeral: str, value: int | None) -> None:
    assert chinese_number(numeral) == value


def test_extract_all_slots_of_one_message() -> None:
    found = extract("订单 2024112200123 金额 99 元，电话 13912345678，昨天下的单", today=TODAY)
    assert found == Slots(
        order_no="2024112200123", phone="13912345678", amount=Decimal("99.00"), date=date(2024, 11, 26)
    )
    assert found.as_variables() == {
        "order_no": "2024112200123",
        "phone": "13912345678",
        "amount": "99.00",
        "date": "2024-11-26",
    }


def test_nothing_found_in_plain_text() -> None:
    assert extract("你好，请问怎么退货？", today=TODAY) == Slots()
    assert extract("", today=TODAY) == Slots()
