"""The proxy's cost, side by side with going direct, on loopback.

Concurrent (the default): the reference server (`drun-conformance serve`) and the proxy
(`drun-conformance proxy --report-dir`, console to a file) each run in their own process, as
a user runs them; N clients (default 32) spread over load-generator processes send Run
Deployment Now back to back on keep-alive connections for S seconds straight to the server,
then S seconds through the proxy (`--rounds` alternates them, so drift hits both alike).
Reported per way: requests/s, p50 and p99 latency, errors, CPU seconds of the processes
serving and of the load generator (raw HTTP on asyncio: it must not be what limits); and the
reconciliation: every request answered through the proxy was forwarded and judged (the
proxy's own count, and its results.json once it has stopped).

Sequential (`--sequential`): one keep-alive client, N exchanges each way in alternating
blocks, server and proxy on threads of this process: what one client alone pays.

    python bench/bench_proxy.py [--clients 32] [--duration 20] [--rounds 1] [--processes 2]
    python bench/bench_proxy.py --python /other/venv/bin/python   # another install's proxy
    python bench/bench_proxy.py --sequential [--exchanges 400]

A measurement, never a test. Figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from _http_load import HEADERS, Connection, cpu_seconds, request, started, stopped

from drun_conformance.proxy import proxy_in_thread
from drun_conformance.server.reference import create_app, serve_in_thread

BLOCK = 20
RUN = "/v1/deployments/depl_ok/run"


# --- concurrent ---------------------------------------------------------------------------


async def _one_client(url: str, start: float, stop: float, out: list[float]) -> int:
    """Back-to-back exchanges on one connection from `start` to `stop`; the answers not 200."""
    raw, errors = request("POST", RUN), 0
    connection = Connection(url)
    await connection.exchange(request("GET", "/v1/models"))  # connected before the clock starts
    await asyncio.sleep(max(0.0, start - time.time()))
    try:
        while time.time() < stop:
            began = time.perf_counter()
            status, _ = await connection.exchange(raw)
            out.append(time.perf_counter() - began)
            errors += status != 200
    finally:
        connection.close()
    return errors


def _generator(url: str, clients: int, start: float, stop: float) -> tuple[list[float], int, float]:
    """One load-generator process: (latencies, answers not 200, its CPU seconds)."""
    latencies: list[float] = []

    async def main() -> int:
        return sum(await asyncio.gather(*(_one_client(url, start, stop, latencies) for _ in range(clients))))

    cpu = time.process_time()
    errors = asyncio.run(main())
    return latencies, errors, time.process_time() - cpu


@dataclass
class Way:
    name: str
    latencies: list[float]
    errors: int
    seconds: float
    generator_cpu: float
    served_cpu: float  # CPU seconds of the processes behind the URL during the run

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def line(self) -> str:
        ms = sorted(s * 1000 for s in self.latencies)
        p99 = ms[max(0, int(len(ms) * 0.99) - 1)]
        return (
            f"{self.name:8} {self.rate:8.0f} req/s   p50 {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms"
            f"   {len(ms)} requests, {self.errors} not 200   CPU: served {self.served_cpu:5.1f} s,"
            f" load generator {self.generator_cpu:4.1f} s"
        )


def _load(name: str, url: str, args: argparse.Namespace, pids: Sequence[int]) -> Way:
    per = [
        args.clients // args.processes + (i < args.clients % args.processes) for i in range(args.processes)
    ]
    start = time.time() + 1.5  # every process connected and waiting before the clock starts
    stop = start + args.duration
    cpu = cpu_seconds(*pids)
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        parts = pool.starmap(_generator, [(url, n, start, stop) for n in per if n])
    served = cpu_seconds(*pids) - cpu
    latencies = [s for part in parts for s in part[0]]
    return Way(name, latencies, sum(p[1] for p in parts), args.duration, sum(p[2] for p in parts), served)


def concurrent(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "console.txt", "w") as console:
        upstream, server_url = started(
            [sys.executable, "-m", "drun_conformance", "serve", "--port", "0"], "base url:", console
        )
        proxy_argv = [args.python, "-m", "drun_conformance", "proxy", "--upstream", server_url]
        proxy, proxy_url = started(
            [*proxy_argv, "--report-dir", f"{tmp}/report", "--allow-incomplete"], "listening:", console
        )
        print(
            f"{args.clients} clients over {args.processes} load-generator processes, {args.duration:g} s"
            f" a way, {args.rounds} round(s); proxy: {args.python}; {os.cpu_count()} CPUs"
        )
        direct: list[Way] = []
        proxied: list[Way] = []
        try:
            for _ in range(args.rounds):
                direct.append(_load("direct", server_url, args, [upstream.pid]))
                proxied.append(_load("proxied", proxy_url, args, [upstream.pid, proxy.pid]))
        finally:
            stopped(proxy)
            stopped(upstream)
        for way in (*direct, *proxied):
            print(way.line())
        _compare(_merged(direct), _merged(proxied))
        warm_ups = args.clients * args.rounds  # one GET /v1/models per connection: passed through
        _reconcile(sum(len(w.latencies) for w in proxied), warm_ups, Path(tmp), args)


def _merged(ways: list[Way]) -> Way:
    return Way(
        ways[0].name,
        [s for w in ways for s in w.latencies],
        sum(w.errors for w in ways),
        sum(w.seconds for w in ways),
        sum(w.generator_cpu for w in ways),
        sum(w.served_cpu for w in ways),
    )


def _compare(direct: Way, proxied: Way) -> None:
    d50, p50 = statistics.median(direct.latencies), statistics.median(proxied.latencies)
    print(
        f"proxied/direct: p50 {p50 / d50:.2f}x ({(p50 - d50) * 1000:+.2f} ms), requests/s"
        f" {proxied.rate / direct.rate:.0%} (targets: p50 at most 2x, requests/s at least 50%)"
    )


def _reconcile(completed: int, warm_ups: int, tmp: Path, args: argparse.Namespace) -> None:
    """Every run-now answered through the proxy was judged; a request still under way at a
    stop may add one per client."""
    console = (tmp / "console.txt").read_text()
    forwarded = re.search(r"(\d+) (?:requests )?forwarded", console)
    server = next(t for t in json.loads((tmp / "report" / "results.json").read_text())["targets"])
    judged = server["requests"]
    forwarded_count = forwarded.group(1) if forwarded else "?"
    print(
        f"reconciliation: {completed} run-now answered through the proxy (+{warm_ups} warm-ups passed"
        f" through), {forwarded_count} forwarded, {judged} judged; {server['notes'][0]}"
    )
    if not completed <= judged <= completed + args.clients * args.rounds:
        print(f"  MISMATCH: judged {judged}, answered {completed}")


# --- sequential ---------------------------------------------------------------------------


def timed(client: httpx.Client, count: int) -> list[float]:
    """Seconds per exchange for `count` runs of depl_ok (each answer read in full)."""
    out = []
    for _ in range(count):
        began = time.perf_counter()
        answer = client.post(RUN, headers=HEADERS)
        answer.read()
        out.append(time.perf_counter() - began)
        assert answer.status_code == 200, answer.text
    return out


def describe(name: str, seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name:8} median {statistics.median(ms):6.2f} ms   p95 {p95:6.2f} ms   ({len(ms)} exchanges)"


def sequential(args: argparse.Namespace) -> None:
    with serve_in_thread(create_app()) as upstream, proxy_in_thread(upstream, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=upstream) as direct, httpx.Client(base_url=proxy.base_url) as proxied:
            timed(direct, BLOCK), timed(proxied, BLOCK)  # warm both paths up (connections, imports)
            direct_s: list[float] = []
            proxied_s: list[float] = []
            for _ in range(args.exchanges // BLOCK):
                direct_s += timed(direct, BLOCK)
                proxied_s += timed(proxied, BLOCK)
        judged = proxy.results()[0].requests
    print(describe("direct", direct_s))
    print(describe("proxied", proxied_s))
    added = statistics.median(proxied_s) - statistics.median(direct_s)
    print(f"added by the proxy: {added * 1000:.2f} ms per exchange (median); {judged} exchanges judged")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", action="store_true", help="one client, threads of this process")
    parser.add_argument("--exchanges", type=int, default=400, help="sequential: exchanges each way")
    parser.add_argument("--clients", type=int, default=32, help="concurrent: connections at once")
    parser.add_argument("--duration", type=float, default=20.0, help="concurrent: seconds each way")
    parser.add_argument("--rounds", type=int, default=1, help="concurrent: direct then proxied, this often")
    parser.add_argument("--processes", type=int, default=2, help="concurrent: load-generator processes")
    parser.add_argument(
        "--python", default=sys.executable, help="concurrent: the Python whose drun-conformance proxies"
    )
    args = parser.parse_args()
    if args.sequential:
        sequential(args)
    else:
        concurrent(args)


if __name__ == "__main__":
    main()
