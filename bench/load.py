"""Closed-loop load over real HTTP: K clients, each with its own keep-alive connection, send
their next request as soon as the previous one answered. Every loop is bounded in count and
in time."""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx

Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (NaN when there are none)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class PhaseResult:
    name: str
    concurrency: int
    elapsed_s: float
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: int = 0
    first_error: str = ""
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    db_cpu_s: float = 0.0
    machine_cpu_s: float = 0.0  # every process on the machine, to spot outside interference

    @property
    def other_cpu_s(self) -> float:
        return max(0.0, self.machine_cpu_s - self.server_cpu_s - self.client_cpu_s - self.db_cpu_s)

    @property
    def ok(self) -> int:
        return len(self.latencies_s)

    @property
    def total(self) -> int:
        return self.ok + self.errors

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def p(self, q: float) -> float:
        """Latency percentile in milliseconds over the successful requests (errors are counted
        apart and never make a phase look faster)."""
        return percentile(sorted(self.latencies_s), q) * 1000


def client_cpu() -> float:
    times = os.times()
    return times.user + times.system


async def run_phase(
    name: str,
    clients: Sequence[httpx.AsyncClient],
    request: Request,
    *,
    max_requests: int,
    max_seconds: float,
    expect: int = 200,
) -> PhaseResult:
    """Send up to `max_requests` requests from all clients, stopping at `max_seconds`."""
    issued = 0
    result = PhaseResult(name=name, concurrency=len(clients), elapsed_s=0.0)
    started = time.perf_counter()
    deadline = started + max_seconds
    cpu0 = client_cpu()

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            index = issued
            issued += 1
            t0 = time.perf_counter()
            try:
                response = await request(client, index)
            except httpx.HTTPError as error:
                result.errors += 1
                result.statuses[type(error).__name__] += 1
                result.first_error = result.first_error or repr(error)
                continue
            took = time.perf_counter() - t0
            result.statuses[str(response.status_code)] += 1
            if response.status_code != expect:
                result.errors += 1
                result.first_error = result.first_error or f"{response.status_code} {response.text[:300]}"
            else:
                result.latencies_s.append(took)

    await asyncio.gather(*(worker(c) for c in clients))
    result.elapsed_s = time.perf_counter() - started
    result.client_cpu_s = client_cpu() - cpu0
    return result


def make_clients(base_url: str, token: str, n: int) -> list[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    return [
        httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=60.0, trust_env=False)
        for _ in range(n)
    ]


async def connect_one_by_one(clients: Sequence[httpx.AsyncClient], path: str = "/api/v1/me") -> None:
    """(Re)open each client's connection in turn, as users arriving one after another would
    (uvicorn closes a connection idle for 5 s, so clients left out of a phase reconnect)."""
    for client in clients:
        await client.get(path)


def local_port(response: httpx.Response) -> int | None:
    """The client-side port of the connection that carried `response`."""
    stream = response.extensions.get("network_stream")
    address = stream.get_extra_info("client_addr") if stream is not None else None
    return int(address[1]) if address else None


async def balance_connections(
    clients: Sequence[httpx.AsyncClient],
    owner_of: Callable[[int], int | None],
    workers: int,
    *,
    path: str = "/api/v1/me",
    max_tries: int = 40,
) -> dict[int, int]:
    """Give every server worker its share of the clients' keep-alive connections, as a load
    balancer in front of the workers would: a connection that landed on a worker already
    holding its share is closed (`Connection: close`) and opened again. Returns connections
    per worker pid. Bounded: at most `max_tries` reconnects per client."""
    quota = -(-len(clients) // max(1, workers))
    held: dict[int, int] = {}
    for client in clients:
        for _ in range(max_tries):
            port = local_port(await client.get(path))
            owner = owner_of(port) if port is not None else None
            if owner is None or held.get(owner, 0) < quota:
                if owner is not None:
                    held[owner] = held.get(owner, 0) + 1
                break
            await client.get(path, headers={"Connection": "close"})
    return held


async def close_clients(clients: Sequence[httpx.AsyncClient]) -> None:
    await asyncio.gather(*(c.aclose() for c in clients))
