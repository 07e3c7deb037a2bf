"""`server` against targets that misbehave on purpose: what they reflect of the key reaches no
output (console included), and a URL with a password or an id no path holds is refused before
anything is sent."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from starlette.types import Receive, Scope, Send

from drun_conformance._errors import UsageError
from drun_conformance._secrets import MARK, Redactor
from drun_conformance.cli import main
from drun_conformance.cli._serve import _KeysHidden
from drun_conformance.server import ServerOptions
from drun_conformance.server.reference import serve_in_thread

KEY = "sk-test-Hostile0123456789abcdef"
REPORTS = ("results.json", "junit.xml", "report.html")


async def _reflecting(scope: Scope, receive: Receive, send: Send) -> None:
    """Redirects every request to a login page quoting the key, the body the key \\u-escaped."""
    if scope["type"] != "http":
        return
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)
    body = ('{"type": "error", "error": {"type": "x", "message": "' + escaped + '"}}').encode()
    location = f"http://127.0.0.1:1/login?next={KEY}".encode()
    headers = [(b"location", location), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 302, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.slow
def test_what_a_target_reflects_of_the_key_reaches_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(_reflecting) as url:
        argv = ["server", "--base-url", url, "--api-key", KEY, "--deployment-id", "depl_ok"]
        status = main([*argv, "--max-requests", "5", "--report-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "http.answer.no-redirect" in out and MARK in out  # the finding is shown, the key is not
    outputs = {"stdout": out, "stderr": err, **{n: (tmp_path / n).read_text() for n in REPORTS}}
    for name, text in outputs.items():
        assert KEY not in text, name
        assert "\\u0073\\u006b\\u002d" not in text, name  # "sk-", escaped as the target wrote it


def test_a_url_with_a_password_is_refused_without_showing_it(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://user:{KEY}@127.0.0.1:9"
    assert main(["server", "--base-url", url]) == 2
    out, err = capsys.readouterr()
    assert "must not carry a user or password" in err and KEY not in out + err
    with pytest.raises(UsageError, match="must not carry a user or password") as refused:
        ServerOptions(base_url=url)  # the library and the pytest plugin: the same rule
    assert KEY not in str(refused.value)


def test_a_deployment_id_past_what_a_path_holds_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["server", "--deployment-id", "d" * 70_000]) == 2
    assert "must be at most 4,096 characters, got 70,000" in capsys.readouterr().err
    with pytest.raises(UsageError, match="at most 4,096"):
        ServerOptions(deployment_ids=("d" * 4097,))


def test_serves_access_log_hides_a_key_sent_in_the_request_target() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', None, None
    )
    record.args = ("127.0.0.1:5", "POST", f"/v1/deployments/{KEY}/run?api_key={KEY}", "1.1", 200)
    assert _KeysHidden(Redactor([KEY])).filter(record)
    assert KEY not in record.getMessage() and record.getMessage().count(MARK) == 2
