"""Outbound email over SMTP (aiosmtplib), for the outbox dispatcher.

The Message-ID is derived from the ticket and the reply's ids with our secret, so a retried
delivery carries the same id (the customer's client shows it once) and the customer's answer
threads back to the case without trusting its subject.
"""

from __future__ import annotations

from dataclasses import replace

import aiosmtplib

from servicedesk.channels.email.compose import compose_reply
from servicedesk.channels.email.threading import make_message_id
from servicedesk.channels.message import OutboundMessage, TransportError
from servicedesk.settings import Settings


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        if not settings.smtp_relay_host:
            raise ValueError("SmtpTransport needs SERVICEDESK_SMTP_RELAY_HOST")
        self.settings = settings
        self.host: str = settings.smtp_relay_host

    def compose(self, message: OutboundMessage) -> bytes:
        s = self.settings
        ticket, reply = message.metadata.get("ticket_id"), message.metadata.get("message_id")
        if message.message_id is None and ticket and ticket.isdigit():
            signed = make_message_id(int(ticket), secret=s.secret_key, domain=s.mail_domain, nonce=reply)
            message = replace(message, message_id=signed)
        return compose_reply(
            message, from_address=s.mail_from_address, from_name=s.mail_from_name, domain=s.mail_domain
        )

    async def send(self, message: OutboundMessage) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                self.compose(message), sender=s.mail_from_address, recipients=[message.recipient],
                hostname=self.host, port=s.smtp_relay_port, username=s.smtp_relay_username,
                password=s.smtp_relay_password, start_tls=s.smtp_relay_starttls, timeout=30,
            )  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as error:
            raise TransportError(f"recipient refused: {error}", permanent=True) from error
        except aiosmtplib.SMTPResponseException as error:
            raise TransportError(
                f"{error.code} {error.message}", permanent=500 <= error.code < 600
            ) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise TransportError(f"relay unavailable: {error}", permanent=False) from error
