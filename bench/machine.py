"""What the figures were measured on."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import psutil
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    python: str
    sqlite: str
    os: str

    def describe(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.0f} GB RAM; Python {self.python}; "
            f"SQLite {self.sqlite}; {self.os}"
        )


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def code_version(repo: Path) -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    try:
        run = partial(subprocess.run, cwd=repo, capture_output=True, text=True, check=True, timeout=10)
        commit = run(["git", "log", "-1", "--format=%h %s"]).stdout.strip()
        dirty = run(["git", "status", "--porcelain", "--", "src"]).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" (with uncommitted changes in src/)" if dirty else "")


def this_machine() -> Machine:
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count() or 0,
        ram_gb=psutil.virtual_memory().total / 2**30,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        os=f"{platform.system()} {platform.release()}",
    )


async def postgresql_facts(url: str) -> dict[str, str]:
    """Server version and the settings that matter for commit throughput."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            facts = {"version": str(await conn.scalar(text("SHOW server_version")))}
            for name in ("shared_buffers", "synchronous_commit", "fsync", "max_connections"):
                facts[name] = str(await conn.scalar(text(f"SHOW {name}")))
            return facts
    finally:
        await engine.dispose()
