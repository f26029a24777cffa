"""The WeChat Official Account server URL: URL verification (GET) and message delivery (POST).

WeChat waits 5 seconds and then retries (up to three times, possibly overlapping), so the
handler verifies, stores through intake (which stores a retried MsgId once) and answers
`success` at once; answers to the customer leave later through the outbox.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse

from servicedesk.channels.wechat import (
    BadSignature,
    StaleTimestamp,
    WeChatCrypto,
    WeChatError,
    check_signature,
    extract_encrypt,
    parse_inbound,
)
from servicedesk.channels.wechat.xml import MAX_XML_BYTES
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.web.channels.signed import capped_body
from servicedesk.web.deps import UowFactory, get_db, get_settings
from servicedesk.web.live import tell_staff

router = APIRouter(prefix="/wechat")
Param = Annotated[str, Query(max_length=200)]


def _token(settings: Annotated[Settings, Depends(get_settings)]) -> str:
    if not settings.wechat_token:
        raise HTTPException(404, "the WeChat channel is not configured (SERVICEDESK_WECHAT_TOKEN)")
    return settings.wechat_token


def _verify(token: str, signature: str, timestamp: str, nonce: str, db: Database) -> None:
    try:
        check_signature(token, signature, timestamp, nonce, now=db.clock())
    except (BadSignature, StaleTimestamp) as error:
        raise HTTPException(403, f"refused: {error}") from error
    except WeChatError as error:
        raise HTTPException(400, f"malformed request: {error}") from error


@router.get("", response_class=PlainTextResponse)
async def verify_url(
    token: Annotated[str, Depends(_token)],
    db: Annotated[Database, Depends(get_db)],
    signature: Param,
    timestamp: Param,
    nonce: Param,
    echostr: Param,
) -> str:
    _verify(token, signature, timestamp, nonce, db)
    return echostr


@router.post("", response_class=PlainTextResponse)
async def deliver(
    request: Request,
    token: Annotated[str, Depends(_token)],
    settings: Annotated[Settings, Depends(get_settings)],
    db: Annotated[Database, Depends(get_db)],
    uow: UowFactory,
    signature: Param,
    timestamp: Param,
    nonce: Param,
    encrypt_type: Annotated[str | None, Query(max_length=10)] = None,
    msg_signature: Annotated[str | None, Query(max_length=200)] = None,
) -> str:
    body = await capped_body(request, MAX_XML_BYTES)
    _verify(token, signature, timestamp, nonce, db)
    try:
        xml: str | bytes = body
        if encrypt_type == "aes":
            if not msg_signature or not settings.wechat_encoding_aes_keys or not settings.wechat_app_id:
                raise HTTPException(400, "safe mode needs msg_signature and a configured EncodingAESKey")
            crypto = WeChatCrypto(token, settings.wechat_encoding_aes_keys, settings.wechat_app_id)
            xml = crypto.decrypt(
                extract_encrypt(body),
                msg_signature=msg_signature,
                timestamp=timestamp,
                nonce=nonce,
                now=db.clock(),
            )
        inbound = parse_inbound(xml, received_at=db.clock())
    except (BadSignature, StaleTimestamp) as error:
        raise HTTPException(403, f"refused: {error}") from error
    except WeChatError as error:
        raise HTTPException(400, f"malformed message: {error}") from error
    async with uow() as u:
        result = await receive(u, inbound, assistant=request.app.state.assistant)
    await tell_staff(request.app.state.staff_hub, request.app.state.db, result, inbound.body)
    return "success"
