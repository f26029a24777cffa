"""Which of the desk's two languages a customer writes, read from their words (R-HD-2, R-BOT-1).

A profile's language is a default somebody set once (a web-chat visitor gets Chinese); what
the customer types is the evidence. Chinese and English are told apart by script, which for
these two is exact where a statistical detector guesses: a short chat line ("where is my
order", "退款") is too short for character statistics, and needs none.

The weighing is deliberately lopsided. Chinese customers type Latin words all the time
(iPhone, Pro Max, WiFi, an e-mail address); English writers seldom type Chinese, since they
need an input method for it. So each CJK character counts as much as a whole Latin word of
two or more letters, and a tie goes to Chinese: "iPhone 15 Pro Max 屏幕碎了" is Chinese,
"my 声悦耳机 Pro won't pair" is English. Digits, order numbers, emoji and punctuation show no
language: a message of only those returns None, and the caller keeps the language it had.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

ZH, EN = "zh", "en"
LANGUAGES = (ZH, EN)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[a-z]{2,}", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Evidence:
    """How much of a text is written in each language: CJK characters and Latin words."""

    chinese: int = 0
    english: int = 0

    def __add__(self, other: Evidence) -> Evidence:
        return Evidence(self.chinese + other.chinese, self.english + other.english)

    @property
    def language(self) -> str | None:
        if not (self.chinese or self.english):
            return None
        return ZH if self.chinese >= self.english else EN


def evidence(text: str) -> Evidence:
    folded = unicodedata.normalize("NFKC", text)  # full-width ＡＢＣ from a Chinese keyboard
    return Evidence(len(_CJK.findall(folded)), len(_LATIN_WORD.findall(folded)))


def detect(text: str) -> str | None:
    """ZH or EN for one message; None when it shows no language (a digit, an order number)."""
    return evidence(text).language


def prevailing(texts: Iterable[str]) -> str | None:
    """The language of several messages taken together, so one pasted product name or a lone
    "ok" does not outvote what the customer otherwise wrote."""
    total = Evidence()
    for text in texts:
        total += evidence(text)
    return total.language


def supported(locale: str | None, default: str = ZH) -> str:
    """A stored locale ("en-US", "zh-CN", None) as one of LANGUAGES."""
    short = (locale or "").split("-")[0].casefold()
    return short if short in LANGUAGES else default


_NAMES = {ZH: ("中文", "Chinese"), EN: ("英文", "English")}


def language_name(language: str, locale: str = ZH) -> str:
    """The language's name for a reader of `locale` ("英文" to a Chinese reader)."""
    pair = _NAMES.get(language)
    if pair is None:
        return language
    return pair[1] if locale == EN else pair[0]
