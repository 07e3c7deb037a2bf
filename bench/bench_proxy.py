"""The proxy's added latency per exchange, side by side with going direct, on loopback.

The reference server (uvicorn, a thread of this process) is the upstream; one keep-alive
httpx client sends Run Deployment Now N times straight to it, then N times through the
proxy (also a thread here), alternating in blocks so drift hits both alike. Reported: the
median and the 95th percentile per exchange each way, and the difference (what the proxy
adds: a second hop, streaming both ways, and judging the exchange with the oracle).
One run, no target: a measurement, never a test.

    python bench/bench_proxy.py [--exchanges 400]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time

import httpx

from drun_conformance.proxy import proxy_in_thread
from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA, create_app, serve_in_thread

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
BLOCK = 20


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exchanges", type=int, default=400)
    args = parser.parse_args()
    with serve_in_thread(create_app()) as upstream, proxy_in_thread(upstream, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=upstream) as direct, httpx.Client(base_url=proxy.base_url) as proxied:
            timed(direct, BLOCK), timed(proxied, BLOCK)  # warm both paths up (connections, imports)
            direct_s: list[float] = []
            proxied_s: list[float] = []
            for _ in range(args.exchanges // BLOCK):
                direct_s += timed(direct, BLOCK)
                proxied_s += timed(proxied, BLOCK)
        judged = proxy.judge.judged
    print(describe("direct", direct_s))
    print(describe("proxied", proxied_s))
    added = statistics.median(proxied_s) - statistics.median(direct_s)
    print(f"added by the proxy: {added * 1000:.2f} ms per exchange (median); {judged} exchanges judged")


if __name__ == "__main__":
    main()
