"""The real server as a subprocess, a throwaway PostgreSQL, and process sampling (RSS, CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import httpx
import psutil

T = TypeVar("T")

REPO = Path(__file__).resolve().parent.parent
PG_THROWAWAY = REPO / "scripts" / "pg-throwaway"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def throwaway_postgresql() -> Iterator[tuple[str, int]]:
    """`scripts/pg-throwaway start DIR`, its URL, and the postmaster pid; always stopped."""
    # Directly under the temp dir: as root the script hands DIR to user postgres, who must be
    # able to reach it (a mkdtemp parent is mode 0700).
    directory = Path(tempfile.gettempdir()) / f"sd-bench-pg-{os.getpid()}-{time.monotonic_ns()}"
    try:
        out = subprocess.run(
            [str(PG_THROWAWAY), "start", str(directory)], check=True, capture_output=True, text=True
        ).stdout
        match = re.search(r"=(postgresql\+asyncpg://\S+)", out)
        if not match:
            raise RuntimeError(f"pg-throwaway printed no URL: {out!r}")
        pid = int((directory / "data" / "postmaster.pid").read_text().split()[0])
        yield match.group(1), pid
    finally:
        subprocess.run([str(PG_THROWAWAY), "stop", str(directory)], check=False, capture_output=True)


def _serve_command() -> list[str]:
    script = Path(sys.executable).parent / "servicedesk"
    if script.exists():
        return [str(script), "serve"]
    found = shutil.which("servicedesk")
    if found:
        return [found, "serve"]
    return [sys.executable, "-c", "from servicedesk.cli import app; app()", "serve"]


@dataclass
class Server:
    """`servicedesk serve` on a free 127.0.0.1 port, its log in a temp file."""

    database_url: str
    workers: int
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(
        default_factory=lambda: Path(tempfile.mkstemp(prefix="sd-bench-", suffix=".log")[1])
    )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout_s: float = 60.0) -> None:
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEDESK_")}
        env |= {
            "DATABASE_URL": self.database_url,
            "SERVICEDESK_ENVIRONMENT": "production",
            "SERVICEDESK_SECRET_KEY": os.urandom(24).hex(),
            "SERVICEDESK_HOST": "127.0.0.1",
            **self.env_extra,
        }
        command = [*_serve_command(), "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers)]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._wait_ready(timeout_s)

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
                # With several workers, each must have started too; they share the socket.
                enough = 1 + (self.workers if self.workers > 1 else 0)
                try:
                    if client.get("/login").status_code == 200 and len(self.processes()) >= enough:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise RuntimeError(f"server did not answer within {timeout_s:.0f} s:\n{self.log_tail()}")

    def processes(self) -> list[psutil.Process]:
        if self.process is None:
            return []
        return process_tree(self.process.pid)

    def stop(self) -> None:
        """Graceful stop (then SIGKILL to the session we started it in); removes the log."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self.log_path.unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def cpu_snapshot(pid: int | None) -> dict[int, float]:
    """User + system CPU seconds of a process and each of its live children, by pid."""
    if pid is None:
        return {}
    seen: dict[int, float] = {}
    for proc in process_tree(pid):
        with contextlib.suppress(psutil.Error):
            times = proc.cpu_times()
            seen[proc.pid] = times.user + times.system
    return seen


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU used between two snapshots by the processes alive at the end (a process that exited
    in between is not counted, so this can only under-report)."""
    return sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in after.items())


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (not idle, not waiting for I/O)."""
    t = psutil.cpu_times()
    busy: float = sum(t) - t.idle - getattr(t, "iowait", 0.0)
    return busy


def connection_owners(server: Server) -> dict[int, int]:
    """Client port → pid of the server process holding that established connection (with
    several workers the kernel hands each connection to one worker for its whole life)."""
    owners: dict[int, int] = {}
    for proc in server.processes():
        with contextlib.suppress(psutil.Error):
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == server.port and conn.raddr:
                    owners[conn.raddr.port] = proc.pid
    return owners


def connections_by_process(server: Server) -> list[int]:
    """How many established client connections each server process holds, largest first."""
    counts: dict[int, int] = {}
    for pid in connection_owners(server).values():
        counts[pid] = counts.get(pid, 0) + 1
    return sorted(counts.values(), reverse=True)


class RssSampler:
    """Samples the resident memory of the server's process tree in a background thread."""

    def __init__(self, pid: int, interval_s: float = 0.1) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_total_mb = 0.0
        self.peak_process_mb = 0.0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        sizes: list[float] = []
        for proc in process_tree(self.pid):
            with contextlib.suppress(psutil.Error):
                sizes.append(proc.memory_info().rss / 2**20)
        if sizes:
            self.samples += 1
            self.peak_total_mb = max(self.peak_total_mb, sum(sizes))
            self.peak_process_mb = max(self.peak_process_mb, max(sizes))
            self.peak_processes = max(self.peak_processes, len(sizes))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """uvloop when present (as the server uses), to keep the client's own overhead low."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    result: T = uvloop.run(coro)
    return result


def exit_on_sigterm() -> None:
    """SIGTERM unwinds through every `finally`, so the server and the cluster are stopped."""

    def terminate(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
