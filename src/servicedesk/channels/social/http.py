"""The one HTTP call both social transports make: JSON back, or a retryable TransportError.

Weibo answers its refusals with a 4xx status and a JSON body naming the `error_code`; Douyin with
200 and the code inside. So the body is read whatever the status, and only a body that is not a
JSON object (a gateway's HTML page, a dropped connection) is decided by the status alone.
"""

from __future__ import annotations

from typing import Any

import httpx

from servicedesk.channels.message import TransportError


async def call_json(
    client: httpx.AsyncClient, method: str, url: str, *, platform: str, **kwargs: Any
) -> tuple[int, dict[str, Any]]:
    try:
        response = await client.request(method, url, **kwargs)
    except httpx.HTTPError as error:
        raise TransportError(
            f"{platform} API unreachable: {type(error).__name__}: {error}", permanent=False
        ) from error
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise TransportError(
            f"{platform} API answered HTTP {response.status_code} without a JSON object", permanent=False
        )
    return response.status_code, answer
