"""The knowledge pages, driven like a browser: CSRF on every form, escaping of what editors
write, drafts kept out of the public help center, conflicts, history, and the ticket sidebar."""

from __future__ import annotations

import html
import re

import httpx

from servicedesk.domain.knowledge import ContentStatus, ScriptScenario
from servicedesk.services import knowledge as kb
from servicedesk.services import scripts as lib
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.db import Database
from servicedesk.store.uow import UnitOfWork
from tests.conftest import Person, World
from tests.integration.test_pages import carols_ticket, csrf_of, sign_in

EVIL = '<script>alert("x")</script>'


async def article(db: Database, by: Person, content: kb.Content, *, publish_as: Person | None = None) -> int:
    async with UnitOfWork(db, write=False) as uow:
        author = await principal_by_user_id(uow, by.user_id)
        editor = await principal_by_user_id(uow, publish_as.user_id) if publish_as else None
    assert author is not None
    async with UnitOfWork(db) as uow:
        created = await kb.create_article(uow, author, content)
    if editor is not None:
        async with UnitOfWork(db) as uow:
            await kb.set_article_status(uow, editor, created.id, ContentStatus.PUBLISHED)
    return created.id


def form_fields(**overrides: str) -> dict[str, str]:
    return {
        "title": "发票怎么开", "body": "确认收货后在订单详情页申请电子发票。", "questions": "能开发票吗\n专票怎么开",
        "tags": "发票, 财务", "product": "", "product_version": "", "locale": "zh", "review_by": "", "note": "",
    } | overrides  # fmt: skip


async def test_staff_write_and_editors_publish_through_the_forms(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    csrf = await sign_in(client, world.alice)
    listing = await client.get("/agent/kb/articles")
    assert listing.status_code == 200 and "新建文章" in listing.text
    assert (await client.get("/agent/kb/articles/new")).status_code == 200
    forged = await client.post("/agent/kb/articles/new", data=form_fields(csrf="forged"))
    assert forged.status_code == 403 and "表单已过期" in forged.text
    bad = await client.post(
        "/agent/kb/articles/new", data=form_fields(csrf=csrf, title=" ", review_by="明天")
    )
    assert bad.status_code == 422
    assert 'name="review_by"' in bad.text and bad.text.count('aria-invalid="true"') == 2
    assert "确认收货后在订单详情页申请电子发票。" in bad.text  # what was typed is kept
    created = await client.post("/agent/kb/articles/new", data=form_fields(csrf=csrf))
    assert created.status_code == 303
    page_url = created.headers["location"].split("?")[0]
    page = await client.get(created.headers["location"])
    assert "已保存。" in page.text and "草稿" in page.text
    assert 'value="published"' not in page.text  # Alice may not publish: no button

    csrf = await sign_in(client, world.eve)
    page = await client.get(page_url)
    revision = re.search(r'name="revision" value="(\d+)"', page.text)
    assert revision and 'value="published"' in page.text
    published = await client.post(
        f"{page_url}/status", data={"csrf": csrf, "status": "published", "revision": revision.group(1)}
    )
    assert published.status_code == 303
    public = await client.get("/help/articles", params={"q": "开发票"})
    assert "发票怎么开" in public.text


async def test_editor_text_is_escaped_everywhere(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    content = kb.Content(
        title=f"退换货政策{EVIL}", body=f"七天无理由退货。{EVIL}", questions=(EVIL,), tags=("售后",)
    )
    article_id = await article(db, world.alice, content, publish_as=world.eve)
    client.cookies.clear()
    for url in ("/help/articles", f"/help/articles/{article_id}", "/help/articles?q=退换货"):
        page = await client.get(url)
        assert page.status_code == 200, url
        assert EVIL not in page.text and html.escape(EVIL, quote=False) in page.text.replace("&#34;", '"'), (
            url
        )
    await sign_in(client, world.alice)
    for url in (
        "/agent/kb/articles",
        f"/agent/kb/articles/{article_id}",
        f"/agent/kb/articles/{article_id}/history",
    ):
        page = await client.get(url)
        assert page.status_code == 200 and EVIL not in page.text, url


async def test_the_public_help_center_shows_published_articles_only(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    live = await article(
        db, world.alice,
        kb.Content(title="修改收货地址", body="发货前可在订单详情页修改收货地址。", questions=("地址填错了怎么办",)),
        publish_as=world.eve,
    )  # fmt: skip
    hidden = await article(db, world.alice, kb.Content(title="内部草稿：修改地址的例外", body="仅限内部"))
    found = await client.get("/help/articles", params={"q": "地址写错了"})
    assert found.status_code == 200
    assert f'href="/help/articles/{live}"' in found.text and "内部草稿" not in found.text
    assert "修改收货地址" in (await client.get("/help/articles")).text
    assert (await client.get(f"/help/articles/{hidden}")).status_code == 404
    await sign_in(client, world.alice)  # staff see drafts in the workspace, never on the public page
    assert (await client.get(f"/help/articles/{hidden}")).status_code == 404
    nothing = await client.get("/help/articles", params={"q": "今天天气怎么样"})
    assert "没有找到相关文章" in nothing.text


async def test_customers_are_kept_out_of_the_workspace(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.carol)
    for url in ("/agent/kb/articles", "/agent/kb/scripts", "/agent/kb/products", "/agent/kb/articles/new"):
        assert (await client.get(url)).status_code == 404, url
    client.cookies.clear()
    assert (await client.get("/agent/kb/articles")).status_code == 303  # to the sign-in page


async def test_a_stale_save_keeps_the_authors_text(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    article_id = await article(
        db, world.alice, kb.Content(title="退款时效", body="原路退回，1-3 个工作日到账。")
    )
    csrf = await sign_in(client, world.alice)
    url = f"/agent/kb/articles/{article_id}"
    first = await client.post(
        url, data=form_fields(csrf=csrf, title="退款时效", body="第一次修改", revision="1")
    )
    assert first.status_code == 303
    second = await client.post(
        url, data=form_fields(csrf=csrf, title="退款时效", body="第二次修改", revision="1")
    )
    assert second.status_code == 409
    assert "有人刚刚修改过" in second.text and "第二次修改" in second.text
    assert 'name="revision" value="2"' in second.text  # a resubmit now applies on top of revision 2

    history = await client.get(f"{url}/history", params={"a": 1, "b": 2})
    assert history.status_code == 200
    assert "原路退回，1-3 个工作日到账。" in history.text and "第一次修改" in history.text
    assert "恢复此版本" not in history.text  # restoring is for editors
    csrf = await sign_in(client, world.eve)
    restored = await client.post(
        f"{url}/restore", data={"csrf": csrf, "revision": "1", "expected_revision": "2"}
    )
    assert restored.status_code == 303
    page = await client.get(url)
    assert "原路退回，1-3 个工作日到账。" in page.text and 'name="revision" value="3"' in page.text


async def test_the_ticket_page_suggests_scripts_filled_for_the_customer(
    client: httpx.AsyncClient, db: Database, world: World
) -> None:
    async with UnitOfWork(db, write=False) as uow:
        alice = await principal_by_user_id(uow, world.alice.user_id)
        eve = await principal_by_user_id(uow, world.eve.user_id)
    assert alice is not None and eve is not None
    async with UnitOfWork(db) as uow:
        script = await lib.create_script(uow, alice, lib.ScriptContent(
            ScriptScenario.APOLOGY, "耳机没有声音致歉", "{customer_name}您好，耳机出现故障非常抱歉，请提供订单号 {order_no}，我们为您换新。",
            compliance_note="换新需核实购买凭证。",
        ))  # fmt: skip
    async with UnitOfWork(db) as uow:
        await lib.set_script_status(uow, eve, script.id, ContentStatus.PUBLISHED)
    await article(
        db,
        world.alice,
        kb.Content(title="耳机没有声音怎么办", body="请先检查蓝牙连接，再尝试重置耳机。"),
        publish_as=world.eve,
    )
    ticket_id = await carols_ticket(db, world)  # 耳机左耳没有声音
    await sign_in(client, world.alice)
    page = await client.get(f"/agent/tickets/{ticket_id}")
    assert page.status_code == 200
    assert "建议文章与话术" in page.text and "耳机没有声音怎么办" in page.text
    inserted = re.search(r'data-kb-text="([^"]*)"', page.text)
    assert inserted
    assert (
        html.unescape(inserted.group(1))
        == "Carol您好，耳机出现故障非常抱歉，请提供订单号 {order_no}，我们为您换新。"
    )
    assert "换新需核实购买凭证。" in page.text and "/static/kb-sidebar.js" in page.text
    assert "转为知识库草稿" not in page.text  # only for solved cases
    csrf = csrf_of(page.text)
    refused = await client.post(f"/agent/kb/from-ticket/{ticket_id}", data={"csrf": csrf})
    assert refused.status_code == 422


async def test_scripts_and_products_pages(client: httpx.AsyncClient, world: World) -> None:
    csrf = await sign_in(client, world.alice)
    new = await client.post(
        "/agent/kb/scripts/new",
        data={
            "csrf": csrf,
            "scenario": "closing",
            "title": "结束语",
            "body": "感谢您的耐心，祝您生活愉快！",
            "locale": "zh",
        },
    )
    assert new.status_code == 303
    url = new.headers["location"].split("?")[0]
    wrong = await client.post(
        "/agent/kb/scripts/new",
        data={
            "csrf": csrf,
            "scenario": "closing",
            "title": "微信结束语",
            "body": "再见",
            "channel": "wechat",
        },
    )
    assert wrong.status_code == 422 and "only a welcome script" in wrong.text
    listing = await client.get("/agent/kb/scripts", params={"scenario": "closing"})
    assert "感谢您的耐心" in listing.text and "结束语" in listing.text
    assert (
        await client.post("/agent/kb/products", data={"csrf": csrf, "name": "耳机", "current_version": "2"})
    ).status_code == 403
    csrf = await sign_in(client, world.eve)
    approved = await client.post(f"{url}/status", data={"csrf": csrf, "status": "published", "version": "1"})
    assert approved.status_code == 303
    assert "审核通过" not in (await client.get(url)).text
    product = await client.post(
        "/agent/kb/products", data={"csrf": csrf, "name": "智能耳机 X1", "current_version": "2.1"}
    )
    assert product.status_code == 303
    assert 'value="2.1"' in (await client.get("/agent/kb/products")).text
