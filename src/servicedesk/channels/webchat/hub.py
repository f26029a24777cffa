"""Who is connected right now: visitor id → their open sockets, in this process.

One process (the default deployment) needs nothing more. Several processes need a shared
fan-out (Redis pub/sub, planned): a reply delivered by a dispatcher in another process would not
reach a socket held here, though the visitor still sees it in the history on reconnect.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)
Send = Callable[[dict[str, Any]], Awaitable[None]]


class ChatHub:
    def __init__(self) -> None:
        self._sockets: defaultdict[str, set[Send]] = defaultdict(set)

    def connect(self, visitor: str, send: Send) -> None:
        self._sockets[visitor].add(send)

    def disconnect(self, visitor: str, send: Send) -> None:
        self._sockets[visitor].discard(send)
        if not self._sockets[visitor]:
            del self._sockets[visitor]

    def connected(self, visitor: str) -> int:
        return len(self._sockets.get(visitor, ()))

    async def push(self, visitor: str, frame: dict[str, Any]) -> int:
        """Send `frame` to every socket of `visitor`; returns how many took it."""
        delivered = 0
        for send in list(self._sockets.get(visitor, ())):
            try:
                await send(frame)
                delivered += 1
            except Exception:  # a socket closing under us: the visitor reads history on reconnect
                log.info("chat socket of a visitor went away during a push")
        return delivered
