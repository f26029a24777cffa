"""Bytes -> text for mail, the best reading possible. Pure: no I/O.

Real mail lies about its charset: GB2312 labels on GBK text, `iso-8859-1` on UTF-8 or GBK, no
label at all, labels Python does not know (`x-sjis`, `iso-gb2312`, `windows-31j`), one bad byte
in an otherwise clean UTF-8 body. The rules:

* Labels are mapped to the superset codec that mailers really mean (GB2312/GBK -> gb18030,
  Big5 -> big5hkscs, Shift_JIS -> cp932, EUC-KR -> cp949, Latin-1 -> cp1252 as browsers do).
* A specific label is trusted when its strict decode is plausible; a weak one (none, ASCII,
  Latin-1) is trusted only after UTF-8 and `charset-normalizer` found no multi-byte reading.
* Chinese, Japanese and Big5 readings are compared by how many characters fall outside their
  family's everyday set (GB2312, Big5, JIS X 0208): Big5 bytes read as GBK give rare and
  private-use characters, Shift_JIS read as GBK gives no kana. That also decides short headers,
  where statistical detectors guess wrong.
* When no reading is clean, the one with the fewest replacement characters wins and the result
  says `lossy`, so the caller can keep the original bytes and flag the part for a person.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass

from charset_normalizer import from_bytes

__all__ = [
    "DEFAULT_FALLBACK_CHARSETS",
    "Decoded",
    "canonical_charset",
    "decode_guess",
    "decode_text",
    "looks_latin",
    "plausible",
    "rare_characters",
    "strict_decode",
]

# Strict UTF-8 first: it almost never accepts GBK bytes, while gb18030 accepts nearly any byte
# string and would turn unlabelled UTF-8 into mojibake ("中文" → "涓枃").
DEFAULT_FALLBACK_CHARSETS: tuple[str, ...] = ("utf-8", "gb18030", "big5hkscs")

_GB = (
    "gb2312", "gbk", "cp936", "x-gbk", "ms936", "windows-936", "euc-cn", "x-euc-cn", "csgb2312",
    "gb_2312-80", "gb_2312", "iso-gb2312", "gb2312-80", "chinese", "x-mac-chinesesimp", "gb-2312",
    "cn-gb", "csiso58gb231280", "iso-ir-58",
)  # fmt: skip
_BIG5 = ("big5", "x-big5", "csbig5", "big5-hkscs", "big5hkscs", "cn-big5", "x-x-big5", "x-mac-chinesetrad")
_SJIS = (
    "shift_jis",
    "shift-jis",
    "sjis",
    "x-sjis",
    "ms_kanji",
    "csshiftjis",
    "windows-31j",
    "cp932",
    "x-ms-cp932",
)
_LATIN1 = (
    "iso-8859-1",
    "iso8859-1",
    "latin1",
    "latin-1",
    "l1",
    "cp819",
    "ibm819",
    "iso_8859-1",
    "windows-1252",
)
_CHARSET_ALIASES: dict[str, str] = {
    **dict.fromkeys(_GB, "gb18030"),
    **dict.fromkeys(_BIG5, "big5hkscs"),
    **dict.fromkeys(_SJIS, "cp932"),
    **dict.fromkeys(_LATIN1, "cp1252"),
    "iso-2022-jp": "iso2022_jp_2",
    "csiso2022jp": "iso2022_jp_2",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "iso-8859-8-i": "iso8859_8",
    "windows-874": "cp874",
    "x-unicode-2-0-utf-7": "utf-7",
    "unicode-2-0-utf-7": "utf-7",
    "x-utf-8": "utf-8",
    "utf8mb4": "utf-8",
    "iso-2022-cn": "x-iso-2022-cn",
    "x-iso-2022-cn": "x-iso-2022-cn",
}
_WEAK = frozenset({None, "ascii", "cp1252", "latin_1", "iso8859_15"})
_CJK_BASE = {"gb18030": "gb2312", "big5hkscs": "big5", "cp932": "shift_jis"}
_CJK_ORDER = ("gb18030", "big5hkscs", "cp932")  # Chinese first: this desk's mail is mostly Chinese

# C0 controls other than tab, LF, FF and CR, plus DEL: a decode that yields these is a wrong guess
# (ISO-2022 escapes read as ASCII, binary read as text).
_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_KANA = re.compile(r"[\u3041-\u30ff]")
_HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")
_ESCAPES = re.compile(rb"\x1b[$()][@-Z)]?")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    charset: str
    lossy: bool = False  # characters were replaced: a person should see the original bytes


def canonical_charset(label: str | None) -> str | None:
    """The Python codec to use for a MIME charset label, or None if there is no such codec."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*zh-cn
    name = _CHARSET_ALIASES.get(name, name)
    if name == "x-iso-2022-cn":
        return name
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.:+-]*", name):
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _iso2022_cn(data: bytes) -> str:
    """ISO-2022-CN with GB2312 in G1 (`ESC $ ) A`, SO/SI), which Python has no codec for."""
    out: list[str] = []
    shifted = False
    index = 0
    while index < len(data):
        byte = data[index]
        if data.startswith(b"\x1b$)A", index):
            index += 4
        elif byte == 0x0E:
            shifted, index = True, index + 1
        elif byte == 0x0F or byte in (0x0A, 0x0D):
            shifted = False if byte == 0x0F else shifted and byte not in (0x0A, 0x0D)
            if byte != 0x0F:
                out.append(chr(byte))
            index += 1
        elif shifted and index + 1 < len(data):
            out.append(bytes((byte | 0x80, data[index + 1] | 0x80)).decode("gb18030"))
            index += 2
        elif byte == 0x1B:
            raise UnicodeDecodeError("x-iso-2022-cn", data, index, index + 1, "unsupported escape")
        else:
            out.append(chr(byte))
            index += 1
    return "".join(out)


def strict_decode(data: bytes, charset: str) -> str | None:
    try:
        text = _iso2022_cn(data) if charset == "x-iso-2022-cn" else data.decode(charset)
    except (UnicodeDecodeError, LookupError, ValueError):
        return None
    return None if _IMPLAUSIBLE.search(text) else text


def rare_characters(text: str, charset: str) -> int:
    """Characters a reader of this family would not expect: outside its everyday set, private
    use, or the wrong script (kana in Chinese, none in Japanese, half-width katakana)."""
    base = _CJK_BASE.get(charset)
    if base is None:
        return 0
    count = 0
    for char in text:
        if char.isascii():
            continue
        try:
            char.encode(base)
        except UnicodeEncodeError:
            count += 1
    count += len(_HALFWIDTH_KANA.findall(text))
    kana = len(_KANA.findall(text))
    if charset == "cp932":
        wide = sum(1 for c in text if ord(c) > 0x2FFF)
        count += 0 if kana or wide == 0 else max(1, wide // 3)
    else:
        count += kana
    return count


def plausible(text: str, charset: str) -> bool:
    """A strict reading worth trusting: at most one character in twenty rare for its family."""
    return charset not in _CJK_BASE or rare_characters(text, charset) * 20 <= len(text)


def _best_cjk(readings: dict[str, str]) -> tuple[str, str]:
    """The reading with the fewest rare characters; the earlier one in a tie."""
    ranked = sorted(
        enumerate(readings.items()), key=lambda item: (rare_characters(item[1][1], item[1][0]), item[0])
    )
    return ranked[0][1]


def _detected(data: bytes) -> str | None:
    """charset-normalizer's reading of a longer text, as a codec name."""
    if len(data) < 24:
        return None
    try:
        match = from_bytes(data[:32768]).best()
    except Exception:  # a detector bug must not cost the mail
        return None
    return canonical_charset(match.encoding) if match is not None else None


def _lossy(data: bytes, charsets: Sequence[str]) -> Decoded:
    best: Decoded | None = None
    best_errors = -1
    for charset in charsets:
        if charset == "x-iso-2022-cn":
            continue
        try:
            text = data.decode(charset, "replace")
        except LookupError:
            continue
        text = _IMPLAUSIBLE.sub("\ufffd", text)
        errors = text.count("\ufffd")
        if best is None or errors < best_errors:
            best, best_errors = Decoded(text, charset, lossy=errors > 0), errors
    return best or Decoded(data.decode("utf-8", "replace"), "utf-8", lossy=True)


def looks_latin(data: bytes) -> bool:
    """8-bit bytes standing alone between ASCII letters (é, ü, ’), as in Western text; CJK
    encodings put their high bytes in pairs and runs."""
    high = [i for i, byte in enumerate(data) if byte >= 0x80]
    if not high:
        return False
    alone = sum(
        1 for i in high if (i == 0 or data[i - 1] < 0x80) and (i + 1 == len(data) or data[i + 1] < 0x80)
    )
    return alone * 10 >= len(high) * 6


def _nearly(data: bytes, charset: str) -> Decoded | None:
    """`charset` with a few replaced characters, when that is clearly what the text is: a
    handful of bad bytes among many good multi-byte characters."""
    try:
        text = data.decode(charset, "replace")
    except LookupError:
        return None
    errors = text.count("\ufffd") + len(_IMPLAUSIBLE.findall(text))
    wide = sum(1 for c in text if not c.isascii() and c != "\ufffd")
    if 0 < errors <= max(3, wide // 10) and wide >= 4 * errors:
        return Decoded(_IMPLAUSIBLE.sub("\ufffd", text), charset, lossy=True)
    return None


def _multibyte(name: str | None) -> str | None:
    if name is None or name in _WEAK or name.startswith(("cp12", "iso8859", "mac", "cp8", "cp7", "cp10")):
        return None
    return name


def decode_text(
    data: bytes,
    declared: str | None,
    *,
    hints: Sequence[str] = (),
    fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS,
) -> Decoded:
    """The best reading of a text part whose label is `declared` (may be None or unknown).
    `hints` are other charsets the same message declares."""
    label = canonical_charset(declared)
    escapes = bool(_ESCAPES.search(data))
    if data.isascii() and not escapes and label != "utf-7":
        text = data.decode("ascii")
        if not _IMPLAUSIBLE.search(text):
            return Decoded(text, "ascii")
    order: list[str] = []

    def add(*names: str | None) -> None:
        for name in names:
            if name and name not in order:
                order.append(name)

    if escapes:  # 7-bit ISO-2022: the escapes name the set
        add(label, "iso2022_jp_2", "x-iso-2022-cn", "iso2022_kr")
    if label in _WEAK:
        if (utf8 := strict_decode(data, "utf-8")) is not None:
            return Decoded(utf8, "utf-8")
        if (nearly := _nearly(data, "utf-8")) is not None:
            return nearly
        add(_multibyte(_detected(data)), *(canonical_charset(h) for h in hints), label)
        if looks_latin(data):  # "café" under an ASCII label: Windows-1252, not a CJK guess
            add("cp1252")
    else:
        add(label)
        declared_text = strict_decode(data, label) if label is not None else None
        if label is not None and declared_text is not None and plausible(declared_text, label):
            return Decoded(declared_text, label)
        if label is not None and (nearly := _nearly(data, label)) is not None:
            return nearly  # one bad byte must not turn the whole body into another charset
        add("utf-8", *(canonical_charset(h) for h in hints), _multibyte(_detected(data)))
    add(*fallbacks)
    readings: dict[str, str] = {}
    for charset in order:
        reading = strict_decode(data, charset)
        if reading is None:
            continue
        if charset not in _CJK_BASE:
            if not readings:
                return Decoded(reading, charset)
            continue
        readings[charset] = reading
        if rare_characters(reading, charset) == 0:
            break
    if readings:
        charset, text = _best_cjk(readings)
        return Decoded(text, charset)
    # Nothing reads cleanly: the reading that loses the fewest characters, the label first.
    return _lossy(data, [label or "utf-8", *order])


def decode_guess(
    data: bytes, *, hints: Sequence[str] = (), fallbacks: Sequence[str] = DEFAULT_FALLBACK_CHARSETS
) -> Decoded:
    """A short unlabelled string (a raw 8-bit header, an encoded-word with an unknown charset).
    `hints` are the charsets the message's text parts were actually read in. UTF-8 if valid; a
    non-CJK charset the body was read in; else the CJK reading with the fewest rare characters
    (the hinted family first in a tie); else any fallback."""
    if data.isascii() and not _ESCAPES.search(data):
        return Decoded(data.decode("ascii"), "ascii")
    if (text := strict_decode(data, "utf-8")) is not None:
        return Decoded(text, "utf-8")
    if _ESCAPES.search(data):
        for charset in ("iso2022_jp_2", "x-iso-2022-cn"):
            if (text := strict_decode(data, charset)) is not None:
                return Decoded(text, charset)
    hinted = [name for h in hints if (name := canonical_charset(h)) and name not in ("ascii", "utf-8")]
    for charset in hinted:
        if charset not in _CJK_BASE and (text := strict_decode(data, charset)) is not None:
            return Decoded(text, charset)
    if looks_latin(data) and (text := strict_decode(data, "cp1252")) is not None:
        return Decoded(text, "cp1252")
    order: list[str] = []
    for name in (*hinted, *_CJK_ORDER):
        if name in _CJK_BASE and name not in order:
            order.append(name)
    readings = {c: t for c in order if (t := strict_decode(data, c)) is not None}
    if readings:
        charset, text = _best_cjk(readings)
        return Decoded(text, charset)
    rest = [name for f in (*fallbacks, "cp1252") if (name := canonical_charset(f))]
    for charset in rest:
        if (text := strict_decode(data, charset)) is not None:
            return Decoded(text, charset)
    return _lossy(data, [*order, *rest, "utf-8"])
