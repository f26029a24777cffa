"""The files that came with messages, for whoever may read the message (pages link here too)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from servicedesk.services.attachments import INLINE_TYPES, open_attachment
from servicedesk.web.deps import CurrentPrincipal, UowFactory

router = APIRouter(tags=["attachments"])


@router.get("/attachments/{attachment_id}", response_class=FileResponse)
async def download(attachment_id: int, principal: CurrentPrincipal, uow: UowFactory) -> FileResponse:
    """The file as it came. Only images, PDF and plain text open in the browser; anything else
    (an HTML page, an SVG, a script) is offered as a download, and never sniffed."""
    async with uow(write=False) as u:
        row, path = await open_attachment(u, principal, attachment_id)
    shown = row.content_type.split(";")[0].strip().lower() in INLINE_TYPES
    return FileResponse(
        path,
        media_type=row.content_type if shown else "application/octet-stream",
        filename=row.filename,
        content_disposition_type="inline" if shown else "attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
