"""The `servicedesk` command: serve, migrate, demo, createuser."""

from __future__ import annotations

import asyncio
import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from servicedesk.cli_kb import kb_app
from servicedesk.domain.labels import label
from servicedesk.domain.roles import Role
from servicedesk.planning.cli import staffing_app
from servicedesk.settings import get_settings

app = typer.Typer(help="servicedesk — 智能客服平台 / intelligent customer-service platform")
console = Console()
app.add_typer(kb_app, name="kb")
app.add_typer(staffing_app, name="staffing")


@app.command()
def migrate(revision: str = "head") -> None:
    """Bring the database schema up to date (Alembic)."""
    from servicedesk.store.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url, revision)
    console.print(f"[green]schema at {revision}[/green] ({_safe_url(settings.database_url)})")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="listen address")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    access_log: Annotated[bool, typer.Option(help="log every request")] = False,
) -> None:
    """Run the web server (API, pages)."""
    import uvicorn

    from servicedesk.logging_setup import configure

    settings = get_settings()
    configure()
    host, port = host or settings.host, port or settings.port
    if settings.smtp_listen_port:  # a second servicedesk on the mail port would split the mail
        from servicedesk.channels.email.server import MailPortTaken, check_mail_port

        try:
            check_mail_port(settings.smtp_listen_host, settings.smtp_listen_port)
        except MailPortTaken as taken:
            console.print(f"[red]servicedesk cannot start:[/red] {taken}")
            raise typer.Exit(1) from None
        if workers > 1:  # the workers share the port among themselves (SO_REUSEPORT), nobody else
            os.environ["SERVICEDESK_SMTP_LISTEN_SHARED"] = "1"
    console.print(f"servicedesk on [bold]http://{host}:{port}[/bold]")
    uvicorn.run(
        "servicedesk.web.main:app", host=host, port=port, workers=workers,
        access_log=access_log, log_config=None,
    )  # fmt: skip


@app.command()
def demo() -> None:
    """Load the Chinese demo data set (idempotent) and print the demo logins."""
    from servicedesk.services.demo import load_demo
    from servicedesk.store.db import Database

    async def run() -> None:
        db = Database(get_settings())
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total)
                bar.update(tasks[stage], completed=done)

            summary = await load_demo(db, progress=progress)
        await db.dispose()
        state = "loaded" if summary.created else "already present"
        console.print(f"[green]demo data {state}[/green]")
        table = Table("role", "email", "password", title="demo logins")
        for role, email, password in summary.logins:
            table.add_row(role, email, password)
        console.print(table)

    asyncio.run(run())


@app.command()
def createuser(
    email: str,
    name: str,
    role: Annotated[Role, typer.Option(help="role of the new user")] = Role.ADMIN,
    password: Annotated[str | None, typer.Option(help="omit to be asked")] = None,
) -> None:
    """Create a staff user (an admin by default)."""
    from servicedesk.services.staff import create_user
    from servicedesk.store.db import Database
    from servicedesk.store.uow import UnitOfWork

    secret = password or getpass.getpass("password: ")

    async def run() -> int:
        db = Database(get_settings())
        try:
            async with UnitOfWork(db) as uow:
                user = await create_user(uow, None, email=email, name=name, role=role, password=secret)
                return user.id
        finally:
            await db.dispose()

    try:
        user_id = asyncio.run(run())
    except Exception as error:  # a person reads this: say what went wrong, no traceback
        message = getattr(error, "message", str(error))
        fields = getattr(error, "fields", {})
        console.print(f"[red]could not create the user: {message}[/red] {fields or ''}")
        raise typer.Exit(1) from error
    console.print(f"[green]created {label(role, 'en')} #{user_id} {email}[/green]")


@app.command("eval")
def evaluate(
    data: Annotated[Path, typer.Option(help="the shared data sets (banking77/, clinc150/…)")] = Path(
        "../shared/data"
    ),
    only: Annotated[list[str] | None, typer.Option(help="intent, sentiment, retrieval, selfservice")] = None,
    markdown: Annotated[bool, typer.Option(help="print a Markdown table too")] = False,
) -> None:
    """Measure the assistant: intent accuracy, out-of-scope, retrieval, sentiment, self-service."""
    from servicedesk.evaluation import command

    parts = only or list(command.PARTS)
    unknown = [p for p in parts if p not in command.PARTS]
    if unknown:
        console.print(f"[red]unknown parts {unknown}; choose from {', '.join(command.PARTS)}[/red]")
        raise typer.Exit(2)
    figures = command.evaluate(data, parts, lambda line: console.print(f"[dim]{line}[/dim]"))
    table = Table("task", "data", "metric", "value", "target", "", "note", title="servicedesk eval")
    for row in command.rows(figures):
        table.add_row(*row)
    console.print(table)
    if markdown:
        print(command.markdown(figures))


def _safe_url(url: str) -> str:
    """The database URL without its password, for printing."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.split('@', 1)[1]}"
