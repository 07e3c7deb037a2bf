"""The proxy's memory and its first listing page over a long run, on loopback.

The reference server (`drun-conformance serve`) and the proxy (`drun-conformance proxy`,
console to a file) run in their own processes. Through the proxy: a warm-up, then `--runs`
Run Deployment Now (16 at a time), then `--walks` listing walks abandoned after their first
page. Printed: the proxy's resident memory (VmRSS) after each step, and the first listing
page's latency (median of 50, one at a time) through the proxy and direct, before and after
the runs; then the proxy's own account once stopped (runs forgotten, walks expired).

    python bench/bench_proxy_memory.py [--runs 20000] [--walks 100]
    python bench/bench_proxy_memory.py --python /other/venv/bin/python   # another install's proxy

A measurement, never a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _http_load import Connection, request, rss_mib, started, stopped

FIRST_PAGE = request("GET", "/v1/deployment_runs?limit=20")


async def _runs(url: str, count: int, at_once: int = 16) -> int:
    """`count` runs now through `url`: how many were not 200."""
    raw = request("POST", "/v1/deployments/depl_ok/run")

    async def one(share: int) -> int:
        connection, bad = Connection(url), 0
        for _ in range(share):
            status, _ = await connection.exchange(raw)
            bad += status != 200
        connection.close()
        return bad

    shares = [count // at_once + (i < count % at_once) for i in range(at_once)]
    return sum(await asyncio.gather(*(one(n) for n in shares)))


async def _first_pages(url: str, count: int, *, vary: bool = False) -> float:
    """The median milliseconds of `count` first listing pages, one at a time (each a walk
    left after its first page; `vary`: each with another limit, so each waits for a cursor
    of its own)."""
    connection, took = Connection(url), []
    for number in range(count):
        raw = request("GET", f"/v1/deployment_runs?limit={number % 1000 + 1}") if vary else FIRST_PAGE
        began = time.perf_counter()
        status, _ = await connection.exchange(raw)
        took.append(time.perf_counter() - began)
        assert status == 200, status
    connection.close()
    return statistics.median(took) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--walks", type=int, default=100)
    parser.add_argument("--python", default=sys.executable, help="the Python whose drun-conformance proxies")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "console.txt", "w") as console:
        upstream, direct = started(
            [sys.executable, "-m", "drun_conformance", "serve", "--port", "0"], "base url:", console
        )
        proxy_argv = [args.python, "-m", "drun_conformance", "proxy", "--upstream", direct]
        proxy, proxied = started(
            [*proxy_argv, "--report-dir", f"{tmp}/report", "--allow-incomplete"], "listening:", console
        )
        try:
            asyncio.run(_runs(proxied, 200))
            print(f"proxy: {args.python}")
            print(f"RSS after a warm-up of 200 runs: {rss_mib(proxy.pid):7.1f} MiB")
            pages = [asyncio.run(_first_pages(url, 50)) for url in (proxied, direct)]
            print(f"first listing page, 200 runs seen: proxied {pages[0]:.2f} ms, direct {pages[1]:.2f} ms")
            began, bad = time.monotonic(), 0
            for quarter in range(1, 5):  # growth, then (past Bounds.runs) none
                bad += asyncio.run(_runs(proxied, args.runs // 4))
                print(f"RSS after {args.runs * quarter // 4} more runs: {rss_mib(proxy.pid):7.1f} MiB")
            print(f"  ({bad} not 200, {time.monotonic() - began:.0f} s)")
            pages = [asyncio.run(_first_pages(url, 50)) for url in (proxied, direct)]
            seen = args.runs + 200
            print(
                f"first listing page, {seen} runs seen: proxied {pages[0]:.2f} ms, direct {pages[1]:.2f} ms"
            )
            asyncio.run(_first_pages(proxied, args.walks, vary=True))
            time.sleep(1.0)  # the judge catches up
            print(f"RSS after {args.walks} more abandoned walks: {rss_mib(proxy.pid):7.1f} MiB")
        finally:
            stopped(proxy)
            stopped(upstream)
        server = next(iter(json.loads((Path(tmp) / "report" / "results.json").read_text())["targets"]))
        print("the proxy's account:", *(f"  {note}" for note in server["notes"][:8]), sep="\n")


if __name__ == "__main__":
    main()
