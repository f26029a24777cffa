"""Replies to WeChat followers: the customer-service message API, for the outbox dispatcher.

The access token is fetched with the AppID and secret and cached until shortly before it
expires; a code saying it is invalid or expired (40001, 42001) drops it and tries once more
with a fresh one. Permanent failures (45015 outside the 48-hour window, 45047 over quota,
40003 bad openid, 43004 unfollowed) go to the dead letter; network trouble is retried later.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.channels.wechat.reply import classify_api_error, customer_service_payload, encode_payload

STALE_TOKEN_CODES = frozenset({40001, 40014, 42001})
TOKEN_MARGIN_S = 300


class WeChatTransport:
    def __init__(
        self,
        *,
        app_id: str,
        app_secret: str,
        base_url: str = "https://api.weixin.qq.com",
        client: httpx.AsyncClient | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id, self._secret, self._clock = app_id, app_secret, clock
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=10)
        self._token: str | None = None
        self._expires_at = 0.0

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = await self._client.request(method, path, **kwargs)
            answer: dict[str, Any] = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TransportError(f"WeChat API unreachable or unreadable: {error}", permanent=False) from error
        return answer

    async def access_token(self) -> str:
        if self._token and self._clock() < self._expires_at:
            return self._token
        params = {"grant_type": "client_credential", "appid": self._app_id, "secret": self._secret}
        answer = await self._call("GET", "/cgi-bin/token", params=params)
        if "access_token" not in answer:
            error = classify_api_error(int(answer.get("errcode", -1)), str(answer.get("errmsg", "")))
            raise error or TransportError("WeChat returned no access_token", permanent=False)
        self._token = str(answer["access_token"])
        self._expires_at = self._clock() + int(answer.get("expires_in", 7200)) - TOKEN_MARGIN_S
        return self._token

    async def send(self, message: OutboundMessage) -> None:
        body = encode_payload(customer_service_payload(message))
        for attempt in (1, 2):
            token = await self.access_token()
            answer = await self._call(
                "POST", "/cgi-bin/message/custom/send", params={"access_token": token}, content=body,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )  # fmt: skip
            code = int(answer.get("errcode", 0))
            if code in STALE_TOKEN_CODES and attempt == 1:
                self._token = None
                continue
            error = classify_api_error(code, str(answer.get("errmsg", "")))
            if error is not None:
                raise error
            return
