"""The validating proxy: the real `anthropic` SDK (sync and async) through the proxy to the
reference server and to a faulty one, on loopback; the upstream counts what reaches it."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from drun_conformance._errors import DrunError
from drun_conformance.client._sdks import SDKS, harness_environment, prepare_sdk
from drun_conformance.proxy import proxy_in_thread
from drun_conformance.results import TargetResult
from drun_conformance.server.reference import REQUIRED_BETA, create_app, serve_in_thread

from .conftest import FIXTURES, run_cli
from .mutants import MUTANTS, FaultInjector

pytestmark = pytest.mark.slow

KEY = "sk-proxy-test-key-0123456789"
REQUIRED = os.environ.get("DRUN_REQUIRE_SDKS") == "1"
HEADERS = {"x-api-key": KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}


@dataclass
class Counting:
    """ASGI middleware: counts the requests that reach the upstream, and keeps each one's raw
    target and a digest of its body as it arrived."""

    app: ASGIApp
    seen: list[tuple[bytes, str]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.seen)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        digest = hashlib.sha256()
        chunks: list[Message] = []
        while True:  # read it all first: the reference never reads a body
            message = await receive()
            digest.update(message.get("body", b""))
            chunks.append(message)
            if not message.get("more_body"):
                break
        self.seen.append((scope["raw_path"] + b"?" + scope["query_string"], digest.hexdigest()))

        async def replay() -> Message:
            return chunks.pop(0) if chunks else {"type": "http.disconnect"}

        await self.app(scope, replay, send)


def _reference() -> ASGIApp:
    from drun_conformance.server.reference import default_scenario

    scenario = default_scenario().model_copy(update={"api_keys": (KEY,)})
    return create_app(scenario, any_deployment=True)


@pytest.fixture
def upstream() -> Iterator[tuple[str, Counting]]:
    counting = Counting(_reference())
    with serve_in_thread(counting) as url:
        yield url, counting


def _sdk_python() -> str:
    sdk = SDKS["python"]
    try:
        return prepare_sdk(sdk, sdk.default_version).argv[0]
    except DrunError as exc:
        if REQUIRED:
            pytest.fail(f"the Python SDK cannot be installed: {exc}")
        pytest.skip(f"the Python SDK cannot be installed here: {exc}")


def _drive_sdk(base_url: str, runs: int) -> dict[str, object]:
    argv = [_sdk_python(), str(FIXTURES / "sdk_through_proxy.py"), base_url, KEY, "depl_proxied", str(runs)]
    done = subprocess.run(argv, capture_output=True, env=harness_environment(), timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def _by_id(results: list[TargetResult]) -> dict[str, TargetResult]:
    return {t.id: t for t in results}


def _failed(target: TargetResult) -> set[str]:
    return {r.id for r in target.requirements if r.status == "failed"}


def test_the_sdk_through_the_proxy_to_the_reference_server(upstream: tuple[str, Counting]) -> None:
    url, counting = upstream
    out = io.StringIO()
    with proxy_in_thread(url, out=out) as proxy:
        seen = _drive_sdk(proxy.base_url, runs=5)
        results = _by_id(proxy.results())
        forwarded = proxy.forwarded
    # Each client: 5 runs, 3 pages of two (5 runs, then 10: the sync client's are listed too),
    # one made-up cursor. Every request reached the upstream once, and nothing else did.
    sync, async_ = seen["sync"], seen["async"]
    assert isinstance(sync, dict) and isinstance(async_, dict)
    assert sync["listed"] == list(reversed(sync["made"]))  # newest first, none repeated or lost
    assert async_["listed"] == list(reversed(async_["made"])) + list(reversed(sync["made"]))
    assert sync["made_up_cursor"] == async_["made_up_cursor"] == 400
    assert counting.requests == forwarded == 5 + 3 + 1 + 5 + 5 + 1
    server = results[f"server:{url}"]
    # Only healthy runs passed through: nothing failed, and what only a failed run shows is
    # unexercised, so the verdict says incomplete rather than conformant.
    assert not _failed(server), [(r.id, r.message) for r in server.requirements if r.failures]
    assert server.verdict == "incomplete"
    assert "run.error.message.json-type" in {r.id for r in server.unexercised_must()}
    passed = {r.id for r in server.requirements if r.status == "passed"}
    assert {"run.outcome.exactly-one", "listing.walk.no-repeat", "listing.walk.no-skip"} <= passed
    assert {"listing.page.limit", "listing.filter.holds", "run.id.unique"} <= passed
    for name in ("Anthropic", "AsyncAnthropic"):  # each client is a target, named by its User-Agent
        client = results[f"client:{name}/Python {seen['version']}"]
        assert client.verdict == "conformant" and client.requests == 5  # its run-now requests
        assert {"client.request.version-header", "client.request.api-key", "client.request.path"} <= {
            r.id for r in client.requirements if r.status == "passed"
        }
    lines = out.getvalue().splitlines()
    assert len(lines) == forwarded and all(line.startswith("drun proxy #") for line in lines)
    assert KEY not in out.getvalue()


def test_the_sdk_through_the_proxy_to_a_faulty_server() -> None:
    mutant = next(m for m in MUTANTS if m.name == "both-outcomes")
    counting = Counting(FaultInjector(_reference(), mutant))
    with serve_in_thread(counting) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        _drive_sdk(proxy.base_url, runs=2)
        results = _by_id(proxy.results())
        assert counting.requests == proxy.forwarded
    server = results[f"server:{url}"]
    assert server.verdict == "non-conformant"
    assert _failed(server) == {"run.outcome.exactly-one"}
    example = next(r for r in server.requirements if r.id == "run.outcome.exactly-one").counterexample
    assert example is not None and example.request is not None
    sent = example.request["headers"]
    assert "<redacted>" in (sent.get("x-api-key"), sent.get("authorization"))  # however the SDK sends it
    assert KEY not in json.dumps(example.model_dump(mode="json"))


def test_a_client_sending_wrong_headers_is_named(upstream: tuple[str, Counting]) -> None:
    url, counting = upstream
    with proxy_in_thread(url, out=io.StringIO()) as proxy:
        with httpx.Client(base_url=proxy.base_url, headers={"user-agent": "careless/1.0"}) as careless:
            no_version = {k: v for k, v in HEADERS.items() if k != "anthropic-version"}
            assert careless.post("/v1/deployments/depl_ok/run", headers=no_version).status_code == 200
            assert (
                careless.post(
                    "/v1/deployments/depl_ok/run", headers={**no_version, "x-api-key": ""}
                ).status_code
                == 401
            )
        results = _by_id(proxy.results())
    client = results["client:careless/1.0"]
    assert client.verdict == "non-conformant"
    assert _failed(client) == {"client.request.version-header", "client.request.api-key"}
    server = results[f"server:{url}"]
    assert not _failed(server)  # the 401 without a key is what the server must answer
    assert counting.requests == 2


def test_bytes_pass_unchanged_both_ways_other_operations_unjudged(upstream: tuple[str, Counting]) -> None:
    url, counting = upstream
    big = os.urandom(3 * 1024 * 1024)
    raw = "/v1/deployments/depl_ok%2F%2e%zz/run?beta=true&x=%2F"
    with proxy_in_thread(url, out=io.StringIO()) as proxy, httpx.Client(base_url=proxy.base_url) as client:
        direct = httpx.get(url + "/v1/models?x=%2F", headers=HEADERS)
        proxied = client.get("/v1/models?x=%2F", headers=HEADERS)
        assert (proxied.status_code, proxied.content[:40]) == (direct.status_code, direct.content[:40])
        assert [k for k, _ in proxied.headers.raw] == [k for k, _ in direct.headers.raw]  # none added
        # A large body streams through (the reference ignores it); the same client goes again.
        posted = client.post("/v1/deployments/depl_ok/run", headers=HEADERS, content=big)
        odd = client.post(httpx.URL(proxy.base_url).copy_with(raw_path=raw.encode()), headers=HEADERS)
        assert posted.status_code == 200 and odd.status_code == 200
        results = _by_id(proxy.results())
        assert proxy.forwarded == 3
    assert counting.requests == 4  # three through the proxy, one direct
    assert counting.seen[0] == counting.seen[1]  # the same target, byte for byte, either way
    assert counting.seen[2][1] == hashlib.sha256(big).hexdigest()
    assert counting.seen[3][0] == raw.encode()
    server = results[f"server:{url}"]
    assert server.requests == 2 and "1 of other operations passed through unjudged" in server.notes[0]
    client = results["client:" + posted.request.headers["user-agent"]]
    assert _failed(client) == {"client.request.no-body"}  # a body on an operation that takes none


def test_an_upstream_that_is_down_is_502_and_unjudged() -> None:
    with serve_in_thread(create_app()) as url:
        pass  # now nothing listens there
    with proxy_in_thread(url, out=io.StringIO()) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/deployments/depl_ok/run", headers=HEADERS)
        results = _by_id(proxy.results())
    assert answer.status_code == 502 and "upstream unreachable" in answer.json()["error"]["message"]
    assert results[f"server:{url}"].verdict == "incomplete" and proxy.forwarded == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--upstream", "ftp://example.com"], "--upstream"),
        (["--upstream", "not a url"], "--upstream"),
        (["--upstream", "http://127.0.0.1:1", "--max-exchanges", "0"], "--max-exchanges"),
        (["--upstream", "http://127.0.0.1:1", "--duration", "-1"], "--duration"),
        (["--upstream", "http://127.0.0.1:1", "--port", "70000"], "--port"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag(args: list[str], message: str) -> None:
    result = run_cli("proxy", *args)
    assert result.returncode == 2 and message.encode() in result.stderr, result.stderr
    assert b"Traceback" not in result.stderr


def test_the_command_stops_after_max_exchanges_and_writes_the_reports(
    upstream: tuple[str, Counting], tmp_path: Path
) -> None:
    url, counting = upstream
    command = ["proxy", "--upstream", url, "--max-exchanges", "2", "--duration", "60", "--allow-incomplete"]
    from .conftest import drun_command

    process = subprocess.Popen(
        [*drun_command(), *command, "--report-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        banner = [process.stdout.readline().decode() for _ in range(2)]
        listening = banner[1].split()[1]
        with httpx.Client(base_url=listening, headers=HEADERS) as client:
            for _ in range(2):
                assert client.post("/v1/deployments/depl_ok/run").status_code == 200
        stdout, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()
    assert b"drun proxy #2 POST /v1/deployments/depl_ok/run -> 200" in stdout
    results = json.loads((tmp_path / "results.json").read_text())
    # Two healthy runs exercise no error requirement: incomplete, which --allow-incomplete lets pass.
    assert results["verdict"] == "incomplete" and results["gate"] == "incomplete" and counting.requests == 2
    for name in ("report.html", "results.json", "junit.xml"):
        assert KEY not in (tmp_path / name).read_text(), name


async def _flood(scope: Scope, receive: Receive, send: Send) -> None:
    """An upstream answering 12 MiB of JSON-ish bytes, in 1 MiB chunks, to anything."""
    if scope["type"] != "http":
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    for _ in range(12):
        await send({"type": "http.response.body", "body": b" " * (1 << 20), "more_body": True})
    await send({"type": "http.response.body", "body": b"{}"})


def test_an_answer_over_the_judging_cap_streams_through_unjudged() -> None:
    with serve_in_thread(_flood) as url, proxy_in_thread(url, out=io.StringIO()) as proxy:
        answer = httpx.post(proxy.base_url + "/v1/deployments/depl_ok/run", headers=HEADERS)
        results = _by_id(proxy.results())
    assert len(answer.content) == 12 * (1 << 20) + 2 and answer.content.endswith(b"{}")
    server = results[f"server:{url}"]
    assert server.requests == 0 and any("over the judging cap" in note for note in server.notes)
