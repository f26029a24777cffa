"""The Jinja2 environment: autoescaping on, translation and label helpers, local times."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response

from servicedesk.domain.labels import duration_words, label
from servicedesk.domain.roles import Principal
from servicedesk.web.deps import csrf_token
from servicedesk.web.i18n import locale_of, translate

TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
    )
)


def local_time(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _label(value: Any, locale: str, tz: str) -> Any:
    if isinstance(value, StrEnum):
        return label(value, locale)
    if isinstance(value, datetime):
        return local_time(value, tz)
    if isinstance(value, list | tuple):
        return ("、" if locale == "zh" else ", ").join(str(_label(v, locale, tz)) for v in value)
    return value


def viewer_zone(request: Request, me: Principal | None) -> str:
    """The zone a page shows times in (R-PE-2): the signed-in person's own, else the organisation's."""
    return (
        me.time_zone if me is not None and me.time_zone else str(request.app.state.settings.default_time_zone)
    )


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    locale = locale_of(request)
    tz = viewer_zone(request, (context or {}).get("me"))
    base: dict[str, Any] = {
        "locale": locale,
        "t": lambda key: translate(key, locale),
        "label": lambda value: _label(value, locale, tz),
        "local_time": lambda value: local_time(value, tz),
        "duration": lambda value: duration_words(value, locale),
        "duration_minutes": lambda value: (
            "—" if not value else duration_words(timedelta(minutes=value), locale)
        ),
        "csrf_token": csrf_token(request),
    }
    response: Response = TEMPLATES.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
    return response
