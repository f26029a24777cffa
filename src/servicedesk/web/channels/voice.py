"""The voice webhook: call start and end events from the telephony system (call center / IVR).

``POST /channels/voice/calls`` signed with the social webhook's HMAC scheme
(`channels.social.signature`: ``X-Social-Timestamp`` and ``X-Social-Signature`` =
HMAC-SHA256(secret, timestamp + "." + raw body)). The order of checks is the answer's precision:
unconfigured 404, oversized 413, bad or stale signature 403, unreadable JSON 400, a signed payload
missing what we need 422; nothing is stored in any of them. An ended call is stored once (by its
call id) on the customer its number belongs to.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from servicedesk.channels.voice import CallPayloadError, parse_call_event
from servicedesk.domain.errors import ValidationFailed
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.web.channels.signed import signed_json
from servicedesk.web.deps import UowFactory, get_db, get_settings

router = APIRouter(prefix="/voice")


def _secret(settings: Settings) -> str:
    secret = settings.voice_webhook_secret
    if not secret:
        raise HTTPException(404, "the voice channel is not configured (SERVICEDESK_VOICE_WEBHOOK_SECRET)")
    return secret


@router.post("/calls")
async def deliver(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    db: Annotated[Database, Depends(get_db)],
    uow: UowFactory,
) -> dict[str, Any]:
    secret = _secret(settings)
    payload = await signed_json(request, secret=secret, now=db.clock())
    try:
        inbound = parse_call_event(payload, received_at=db.clock())
    except CallPayloadError as error:
        raise ValidationFailed(error.reason, fields=error.fields) from error
    async with uow() as u:
        result = await receive(u, inbound)
    return {"ok": True, "duplicate": result.duplicate, "ticket_id": result.ticket_id}
