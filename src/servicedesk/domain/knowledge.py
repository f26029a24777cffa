"""Knowledge articles and scripts (R-KB-1, R-KB-3): their states, when an article is stale,
and how a script's variables are filled.

Templates use `{name}` placeholders filled from a plain mapping — never `str.format`, which
would let a script written in the admin page reach attributes of the values (`{0.__class__}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from servicedesk.domain.labels import register


class ContentStatus(StrEnum):
    """Articles and scripts alike: only published content reaches customers and the bot."""

    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ScriptScenario(StrEnum):
    """The scenarios of the script library (话术库), R-KB-3; `welcome` feeds the channels."""

    WELCOME = "welcome"
    GREETING = "greeting"
    APOLOGY = "apology"
    REFUND = "refund"
    DISPUTE = "dispute"
    TRANSFER = "transfer"
    CLOSING = "closing"
    OTHER = "other"


for _value, _zh, _en in [
    (ContentStatus.DRAFT, "草稿", "Draft"),
    (ContentStatus.PUBLISHED, "已发布", "Published"),
    (ContentStatus.ARCHIVED, "已归档", "Archived"),
    (ScriptScenario.WELCOME, "欢迎语", "Welcome"),
    (ScriptScenario.GREETING, "问候", "Greeting"),
    (ScriptScenario.APOLOGY, "致歉", "Apology"),
    (ScriptScenario.REFUND, "退款", "Refund"),
    (ScriptScenario.DISPUTE, "争议处理", "Dispute"),
    (ScriptScenario.TRANSFER, "转接", "Transfer"),
    (ScriptScenario.CLOSING, "结束语", "Closing"),
    (ScriptScenario.OTHER, "其他", "Other"),
]:
    register(_value, _zh, _en)


class StaleReason(StrEnum):
    REVIEW_DUE = "review_due"
    NEWER_PRODUCT_VERSION = "newer_product_version"


register(StaleReason.REVIEW_DUE, "已过复审日期", "Review date passed")
register(StaleReason.NEWER_PRODUCT_VERSION, "产品已有新版本", "Product has a newer version")


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions the way people write them: 2.10 after 2.9, v3 after v2.9, 2024.11 after
    2024.9. Numbers compare as numbers; a word (beta, rc) sorts before a number in the same
    place, so 1.0-beta comes before 1.0.1."""
    parts = re.findall(r"\d+|[a-z]+", version.lower())
    return tuple((1, int(p)) if p.isdigit() else (0, p) for p in parts if p != "v")


def stale_reasons(
    *,
    today: date,
    review_by: date | None,
    covers_version: str | None,
    current_version: str | None,
) -> tuple[StaleReason, ...]:
    """Why an article needs a look (R-KB-1): its review date passed, or its product moved on."""
    reasons: list[StaleReason] = []
    if review_by is not None and review_by < today:
        reasons.append(StaleReason.REVIEW_DUE)
    if covers_version and current_version and version_key(current_version) > version_key(covers_version):
        reasons.append(StaleReason.NEWER_PRODUCT_VERSION)
    return tuple(reasons)


_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def variables(template: str) -> tuple[str, ...]:
    """The placeholders a template uses, in first-use order."""
    return tuple(dict.fromkeys(_PLACEHOLDER.findall(template)))


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    missing: tuple[str, ...]  # placeholders with no value: left visible for a person to fill


def render(template: str, values: dict[str, str]) -> Rendered:
    """Fill the placeholders that have a value; keep the others as written and report them, so
    an agent sees `{order_no}` to complete and the bot knows it must ask for it."""
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        if value is None or value == "":
            missing.append(match.group(1))
            return match.group(0)
        return value

    text = _PLACEHOLDER.sub(fill, template)
    return Rendered(text, tuple(dict.fromkeys(missing)))
