"""Answering a WeChat user: the passive reply (inside the 5-second callback response) and the
customer-service message API (客服消息, within 48 hours of the user's last message)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.channels.wechat.xml import cdata
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem

SERVICE_WINDOW_HOURS = 48

# errcodes after which retrying the same message cannot succeed, and what the agent is told.
PERMANENT_ERRORS: dict[int, tuple[str, DeliveryProblem]] = {
    40003: ("invalid openid", DeliveryProblem.RECIPIENT),
    43004: ("recipient has unsubscribed", DeliveryProblem.RECIPIENT),
    45015: ("response out of the 48-hour customer-service window", DeliveryProblem.WINDOW_CLOSED),
    45047: ("customer-service message quota for this user exhausted", DeliveryProblem.WINDOW_CLOSED),
    40013: ("invalid AppID", DeliveryProblem.CREDENTIALS),
    40125: ("invalid AppSecret", DeliveryProblem.CREDENTIALS),
    40164: ("calling IP not on the account's whitelist", DeliveryProblem.CREDENTIALS),
}
RETRYABLE_ERRORS: dict[int, str] = {
    -1: "system busy",
    45009: "API rate limit reached",
}


def passive_text_reply(to_openid: str, from_account: str, content: str, *, now: datetime) -> str:
    """The XML body of a passive text reply: `to_openid` is the user (the inbound FromUserName),
    `from_account` our account's original id (the inbound ToUserName, gh_…)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return (
        "<xml>\n"
        f"<ToUserName>{cdata(to_openid)}</ToUserName>\n"
        f"<FromUserName>{cdata(from_account)}</FromUserName>\n"
        f"<CreateTime>{int(now.timestamp())}</CreateTime>\n"
        f"<MsgType>{cdata('text')}</MsgType>\n"
        f"<Content>{cdata(content)}</Content>\n"
        "</xml>"
    )


def customer_service_payload(message: OutboundMessage) -> dict[str, object]:
    """The JSON body for POST /cgi-bin/message/custom/send.

    An image is sent by `metadata["media_id"]` (upload it first: that is I/O and lives elsewhere);
    anything else is text. Serialise with `encode_payload`.
    """
    if message.channel is not Channel.WECHAT:
        raise ValueError(f"not a WeChat message: {message.channel}")
    if not message.recipient:
        raise ValueError("recipient openid is required")
    media_id = message.metadata.get("media_id")
    if media_id:
        return {"touser": message.recipient, "msgtype": "image", "image": {"media_id": media_id}}
    if message.attachments:
        raise ValueError("attachments must be uploaded first and sent by metadata['media_id']")
    if not message.body:
        raise ValueError("empty text message")
    return {"touser": message.recipient, "msgtype": "text", "text": {"content": message.body}}


def encode_payload(payload: dict[str, object]) -> bytes:
    """UTF-8 JSON without \\uXXXX escapes: the API would show escaped Chinese to the user verbatim."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def classify_api_error(errcode: int, errmsg: str) -> TransportError | None:
    """None for success (errcode 0); otherwise a TransportError, permanent when retrying is futile.

    Unknown codes are retryable: the dead letter still catches them after the retry budget.
    """
    if errcode == 0:
        return None
    if errcode in PERMANENT_ERRORS:
        what, problem = PERMANENT_ERRORS[errcode]
        return TransportError(f"wechat {errcode} ({what}): {errmsg}", permanent=True, problem=problem)
    label = RETRYABLE_ERRORS.get(errcode, "unclassified")
    return TransportError(f"wechat {errcode} ({label}): {errmsg}", permanent=False)


def within_service_window(
    last_inbound_at: datetime | None, now: datetime, hours: int = SERVICE_WINDOW_HOURS
) -> bool:
    """Whether a customer-service message may still be sent: the user wrote (or interacted)
    within the last `hours`. No inbound message at all means no window."""
    if last_inbound_at is None:
        return False
    if last_inbound_at.tzinfo is None or now.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware")
    return now - last_inbound_at < timedelta(hours=hours)
