"""The social webhook: Weibo (微博) and Douyin (抖音) private messages, comments and follows.

``POST /channels/social/{platform}`` with our HMAC scheme (`channels.social.signature`). The
order of checks is the answer's precision: unknown or unconfigured platform 404, oversized 413,
bad or stale signature 403, unreadable JSON 400, a signed payload missing what we need 422;
nothing is stored in any of them. Douyin's URL-verification handshake (`verify_webhook`) is
answered with its challenge, but only once the request is signed.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request

from servicedesk.channels.social import (
    PLATFORMS,
    PlatformMapping,
    SocialPayloadError,
    challenge_of,
    parse_event,
)
from servicedesk.domain.errors import ValidationFailed
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.web.channels.signed import signed_json
from servicedesk.web.deps import UowFactory, get_db, get_settings
from servicedesk.web.live import tell_staff

router = APIRouter(prefix="/social")


def _secret(settings: Settings, platform: str) -> str:
    secret = settings.social_webhook_secrets.get(platform)
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
    payload = await signed_json(request, secret=secret, now=db.clock())
    try:
        challenge = challenge_of(mapping, payload)
        if challenge is not None:
            return {"challenge": challenge}
        inbound = parse_event(mapping, payload, received_at=db.clock())
    except SocialPayloadError as error:
        raise ValidationFailed(error.reason, fields=error.fields) from error
    async with uow() as u:
        result = await receive(u, inbound, assistant=request.app.state.assistant)
    await tell_staff(request.app.state.staff_hub, request.app.state.db, result, inbound.body)
    return {"ok": True, "duplicate": result.duplicate}
