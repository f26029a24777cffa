"""`servicedesk kb import|export`: the knowledge base in and out of CSV, JSON or Markdown.

Formats and matching rules are in `services.kb_transfer`. Import acts as the system (no user),
like `servicedesk demo`; every change is still a revision with an audit event. The services are
imported inside the commands: the search index they pull in (jieba, scipy) would add most of a
second to every other `servicedesk` command.
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from servicedesk.domain.knowledge import ContentStatus
from servicedesk.settings import get_settings

kb_app = typer.Typer(help="知识库导入导出 / import and export knowledge articles", no_args_is_help=True)
console = Console()
MAX_SHOWN_ERRORS = 50


class FileFormat(StrEnum):
    """As `kb_transfer.Format`, repeated here so `--help` needs no service import."""

    CSV = "csv"
    JSON = "json"
    MD = "md"


def _bar() -> Progress:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console)


@kb_app.command("import")
def import_articles(
    path: Annotated[Path, typer.Argument(help="a .csv or .json file, or a folder of .md files")],
    format: Annotated[
        FileFormat | None, typer.Option("--format", "-f", help="default: from the path")
    ] = None,
) -> None:
    """Create, update or skip each article (matched by id, else title + locale); bad rows are
    listed and the rest still imported. Exit status 1 when any row failed."""
    from servicedesk.services import kb_transfer as transfer
    from servicedesk.store.db import Database

    try:
        records = transfer.read_records(path, transfer.Format(format) if format else None)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from error

    async def run() -> transfer.ImportReport:
        db = Database(get_settings())
        try:
            with _bar() as bar:
                task = bar.add_task("importing", total=len(records))
                return await transfer.import_records(
                    db, records, source=path.name, progress=lambda n: bar.advance(task, n)
                )
        finally:
            await db.dispose()

    report = asyncio.run(run())
    summary = Table("created", "updated", "skipped", "errors", title=f"{path.name}: {report.total} records")
    summary.add_row(str(report.created), str(report.updated), str(report.skipped), str(len(report.errors)))
    console.print(summary)
    for problem in report.errors[:MAX_SHOWN_ERRORS]:
        console.print(f"[red]{problem.where}[/red]: {problem.message}", markup=True, highlight=False)
    if len(report.errors) > MAX_SHOWN_ERRORS:
        console.print(f"… and {len(report.errors) - MAX_SHOWN_ERRORS} more")
    if report.errors:
        raise typer.Exit(1)


@kb_app.command("export")
def export_articles(
    path: Annotated[Path, typer.Argument(help="the file to write (a folder for md)")],
    format: Annotated[FileFormat, typer.Option("--format", "-f")] = FileFormat.JSON,
    status: Annotated[
        list[ContentStatus] | None, typer.Option("--status", help="repeatable; default: every status")
    ] = None,
) -> None:
    """Write the articles (with their ids, so a re-import updates rather than duplicates)."""
    from servicedesk.services import kb_transfer as transfer
    from servicedesk.store.db import Database

    async def run() -> list[dict[str, object]]:
        db = Database(get_settings())
        try:
            return await transfer.export_rows(db, status or tuple(ContentStatus))
        finally:
            await db.dispose()

    rows = asyncio.run(run())
    if format is not FileFormat.MD and path.is_dir():
        console.print(f"[red]{path} is a folder; give a file name[/red]")
        raise typer.Exit(2)
    with _bar() as bar:
        task = bar.add_task("exporting", total=len(rows))
        transfer.write(path, transfer.Format(format), rows, progress=lambda n: bar.advance(task, n))
    console.print(f"[green]{len(rows)} articles → {path}[/green]")
