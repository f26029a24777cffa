"""Agent replies to web-chat visitors: pushed to their open sockets through the hub.

A visitor who is not connected loses nothing: the reply is stored on the case and the widget
shows the history when it reconnects, so "nobody connected" counts as delivered.
"""

from __future__ import annotations

from servicedesk.channels.message import OutboundMessage
from servicedesk.channels.webchat.hub import ChatHub


class WebChatTransport:
    def __init__(self, hub: ChatHub) -> None:
        self.hub = hub

    async def send(self, message: OutboundMessage) -> None:
        frame = {
            "type": "message",
            "from": message.metadata.get("from", "agent"),
            "body": message.body,
            "id": message.metadata.get("message_id"),
            "author": message.metadata.get("author", ""),
        }
        await self.hub.push(message.recipient, frame)
