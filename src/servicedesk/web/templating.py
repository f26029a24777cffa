"""The Jinja2 environment: autoescaping on, translation and label helpers, local times."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import Response

from servicedesk.domain.labels import label
from servicedesk.web.deps import csrf_token
from servicedesk.web.i18n import locale_of, translate

TEMPLATES = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,  # every template, whatever its extension
        undefined=StrictUndefined,
    )
)


def _local_time(value: datetime | None, tz: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    locale = locale_of(request)
    tz = request.app.state.settings.default_time_zone
    base: dict[str, Any] = {
        "locale": locale,
        "t": lambda key: translate(key, locale),
        "label": lambda value: label(value, locale) if isinstance(value, StrEnum) else value,
        "local_time": lambda value: _local_time(value, tz),
        "csrf_token": csrf_token(request),
    }
    response: Response = TEMPLATES.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
    return response
