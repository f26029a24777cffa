"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

Pages get the same information as a page a person can read (web.pages renders it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from servicedesk.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidTransition,
    NotFound,
    TooManyAttempts,
    ValidationFailed,
)

STATUS: dict[type[DomainError], int] = {
    TooManyAttempts: 429,
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    InvalidTransition: 409,
    ValidationFailed: 422,
}
HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_attempts",
}

PageRenderer = Callable[[Request, int, str, dict[str, str]], Awaitable[Response]]


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_name(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _validation_fields(errors: Sequence[Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in errors:
        name = _field_name(error.get("loc", ()))
        message = "unknown field" if error.get("type") == "extra_forbidden" else error["msg"]
        fields.setdefault(name, message)
    return fields


def install_error_handlers(app: FastAPI, render_page: PageRenderer | None = None) -> None:
    def is_api(request: Request) -> bool:
        return request.url.path.startswith(("/api/", "/channels/")) or render_page is None

    async def respond(
        request: Request, status: int, code: str, message: str, fields: dict[str, str]
    ) -> Response:
        if is_api(request) or render_page is None:
            return JSONResponse(error_body(code, message, fields), status_code=status)
        return await render_page(request, status, message, fields)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        response = await respond(request, status, exc.code, exc.message, exc.fields)
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = next(e for e in errors if e.get("type") == "json_invalid")
            message = f"malformed JSON: {detail.get('ctx', {}).get('error', 'cannot parse')}"
            return await respond(request, 400, "malformed_json", message, {})
        fields = _validation_fields(errors)
        return await respond(request, 422, "validation_error", "invalid input", fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "error")
        response = await respond(request, exc.status_code, code, str(exc.detail), {})
        if exc.status_code == 401 and is_api(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response
