"""Personal data: Chinese mobile numbers and resident ID numbers (GB 11643-1999).

Masking happens on the way out (API, pages, exports, logs); the stored value stays whole so a
permitted, audited reveal can show it.
"""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^(?:\+?86[- ]?)?(1[3-9]\d{9})$")
_MOBILE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")
_RESIDENT_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]
_CHECK = "10X98765432"


def normalize_mobile(raw: str) -> str | None:
    """The 11-digit mobile number in `raw`, or None if it is not a mainland mobile number."""
    match = _MOBILE.match(raw.strip().replace(" ", "").replace("-", ""))
    return match.group(1) if match else None


def resident_id_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def is_valid_resident_id(raw: str) -> bool:
    """GB 11643 checksum (ISO 7064 MOD 11-2) over the 18-character number."""
    value = raw.strip().upper()
    if not _RESIDENT_ID.match(value):
        return False
    return resident_id_check_char(value[:17]) == value[17]


def mask_phone(value: str) -> str:
    """`13812341234` → `138****1234`; other phone formats keep only their last four digits."""
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 11 and digits[-11] == "1":
        mobile = digits[-11:]
        return f"{mobile[:3]}****{mobile[-4:]}"
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_resident_id(value: str) -> str:
    """`110101199003074514` → `110101********4514`: region kept, birth date hidden."""
    value = value.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def _mask_if_resident_id(match: re.Match[str]) -> str:
    """Only numbers that pass the checksum: most 18-digit order numbers do not, and stay."""
    if not is_valid_resident_id(match.group(0)):
        return match.group(0)
    return match.group(1) + "********" + match.group(3)


def mask_text(text: str) -> str:
    """Mask every mobile and resident ID number inside free text (for logs and exports).

    An order number that happens to pass the ID checksum (1 in 11) is masked too: erring
    that way loses a little readability, never personal data.
    """
    text = _RESIDENT_ID_IN_TEXT.sub(_mask_if_resident_id, text)
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
