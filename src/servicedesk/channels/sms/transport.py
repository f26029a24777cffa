"""The default SMS provider: writes each text to the log instead of a carrier.

It lets a fresh installation verify phone numbers end to end (the code is in the server log)
until a real provider's transport is configured in `channels/registry.py`. The number is masked
in the log like everywhere else; the text itself is shown, since reading it is the point.
"""

from __future__ import annotations

import logging

from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.domain.pii import mask_phone

log = logging.getLogger("servicedesk.sms")


class LogSmsTransport:
    async def send(self, message: OutboundMessage) -> None:
        if not message.recipient:
            raise TransportError("no phone number to text", permanent=True)
        log.info("SMS to %s: %s", mask_phone(message.recipient), message.body)
