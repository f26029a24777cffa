"""The social webhook: Weibo (微博) and Douyin (抖音) private messages, comments and follows.

``POST /channels/social/{platform}`` with our HMAC scheme (`channels.social.signature`). The
order of checks is the answer's precision: unknown or unconfigured platform 404, oversized 413,
bad or stale signature 403, unreadable JSON 400, a signed payload missing what we need 422;
nothing is stored in any of them. Douyin's URL-verification handshake (`verify_webhook`) is
answered with its challenge, but only once the request is signed.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from servicedesk.channels.social import (
    PLATFORMS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    BadSocialSignature,
    PlatformMapping,
    SocialPayloadError,
    challenge_of,
    parse_event,
    verify_signature,
)
from servicedesk.domain.errors import ValidationFailed
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.web.deps import UowFactory, get_db, get_settings

router = APIRouter(prefix="/social")
MAX_BODY_BYTES = 64 * 1024


def _secret(settings: Settings, platform: str) -> str:
    secrets: dict[str, str] = getattr(settings, "social_webhook_secrets", None) or {}
    secret = secrets.get(platform)
    if not secret:
        raise HTTPException(
            404, f"the {platform} channel is not configured (SERVICEDESK_SOCIAL_WEBHOOK_SECRETS)"
        )
    return secret


def _mapping(platform: str) -> PlatformMapping:
    mapping = PLATFORMS.get(platform)
    if mapping is None:
        raise HTTPException(404, f"unknown social platform {platform[:40]!r} (weibo, douyin)")
    return mapping


def _decode(body: bytes) -> dict[str, Any]:
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


@router.post("/{platform}")
async def deliver(
    platform: str,
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    db: Annotated[Database, Depends(get_db)],
    uow: UowFactory,
) -> dict[str, Any]:
    mapping = _mapping(platform)
    secret = _secret(settings, platform)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPException(413, f"payload larger than {MAX_BODY_BYTES} bytes")
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise HTTPException(413, f"payload larger than {MAX_BODY_BYTES} bytes")
    try:
        verify_signature(
            secret,
            body,
            request.headers.get(SIGNATURE_HEADER),
            timestamp_header=request.headers.get(TIMESTAMP_HEADER),
            now=db.clock(),
        )
    except BadSocialSignature as error:
        raise HTTPException(403, f"refused: {error.reason}") from error
    payload = _decode(body)
    try:
        challenge = challenge_of(mapping, payload)
        if challenge is not None:
            return {"challenge": challenge}
        inbound = parse_event(mapping, payload, received_at=db.clock())
    except SocialPayloadError as error:
        raise ValidationFailed(error.reason, fields=error.fields) from error
    async with uow() as u:
        result = await receive(u, inbound)
    return {"ok": True, "duplicate": result.duplicate}
