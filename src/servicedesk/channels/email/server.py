"""Inbound email: an SMTP listener (aiosmtpd) that any MTA can forward to.

It runs on the application's own event loop, so it shares the database engine. Each message is
parsed from its raw bytes and handed to intake, threaded only by a Message-ID we signed.
Answers: 250 once stored (or already stored), 550 for mail that cannot be parsed (the sender's
MTA will not retry it), 451 when we fail and the MTA should try again later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from servicedesk.channels.email.parse import EmailParseError, parse_email
from servicedesk.channels.email.threading import ticket_id_from_refs
from servicedesk.services.bounces import record_hard_bounce
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)


class InboundMailHandler:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content
        if not isinstance(raw, bytes):
            return "554 5.6.0 message content missing"
        try:
            inbound = parse_email(
                raw, received_at=self.db.clock(), max_attachment_bytes=self.settings.max_attachment_bytes
            )
        except EmailParseError as error:
            return f"550 5.6.0 cannot read this message: {error}"
        hint = ticket_id_from_refs(inbound.thread_refs, secret=self.settings.secret_key)
        if inbound.metadata.get("bounce") == "hard":
            return await self._bounce(inbound.metadata, hint)
        try:
            async with UnitOfWork(self.db) as uow:
                result = await receive(uow, inbound, thread_hint=hint)
        except Exception:
            log.exception("inbound mail from %s could not be stored", inbound.sender)
            return "451 4.3.0 temporary failure, please try again later"
        log.info(
            "mail from %s: ticket %s%s", inbound.sender, result.ticket_id, " (duplicate)" * result.duplicate
        )
        return "250 2.0.0 OK"

    async def _bounce(self, meta: Mapping[str, str], hint: int | None) -> str:
        returned = meta.get("bounced_message_id")
        ticket_id = ticket_id_from_refs([returned], secret=self.settings.secret_key) if returned else hint
        address = meta.get("bounced_recipient", "")
        if ticket_id is not None and address:
            async with UnitOfWork(self.db) as uow:
                await record_hard_bounce(
                    uow, ticket_id=ticket_id, address=address, status=meta.get("bounce_status", "5.x.x")
                )
        return "250 2.0.0 OK"


async def start_mail_listener(db: Database, settings: Settings, *, port: int | None = None) -> asyncio.Server:
    """Listen on `settings.smtp_listen_host`:`port` (default `settings.smtp_listen_port`)."""
    handler = InboundMailHandler(db, settings)

    def protocol() -> Any:
        return SMTP(
            handler, data_size_limit=settings.smtp_max_message_bytes, hostname=settings.mail_domain,
            ident="servicedesk", enable_SMTPUTF8=True,
        )  # fmt: skip

    loop = asyncio.get_running_loop()
    # reuse_port: every `serve --workers N` process listens on the same port, as for HTTP.
    host, listen = settings.smtp_listen_host, settings.smtp_listen_port if port is None else port
    return await loop.create_server(protocol, host, listen, reuse_port=True)
