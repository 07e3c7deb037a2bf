"""The near misses of the key the credential probes send are secrets too: a server that quotes
the key it was sent quotes most of the real one. Neither the result nor a report keeps one."""

from __future__ import annotations

from pathlib import Path

import pytest

from drun_conformance.server import ServerOptions, check_server
from drun_conformance.server._credentials import secrets_of
from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

from .conftest import run_cli
from .mutant_kit import FaultInjector, Mutant, Reply

pytestmark = pytest.mark.slow


def _quotes_the_key(reply: Reply) -> None:
    """Every answer says the key it got: in the error message, or beside the run."""
    body = reply.json()
    if isinstance(body.get("error"), dict) and reply.status >= 400:
        body["error"]["message"] = f"Invalid API key {reply.api_key!r}."
    elif reply.is_run and reply.status == 200:
        body["received_key"] = reply.api_key
    reply.set_json(body)


# Takes the key whatever its case: the near miss with its case changed creates a run, whose
# failure's counterexample holds the answer that quotes it.
_LEAKY = Mutant(
    "quotes-the-key",
    "http.auth.wrong-key.no-run",
    _quotes_the_key,
    accepts_key=lambda form, key: key.lower() == DEFAULT_API_KEY.lower(),
)


def _leaked(text: str) -> list[str]:
    return [miss for miss in secrets_of(DEFAULT_API_KEY) if miss in text]


def test_no_near_miss_of_the_key_reaches_the_result_or_a_report(tmp_path: Path) -> None:
    with serve_in_thread(FaultInjector(create_app(), _LEAKY)) as url:
        options = ServerOptions(base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=("depl_ok",), seed=2)
        result = check_server(options)
        args = ["server", "--base-url", url, "--api-key", DEFAULT_API_KEY, "--deployment-id", "depl_ok"]
        cli = run_cli(*args, "--report-dir", str(tmp_path))
    failed = {r.id for r in result.requirements if r.status == "failed"}
    assert "http.auth.wrong-key.no-run" in failed
    assert _leaked(result.model_dump_json()) == []
    assert cli.returncode == 1, cli.stderr
    assert _leaked(cli.stdout.decode() + cli.stderr.decode()) == []
    for report in tmp_path.iterdir():
        assert _leaked(report.read_text()) == [], report.name
