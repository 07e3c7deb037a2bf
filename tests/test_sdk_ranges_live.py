"""`server --through-sdk python@FIRST..LAST` end to end: the PyPI listing is served on loopback
(DRUN_PYPI_URL), the range holds two releases the other tests install too, and the reference
server's answers are read by each, one target a release, in one report. A registry that cannot
be reached stops the run before any request, with the reason.

Without the releases installed (offline) a reading is an unreached target and the test skips,
unless DRUN_REQUIRE_SDKS=1 (CI sets it), where it fails instead.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from .conftest import run_cli

pytestmark = pytest.mark.slow

FILE = {"filename": "anthropic-py3-none-any.whl", "url": "https://files.invalid/a.whl", "yanked": False}
LISTING = {
    "releases": {
        "0.108.0": [FILE],  # before the range
        "0.109.0": [FILE],
        "1.0.0": [{**FILE, "yanked": True}],  # yanked: not served
        "2.0.0rc1": [FILE],  # a pre-release
        "2.10.0": [FILE],
        "2.11.0": [FILE],  # after the range
    }
}


@pytest.fixture
def pypi(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A PyPI listing on loopback, DRUN_PYPI_URL pointing at it; yields the paths asked."""
    asked: list[str] = []

    class Listing(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            body = json.dumps(LISTING).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Listing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("DRUN_PYPI_URL", f"http://127.0.0.1:{server.server_port}/pypi/anthropic/json")
    try:
        yield asked
    finally:
        server.shutdown()
        server.server_close()


def test_a_range_reads_the_answers_through_each_release_it_holds(pypi: list[str], tmp_path: Path) -> None:
    result = run_cli(
        "server",
        "--profile",
        "quick",
        "--through-sdk",
        "python@0.109.0..2.10.0",
        "--report-dir",
        str(tmp_path),
    )
    err = result.stderr.decode()
    targets = json.loads((tmp_path / "results.json").read_text())["targets"]
    readings = [t for t in targets if t["id"].startswith("reads:")]
    if not all(r["identity"]["reached"] for r in readings) and os.environ.get("DRUN_REQUIRE_SDKS") != "1":
        pytest.skip(f"a release cannot run here: {[r['notes'] for r in readings]}")
    assert result.returncode == 0, err
    assert pypi == ["/pypi/anthropic/json"]  # the registry asked once
    assert "python@0.109.0..2.10.0: 2 releases of anthropic (0.109.0, 2.10.0)" in err
    versions = [(r["identity"]["name"], r["identity"]["version"]) for r in readings]  # as each harness says
    assert versions == [("anthropic", "0.109.0"), ("anthropic", "2.10.0")]
    assert all(r["verdict"] == "conformant" and r["requests"] == 0 for r in readings)


def test_a_registry_that_cannot_be_reached_stops_the_run_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("DRUN_PYPI_URL", f"http://127.0.0.1:{port}/pypi/anthropic/json")
    result = run_cli("server", "--through-sdk", "python@2.10.0..", "--report-dir", str(tmp_path / "r"))
    err = result.stderr.decode()
    assert result.returncode == 3, err
    assert err.startswith("drun-conformance: --through-sdk 'python@2.10.0..': cannot list the python SDK's")
    assert "cannot be reached" in err and "Traceback" not in err
    assert not (tmp_path / "r" / "results.json").exists()
