"""What the Weibo and Douyin reply transports share: the checks before a request, and the
HTTP call itself (JSON back, or a retryable TransportError).

Weibo answers its refusals with a 4xx status and a JSON body naming the `error_code`; Douyin with
200 and the code inside. So the body is read whatever the status, and only a body that is not a
JSON object (a gateway's HTML page, a dropped connection) is decided by the status alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.delivery import DeliveryProblem


def required_id(message: OutboundMessage, key: str, *, platform: str) -> str:
    """The id in `metadata[key]` the reply answers; a missing or masked one names nothing."""
    value = message.metadata.get(key, "").strip()
    if not value or "*" in value:
        raise TransportError(
            f"{platform} reply without {key}", permanent=True, problem=DeliveryProblem.NO_TARGET
        )
    return value


def required_text(
    message: OutboundMessage, *, platform: str, limit: int | None = None, what: str = ""
) -> str:
    text = message.body.strip()
    if not text:
        raise TransportError(
            f"{platform} refuses an empty text", permanent=True, problem=DeliveryProblem.CONTENT
        )
    if limit is not None and len(text) > limit:
        raise TransportError(
            f"{platform} takes at most {limit} characters in a {what}; this one has {len(text)}",
            permanent=True, problem=DeliveryProblem.CONTENT,
        )  # fmt: skip
    return text


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


def refusal(
    platform: str, code: int, status: int, said: str, *,
    temporary: Mapping[int, str], permanent: Mapping[int, tuple[str, DeliveryProblem]],
) -> TransportError | None:  # fmt: skip
    """None when the platform accepted (code 0, a 2xx); else the failure, permanent (with what the
    agent is told) when retrying is futile. Unknown codes are retried: the dead letter still
    catches them after the retry budget."""
    if code == 0 and status < 400:
        return None
    if code in permanent:
        what, problem = permanent[code]
        return TransportError(f"{platform} {code} ({what}): {said}", permanent=True, problem=problem)
    label = temporary.get(code, "unclassified")
    return TransportError(f"{platform} {code or 'HTTP ' + str(status)} ({label}): {said}", permanent=False)
