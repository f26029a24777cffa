"""The files that come with messages — a customer's photo of a broken parcel, an invoice PDF.

The database keeps each file's name, type, size and SHA-256; the bytes are kept once on disk
under their SHA-256 (`settings.attachments_dir`), so the same file sent twice takes the room
once, and a name can never climb out of the directory. A file is written before the message's
transaction commits; if that transaction rolls back, the file stays unreferenced (harmless, and
the same content is reused when it comes again).

Who may fetch a file is who may read its message: the case's visibility rule, and internal
notes never to customers.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

from servicedesk.channels.message import Attachment as File
from servicedesk.domain.catalog import MessageKind
from servicedesk.domain.errors import NotFound, ValidationFailed
from servicedesk.domain.roles import Principal, Visibility
from servicedesk.services.access import access_ticket_by_id
from servicedesk.store.models import Attachment, Message
from servicedesk.store.uow import UnitOfWork

KEY = re.compile(r"[0-9a-f]{2}/[0-9a-f]{64}")
MAX_FILES = 10  # on one message
# shown in the browser; anything else (HTML, SVG, scripts) is only ever downloaded
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}
)


class FileStore:
    """Bytes by their SHA-256 under `root` (`ab/abcdef…`)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> tuple[str, str]:
        """Keep `data` (once); its storage key and SHA-256."""
        digest = hashlib.sha256(data).hexdigest()
        key = f"{digest[:2]}/{digest}"
        path = self.root / key
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                os.replace(tmp, path)  # whole or not at all, even with two writers of one file
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return key, digest

    def path(self, key: str) -> Path:
        if not KEY.fullmatch(key):
            raise NotFound("no such file")
        return self.root / key


def clean_filename(name: str) -> str:
    """A file name safe to store and to offer back: no directories, no control characters."""
    base = re.split(r"[\\/]", name)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().strip(".")
    return base[:255] or "attachment"


def check_files(files: Sequence[File], max_bytes: int) -> None:
    """Refuse, before anything is stored, what a person tries to attach beyond the limits."""
    if len(files) > MAX_FILES:
        raise ValidationFailed(
            "too many files", fields={"files": f"at most {MAX_FILES} files on one message"}
        )
    for file in files:
        if len(file.data) > max_bytes:
            limit = f"{max_bytes / 2**20:.0f} MB" if max_bytes >= 2**20 else f"{max_bytes} bytes"
            raise ValidationFailed(
                "file too large", fields={"files": f"{clean_filename(file.filename)} is larger than {limit}"}
            )
        if not file.data:
            raise ValidationFailed(
                "empty file", fields={"files": f"{clean_filename(file.filename)} is empty"}
            )


async def keep(uow: UnitOfWork, message: Message, files: Sequence[File]) -> list[Attachment]:
    """Store `files` and attach them to `message`; not committed."""
    store = FileStore(uow.settings.attachments_dir)
    kept = []
    for file in files:
        key, digest = await asyncio.to_thread(store.put, file.data)
        kind = (file.content_type or "application/octet-stream")[:127]
        row = Attachment(
            filename=clean_filename(file.filename), content_type=kind, size=len(file.data), sha256=digest,
            storage_key=key, created_at=uow.now(),
        )  # fmt: skip
        message.attachments.append(row)
        kept.append(row)
    await uow.session.flush()
    return kept


async def open_attachment(uow: UnitOfWork, actor: Principal, attachment_id: int) -> tuple[Attachment, Path]:
    """The attachment and its file, for someone who may read its message; NotFound otherwise
    (as for a file that does not exist)."""
    row = await uow.session.get(Attachment, attachment_id)
    message = await uow.session.get(Message, row.message_id) if row is not None else None
    if row is None or message is None:
        raise NotFound(f"attachment {attachment_id} not found")
    if message.ticket_id is not None:
        await access_ticket_by_id(uow, actor, message.ticket_id)  # NotFound when not theirs
    elif not (actor.role.is_staff and actor.visibility is Visibility.ALL):  # the bot's conversation
        raise NotFound(f"attachment {attachment_id} not found")
    if message.kind is MessageKind.NOTE and not actor.role.is_staff:
        raise NotFound(f"attachment {attachment_id} not found")
    path = FileStore(uow.settings.attachments_dir).path(row.storage_key)
    if not path.exists():
        raise NotFound(f"the file of attachment {attachment_id} is missing from the store")
    return row, path
