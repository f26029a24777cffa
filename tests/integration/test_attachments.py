"""The files that come with an email stay with its message, on both databases: kept once on
disk, listed on the ticket pages, fetched only by those who may read the message, offered
safely; a file over the limit is named on the page instead of vanishing."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import smtplib
from pathlib import Path

import httpx
from sqlalchemy import select

from servicedesk.channels.email.parse import parse_email
from servicedesk.channels.email.server import start_mail_listener
from servicedesk.services.intake import receive
from servicedesk.store.db import Database
from servicedesk.store.models import Attachment, Message, Outbox, Ticket
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World
from tests.integration.test_pages import csrf_of, sign_in

MAIL = (Path(__file__).parents[1] / "data" / "email" / "rfc2231_attachment.eml").read_bytes()
NAMES = ["发票.pdf", "二〇二四年三月对账单.xlsx", "截图1.png"]


async def _from_carol(db: Database, world: World, message_id: str, *, limit: int = 10 * 2**20) -> int:
    """The fixture mail, as Carol sent it; the id of its case."""
    parsed = parse_email(MAIL, received_at=db.clock(), max_attachment_bytes=limit)
    inbound = dataclasses.replace(parsed, sender=world.carol.email, message_id=message_id)
    async with UnitOfWork(db) as uow:
        result = await receive(uow, inbound)
    assert result.ticket_id is not None
    return result.ticket_id


async def test_an_emails_files_reach_the_case_over_real_smtp(db: Database) -> None:
    listener = await start_mail_listener(db, db.settings, port=0)
    try:
        port = listener.sockets[0].getsockname()[1]

        def send() -> None:  # a blocking SMTP client, off the loop the listener runs on
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.sendmail("wangxm@example.com.cn", ["support@support.example.com"], MAIL)

        await asyncio.to_thread(send)
    finally:
        listener.close()
        await listener.wait_closed()
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.scalars(select(Attachment).order_by(Attachment.id)))
    assert [a.filename for a in rows] == NAMES
    for row, part in zip(rows, parse_email(MAIL, received_at=db.clock()).attachments, strict=True):
        stored = (db.settings.attachments_dir / row.storage_key).read_bytes()
        assert stored == part.data and row.sha256 == hashlib.sha256(part.data).hexdigest()
        assert row.size == len(part.data)


async def test_the_owner_and_the_staff_fetch_a_file_and_nobody_else(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _from_carol(db, world, "mail-1@example.cn")
    async with UnitOfWork(db, write=False) as uow:
        pdf, xlsx, png = await uow.session.scalars(select(Attachment).order_by(Attachment.id))
    got = await client.get(f"/api/v1/attachments/{pdf.id}", headers=world.carol.auth)
    assert got.status_code == 200 and got.content.startswith(b"%PDF-1.4")
    assert (
        got.headers["content-type"] == "application/pdf"
        and got.headers["x-content-type-options"] == "nosniff"
    )
    assert got.headers["content-disposition"].startswith("inline")
    sheet = await client.get(f"/api/v1/attachments/{xlsx.id}", headers=world.sue.auth)
    assert sheet.headers["content-type"] == "application/octet-stream"  # offered, never opened in place
    assert sheet.headers["content-disposition"].startswith("attachment")
    assert "filename*=utf-8''" in sheet.headers["content-disposition"]  # the Chinese name survives
    assert (await client.get(f"/api/v1/attachments/{png.id}", headers=world.dave.auth)).status_code == 404
    assert (await client.get(f"/api/v1/attachments/{png.id}")).status_code == 401
    assert (await client.get("/api/v1/attachments/999999", headers=world.sue.auth)).status_code == 404

    await sign_in(client, world.sue)
    page = (await client.get(f"/agent/tickets/{ticket_id}")).text
    assert all(name in page for name in NAMES) and f'href="/api/v1/attachments/{pdf.id}"' in page
    await sign_in(client, world.carol)
    mine = (await client.get(f"/help/tickets/{ticket_id}")).text
    assert "发票.pdf" in mine


async def test_the_same_file_twice_is_kept_once(db: Database, world: World) -> None:
    await _from_carol(db, world, "mail-1@example.cn")
    await _from_carol(db, world, "mail-2@example.cn")  # she sent it again
    async with UnitOfWork(db, write=False) as uow:
        rows = list(await uow.session.scalars(select(Attachment)))
    assert len(rows) == 6 and len({r.storage_key for r in rows}) == 3


async def test_a_file_over_the_limit_is_named_on_the_page_instead_of_lost(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _from_carol(db, world, "mail-3@example.cn", limit=48)
    async with UnitOfWork(db, write=False) as uow:
        kept = list(await uow.session.scalars(select(Attachment.filename)))
        meta = await uow.session.scalar(select(Message.meta).join(Ticket).where(Ticket.id == ticket_id))
    assert kept == ["二〇二四年三月对账单.xlsx"] and meta is not None
    await sign_in(client, world.sue)
    page = (await client.get(f"/agent/tickets/{ticket_id}")).text
    assert "超过大小上限" in page and "发票.pdf, 截图1.png" in page


async def _attachment_of_latest(db: Database, ticket_id: int) -> list[Attachment]:
    async with UnitOfWork(db, write=False) as uow:
        latest = await uow.session.scalar(
            select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id.desc()).limit(1)
        )
    assert latest is not None
    return list(latest.attachments)


async def test_an_agent_replies_with_a_file_and_it_goes_out_with_the_email(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _from_carol(db, world, "mail-4@example.cn")
    await sign_in(client, world.sue)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert 'enctype="multipart/form-data"' in page.text and 'name="files"' in page.text
    sent = await client.post(
        f"/agent/tickets/{ticket_id}/messages",
        data={"csrf": csrf_of(page.text), "kind": "reply", "body": "维修单见附件。"},
        files=[("files", ("维修单.pdf", b"%PDF-1.4 repair order", "application/pdf"))],
    )
    assert sent.status_code == 303
    [kept] = await _attachment_of_latest(db, ticket_id)
    assert (kept.filename, kept.size) == ("维修单.pdf", 21)
    async with UnitOfWork(db, write=False) as uow:
        payload = await uow.session.scalar(select(Outbox.payload).order_by(Outbox.id.desc()).limit(1))
    assert payload is not None and [a["filename"] for a in payload["attachments"]] == ["维修单.pdf"]

    noted = await client.post(
        f"/agent/tickets/{ticket_id}/messages",
        data={"csrf": csrf_of(page.text), "kind": "note", "body": "内部：供应商报价"},
        files=[("files", ("报价.txt", "内部报价 899 元".encode(), "text/plain"))],
    )
    assert noted.status_code == 303
    [internal] = await _attachment_of_latest(db, ticket_id)
    assert (
        await client.get(f"/api/v1/attachments/{internal.id}", headers=world.carol.auth)
    ).status_code == 404
    assert (await client.get(f"/api/v1/attachments/{kept.id}", headers=world.carol.auth)).status_code == 200


async def test_too_large_or_too_many_files_are_refused_and_the_words_kept(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    ticket_id = await _from_carol(db, world, "mail-5@example.cn")
    db.settings.max_attachment_bytes = 64
    await sign_in(client, world.carol)
    page = await client.get(f"/help/tickets/{ticket_id}")
    refused = await client.post(
        f"/help/tickets/{ticket_id}/messages",
        data={"csrf": csrf_of(page.text), "body": "补充一张照片"},
        files=[("files", ("破损.jpg", b"\xff\xd8" + b"x" * 100, "image/jpeg"))],
    )
    assert refused.status_code == 422
    assert "破损.jpg is larger than 64 bytes" in refused.text and "补充一张照片" in refused.text
    answered = await client.post(
        f"/help/tickets/{ticket_id}/messages",
        data={"csrf": csrf_of(page.text), "body": "补充一张照片"},
        files=[
            ("files", ("破损.jpg", b"\xff\xd8small", "image/jpeg")),
            ("files", ("", b"", "application/octet-stream")),
        ],
    )  # the second part is an empty file input, as browsers send it
    assert answered.status_code == 303
    assert [a.filename for a in await _attachment_of_latest(db, ticket_id)] == ["破损.jpg"]

    many = [{"filename": f"{n}.txt", "data": base64.b64encode(b"x").decode()} for n in range(11)]
    api = f"/api/v1/tickets/{ticket_id}/messages"
    too_many = await client.post(api, json={"body": "多个文件", "attachments": many}, headers=world.sue.auth)
    assert too_many.status_code == 422 and "at most 10" in too_many.text
    garbled = await client.post(
        api,
        json={"body": "坏的", "attachments": [{"filename": "a.txt", "data": "%%%"}]},
        headers=world.sue.auth,
    )
    assert garbled.status_code == 422
    ok = await client.post(api, json={"body": "附上清单", "attachments": many[:2]}, headers=world.sue.auth)
    assert ok.status_code == 201 and [a["filename"] for a in ok.json()["attachments"]] == ["0.txt", "1.txt"]
    photo = {
        "filename": "外箱.png",
        "content_type": "image/png",
        "data": base64.b64encode(b"\x89PNG..").decode(),
    }
    made = await client.post(
        "/api/v1/tickets",
        json={"subject": "外箱破损", "body": "见照片", "attachments": [photo]},
        headers=world.carol.auth,
    )
    assert made.status_code == 201
    detail = (await client.get(made.headers["location"], headers=world.carol.auth)).json()
    assert [a["filename"] for m in detail["messages"] for a in m["attachments"]] == ["外箱.png"]


async def test_a_customer_opens_a_case_with_a_photo(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    await sign_in(client, world.carol)
    form = await client.get("/help/new")
    fields = {
        "csrf": csrf_of(form.text),
        "subject": "收到的箱子是破的",
        "body": "外箱破损，耳机盒压扁了，见照片。",
    }
    db.settings.max_attachment_bytes = 64
    refused = await client.post(
        "/help/new", data=fields, files=[("files", ("箱子.jpg", b"\xff" * 65, "image/jpeg"))]
    )
    assert refused.status_code == 422 and "箱子.jpg is larger than 64 bytes" in refused.text
    assert "外箱破损，耳机盒压扁了" in refused.text  # nothing she wrote is lost
    async with UnitOfWork(db, write=False) as uow:
        assert await uow.session.scalar(select(Ticket.id)) is None  # and nothing half-made
    opened = await client.post(
        "/help/new", data=fields, files=[("files", ("箱子.jpg", b"\xff\xd8ok", "image/jpeg"))]
    )
    assert opened.status_code == 303
    ticket_id = int(opened.headers["location"].rsplit("/", 1)[1])
    [photo] = await _attachment_of_latest(db, ticket_id)
    assert (photo.filename, photo.content_type) == ("箱子.jpg", "image/jpeg")
