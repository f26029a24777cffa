"""What every webhook door does before its channel's own parsing: cap the body, check the HMAC
signature and freshness, decode a JSON object — each with its precise 4xx."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import HTTPException, Request

from servicedesk.channels.social.errors import BadSocialSignature
from servicedesk.channels.social.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature

MAX_BODY_BYTES = 64 * 1024


async def capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, f"payload larger than {limit} bytes")
    body = await request.body()
    if len(body) > limit:
        raise HTTPException(413, f"payload larger than {limit} bytes")
    return body


def decode_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise HTTPException(
            400, f"malformed JSON: {error.msg} (line {error.lineno} column {error.colno})"
        ) from error
    except (UnicodeDecodeError, RecursionError) as error:
        raise HTTPException(400, f"malformed JSON: {type(error).__name__}") from error
    if not isinstance(payload, dict):
        raise HTTPException(400, f"malformed JSON: expected an object, got {type(payload).__name__}")
    return payload


async def signed_json(request: Request, *, secret: str, now: datetime) -> dict[str, Any]:
    """The request's JSON object, once its size and its HMAC signature have been checked."""
    body = await capped_body(request)
    try:
        verify_signature(
            secret, body, request.headers.get(SIGNATURE_HEADER),
            timestamp_header=request.headers.get(TIMESTAMP_HEADER), now=now,
        )  # fmt: skip
    except BadSocialSignature as error:
        raise HTTPException(403, f"refused: {error.reason}") from error
    return decode_object(body)
