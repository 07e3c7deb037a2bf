"""A soak of the proxy: mixed traffic for N minutes with the upstream failing under it.

The upstream is the reference app behind a fault switch (a process of its own, on a fixed
port so it can be killed and started again); the proxy is `drun-conformance proxy` as a user
runs it (short timeouts: --connect-timeout 2 --read-timeout 3), its console to a file.
`--clients` connections send a mix: Run Deployment Now, read-backs of runs made, listing
walks followed to their end or left after a page, other operations; every client gives up
after 5 s. Faults, in turn, every 20 s: the upstream slow (each run 0.2-1 s), hung (runs never
answered; a hundred clients give up on it, then one read-back must still be answered), killed
(SIGKILL, 3 s down, started again). Printed: requests by outcome, the proxy's memory at start
and end, the hung-upstream check, and the reconciliation: sent = received by the proxy =
judged + not judged + passed through.

    python bench/soak_proxy.py [--minutes 2] [--clients 16]

A measurement, never a test; not in the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _http_load import Connection, request, rss_mib, started, stopped

RUN = "/v1/deployments/depl_ok/run"
GIVE_UP_S = 5.0
PHASE_S = 20.0


# --- the upstream: the reference app behind a fault switch ---------------------------------


def upstream_main(port: int) -> None:
    """Serve the reference app on `port`; GET /_soak/<mode> switches: ok, slow, hung."""
    import uvicorn

    from drun_conformance.server.reference import create_app
    from drun_conformance.server.reference._serve import bind_socket, uvicorn_config

    app, mode = create_app(), ["ok"]

    async def faulty(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/_soak/"):
            mode[0] = scope["path"].rsplit("/", 1)[1]
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["type"] == "http" and scope["path"].endswith("/run"):
            if mode[0] == "hung":
                while (await receive())["type"] != "http.disconnect":
                    pass
                return
            if mode[0] == "slow":
                await asyncio.sleep(random.uniform(0.2, 1.0))
        await app(scope, receive, send)

    sock = bind_socket("127.0.0.1", port)
    print(f"soak upstream: http://127.0.0.1:{port}", flush=True)
    uvicorn.Server(uvicorn_config(faulty, "error")).run(sockets=[sock])


class Upstream:
    def __init__(self, console: Any) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.console = console
        self.process, self.url = self._start()

    def _start(self) -> tuple[subprocess.Popen[str], str]:
        argv = [sys.executable, __file__, "--upstream-port", str(self.port)]
        return started(argv, "soak upstream:", self.console)

    def kill_and_restart(self, down_s: float) -> None:
        self.process.kill()
        self.process.wait()
        time.sleep(down_s)
        self.process, self.url = self._start()

    async def mode(self, mode: str) -> None:
        connection = Connection(self.url)
        await connection.exchange(request("GET", f"/_soak/{mode}"))
        connection.close()


# --- the load --------------------------------------------------------------------------------


class Tally:
    def __init__(self) -> None:
        self.sent = 0
        self.outcomes: Counter[str] = Counter()
        self.made: list[str] = []  # run ids answered


async def _one(connection: Connection, raw: bytes, tally: Tally) -> tuple[int, bytes] | None:
    tally.sent += 1
    try:
        status, body = await asyncio.wait_for(connection.exchange(raw), GIVE_UP_S)
    except TimeoutError:
        connection.close()
        tally.outcomes["gave up"] += 1
        return None
    except (OSError, asyncio.IncompleteReadError, ValueError):
        connection.close()
        tally.outcomes["connection broken"] += 1
        return None
    tally.outcomes[f"{status // 100}xx" if status not in (502, 504) else str(status)] += 1
    return status, body


async def _client(url: str, until: float, tally: Tally, seed: int) -> None:
    rng, connection = random.Random(seed), Connection(url)
    while time.monotonic() < until:
        roll = rng.random()
        if roll < 0.5:
            answer = await _one(connection, request("POST", RUN), tally)
            if answer and answer[0] == 200:
                tally.made.append(json.loads(answer[1])["id"])
        elif roll < 0.7 and tally.made:
            await _one(connection, request("GET", f"/v1/deployment_runs/{rng.choice(tally.made)}"), tally)
        elif roll < 0.95:
            await _walk(connection, tally, leave_after=1 if roll < 0.8 else None)
        else:
            await _one(connection, request("GET", "/v1/models"), tally)


async def _walk(connection: Connection, tally: Tally, *, leave_after: int | None) -> None:
    target, pages = "/v1/deployment_runs?limit=50", 0
    while True:
        answer = await _one(connection, request("GET", target), tally)
        pages += 1
        if not answer or answer[0] != 200 or pages == leave_after or pages >= 20:
            return
        following = json.loads(answer[1]).get("next_page")
        if not following:
            return
        target = f"/v1/deployment_runs?limit=50&page={following}"


async def _hung_check(proxy: str, upstream: Upstream, tally: Tally) -> str:
    """A hundred clients give up on hung runs; then one read-back must still be answered."""
    await upstream.mode("hung")

    async def give_up() -> None:
        connection = Connection(proxy)
        tally.sent += 1
        try:
            await asyncio.wait_for(connection.exchange(request("POST", RUN)), 1.0)
        except TimeoutError:
            tally.outcomes["gave up"] += 1
        connection.close()

    await asyncio.gather(*(give_up() for _ in range(100)))
    began = time.perf_counter()
    answer = await _one(Connection(proxy), request("GET", "/v1/deployment_runs?limit=1"), tally)
    took = (time.perf_counter() - began) * 1000
    await upstream.mode("ok")
    status = answer[0] if answer else "no answer"
    return f"hung upstream: 100 clients gave up after 1 s; then a listing page: {status} in {took:.1f} ms"


async def _faults(proxy: str, upstream: Upstream, until: float, tally: Tally, said: list[str]) -> None:
    phases = ["slow", "hung", "killed"]
    for number in range(10**6):
        await asyncio.sleep(PHASE_S / 2)
        if time.monotonic() + PHASE_S > until:
            return
        fault = phases[number % len(phases)]
        said.append(f"{time.strftime('%H:%M:%S')} upstream {fault}")
        if fault == "killed":
            await asyncio.to_thread(upstream.kill_and_restart, 3.0)
        elif fault == "hung":
            said.append(await _hung_check(proxy, upstream, tally))
            await upstream.mode("hung")
        else:
            await upstream.mode(fault)
        await asyncio.sleep(PHASE_S / 2)
        await upstream.mode("ok")


async def _memory(pid: int, until: float, said: list[str]) -> None:
    samples = []
    while time.monotonic() < until:
        await asyncio.sleep(min(PHASE_S, max(0.0, until - time.monotonic())))
        samples.append(f"{rss_mib(pid):.0f}")
    said.append(f"proxy RSS every {PHASE_S:g} s (MiB): {' '.join(samples)}")


async def soak(
    proxy: str, pid: int, upstream: Upstream, seconds: float, clients: int
) -> tuple[Tally, list[str]]:
    tally, said = Tally(), []
    until = time.monotonic() + seconds
    await asyncio.gather(
        _faults(proxy, upstream, until, tally, said),
        _memory(pid, until, said),
        *(_client(proxy, until, tally, seed) for seed in range(clients)),
    )
    return tally, said


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--upstream-port", type=int, help=argparse.SUPPRESS)  # the upstream's own process
    args = parser.parse_args()
    if args.upstream_port:
        upstream_main(args.upstream_port)
        return
    with tempfile.TemporaryDirectory() as tmp, open(Path(tmp) / "console.txt", "w") as console:
        upstream = Upstream(console)
        argv = [sys.executable, "-m", "drun_conformance", "proxy", "--upstream", upstream.url]
        argv += ["--connect-timeout", "2", "--read-timeout", "3", "--report-dir", f"{tmp}/report"]
        proxy, proxy_url = started([*argv, "--allow-incomplete"], "listening:", console)
        rss_start = rss_mib(proxy.pid)
        try:
            tally, said = asyncio.run(soak(proxy_url, proxy.pid, upstream, args.minutes * 60, args.clients))
            rss_end = rss_mib(proxy.pid)
        finally:
            stopped(proxy)
            upstream.process.kill()
        _report(tally, said, rss_start, rss_end, Path(tmp))


def _report(tally: Tally, said: list[str], rss_start: float, rss_end: float, tmp: Path) -> None:
    console = (tmp / "console.txt").read_text()
    stopped_line = re.search(
        r"stopped; (\d+) requests received, (\d+) forwarded and answered, (\d+) judged", console
    )
    server = next(iter(json.loads((tmp / "report" / "results.json").read_text())["targets"]))
    first = re.match(
        r"(\d+) exchanges judged, (\d+) of other operations .*, (\d+) not judged", server["notes"][0]
    )
    print(*said, sep="\n")
    print(f"requests sent: {tally.sent}; outcomes: {dict(sorted(tally.outcomes.items()))}")
    print(f"proxy RSS: {rss_start:.1f} MiB at start, {rss_end:.1f} MiB at the end")
    print(
        "the proxy's account:",
        *(f"  {n}" for n in server["notes"] if not n.startswith("not judged: ")),
        sep="\n",
    )
    print(*(f"  {n}" for n in server["notes"] if re.match(r"not judged: \d+ x", n)), sep="\n")
    if stopped_line is None or first is None:
        print("reconciliation: the proxy's counts were not found", console[-2000:])
        return
    received, forwarded, judged = map(int, stopped_line.groups())
    judged_, passed, not_judged = map(int, first.groups())
    ok = tally.sent == received == judged_ + passed + not_judged and judged == judged_
    print(
        f"reconciliation: sent {tally.sent} = received {received} = judged {judged_} + not judged"
        f" {not_judged} + passed through {passed}: {'holds' if ok else 'DOES NOT HOLD'}"
        f" ({forwarded} answered by the upstream)"
    )


if __name__ == "__main__":
    main()
