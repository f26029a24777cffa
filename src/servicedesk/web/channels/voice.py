"""The voice webhook: call start and end events from the telephony system (call center / IVR).

``POST /channels/voice/calls`` signed with the social webhook's HMAC scheme
(`channels.social.signature`: ``X-Social-Timestamp`` and ``X-Social-Signature`` =
HMAC-SHA256(secret, timestamp + "." + raw body)). The order of checks is the answer's precision:
unconfigured 404, oversized 413, bad or stale signature 403, unreadable JSON 400, a signed payload
missing what we need 422; nothing is stored in any of them. An ended call is stored once (by its
call id) on the customer its number belongs to.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from servicedesk.channels.social.errors import BadSocialSignature
from servicedesk.channels.social.signature import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_signature
from servicedesk.channels.voice import CallPayloadError, parse_call_event
from servicedesk.domain.errors import ValidationFailed
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.web.deps import UowFactory, get_db, get_settings

router = APIRouter(prefix="/voice")
MAX_BODY_BYTES = 64 * 1024


def _secret(settings: Settings) -> str:
    secret: str | None = getattr(settings, "voice_webhook_secret", None)
    if not secret:
        raise HTTPException(404, "the voice channel is not configured (SERVICEDESK_VOICE_WEBHOOK_SECRET)")
    return secret


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


@router.post("/calls")
async def deliver(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    db: Annotated[Database, Depends(get_db)],
    uow: UowFactory,
) -> dict[str, Any]:
    secret = _secret(settings)
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
        inbound = parse_call_event(payload, received_at=db.clock())
    except CallPayloadError as error:
        raise ValidationFailed(error.reason, fields=error.fields) from error
    async with uow() as u:
        result = await receive(u, inbound)
    return {"ok": True, "duplicate": result.duplicate, "ticket_id": result.ticket_id}
