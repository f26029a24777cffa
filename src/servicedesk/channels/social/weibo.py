"""Replies on Weibo (微博), for the outbox dispatcher: a private message through the fan-service
reply API (粉丝服务平台 `messages/reply.json`), a comment through `comments/reply.json`.

The access token is the fan-service platform's developer token (or an OAuth2 token of the
account): long-lived, so it is configured, not fetched. A token Weibo refuses (21327 expired,
21332 invalid…) cannot be fixed by retrying: the message goes to the dead letter as a credential
problem, and an admin retries it once the token is replaced. The request and error formats
follow open.weibo.com (see tests/data/social/README.md).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.channels.social.replying import call_json, refusal, required_id, required_text
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem as P

WEIBO_API = "https://api.weibo.com"
WEIBO_MESSAGES_API = "https://m.api.weibo.com"  # the fan-service (messages) host
MESSAGE_MAX_CHARS = 299  # "文本大小必须小于300个汉字"
COMMENT_MAX_CHARS = 140  # "内容不超过140个汉字"

TEMPORARY: dict[int, str] = {
    10001: "system error",
    10002: "service unavailable",
    10003: "remote service error",
    10009: "too many pending tasks, system is busy",
    10010: "job expired",
    10011: "RPC error",
    10022: "IP requests out of rate limit",
    10023: "user requests out of rate limit",
    10024: "user requests for this API out of rate limit",
    20016: "posting too often",
    21331: "temporarily unavailable",
}
PERMANENT: dict[int, tuple[str, P]] = {
    10004: ("IP limit", P.CREDENTIALS),
    10005: ("permission denied, need a high level appkey", P.CREDENTIALS),
    10006: ("source (appkey) missing", P.CREDENTIALS),
    10014: ("insufficient app permissions", P.CREDENTIALS),
    21301: ("auth failed", P.CREDENTIALS),
    21314: ("token used", P.CREDENTIALS),
    21315: ("token expired", P.CREDENTIALS),
    21316: ("token revoked", P.CREDENTIALS),
    21317: ("token rejected", P.CREDENTIALS),
    21319: ("accessor was revoked", P.CREDENTIALS),
    21327: ("expired token", P.CREDENTIALS),
    21332: ("invalid access token", P.CREDENTIALS),
    21337: ("appkey permission denied", P.CREDENTIALS),
    10013: ("invalid weibo user", P.RECIPIENT),
    20003: ("user does not exist", P.RECIPIENT),
    20206: ("the author only allows mutual followers to comment", P.RECIPIENT),
    20207: ("the author only allows trusted users to comment", P.RECIPIENT),
    20301: ("can't send a direct message to a user who is not a follower", P.RECIPIENT),
    20508: ("the user's privacy settings forbid this", P.RECIPIENT),
    20101: ("target weibo does not exist", P.NO_TARGET),
    20201: ("target weibo comment does not exist", P.NO_TARGET),
    20204: ("comment id is null", P.NO_TARGET),
    20008: ("content is null", P.CONTENT),
    20012: ("text too long (140)", P.CONTENT),
    20013: ("text too long (300)", P.CONTENT),
    20017: ("repeat content", P.CONTENT),
    20018: ("contains an illegal website", P.CONTENT),
    20019: ("repeat content", P.CONTENT),
    20020: ("contains advertising", P.CONTENT),
    20021: ("content is illegal", P.CONTENT),
    21602: ("contains forbidden words", P.CONTENT),
    10008: ("param error", P.REFUSED),
    10012: ("illegal request", P.REFUSED),
    10016: ("miss required parameter", P.REFUSED),
    10017: ("parameter value invalid", P.REFUSED),
}


def classify(status: int, answer: dict[str, Any]) -> TransportError | None:
    """None when Weibo accepted; otherwise the failure (`replying.refusal`)."""
    try:
        code = int(answer.get("error_code") or 0)
    except (TypeError, ValueError):
        code = -1
    said = str(answer.get("error", ""))[:200]
    return refusal("weibo", code, status, said, temporary=TEMPORARY, permanent=PERMANENT)


def message_reply_form(message: OutboundMessage, access_token: str) -> dict[str, str]:
    """POST messages/reply.json, form-encoded: `data` is the JSON of the text (the form encoding
    is the URL-encoding the docs ask for); `receiver_id` the follower's uid."""
    text = required_text(message, platform="weibo", limit=MESSAGE_MAX_CHARS, what="private message")
    if not message.recipient.strip():
        raise TransportError("weibo reply without receiver_id", permanent=True, problem=P.NO_TARGET)
    data = json.dumps({"text": text}, ensure_ascii=False, separators=(",", ":"))
    return {
        "access_token": access_token,
        "type": "text",
        "data": data,
        "receiver_id": message.recipient.strip(),
        "save_sender_box": "1",  # the account's own inbox keeps what we said, as a person's reply would
    }


def comment_reply_form(message: OutboundMessage, access_token: str, client_ip: str | None) -> dict[str, str]:
    """POST comments/reply.json: `cid` the customer's comment, `id` the post it is under;
    `rip` the address of whoever acts, which Weibo asks write calls to report."""
    form = {
        "access_token": access_token,
        "cid": required_id(message, "comment_id", platform="weibo"),
        "id": required_id(message, "target", platform="weibo"),
        "comment": required_text(message, platform="weibo", limit=COMMENT_MAX_CHARS, what="comment"),
        "comment_ori": "0",
    }
    if client_ip:
        form["rip"] = client_ip
    return form


class WeiboTransport:
    def __init__(
        self,
        *,
        access_token: str,
        api_base: str = WEIBO_API,
        messages_base: str = WEIBO_MESSAGES_API,
        client_ip: str | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._token, self._ip = access_token, client_ip
        self._api, self._messages = api_base.rstrip("/"), messages_base.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=10)

    async def send(self, message: OutboundMessage) -> None:
        if message.channel is not Channel.WEIBO:
            raise ValueError(f"not a Weibo message: {message.channel}")
        if message.metadata.get("source") == "comment":
            url, form = (
                f"{self._api}/2/comments/reply.json",
                comment_reply_form(message, self._token, self._ip),
            )
        else:
            url, form = f"{self._messages}/2/messages/reply.json", message_reply_form(message, self._token)
        status, answer = await call_json(self._client, "POST", url, platform="weibo", data=form)
        error = classify(status, answer)
        if error is not None:
            raise error
