"""Replies on Douyin (抖音), for the outbox dispatcher: a private message through the open
platform's IM send API for enterprise accounts (`/im/send/msg/`), a comment through the video
comment reply API (`/item/comment/reply/`).

Both act as the enterprise account (`open_id`) with its OAuth access token in the
`access-token` header. The token lives 15 days; when Douyin says it expired or is invalid
(2190008, 2190002, 10008) and a refresh token is configured, it is refreshed once
(`/oauth/refresh_token/`) and the send tried again; the fresh token is kept in memory. Without
a refresh token, or when the refresh is refused, the message is dead-lettered as a credential
problem. A private message answers the customer's last one (`msg_id`, valid 24 hours) in its
conversation (`conversation_id`). Formats: developer.open-douyin.com, see
tests/data/social/README.md.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.channels.social.replying import call_json, refusal, required_id, required_text
from servicedesk.domain.catalog import Channel
from servicedesk.domain.delivery import DeliveryProblem as P

DOUYIN_API = "https://open.douyin.com"
STALE_TOKEN_CODES = frozenset({2190002, 2190008, 10008})
TEXT_MSG_TYPE = 1

TEMPORARY: dict[int, str] = {
    10001: "system error",
    2100004: "system busy",
    2190001: "API quota used up",
    2111006: "comment failed",
}
PERMANENT: dict[int, tuple[str, P]] = {
    2190002: ("access_token invalid", P.CREDENTIALS),
    2190008: ("access_token expired", P.CREDENTIALS),
    10008: ("access_token invalid or expired", P.CREDENTIALS),
    10010: ("refresh_token expired", P.CREDENTIALS),
    10020: ("refresh_token renewed too often", P.CREDENTIALS),
    10013: ("client_key or client_secret wrong", P.CREDENTIALS),
    10004: ("app lacks the scope", P.CREDENTIALS),
    2190003: ("the account has not authorised this API", P.CREDENTIALS),
    2190004: ("the app lacks this capability", P.CREDENTIALS),
    2190015: ("access_token and open_id do not match", P.CREDENTIALS),
    2190016: ("the app is banned or offline", P.CREDENTIALS),
    2100007: ("no permission for this operation", P.CREDENTIALS),
    2112001: ("not an enterprise account", P.CREDENTIALS),
    2100009: ("the user is banned from this operation", P.RECIPIENT),
    2111003: ("invalid comment", P.NO_TARGET),
    2111004: ("the comment is not under this video", P.NO_TARGET),
    2111007: ("video not found", P.NO_TARGET),
    2111001: ("hit sensitive words", P.CONTENT),
    2113001: ("material rejected by review", P.CONTENT),
    2100005: ("invalid parameter", P.REFUSED),
    10002: ("parameter error", P.REFUSED),
    10005: ("missing parameter", P.REFUSED),
}


def _part(answer: dict[str, Any], key: str) -> dict[str, Any]:
    value = answer.get(key)
    return value if isinstance(value, dict) else {}


def result_of(answer: dict[str, Any]) -> tuple[int, str]:
    """Douyin puts its verdict in `data.error_code` and `extra.error_code` (plus a sub-code);
    the first non-zero one is the answer, 0 is success."""
    data, extra = _part(answer, "data"), _part(answer, "extra")
    for part in (data, extra, answer):
        raw = part.get("error_code", part.get("err_no", 0))
        try:
            code = int(raw or 0)
        except (TypeError, ValueError):
            code = -1
        if code:
            said = " ".join(
                str(x)
                for x in (part.get("description") or part.get("err_msg"), extra.get("sub_description"))
                if x
            )
            return code, said[:200]
    return 0, ""


def classify(status: int, code: int, said: str) -> TransportError | None:
    return refusal("douyin", code, status, said, temporary=TEMPORARY, permanent=PERMANENT)


def im_send_body(message: OutboundMessage) -> dict[str, Any]:
    """POST /im/send/msg/?open_id=…: a text answering the customer's message `reply_to` in its
    conversation (scene im_replay_msg, the default one for answering a received message)."""
    if not message.recipient.strip():
        raise TransportError("douyin reply without to_user_id", permanent=True, problem=P.NO_TARGET)
    return {
        "msg_id": required_id(message, "reply_to", platform="douyin"),
        "conversation_id": required_id(message, "conversation", platform="douyin"),
        "to_user_id": message.recipient.strip(),
        "scene": "im_replay_msg",
        "content": {"msg_type": TEXT_MSG_TYPE, "text": {"text": required_text(message, platform="douyin")}},
    }


def comment_reply_body(message: OutboundMessage) -> dict[str, Any]:
    """POST /item/comment/reply/?open_id=…: `comment_id` the customer's comment under video
    `item_id` (only the account's own videos can be answered)."""
    return {
        "item_id": required_id(message, "target", platform="douyin"),
        "comment_id": required_id(message, "comment_id", platform="douyin"),
        "content": required_text(message, platform="douyin"),
    }


class DouyinTransport:
    def __init__(
        self,
        *,
        access_token: str,
        open_id: str,
        client_key: str | None = None,
        refresh_token: str | None = None,
        api_base: str = DOUYIN_API,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._token, self._open_id = access_token, open_id
        self._client_key, self._refresh_token = client_key, refresh_token
        self._api = api_base.rstrip("/")
        self._client = client or httpx.AsyncClient(timeout=10)

    async def refresh(self) -> None:
        """A fresh access token from the refresh token; kept in memory (a restart starts again
        from the configured one, which the refresh token still renews while it lives)."""
        if not (self._client_key and self._refresh_token):
            raise TransportError("douyin access token refused and no refresh token configured",
                                 permanent=True, problem=P.CREDENTIALS)  # fmt: skip
        form = {
            "client_key": self._client_key,
            "grant_type": "refresh_token",
            "refresh_token": self._refresh_token,
        }
        status, answer = await call_json(
            self._client, "POST", f"{self._api}/oauth/refresh_token/", platform="douyin", data=form
        )
        error = classify(status, *result_of(answer))
        if error is not None:
            raise error
        data = _part(answer, "data")
        if not data.get("access_token"):
            raise TransportError("douyin refresh returned no access_token", permanent=False)
        self._token = str(data["access_token"])
        self._refresh_token = str(data.get("refresh_token") or self._refresh_token)

    async def send(self, message: OutboundMessage) -> None:
        if message.channel is not Channel.DOUYIN:
            raise ValueError(f"not a Douyin message: {message.channel}")
        if message.metadata.get("source") == "comment":
            path, body = "/item/comment/reply/", comment_reply_body(message)
        else:
            path, body = "/im/send/msg/", im_send_body(message)
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        for attempt in (1, 2):
            headers = {"access-token": self._token, "Content-Type": "application/json; charset=utf-8"}
            status, answer = await call_json(
                self._client, "POST", f"{self._api}{path}", platform="douyin",
                params={"open_id": self._open_id}, headers=headers, content=content,
            )  # fmt: skip
            code, said = result_of(answer)
            if code in STALE_TOKEN_CODES and attempt == 1 and self._refresh_token:
                await self.refresh()
                continue
            error = classify(status, code, said)
            if error is not None:
                raise error
            return
