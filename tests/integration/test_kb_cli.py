"""`servicedesk kb import|export`: a round trip through every format, idempotent re-imports, and
bad rows reported one by one without stopping the others."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from servicedesk import cli_kb
from servicedesk.cli import app
from servicedesk.domain.knowledge import ContentStatus
from servicedesk.services import kb_transfer as transfer
from servicedesk.services import knowledge as kb
from servicedesk.services.auth import principal_by_user_id
from servicedesk.store.db import Database
from servicedesk.store.knowledge import Article, ArticleRevision
from servicedesk.store.uow import UnitOfWork
from tests.conftest import World

ARTICLES = [
    (kb.Content(title="退换货政策", body="签收后七天内可无理由退货。\n\n---\n\n运费：买家承担。",
                questions=("怎么退货", '说"不想要了"能退吗'), tags=("售后", "退换货"),
                product="智能耳机 X1", product_version="2.1", review_by=date(2030, 6, 30)), True),
    (kb.Content(title="发票: 如何开具增值税专用发票？", body="在订单详情页点击「申请发票」。🧾",
                questions=("能开专票吗",)), False),
    (kb.Content(title="How do I change my delivery address?", body="Before shipping, edit it in the order page.",
                locale="en", tags=("address",)), True),
]  # fmt: skip


@pytest.fixture
def runner(db: Database, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli_kb, "get_settings", lambda: db.settings)
    return CliRunner()


async def invoke(runner: CliRunner, *args: str) -> Result:
    """The command runs its own event loop, so it runs in a thread beside the test's."""
    return await asyncio.to_thread(runner.invoke, app, ["kb", *args], env={"COLUMNS": "200"})


async def seed(db: Database, world: World) -> list[int]:
    ids = []
    async with UnitOfWork(db, write=False) as uow:
        eve = await principal_by_user_id(uow, world.eve.user_id)
    assert eve is not None
    for content, publish in ARTICLES:
        async with UnitOfWork(db) as uow:
            article = await kb.create_article(uow, eve, content)
        if publish:
            async with UnitOfWork(db) as uow:
                await kb.set_article_status(uow, eve, article.id, ContentStatus.PUBLISHED)
        ids.append(article.id)
    return ids


async def stored(db: Database) -> dict[int, tuple[kb.Content, ContentStatus]]:
    async with UnitOfWork(db, write=False) as uow:
        return {a.id: (kb.content_of(a), a.status) for a in await uow.session.scalars(select(Article))}


async def revisions(db: Database) -> int:
    async with UnitOfWork(db, write=False) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ArticleRevision)) or 0)


@pytest.mark.parametrize("fmt", ["csv", "json", "md"])
async def test_a_round_trip_keeps_every_field_and_reimport_is_idempotent(
    db: Database, world: World, runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    await seed(db, world)
    target = tmp_path / ("export" if fmt == "md" else f"export.{fmt}")
    exported = await invoke(runner, "export", str(target), "--format", fmt)
    assert exported.exit_code == 0, exported.output
    assert "3 articles" in exported.output

    records = transfer.read_records(target)
    read_back = {}
    for record in records:
        article_id, content, status = transfer.parse_record(record)
        assert article_id is not None
        read_back[article_id] = (content, status)
    assert read_back == await stored(db)

    before = await revisions(db)
    again = await invoke(runner, "import", str(target))
    assert again.exit_code == 0, again.output
    assert "│ 0       │ 0       │ 3       │ 0      │" in again.output
    assert await revisions(db) == before  # nothing rewritten

    rows = [transfer.as_values(a) for a in (await _articles(db))]
    rows[0]["body"] += "\n生鲜商品除外。"
    rows.append(
        {
            "title": "修改收货地址",
            "body": "发货前可修改。",
            "status": "published",
            "questions": ["地址填错了"],
        }
    )
    transfer.write(target, transfer.Format(fmt), rows)
    changed = await invoke(runner, "import", str(target))
    assert changed.exit_code == 0, changed.output
    assert "│ 1       │ 1       │ 2       │ 0      │" in changed.output
    now = await stored(db)
    assert now[rows[0]["id"]][0].body.endswith("生鲜商品除外。")
    assert any(c.title == "修改收货地址" and s is ContentStatus.PUBLISHED for c, s in now.values())


async def _articles(db: Database) -> list[Article]:
    async with UnitOfWork(db, write=False) as uow:
        return list(await uow.session.scalars(select(Article).order_by(Article.id)))


async def test_bad_rows_are_reported_and_the_good_ones_imported(
    db: Database, world: World, runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "faq.csv"
    header = ",".join(transfer.FIELDS)
    lines = [
        header,
        ",,zh,published,,,,,,没有标题的文章",  # row 2: no title
        ",发票抬头,zh,live,,,,,,正文",  # row 3: unknown status
        ",退款时效,zh,draft,,,2024-13-01,,,正文",  # row 4: not a date
        f',换货,zh,draft,,,,,"{"长" * 201}",正文',  # row 5: phrasing too long
        ",保修政策,zh,published,,,,,,",  # row 6: published without a body
        ",运费说明,zh,draft,,,,,,正文,多余",  # row 7: more cells than columns
        ',七天无理由退货,zh,published,,,,"售后,退换货","怎么退货\n能退吗",签收后七天内可退。',  # row 8: fine
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = await invoke(runner, "import", str(path))
    assert result.exit_code == 1, result.output
    out = result.output
    for row, words in [
        (2, "title"),
        (3, "status"),
        (4, "review_by"),
        (5, "questions"),
        (6, "body"),
        (7, "more cells"),
    ]:
        assert f"row {row}: " in out and words in out.split(f"row {row}: ")[1].splitlines()[0], (row, out)
    assert "row 8" not in out
    assert "│ 1       │ 0       │ 0       │ 6      │" in out
    [only] = await _articles(db)
    assert (only.title, only.tags, only.questions) == (
        "七天无理由退货",
        ["售后", "退换货"],
        ["怎么退货", "能退吗"],
    )


async def test_unreadable_inputs_get_a_clear_message(
    db: Database, world: World, runner: CliRunner, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"title": "发票"', encoding="utf-8")
    result = await invoke(runner, "import", str(broken))
    assert result.exit_code == 2 and "cannot read broken.json" in result.output
    unknown = tmp_path / "faq.xlsx"
    unknown.write_bytes(b"PK")
    assert (await invoke(runner, "import", str(unknown))).exit_code == 2

    folder = tmp_path / "md"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: 发票\n正文没有结束标记", encoding="utf-8")
    (folder / "b.md").write_text(
        "---\ntitle: 修改收货地址\nstatus: published\nquestions:\n  - 地址填错了\n  - 能改地址吗\n---\n发货前可修改。\n",
        encoding="utf-8",
    )
    result = await invoke(runner, "import", str(folder))
    assert result.exit_code == 1
    assert "a.md: front matter is not closed" in result.output
    [article] = await _articles(db)
    assert (article.title, article.questions, article.body) == (
        "修改收货地址",
        ["地址填错了", "能改地址吗"],
        "发货前可修改。",
    )


def test_markdown_front_matter_survives_any_title() -> None:
    row: dict[str, Any] = {
        "id": 7, "title": 'a: "b"\n---', "locale": "zh", "status": "draft", "product": None,
        "product_version": None, "review_by": None, "tags": ["x"], "questions": ["- y", "z: w"], "body": "---\nbody",
    }  # fmt: skip
    parsed = transfer.parse_markdown(transfer.to_markdown(row))
    assert parsed == {**row, "body": "---\nbody"}
    assert transfer.markdown_name(row) == "00007-a-b.md"
    assert json.loads(json.dumps(parsed, ensure_ascii=False)) == parsed
