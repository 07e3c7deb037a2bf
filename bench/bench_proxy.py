"""The proxy's cost, side by side with going direct, on loopback.

Concurrent (the default): the reference server (`drun-conformance serve`) and the proxy
(`drun-conformance proxy --report-dir`, console to a file) each run in their own process, as
a user runs them; N clients (default 32) spread over load-generator processes send Run
Deployment Now back to back on keep-alive connections for S seconds straight to the server,
then S seconds through the proxy (`--rounds` alternates them, so drift hits both alike).
Reported per way: requests/s, p50 and p99 latency, errors; and the reconciliation: every
request sent through the proxy was forwarded once and judged once (the proxy's own count, and
its results.json once it has stopped). The load generator speaks raw HTTP/1.1 on asyncio
streams (tens of microseconds a request), so it is not what limits either way; its CPU
seconds are printed beside the proxy's and the server's so that can be checked.

Sequential (`--sequential`): one keep-alive client, N exchanges each way in alternating
blocks, server and proxy on threads of this process: what one client alone pays.

    python bench/bench_proxy.py [--clients 32] [--duration 20] [--rounds 1] [--processes 2]
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
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from drun_conformance.proxy import proxy_in_thread
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, create_app, serve_in_thread

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
BLOCK = 20
_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


# --- concurrent ---------------------------------------------------------------------------


def _request(host: str, port: int) -> bytes:
    lines = ["POST /v1/deployments/depl_ok/run HTTP/1.1", f"host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in HEADERS.items()]
    lines += ["user-agent: bench-proxy/1", "content-length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def _one_client(host: str, port: int, start: float, stop: float, out: list[float]) -> int:
    """Back-to-back exchanges on one connection from `start` to `stop`; the errors seen."""
    request = _request(host, port)
    errors = 0
    reader, writer = await asyncio.open_connection(host, port)
    await asyncio.sleep(max(0.0, start - time.time()))
    try:
        while time.time() < stop:
            began = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = _LENGTH.search(head)
            if length is None:
                raise RuntimeError(f"no content-length in {head[:200]!r}")
            await reader.readexactly(int(length.group(1)))
            if not head.startswith(b"HTTP/1.1 200"):
                errors += 1
            out.append(time.perf_counter() - began)
    finally:
        writer.close()
    return errors


def _generator(url: str, clients: int, start: float, stop: float) -> tuple[list[float], int, float]:
    """One load-generator process: (latencies, errors, its CPU seconds)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []

    async def main() -> int:
        done = await asyncio.gather(
            *(_one_client(host, int(port), start, stop, latencies) for _ in range(clients))
        )
        return sum(done)

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

    def line(self) -> str:
        ms = sorted(s * 1000 for s in self.latencies)
        count = len(ms)
        p50 = statistics.median(ms) if ms else float("nan")
        p99 = ms[max(0, int(count * 0.99) - 1)] if ms else float("nan")
        return (
            f"{self.name:8} {count / self.seconds:8.0f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"
            f"   {count} requests, {self.errors} not 200   CPU: served {self.served_cpu:5.1f} s,"
            f" load generator {self.generator_cpu:4.1f} s"
        )


def _cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def _load(name: str, url: str, args: argparse.Namespace, pids: Sequence[int]) -> Way:
    per = [
        args.clients // args.processes + (i < args.clients % args.processes) for i in range(args.processes)
    ]
    start = time.time() + 1.0  # every process connected and waiting before the clock starts
    stop = start + args.duration
    cpu = _cpu_seconds(pids)
    with multiprocessing.get_context("spawn").Pool(args.processes) as pool:
        parts = pool.starmap(_generator, [(url, n, start, stop) for n in per if n])
    served = _cpu_seconds(pids) - cpu
    latencies = [s for part in parts for s in part[0]]
    return Way(name, latencies, sum(p[1] for p in parts), args.duration, sum(p[2] for p in parts), served)


def _started(argv: list[str], marker: str, stdout: io.TextIOBase | int) -> tuple[subprocess.Popen[str], str]:
    """A command started, and the URL on the first line of its output holding `marker`."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if marker in line:
            url = next(word for word in line.split() if word.startswith("http://"))
            break
    else:
        raise SystemExit(f"{argv[:4]} did not start: no {marker!r} line")
    if stdout != subprocess.PIPE:
        # The rest of its output drains on a thread into `stdout`, as a console would take it.
        import shutil
        import threading

        def drain() -> None:
            assert process.stdout is not None
            shutil.copyfileobj(process.stdout, stdout)  # type: ignore[arg-type]

        threading.Thread(target=drain, daemon=True).start()
    return process, url


def _stopped(process: subprocess.Popen[str]) -> None:
    """Stop a command as Ctrl-C would, and wait until it has written all it had to."""
    process.send_signal(signal.SIGINT)
    process.wait(120)
    time.sleep(0.2)  # its last output drains into the console file


def concurrent(args: argparse.Namespace) -> None:
    command = [sys.executable, "-m", "drun_conformance"]
    with tempfile.TemporaryDirectory() as tmp:
        console = open(Path(tmp) / "console.txt", "w")  # a file: not a terminal
        upstream, server_url = _started([*command, "serve", "--port", "0"], "base url:", console)
        proxy, proxy_url = _started(
            [
                *command,
                "proxy",
                "--upstream",
                server_url,
                "--report-dir",
                f"{tmp}/report",
                "--allow-incomplete",
            ],
            "listening:",
            console,
        )
        try:
            print(
                f"{args.clients} clients over {args.processes} load-generator processes, {args.duration:g} s"
                f" a way, {args.rounds} round(s); server {server_url}, proxy {proxy_url};"
                f" {os.cpu_count()} CPUs"
            )
            direct: list[Way] = []
            proxied: list[Way] = []
            for _ in range(args.rounds):
                direct.append(_load("direct", server_url, args, [upstream.pid]))
                proxied.append(_load("proxied", proxy_url, args, [upstream.pid, proxy.pid]))
        finally:
            _stopped(proxy)
            _stopped(upstream)
            console.close()
        for way in (*direct, *proxied):
            print(way.line())
        _compare(_merged(direct), _merged(proxied))
        _reconcile(sum(len(w.latencies) for w in proxied), Path(tmp), args)


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
    rate = (len(proxied.latencies) / proxied.seconds) / (len(direct.latencies) / direct.seconds)
    print(
        f"proxied/direct: p50 {p50 / d50:.2f}x ({(p50 - d50) * 1000:+.2f} ms), requests/s {rate:.0%}"
        f" (targets: p50 at most 2x, requests/s at least 50%)"
    )


def _reconcile(completed: int, tmp: Path, args: argparse.Namespace) -> None:
    """Every request the generators completed through the proxy was judged (the warm-up
    connections send nothing); unfinished ones at each stop may add a few."""
    console = (tmp / "console.txt").read_text()
    forwarded = re.search(r"(\d+) forwarded and answered", console)
    results = json.loads((tmp / "report" / "results.json").read_text())
    server = next(t for t in results["targets"] if t["kind"] == "server")
    judged = server["requests"]
    notes = " | ".join(server["notes"][:3])
    print(
        f"reconciliation: {completed} answered through the proxy, "
        f"{forwarded.group(1) if forwarded else '?'} forwarded, {judged} judged ({notes})"
    )
    in_flight = args.clients * args.rounds  # at most one unfinished request per client per stop
    if not completed <= judged <= completed + in_flight:
        print(f"  MISMATCH: judged {judged} is not in [{completed}, {completed + in_flight}]")


# --- sequential ---------------------------------------------------------------------------


def timed(client: httpx.Client, count: int) -> list[float]:
    """Seconds per exchange for `count` runs of depl_ok (each answer read in full)."""
    out = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.post("/v1/deployments/depl_ok/run", headers=HEADERS)
        answer.read()
        out.append(time.perf_counter() - started)
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
    args = parser.parse_args()
    if args.sequential:
        sequential(args)
    else:
        concurrent(args)


if __name__ == "__main__":
    main()
