"""The harness protocol's schemas (spec/harness/), the scripted mock server, the SDK names
and the expectation files: the gate's parts, each on its own."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from jsonschema import Draft202012Validator

from drun_conformance import spec
from drun_conformance._errors import InputError, UsageError
from drun_conformance.client._cases import coverage_cases, sdk_safe_id
from drun_conformance.client._expectations import Ledger, load_expectations
from drun_conformance.client._mock import Scripted, ScriptedServer
from drun_conformance.client._protocol import COMMANDS, ProtocolBug, check_command, response_problem
from drun_conformance.client._sdks import SDKS, harness_environment, parse_sdk
from drun_conformance.oracle import Finding, Oracle
from drun_conformance.results import Counterexample, TargetResult, TargetTally
from drun_conformance.server.reference import serve_in_thread

# The messages exactly as DESIGN.md shows them.
DESIGN_COMMANDS = [
    {"cmd": "start", "protocol": 1},
    {
        "cmd": "run",
        "seq": 7,
        "base_url": "http://127.0.0.1:40321",
        "api_key": "k",
        "deployment_id": "depl_a/b c",
        "betas": ["files-api-2025-04-14"],
    },
    {"cmd": "stop"},
]
DESIGN_RUN_ANSWERS = [
    {"seq": 7, "outcome": "ok", "run": {"id": "drun_1"}},
    {
        "seq": 7,
        "outcome": "api_error",
        "status": 404,
        "error_type": "not_found_error",
        "message": "...",
        "request_id": "req_...",
    },
    {"seq": 7, "outcome": "client_error", "message": "ValueError: ..."},
    {"seq": 7, "outcome": "skipped", "message": "this SDK release has no betas argument"},
]


def test_every_schema_is_valid_json_schema_and_versioned() -> None:
    root = json.loads((spec.HARNESS_SCHEMA_DIR / "protocol.json").read_text())
    assert root["version"] == 1
    for name in COMMANDS:
        schema = json.loads((spec.HARNESS_SCHEMA_DIR / "commands" / f"{name}.json").read_text())
        Draft202012Validator.check_schema(schema)
        assert schema["$id"].endswith(f":commands:{name}")


@pytest.mark.parametrize("command", DESIGN_COMMANDS, ids=lambda c: c["cmd"])
def test_the_design_commands_validate(command: dict[str, object]) -> None:
    check_command(command)


def test_a_command_the_suite_gets_wrong_is_its_own_bug() -> None:
    with pytest.raises(ProtocolBug):
        check_command({"cmd": "run", "seq": 1})
    with pytest.raises(ProtocolBug):
        check_command({"cmd": "dance"})


@pytest.mark.parametrize("answer", DESIGN_RUN_ANSWERS, ids=lambda a: str(a["outcome"]))
def test_the_design_answers_validate(answer: dict[str, object]) -> None:
    assert response_problem("run", answer) is None


def test_start_answers() -> None:
    ok = {"ok": True, "implementation": {"name": "anthropic", "version": "2.10.0", "language": "python"}}
    assert response_problem("start", ok) is None
    assert response_problem("start", {"ok": False, "message": "no SDK"}) is None
    assert response_problem("start", {"ok": True}) is not None


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({"seq": 1, "outcome": "maybe"}, "outcome"),
        ({"seq": 1, "outcome": "ok"}, "run"),
        ({"seq": 1, "outcome": "ok", "run": [1]}, "object"),
        ({"seq": 1, "outcome": "api_error", "status": "404", "error_type": None, "message": None}, "status"),
        ({"seq": -1, "outcome": "client_error", "message": "x"}, "seq"),
        ({"seq": 1, "outcome": "ok", "run": {}, "variants": {"/agent": "x"}}, "/agent"),
        ("not an object", "object"),
    ],
)
def test_an_answer_off_the_schema_is_named(answer: object, words: str) -> None:
    problem = response_problem("run", answer)
    assert problem is not None and words in problem, problem


@pytest.mark.slow
def test_the_mock_server_records_and_answers_what_is_scripted() -> None:
    mock = ScriptedServer()
    with serve_in_thread(mock) as url:
        mock.arm("depl_a/b c", Scripted(201, (("content-type", "application/json"),), b'{"x": 1}'))
        answer = httpx.post(
            url + "/v1/deployments/depl_a%2Fb%20c/run?beta=true",
            headers={"anthropic-beta": "a", "X-Api-Key": "k"},
        )
        assert (answer.status_code, answer.content) == (201, b'{"x": 1}')
        (request,) = mock.take("depl_a/b c")
        assert request.method == "POST" and request.target == "/v1/deployments/depl_a%2Fb%20c/run?beta=true"
        assert request.path == "/v1/deployments/depl_a%2Fb%20c/run"
        assert request.headers["x-api-key"] == "k" and request.betas() == ["a"]
        assert request.body == b""
        # A path no case matches (an unescaped id) goes to the case armed last, recorded as sent.
        mock.arm("depl_x/y", Scripted(200, (), b"{}"))
        httpx.get(url + "/v1/deployments/depl_x/y/run")
        (request,) = mock.take("depl_x/y")
        assert request.method == "GET" and request.path == "/v1/deployments/depl_x/y/run"
        assert mock.take("depl_x/y") == ()
        assert httpx.post(url + "/v1/deployments/other/run").status_code == 404  # nothing armed
        assert mock.unmatched == 1


def test_every_coverage_case_is_scripted_as_json() -> None:
    cases = coverage_cases()
    assert len({c.label for c in cases}) == len(cases)
    for case in cases:
        scripted = case.served.scripted()
        json.loads(scripted.body)
        assert ("content-type", "application/json") in scripted.headers


@pytest.mark.parametrize(
    ("deployment_id", "safe"),
    [
        ("depl_1", True),
        ("a/..", True),
        ("..", False),
        (".", False),
        ("..;x", False),
        (";x", False),
        ("a;b", True),
    ],
)
def test_ids_an_sdk_refuses_for_safety_are_not_drawn(deployment_id: str, safe: bool) -> None:
    assert sdk_safe_id(deployment_id) is safe


def test_sdk_names_and_releases() -> None:
    assert parse_sdk("python") == (SDKS["python"], "2.10.0")
    assert parse_sdk("python@0.109.0") == (SDKS["python"], "0.109.0")
    assert parse_sdk("typescript") == (SDKS["typescript"], "1.10.0")
    for wrong, words in [
        ("python@0.108.0", "appeared in 0.109.0"),
        ("java@./absent", "no such file or folder"),
        ("ruby", "python, typescript, java, go"),
        ("python@latest!", "not a release number"),
    ]:
        with pytest.raises(UsageError, match=words):
            parse_sdk(wrong)


def test_the_harness_environment_has_no_credentials_or_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-real")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://api.example")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy:3128")
    env = harness_environment({"NODE_PATH": "/x"})
    assert not any(k.startswith("ANTHROPIC_") for k in env) and "HTTPS_PROXY" not in env
    assert env["NODE_PATH"] == "/x" and "127.0.0.1" in env["NO_PROXY"]


def test_the_shipped_expectation_files_load() -> None:
    catalog = spec.load_catalog()
    for sdk in SDKS.values():
        expected = load_expectations(sdk.expectations, version=sdk.default_version, catalog=catalog)
        assert expected.failures and all(reason for reason in expected.failures.values())


def _expectations(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sdk.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("failures: [{requirement: client.parse.nope, reason: x}]", "no requirement of the catalog"),
        ("failures: [{requirement: client.parse.int64}]", "needs a reason"),
        ("failures: [3]", "needs a requirement and a reason"),
        ("failures: [", "cannot read"),
    ],
)
def test_a_broken_expectation_file_is_an_input_error(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        load_expectations(_expectations(tmp_path, text), version="1", catalog=spec.load_catalog())


def _settled(path: Path, version: str | None, findings: list[Finding], exercised: set[str]) -> TargetResult:
    """A gate's result for these findings, each on a drawn case, settled by the file at `path`."""
    from drun_conformance.oracle import Evaluation

    catalog = spec.load_catalog()
    ledger = Ledger(load_expectations(path, version=version, catalog=catalog), Oracle(catalog).facts)
    new = ledger.split(findings, label="", served={}, types={}, example=Counterexample(summary="x"))
    tally = TargetTally(catalog, sides={"client-request", "client-parse"})
    tally.record(Evaluation(new, frozenset(exercised)))
    result = tally.result(target_id="sdk:x", kind="client", identity={}, strict=False)
    return ledger.settle(result, strict=False)


def test_expectations_gate_only_what_is_not_listed(tmp_path: Path) -> None:
    path = _expectations(
        tmp_path,
        "failures:\n"
        "  - {requirement: client.parse.int64, reason: doubles}\n"
        "  - {requirement: client.parse.timestamp, reason: fixed since, versions: ['0.9']}\n"
        "  - {requirement: client.request.method, reason: was wrong once}\n",
    )
    expected = load_expectations(path, version="1.0", catalog=spec.load_catalog())
    assert set(expected.failures) == {"client.parse.int64", "client.request.method"}
    listed = [
        Finding("client.parse.int64", "MUST", "/agent/version", "Received: 1 / Expected: 2"),
        Finding("client.request.method", "MUST", "", "x"),
    ]
    applied = _settled(path, "1.0", listed, set())
    # Known failures are still failures: the verdict says so; only the gate does not fail.
    assert (applied.verdict, applied.gate) == ("non-conformant", "incomplete")  # the rest never ran
    marked = {r.id: r.expected for r in applied.requirements if r.expected}
    assert marked == {"client.parse.int64": "doubles", "client.request.method": "was wrong once"}
    # An entry from before scopes covers its whole requirement, and the run says to record it.
    assert any("records no cases or scope" in note for note in applied.notes)
    # An unlisted failure gates as before.
    unlisted = Finding("client.parse.fields", "MUST", "/id", "x")
    assert _settled(path, "1.0", [*listed, unlisted], set()).gate == "failed"


def test_a_listed_failure_that_passes_is_pointed_out(tmp_path: Path) -> None:
    path = _expectations(tmp_path, "failures: [{requirement: client.parse.int64, reason: doubles}]")
    applied = _settled(path, None, [], {"client.parse.int64"})
    assert any("now passes" in note and "client.parse.int64" in note for note in applied.notes)
