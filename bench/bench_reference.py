"""The reference server under load: the memory store and the file store side by side.

Each target is a `drun-conformance serve` command, started as its own process (one per store:
`--database FILE` or none). The load comes from other processes (`--generators`), each an
asyncio loop of keep-alive HTTP/1.1 connections written by hand (httpx costs more CPU per
request than the server does: it would measure itself). Three phases per server:

    writes   N clients (--clients) run depl_ok back to back: runs/s, p50 and p99
    mixed    the same writers, plus --readers clients reading runs back by id and the
             first listing page: runs/s and the writes' p50/p99, reads/s and their p50/p99
    silent   --silent connections that never send a byte, and one slowloris: the server's
             RSS before and while they are held, and when it closed them (--idle-wait)

CPU seconds of the server and of the generators are printed per phase, to tell which one was
the bottleneck, and the server's CPU per request (us/req: steadier than the rates when other
work shares the machine). `--target NAME=COMMAND` repeats (default: this checkout's `drun-conformance`),
so the code before a change can run side by side with the code after it in the same run:

    mkdir -p /tmp/old/src && git archive COMMIT | tar -x -C /tmp/old/src
    python3 -m venv /tmp/old/venv && /tmp/old/venv/bin/pip install -q /tmp/old/src
    python bench/bench_reference.py --target before=/tmp/old/venv/bin/drun-conformance \\
        --target after=.venv/bin/drun-conformance [--clients 32] [--seconds 10]

A measurement, never a test: on a shared machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

KEY, BETA = "sk-drun-reference", "managed-agents-2026-04-01"
HEADERS = f"host: bench\r\nx-api-key: {KEY}\r\nanthropic-beta: {BETA}\r\n"
RUN = f"POST /v1/deployments/depl_ok/run HTTP/1.1\r\n{HEADERS}content-length: 0\r\n\r\n".encode()
RUN_ID = re.compile(rb'"id":"(drun_[0-9A-Z]{26})"')


@dataclass
class Tally:
    """What one generator process saw: latencies in seconds, errors, run ids created."""

    writes: list[float] = field(default_factory=list)
    reads: list[float] = field(default_factory=list)
    errors: int = 0
    run_ids: list[str] = field(default_factory=list)
    cpu: float = 0.0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    return status, await reader.readexactly(length)


async def _client(host: str, port: int, role: str, until: float, ids: list[str], tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < until:
            if role == "write":
                request = RUN
            else:  # half by id, half the first listing page
                path = "/v1/deployment_runs" + (
                    f"/{random.choice(ids)}" if ids and random.random() < 0.5 else ""
                )
                request = f"GET {path} HTTP/1.1\r\n{HEADERS}\r\n".encode()
            started = time.perf_counter()
            status, body = await _exchange(reader, writer, request)
            took = time.perf_counter() - started
            if status != 200:
                tally.errors += 1
            elif role == "write":
                tally.writes.append(took)
                match = RUN_ID.search(body)
                if match and len(tally.run_ids) < 2000:
                    tally.run_ids.append(match.group(1).decode())
            else:
                tally.reads.append(took)
    except (OSError, asyncio.IncompleteReadError):
        tally.errors += 1
    finally:
        writer.close()


def _generate(host: str, port: int, writers: int, readers: int, seconds: float, ids: list[str]) -> Tally:
    """One generator process: `writers` + `readers` connections for `seconds`."""
    tally = Tally()
    started = time.process_time()
    until = time.perf_counter() + seconds

    async def main() -> None:
        roles = ["write"] * writers + ["read"] * readers
        await asyncio.gather(*(_client(host, port, role, until, ids, tally) for role in roles))

    asyncio.run(main())
    tally.cpu = time.process_time() - started
    return tally


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def load(url: str, args: argparse.Namespace, readers: int, ids: list[str]) -> Tally:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    jobs = list(zip(_split(args.clients, args.generators), _split(readers, args.generators), strict=True))
    with multiprocessing.get_context("spawn").Pool(args.generators) as pool:
        parts = pool.starmap(_generate, [(host, int(port), w, r, args.seconds, ids) for w, r in jobs])
    total = Tally()
    for part in parts:
        total.writes += part.writes
        total.reads += part.reads
        total.errors += part.errors
        total.run_ids += part.run_ids
        total.cpu += part.cpu
    return total


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def serving(command: list[str], database: Path | None) -> Iterator[tuple[str, int]]:
    """`COMMAND serve` on a free port: (base url, pid); its output goes to a file (a full pipe
    would stall it: `serve` logs every request)."""
    extra = ["--database", str(database)] if database else []
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [*command, "serve", "--port", "0", *extra], stdout=out, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 30
            banner = Path(f"/proc/self/fd/{out.fileno()}")
            while not (match := re.search(r"base url: (http://\S+)", banner.read_text())):
                if process.poll() is not None or time.monotonic() > deadline:
                    out.seek(0)
                    raise SystemExit(f"{' '.join(command)} serve did not start:\n{out.read()}")
                time.sleep(0.05)
            yield match.group(1), process.pid
        finally:
            process.terminate()
            process.wait(30)


def _ms(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000


def _phase(name: str, tally: Tally, seconds: float, server_cpu: float) -> str:
    reads = (
        f"{len(tally.reads) / seconds:8.0f} {_ms(tally.reads, 0.5):8.1f} {_ms(tally.reads, 0.99):8.1f}"
        if tally.reads
        else f"{'-':>8} {'-':>8} {'-':>8}"
    )
    writes = (
        f"{len(tally.writes) / seconds:8.0f} {_ms(tally.writes, 0.5):8.1f} {_ms(tally.writes, 0.99):8.1f}"
    )
    per_request = server_cpu / max(1, len(tally.writes) + len(tally.reads)) * 1e6
    return f"{name:8} {writes} {reads} {tally.errors:6} {server_cpu:7.1f} {tally.cpu:7.1f} {per_request:7.0f}"


def _closed(sock: socket.socket) -> bool:
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:  # reset: closed too
        return True


def silent(url: str, pid: int, count: int, wait: float) -> str:
    """`count` connections that never send a byte and one slowloris (a header byte every 0.5 s):
    the server's RSS before and while they are held, and when the server closed each (polled
    every 0.1 s for `wait` seconds)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    before = _rss_mib(pid)
    started = time.monotonic()
    socks = [socket.create_connection((host, int(port))) for _ in range(count + 1)]
    for sock in socks:
        sock.setblocking(False)
    loris, trickle = socks[-1], iter(b"GET /v1/deployment_runs HTTP/1.1\r\n" + b"x" * 10_000)
    held = None
    closed: dict[int, float] = {}
    next_byte = started
    while time.monotonic() - started < wait and len(closed) <= count:
        now = time.monotonic()
        if held is None and now - started > 2:
            held = _rss_mib(pid)
        if now >= next_byte and id(loris) not in closed:
            with suppress(OSError):
                loris.send(bytes([next(trickle)]))
            next_byte = now + 0.5
        for sock in socks:
            if id(sock) not in closed and _closed(sock):
                closed[id(sock)] = time.monotonic() - started
        time.sleep(0.1)
    for sock in socks:
        sock.close()
    silent_times = [t for s, t in closed.items() if s != id(loris)]
    when = (
        f"closed after {min(silent_times):.1f}-{max(silent_times):.1f} s" if silent_times else "none closed"
    )
    loris_at = f"{closed[id(loris)]:.1f} s" if id(loris) in closed else f"still open after {wait:g} s"
    return (
        f"silent   {count} connections: server RSS {before:.1f} MiB before, {held or 0:.1f} MiB held; "
        f"{len(silent_times)} {when}; slowloris closed: {loris_at}; RSS then {_rss_mib(pid):.1f} MiB"
    )


def bench(name: str, command: list[str], args: argparse.Namespace, workdir: Path) -> None:
    for store in args.stores:
        database = workdir / f"{name}-{store}.sqlite" if store == "file" else None
        with serving(command, database) as (url, pid):
            print(f"\n{name} / {store} store ({url})", flush=True)
            print(
                f"{'phase':8} {'runs/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'reads/s':>8} {'p50 ms':>8} "
                f"{'p99 ms':>8} {'errors':>6} {'srv cpu':>7} {'gen cpu':>7} {'us/req':>7}"
            )
            ids: list[str] = []  # runs the writes phase created: the mixed phase reads them back
            for phase, readers in (("writes", 0), ("mixed", args.readers)):
                cpu = _cpu_seconds(pid)
                tally = load(url, args, readers, ids)
                ids = ids or tally.run_ids
                print(_phase(phase, tally, args.seconds, _cpu_seconds(pid) - cpu), flush=True)
            if args.silent:
                print(silent(url, pid, args.silent, args.idle_wait), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", action="append", default=[], metavar="NAME=COMMAND")
    parser.add_argument("--clients", type=int, default=32, help="concurrent writers (default 32)")
    parser.add_argument("--readers", type=int, default=8, help="readers in the mixed phase (default 8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase (default 10)")
    parser.add_argument("--generators", type=int, default=2, help="load processes (default 2)")
    parser.add_argument("--stores", default="memory,file", help="memory,file (default both)")
    parser.add_argument("--silent", type=int, default=1000, help="silent connections (0: skip; default 1000)")
    parser.add_argument("--idle-wait", type=float, default=15.0, help="watched for this long (default 15 s)")
    args = parser.parse_args()
    args.stores = [s for s in args.stores.split(",") if s]
    here = Path(sys.executable).parent / "drun-conformance"
    targets = args.target or [f"this={here}"]
    print(
        f"{args.clients} writers, {args.readers} readers in the mixed phase, {args.seconds:g} s a phase, "
        f"{args.generators} generator processes, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as workdir:
        for target in targets:
            name, _, command = target.partition("=")
            if not command or not shutil.which(command.split()[0]):
                raise SystemExit(f"--target {target!r}: NAME=COMMAND with an executable COMMAND")
            bench(name, command.split(), args, Path(workdir))


if __name__ == "__main__":
    main()
