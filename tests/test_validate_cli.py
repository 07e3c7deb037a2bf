"""`drun-conformance validate`: every input kind, the exit codes, and no crash on bad input."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from .conftest import run_cli


def _har_entry(
    url: str,
    status: int,
    body: bytes,
    *,
    method: str = "POST",
    base64_body: bool = False,
    response_headers: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    content: dict[str, Any] = {"mimeType": "application/json", "size": len(body)}
    if base64_body:
        content.update(text=base64.b64encode(body).decode(), encoding="base64")
    else:
        content["text"] = body.decode()
    return {
        "startedDateTime": "2026-11-27T18:11:19.000Z",
        "time": 120.5,
        "request": {
            "method": method,
            "url": url,
            "headers": [
                {"name": "X-Api-Key", "value": "sk-secret"},
                {"name": "anthropic-beta", "value": "managed-agents-2026-04-01"},
            ],
        },
        "response": {
            "status": status,
            "headers": response_headers
            if response_headers is not None
            else [
                {"name": "Content-Type", "value": "application/json"},
                {"name": "request-id", "value": "req_1"},
            ],
            "content": content,
        },
    }


@pytest.mark.slow
def test_a_json_file_is_one_payload(tmp_path: Path, valid_run: dict[str, Any]) -> None:
    (tmp_path / "run.json").write_text(json.dumps(valid_run, indent=2))
    result = run_cli("validate", "--json", "run.json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "summary": {"payloads": 1, "conforming": 1, "violating": 0},
        "results": [{"source": "run.json", "conforms": True, "violations": []}],
    }


@pytest.mark.slow
def test_standard_input_is_json_lines(valid_run: dict[str, Any]) -> None:
    both = {**valid_run, "error": {"type": "unknown_error", "message": "boom"}}
    lines = b"\n".join([json.dumps(valid_run).encode(), b"", json.dumps(both).encode(), b"{not json"])
    result = run_cli("validate", "--json", "-", stdin=lines)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["summary"] == {"payloads": 3, "conforming": 1, "violating": 2}
    assert [r["source"] for r in out["results"]] == ["stdin:1", "stdin:3", "stdin:4"]
    exactly_one = "Received: session_id and error both non-null / Expected: exactly one of them non-null"
    assert out["results"][1]["violations"] == [
        {
            "requirement": "run.outcome.exactly-one",
            "level": "MUST",
            "pointer": "",
            "message": exactly_one,
        }
    ]
    assert [v["requirement"] for v in out["results"][2]["violations"]] == ["payload.json"]


@pytest.mark.slow
def test_a_har_is_checked_as_exchanges(tmp_path: Path, valid_run: dict[str, Any]) -> None:
    base = "https://api.example.test/v1/deployments/"
    echo = {**valid_run, "deployment_id": "depl a/b"}
    archive = {
        "log": {
            "entries": [
                _har_entry(base + "depl%20a%2Fb/run?beta=true", 200, json.dumps(echo).encode()),
                _har_entry(base + "depl%20a%2Fb/run", 200, json.dumps(echo).encode(), base64_body=True),
                _har_entry("https://api.example.test/v1/models", 200, b"{}", method="GET"),
                _har_entry(base + "depl_x/run", 500, b"<html>oops</html>", response_headers=[]),
            ]
        }
    }
    (tmp_path / "session.har").write_text(json.dumps(archive))
    result = run_cli("validate", "--json", "session.har", cwd=tmp_path)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert [r["source"] for r in out["results"]] == ["session.har:1", "session.har:2", "session.har:4"]
    findings = [{v["requirement"] for v in r["violations"]} for r in out["results"]]
    assert findings[0] == set()
    assert findings[1] == {"run.id.unique"}  # the same run answered twice in one session
    assert findings[2] == {"http.error.envelope", "http.no-server-error", "http.request-id"}
    assert b"sk-secret" not in result.stdout + result.stderr


@pytest.mark.slow
def test_a_har_header_without_a_string_value_is_an_input_error(
    tmp_path: Path, valid_run: dict[str, Any]
) -> None:
    """A value of null (found by tests/test_validate_fuzz.py) is no HAR header: exit 2, not a crash."""
    entry = _har_entry("https://api.example.test/v1/deployments/d/run", 200, json.dumps(valid_run).encode())
    entry["request"]["headers"][0]["value"] = None
    (tmp_path / "null.har").write_text(json.dumps({"log": {"entries": [entry]}}))
    result = run_cli("validate", "null.har", cwd=tmp_path)
    assert result.returncode == 2 and b"null.har: entry 1 is not a HAR entry" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
def test_the_human_output_names_requirement_and_pointer(tmp_path: Path, valid_run: dict[str, Any]) -> None:
    valid_run["agent"]["version"] = "3"
    (tmp_path / "runs.jsonl").write_text(json.dumps(valid_run) + "\n")
    result = run_cli("validate", str(tmp_path / "runs.jsonl"))
    assert result.returncode == 1
    text = result.stdout.decode()
    assert "VIOLATES" in text and "run.agent.version.int64" in text and "/agent/version" in text
    assert "1 payload: 0 conforming, 1 violating" in text


@pytest.mark.slow
def test_missing_and_unsupported_inputs_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    missing = run_cli("validate", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr and b"nope.jsonl" in missing.stderr
    (tmp_path / "runs.txt").write_text("{}")
    odd = run_cli("validate", str(tmp_path / "runs.txt"))
    assert odd.returncode == 2 and b".jsonl" in odd.stderr
    (tmp_path / "bad.har").write_text('{"log": {}}')
    bad_har = run_cli("validate", str(tmp_path / "bad.har"))
    assert bad_har.returncode == 2 and b"not an HTTP archive" in bad_har.stderr
    for result in (missing, odd, bad_har):
        assert b"Traceback" not in result.stderr
    assert run_cli("validate").returncode == 2


@pytest.mark.slow
def test_integers_past_64_bits_are_judged_exactly(valid_run: dict[str, Any]) -> None:
    lines = []
    for version in (2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**70):
        valid_run["agent"]["version"] = version
        lines.append(json.dumps(valid_run))
    out = json.loads(run_cli("validate", "--json", "-", stdin="\n".join(lines).encode()).stdout)
    assert [r["conforms"] for r in out["results"]] == [True, False, True, False, False]


def test_the_verdict_path_agrees_with_full_validation(valid_run: dict[str, Any]) -> None:
    from drun_conformance import Oracle, parse_body, payload_conforms

    from .conftest import FIXTURES

    bodies = [b"{not json", b"[]", b"NaN"]
    for version in (2**63 - 1, 2**63, -(2**63), -(2**63) - 1, -(2**63) - 1000, 2**64, 2**70, 3.0):
        bodies.append(json.dumps({**valid_run, "agent": {**valid_run["agent"], "version": version}}).encode())
    for line in (FIXTURES / "labelled_payloads.jsonl").read_text("utf-8").split("\n"):
        if line:
            record = json.loads(line)
            bodies.append(
                record["raw"].encode() if "raw" in record else json.dumps(record["payload"]).encode()
            )
    for body in bodies:
        assert payload_conforms(body) == Oracle.default().judge_recorded(parse_body(body)).conforms, body[
            :100
        ]


@pytest.mark.slow
def test_nothing_to_validate_exits_2_naming_the_input(tmp_path: Path) -> None:
    (tmp_path / "empty.jsonl").write_bytes(b"\n  \n")
    (tmp_path / "empty.json").write_bytes(b"")
    other = _har_entry("https://api.example.test/v1/models", 200, b"{}", method="GET")
    (tmp_path / "other.har").write_text(json.dumps({"log": {"entries": [other]}}))
    expected = {
        "empty.jsonl": b"empty.jsonl: no payload line, nothing to validate",
        "empty.json": b"empty.json: an empty file, nothing to validate",
        "other.har": b"other.har: no Run Deployment Now exchange",
    }
    for name, message in expected.items():
        result = run_cli("validate", "--json", name, cwd=tmp_path)
        assert (result.returncode, result.stdout) == (2, b""), name
        assert message in result.stderr, result.stderr
    stdin = run_cli("validate", "-", stdin=b"")
    assert stdin.returncode == 2 and b"standard input: no payload line" in stdin.stderr


@pytest.mark.slow
def test_a_folder_is_named_as_one(tmp_path: Path) -> None:
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 2
    assert f"{tmp_path} is a folder: name the files in it".encode() in result.stderr


@pytest.mark.slow
def test_a_har_time_without_an_offset_leaves_the_clock_unjudged(
    tmp_path: Path, valid_run: dict[str, Any]
) -> None:
    entry = _har_entry(
        "https://api.example.test/v1/deployments/depl_1/run", 200, json.dumps(valid_run).encode()
    )
    local = {**entry, "startedDateTime": "2026-11-27T18:11:19.000"}
    far = {**entry, "startedDateTime": "2030-01-01T00:00:00Z"}  # years after created_at: judged
    (tmp_path / "s.har").write_text(json.dumps({"log": {"entries": [local, far]}}))
    result = run_cli("validate", "--json", "s.har", cwd=tmp_path)
    assert b"Traceback" not in result.stderr
    out = json.loads(result.stdout)
    found = [{v["requirement"] for v in r["violations"]} for r in out["results"]]
    assert "run.created_at.within-skew" not in found[0]
    assert "run.created_at.within-skew" in found[1]
