"""Pulling the order number, phone number, amount and date out of a customer message, by rules.

Rules rather than a model because each slot has a fixed shape and a wrong value is worse than
none: the connector looks the order up, the agent calls the number. Text is NFKC-folded first,
so full-width digits and symbols from Chinese input methods (１３８…, ￥, ：) read as ASCII.

Decisions, so callers know what to expect:
- order number: a run of 12–20 digits (the demo shop's look like 2024112200123; 12 so that no
  mobile number, 11 digits, can be one). Groups
  split by spaces or dashes ("订单号：2024 1122 00123") count only right after a keyword
  (订单号, 单号, order no…), where the customer clearly means one number. A run that is a phone
  number with a country code (0086…), or that follows 卡号/银行卡/身份证/card, is not an order.
- phone: a mainland mobile number 1[3-9] + 9 digits, optionally +86/0086/86 and 3-4-4 groups;
  returned as the bare 11 digits. Never taken from inside a longer digit run.
- amount: a number with a currency sign or word (¥ ￥ RMB CNY 人民币 元 块 圆 yuan), Arabic digits
  with thousands separators and decimals, or Chinese numerals up to 亿 (三百元, 两千五百块,
  1.5万元, 三块五). "块" as a measure word (两块电池) is not money.
- date: 2024-11-22, 2024/11/22, 2024年11月22日, 11月22日 (the year that puts it nearest to
  `today`), 今天/昨天/前天/明天/后天, N天前, 上周五/这周五/下周五, a bare 周五 (the latest one not
  after today), and in English today/yesterday/tomorrow/last friday.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
              "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6, "柒": 7, "捌": 8,
              "玖": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_CN_ALL = frozenset(_CN_DIGITS) | frozenset(_CN_UNITS) | frozenset(_CN_BIG)
CN_NUMERAL = "[零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿]+"

_ORDER_KEYWORD = r"(?:订单编号|订单号码|订单号|订单|单号|order\s*(?:no\.?|number|#|id)?)\s*(?:是|为|:)?\s*"
_ORDER_GROUPED = re.compile(_ORDER_KEYWORD + r"(\d{2,}(?:[ -]\d{2,})+)(?![\d])", re.I)
_ORDER_RUN = re.compile(r"(?<!\d)\d{12,20}(?!\d)")
_NOT_ORDER_BEFORE = re.compile(r"(?:卡号|银行卡|信用卡|身份证|证件号|card|account)\D{0,6}$", re.I)
_PHONE = re.compile(r"(?<!\d)(?<!\d[ -])(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?![ -]?\d)")
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_AMOUNT_PREFIX = re.compile(rf"(?:¥|rmb|cny|人民币)\s*({_NUMBER})\s*(万|千)?", re.I)
_AMOUNT_SUFFIX = re.compile(
    rf"(?<![\d.,])({_NUMBER}|{CN_NUMERAL})\s*(万|千)?\s*(元|圆|块|rmb|cny|yuan)(?:钱)?"
    rf"(?:([0-9]|[一二两三四五六七八九])(?:角|毛)?)?",
    re.I,
)
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_EN_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE_FULL = re.compile(
    r"(?<!\d)(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*(?:日|号)?(?!\d)"
)
_DATE_MONTH_DAY = re.compile(
    r"(?<![\d年])(\d{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(\d{1,2}|[一二三四五六七八九十]{1,3})\s*(?:日|号)"
)
_DATE_RELATIVE = {"今天": 0, "今日": 0, "昨天": -1, "昨日": -1, "前天": -2, "大前天": -3, "明天": 1,
                  "明日": 1, "后天": 2, "today": 0, "yesterday": -1, "tomorrow": 1}  # fmt: skip
_DATE_RELATIVE_RE = re.compile("|".join(sorted(_DATE_RELATIVE, key=len, reverse=True)), re.I)
_DAYS_AGO = re.compile(r"(\d{1,3}|[一二两三四五六七八九十]{1,3})\s*(?:天|日)(?:以)?前")
_WEEKDAY_RE = re.compile(r"(上上|上|这|本|下)?(?:个)?(?:周|星期|礼拜)([一二三四五六日天])")
_EN_WEEKDAY_RE = re.compile(r"\b(last|this|next)?\s*(" + "|".join(_EN_WEEKDAYS) + r")\b", re.I)

Span = tuple[int, int]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Slots:
    order_no: str | None = None
    phone: str | None = None  # 11 digits, no country code or separators
    amount: Decimal | None = None  # yuan
    date: date | None = None

    def as_variables(self) -> dict[str, str]:
        """The filled slots as script-template variables ({order_no}, {phone}, …)."""
        values = {"order_no": self.order_no, "phone": self.phone, "amount": self.amount, "date": self.date}
        return {key: str(value) for key, value in values.items() if value is not None}


def fold(text: str) -> str:
    """NFKC and lower case, keeping length-changing folds rare enough to ignore for spans."""
    return unicodedata.normalize("NFKC", text).lower()


def chinese_number(numeral: str) -> int | None:
    """三百五十 → 350, 两万三 → 23000, 一百零五 → 105, 三百五 → 350 (the spoken short form)."""
    if not numeral or any(ch not in _CN_ALL for ch in numeral):
        return None
    yi, wan, section = 0, 0, 0
    digit: int | None = None
    last_unit, after_zero = 1, False
    for ch in numeral:
        if ch in "零〇":
            after_zero = True
        elif ch in _CN_DIGITS:
            if digit is not None:
                return None  # two digits in a row ("三五") is not a number
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit, last_unit, after_zero = None, _CN_UNITS[ch], False
        elif ch == "万":
            wan += ((section + (digit or 0)) or 1) * 10_000
            section, digit, last_unit, after_zero = 0, None, 10_000, False
        else:  # 亿
            yi += ((wan + section + (digit or 0)) or 1) * 100_000_000
            wan, section, digit, last_unit, after_zero = 0, 0, None, 100_000_000, False
    if digit is not None:
        # a digit right after a unit is the next place down: 三百五 = 350, 两万三 = 23000
        section += digit * (last_unit // 10 if last_unit >= 10 and not after_zero else 1)
    return yi + wan + section


def _small_number(token: str) -> int | None:
    return int(token) if token.isdigit() else chinese_number(token)


def _phones(text: str) -> list[tuple[str, Span]]:
    return [("".join(m.groups()), m.span()) for m in _PHONE.finditer(text)]


def _overlaps(span: Span, taken: list[Span]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def _orders(text: str, phones: list[Span]) -> list[tuple[str, Span]]:
    found: list[tuple[str, Span]] = []
    for m in _ORDER_GROUPED.finditer(text):
        digits = re.sub(r"[ -]", "", m.group(1))
        if 12 <= len(digits) <= 20 and not _overlaps(m.span(1), phones):
            found.append((digits, m.span(1)))
    for m in _ORDER_RUN.finditer(text):
        if _overlaps(m.span(), phones) or _overlaps(m.span(), [s for _, s in found]):
            continue
        if _NOT_ORDER_BEFORE.search(text[max(0, m.start() - 12) : m.start()]):
            continue
        if text[m.end() : m.end() + 1] == "x":  # an identity-card number ends in X
            continue
        found.append((m.group(), m.span()))
    return sorted(found, key=lambda item: item[1])


def _amount_value(number: str, multiplier: str | None, tenths: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", "")) if number[0].isdigit() else None
    except InvalidOperation:
        return None
    if value is None:
        whole = chinese_number(number)
        if whole is None:
            return None
        value = Decimal(whole)
    if multiplier:
        value *= {"万": 10_000, "千": 1000}[multiplier]
    if tenths:
        tenth = _small_number(tenths)
        if tenth is None or tenth > 9:
            return None
        value += Decimal(tenth) / 10
    return value.quantize(CENT)


def _amounts(text: str, taken: list[Span]) -> list[tuple[Decimal, Span]]:
    found: list[tuple[Decimal, Span]] = []
    for m in _AMOUNT_PREFIX.finditer(text):
        value = _amount_value(m.group(1), m.group(2), None)
        if value is not None and not _overlaps(m.span(1), taken):
            found.append((value, m.span()))
    for m in _AMOUNT_SUFFIX.finditer(text):
        if _overlaps(m.span(), taken) or _overlaps(m.span(), [s for _, s in found]):
            continue
        if m.group(3) == "块" and not m.group(4):
            following = text[m.end() : m.end() + 1]
            if following and re.match(r"[\u4e00-\u9fff]", following) and following not in "钱的":
                continue  # a measure word: 两块电池, 一块手表
        if text[max(0, m.start(3) - 1) : m.start(3)] == "单":
            continue
        value = _amount_value(m.group(1), m.group(2), m.group(4))
        if value is not None:
            found.append((value, m.span()))
    return sorted(found, key=lambda item: item[1])


def _nearest_year(month: int, day: int, today: date) -> date | None:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - today).days)) if candidates else None


def _weekday(which: str | None, weekday: int, today: date) -> date:
    monday = today - timedelta(days=today.weekday())
    if which in (None, ""):
        back = (today.weekday() - weekday) % 7
        return today - timedelta(days=back)
    weeks = {"上上": -2, "上": -1, "last": -1, "这": 0, "本": 0, "this": 0, "下": 1, "next": 1}[which]
    return monday + timedelta(weeks=weeks, days=weekday)


def _dates(text: str, today: date, taken: list[Span]) -> list[tuple[date, Span]]:
    found: list[tuple[date, Span]] = []

    def add(value: date | None, span: Span) -> None:
        if value is not None and not _overlaps(span, taken) and not _overlaps(span, [s for _, s in found]):
            found.append((value, span))

    for m in _DATE_FULL.finditer(text):
        try:
            add(date(int(m.group(1)), int(m.group(2)), int(m.group(3))), m.span())
        except ValueError:
            continue
    for m in _DATE_MONTH_DAY.finditer(text):
        month, day = _small_number(m.group(1)), _small_number(m.group(2))
        if month and day and 1 <= month <= 12 and 1 <= day <= 31:
            add(_nearest_year(month, day, today), m.span())
    for m in _DAYS_AGO.finditer(text):
        days = _small_number(m.group(1))
        if days is not None and days <= 366:
            add(today - timedelta(days=days), m.span())
    for m in _DATE_RELATIVE_RE.finditer(text):
        add(today + timedelta(days=_DATE_RELATIVE[m.group().lower()]), m.span())
    for m in _WEEKDAY_RE.finditer(text):
        add(_weekday(m.group(1), _WEEKDAYS[m.group(2)], today), m.span())
    for m in _EN_WEEKDAY_RE.finditer(text):
        which = m.group(1).lower() if m.group(1) else None
        add(_weekday(which, _EN_WEEKDAYS.index(m.group(2).lower()), today), m.span())
    return sorted(found, key=lambda item: item[1])


def extract(text: str, *, today: date) -> Slots:
    """Every slot found in `text` (the first of each kind); relative dates count from `today`."""
    folded = fold(text)
    phones = _phones(folded)
    phone_spans = [span for _, span in phones]
    orders = _orders(folded, phone_spans)
    taken = phone_spans + [span for _, span in orders]
    dates = _dates(folded, today, taken)
    amounts = _amounts(folded, taken + [span for _, span in dates])
    return Slots(
        order_no=orders[0][0] if orders else None,
        phone=phones[0][0] if phones else None,
        amount=amounts[0][0] if amounts else None,
        date=dates[0][0] if dates else None,
    )


def order_number(text: str) -> str | None:
    folded = fold(text)
    orders = _orders(folded, [span for _, span in _phones(folded)])
    return orders[0][0] if orders else None


def phone_number(text: str) -> str | None:
    phones = _phones(fold(text))
    return phones[0][0] if phones else None


def amount(text: str) -> Decimal | None:
    return extract(text, today=date.today()).amount


def date_mentioned(text: str, *, today: date) -> date | None:
    return extract(text, today=today).date
