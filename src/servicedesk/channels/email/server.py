"""Inbound email: an SMTP listener (aiosmtpd) that any MTA can forward to.

It runs on the application's own event loop, so it shares the database engine. Each message is
parsed from its raw bytes and handed to intake, threaded only by a Message-ID we signed.

A mail that reached us is never refused for being odd: the parser always gives a message
(flagged for a person when something could not be read), so the answer is 250 once it is
stored, already stored, or recognised as automatic (bounces mark the address, auto-replies are
let go). Only our own failure (the database away) answers 451, so the MTA tries again later;
no exception ever leaves the handler.

The port is ours alone: a second process that finds it taken refuses to start
(`MailPortTaken`) instead of splitting the mail between two databases. Only the worker
processes of one `serve --workers N` share it (`smtp_listen_shared`, SO_REUSEPORT).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Mapping
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.threading import ticket_id_from_refs
from servicedesk.channels.message import InboundMessage
from servicedesk.services.bounces import record_hard_bounce
from servicedesk.services.intake import receive
from servicedesk.settings import Settings
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork

log = logging.getLogger(__name__)

__all__ = ["InboundMailHandler", "MailPortTaken", "check_mail_port", "start_mail_listener"]


class MailPortTaken(RuntimeError):
    """Another process already listens on the SMTP port."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"the SMTP port {host}:{port} is already in use by another process (another servicedesk "
            "or a mail server), so inbound mail would be split between them; stop that process, or "
            "set SERVICEDESK_SMTP_LISTEN_PORT to a free port (empty turns inbound mail off) / "
            f"收信端口 {host}:{port} 已被其他进程占用，请停止该进程或更换 SERVICEDESK_SMTP_LISTEN_PORT"
        )
        self.host, self.port = host, port


class InboundMailHandler:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await self.take(raw or b"", mail_from=envelope.mail_from, rcpt_tos=envelope.rcpt_tos)
        except Exception:
            log.exception("inbound mail from %r could not be stored", envelope.mail_from)
            return "451 4.3.0 temporary failure, please try again later"

    async def take(self, raw: bytes, *, mail_from: str | None, rcpt_tos: list[str]) -> str:
        """Parse and store one mail as it came over SMTP; the SMTP answer."""
        inbound = parse_email(
            raw, received_at=self.db.clock(), envelope_sender=mail_from if mail_from is not None else None,
            recipients=rcpt_tos, max_attachment_bytes=self.settings.max_attachment_bytes,
        )  # fmt: skip
        hint = ticket_id_from_refs(inbound.thread_refs, secret=self.settings.secret_key)
        if inbound.metadata.get("bounce") == "hard":
            await self._bounce(inbound.metadata, hint)
            return "250 2.0.0 OK"
        async with UnitOfWork(self.db) as uow:
            result = await receive(uow, inbound, thread_hint=hint)
        self._log(inbound, result.ticket_id, result.duplicate, result.ignored)
        return "250 2.0.0 OK"

    @staticmethod
    def _log(inbound: InboundMessage, ticket_id: int | None, duplicate: bool, ignored: str | None) -> None:
        if ignored:
            log.info("mail from %s not a case (%s)", inbound.sender, inbound.metadata.get("automatic_reason"))
        else:
            log.info("mail from %s: ticket %s%s", inbound.sender, ticket_id, " (duplicate)" * duplicate)

    async def _bounce(self, meta: Mapping[str, str], hint: int | None) -> None:
        returned = meta.get("bounced_message_id")
        ticket_id = ticket_id_from_refs([returned], secret=self.settings.secret_key) if returned else None
        ticket_id = ticket_id if ticket_id is not None else hint
        address = meta.get("bounced_recipient", "")
        if ticket_id is not None and address:
            async with UnitOfWork(self.db) as uow:
                await record_hard_bounce(
                    uow, ticket_id=ticket_id, address=address, status=meta.get("bounce_status", "5.x.x")
                )


def check_mail_port(host: str, port: int) -> None:
    """Raise `MailPortTaken` when something listens on host:port (bound without SO_REUSEPORT,
    so a listener that shares the port is found too)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not "taken"
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise MailPortTaken(host, port) from error
            raise


async def start_mail_listener(db: Database, settings: Settings, *, port: int | None = None) -> asyncio.Server:
    """Listen on `settings.smtp_listen_host`:`port` (default `settings.smtp_listen_port`);
    `MailPortTaken` when another process has it."""
    handler = InboundMailHandler(db, settings)

    def protocol() -> Any:
        return SMTP(
            handler, data_size_limit=settings.smtp_max_message_bytes, hostname=settings.mail_domain,
            ident="servicedesk", enable_SMTPUTF8=True,
        )  # fmt: skip

    loop = asyncio.get_running_loop()
    host, listen = settings.smtp_listen_host, settings.smtp_listen_port if port is None else port
    shared = settings.smtp_listen_shared or None  # None: the default, no SO_REUSEPORT
    try:
        return await loop.create_server(protocol, host, listen, reuse_port=shared)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise MailPortTaken(host, listen or 0) from error
        raise
