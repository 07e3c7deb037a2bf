"""Typed reads: the harness protocol's optional `types` (on ok) and `exception` (on api_error),
and what the harnesses report with them.

The schema tests are fast. The slow ones run harnesses against the scripted mock server: the
model SDK (and its faults), a harness that sends a malformed `types`, the shipped harnesses of
the four real SDKs on a few runs and HTTP errors (the types and exception classes each
unmodified release exposes, pinned), and a local build of anthropic with three planted faults
whose reads must differ from the release's. Without a toolchain or registry an SDK's test skips
with the reason, unless DRUN_REQUIRE_SDKS=1.
"""

from __future__ import annotations

import copy
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from drun_conformance._errors import SdkUnavailable
from drun_conformance.client._harness import Harness, HarnessFault, read_answer
from drun_conformance.client._mock import Scripted, ScriptedServer
from drun_conformance.client._protocol import response_problem
from drun_conformance.client._sdks import parse_sdk, prepare_sdk
from drun_conformance.server.reference import serve_in_thread

from . import _local_sdk as local
from .client_mutants import MODEL_SDK, misbehaving_command
from .conftest import VALID_RUN

REQUIRED = os.environ.get("DRUN_REQUIRE_SDKS") == "1"
Answer = dict[str, Any]

OK: Answer = {"seq": 1, "outcome": "ok", "run": {"id": "drun_1"}}
API_ERROR: Answer = {
    "seq": 1,
    "outcome": "api_error",
    "status": 500,
    "error_type": "api_error",
    "message": "boom",
    "request_id": None,
}
TYPES = {
    "": "BetaManagedAgentsDeploymentRun",
    "/id": "str",
    "/created_at": "datetime",
    "/error": None,  # no value there
    "/agent/version": "<unreadable>",  # reading it threw
    "/trigger_context/scheduled_at": "time.Time",
    "/a~1b~0c": "str",  # a key with / and ~, escaped
}


# --- the schema: both fields optional, each malformed one a protocol error ------------------------


@pytest.mark.parametrize(
    "answer",
    [
        OK,  # an older harness: no types
        {**OK, "types": TYPES},
        {**OK, "types": {}},
        {**OK, "types": TYPES, "variants": {"/error": None}},
        API_ERROR,  # an older harness: no exception
        {**API_ERROR, "exception": "InternalServerError"},
        {**API_ERROR, "exception": "*apierror.Error"},
    ],
    ids=["ok", "ok+types", "ok+empty-types", "ok+types+variants", "api", "api+exception", "api+go-type"],
)
def test_answers_with_and_without_the_new_fields_validate(answer: Answer) -> None:
    assert response_problem("run", answer) is None


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        ({**OK, "types": ["/id"]}, "is not of type 'object' at /types"),
        ({**OK, "types": "str"}, "is not of type 'object' at /types"),
        ({**OK, "types": {"/id": 3}}, "3 is not of type 'string', 'null' at /types//id"),
        ({**OK, "types": {"/id": ""}}, "'' should be non-empty at /types//id"),
        ({**OK, "types": {"/id": ["str"]}}, "at /types//id"),
        ({**OK, "types": {"id": "str"}}, "'id' does not match"),
        ({**OK, "types": {"/a~2": "str"}}, "'/a~2' does not match"),
        ({**API_ERROR, "exception": 500}, "500 is not of type 'string' at /exception"),
        ({**API_ERROR, "exception": ""}, "'' should be non-empty at /exception"),
        ({**API_ERROR, "exception": None}, "None is not of type 'string' at /exception"),
    ],
)
def test_a_malformed_types_or_exception_is_a_protocol_error(answer: Answer, words: str) -> None:
    problem = response_problem("run", answer)
    assert problem is not None and words in problem, problem
    fault = read_answer("run", json.dumps(answer).encode())
    assert isinstance(fault, HarnessFault) and fault.kind == "garbage"
    assert fault.message.startswith("the harness's answer to run breaks spec/harness: ")


# --- driving a harness on scripted answers ---------------------------------------------------------


def _run(**changes: Any) -> dict[str, Any]:
    return {**VALID_RUN, **changes}


def _failed(error_type: str) -> dict[str, Any]:
    return _run(session_id=None, error={"type": error_type, "message": "The environment was archived."})


SCHEDULED = _run(trigger_context={"type": "schedule", "scheduled_at": "2026-11-27T18:00:00.5+05:30"})
ARCHIVED = _failed("environment_archived_error")
UNKNOWN_ERROR = _failed("quota_exceeded_error")  # a type the page does not list
RUNS = {"scheduled": SCHEDULED, "archived": ARCHIVED, "unknown-error": UNKNOWN_ERROR}
STATUSES = {500: "api_error", 404: "not_found_error"}


def _served(payload: dict[str, Any], status: int = 200) -> Scripted:
    headers = (("content-type", "application/json"), ("request-id", "req_1"))
    return Scripted(status, headers, json.dumps(payload).encode())


def _error(status: int) -> Scripted:
    envelope = {"type": "error", "error": {"type": STATUSES[status], "message": f"HTTP {status}"}}
    return _served(envelope, status)


def answers(
    argv: Sequence[str], served: Sequence[Scripted], env: dict[str, str] | None = None
) -> list[Answer]:
    """The harness's answers to one run command per scripted response, in order."""
    mock, got = ScriptedServer(), []
    with Harness(argv, env=env, call_timeout=60) as harness, serve_in_thread(mock) as base_url:
        for seq, scripted in enumerate(served, 1):
            mock.arm("depl_1", scripted)
            answer = harness.run(seq=seq, base_url=base_url, api_key="k", deployment_id="depl_1", betas=None)
            assert not isinstance(answer, HarnessFault), answer
            got.append(answer)
    return got


def _by_case(argv: Sequence[str], env: dict[str, str] | None = None) -> dict[str, Answer]:
    served = [*(_served(run) for run in RUNS.values()), *(_error(status) for status in STATUSES)]
    return dict(zip([*RUNS, *map(str, STATUSES)], answers(argv, served, env), strict=True))


# --- the model SDK and a malformed harness ---------------------------------------------------------


def _model(*fault: str) -> list[str]:
    return [sys.executable, str(MODEL_SDK), *(("--fault", *fault) if fault else ())]


@pytest.mark.slow
def test_the_model_sdk_reports_types_and_exceptions() -> None:
    got = _by_case(_model())
    assert got["scheduled"]["types"] == {
        "": "DeploymentRun",
        "/agent": "AgentReference",
        "/agent/id": "str",
        "/agent/type": "str",
        "/agent/version": "int",
        "/created_at": "datetime",
        "/deployment_id": "str",
        "/error": None,
        "/id": "str",
        "/session_id": "str",
        "/trigger_context": "ScheduleTrigger",
        "/trigger_context/scheduled_at": "datetime",
        "/trigger_context/type": "str",
        "/type": "str",
    }
    assert got["archived"]["types"]["/error"] == "EnvironmentArchivedError"
    assert got["unknown-error"]["types"]["/error"] == "RunError"  # a generic class, still readable
    assert got["unknown-error"]["types"]["/error/message"] == "str"
    assert (got["500"]["exception"], got["404"]["exception"]) == ("InternalServerError", "NotFoundError")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "case", "pointer", "expected"),
    [
        ("timestamp-as-string", "scheduled", "/created_at", "str"),
        ("timestamp-as-string", "scheduled", "/trigger_context/scheduled_at", "str"),
        ("unknown-variant-as-dict", "unknown-error", "/error", "dict"),
        ("unknown-variant-as-dict", "unknown-error", "/error/message", "<unreadable>"),
        ("version-through-float", "archived", "/agent/version", "float"),
        ("exception-base-class", "500", "exception", "APIStatusError"),
    ],
)
def test_each_model_fault_shows_in_what_it_reports(
    fault: str, case: str, pointer: str, expected: str
) -> None:
    answer = _by_case(_model(fault))[case]
    assert (answer["exception"] if pointer == "exception" else answer["types"][pointer]) == expected


@pytest.mark.slow
def test_a_harness_sending_types_that_are_no_map_is_a_protocol_fault() -> None:
    with Harness(misbehaving_command("bad-types").split(" "), call_timeout=10) as harness:
        assert not isinstance(harness.start(), HarnessFault)
        fault = harness.run(seq=1, base_url="http://127.0.0.1:9", api_key="k", deployment_id="d", betas=None)
    assert isinstance(fault, HarnessFault) and fault.kind == "garbage"
    assert "['/id'] is not of type 'object' at /types" in fault.message


# --- the real SDKs, as released ----------------------------------------------------------------------


def _expected(names: dict[str, str | None]) -> dict[str, dict[str, str | None]]:
    """The types map of each run in RUNS, from the names one SDK gives its kinds of value."""
    common = {
        "": names["run"],
        "/id": names["string"],
        "/type": names["run_type"],
        "/agent": names["agent"],
        "/agent/id": names["string"],
        "/agent/type": names["agent_type"],
        "/agent/version": names["version"],
        "/created_at": names["timestamp"],
        "/deployment_id": names["string"],
    }
    failed = {
        **common,
        "/session_id": None,
        "/error/type": names["error_type"],
        "/error/message": names["string"],
        "/trigger_context": names["manual"],
        "/trigger_context/type": names["trigger_type"],
    }
    return {
        "scheduled": {
            **common,
            "/session_id": names["string"],
            "/error": None,
            "/trigger_context": names["schedule"],
            "/trigger_context/type": names["trigger_type"],
            "/trigger_context/scheduled_at": names["timestamp"],
        },
        "archived": {**failed, "/error": names["archived"]},
        "unknown-error": {**failed, "/error": names["unknown_error"]},
        "500": {"exception": names["exception_500"]},
        "404": {"exception": names["exception_404"]},
    }


PY_MODELS = "BetaManagedAgents"
RELEASES = {
    "python": _expected(
        {
            "run": f"{PY_MODELS}DeploymentRun",
            "string": "str",
            "run_type": "str",
            "agent": f"{PY_MODELS}AgentReference",
            "agent_type": "str",
            "version": "int",
            "timestamp": "datetime",
            "schedule": f"{PY_MODELS}ScheduleTriggerContext",
            "manual": f"{PY_MODELS}ManualTriggerContext",
            "trigger_type": "str",
            "archived": f"{PY_MODELS}EnvironmentArchivedRunErrorObject",
            # Known (expectations/python.yaml): an unknown type is built as the union's first class.
            "unknown_error": f"{PY_MODELS}EnvironmentArchivedRunErrorObject",
            "error_type": "str",
            "exception_500": "InternalServerError",
            "exception_404": "NotFoundError",
        }
    ),
    "typescript": _expected(
        {
            "run": "object",  # the parsed JSON itself: plain objects, strings for timestamps
            "string": "string",
            "run_type": "string",
            "agent": "object",
            "agent_type": "string",
            "version": "number",
            "timestamp": "string",
            "schedule": "object",
            "manual": "object",
            "trigger_type": "string",
            "archived": "object",
            "unknown_error": "object",
            "error_type": "string",
            "exception_500": "InternalServerError",
            "exception_404": "NotFoundError",
        }
    ),
    "java": _expected(
        {
            "run": "BetaManagedAgentsDeploymentRun",
            "string": "String",
            "run_type": "JsonString",  # a constant: only _type() reads it
            "agent": "BetaManagedAgentsAgentReference",
            "agent_type": "JsonString",
            "version": "Integer",  # known (expectations/java.yaml): an int where the page says long
            "timestamp": "OffsetDateTime",
            "schedule": "BetaManagedAgentsScheduleTriggerContext",
            "manual": "BetaManagedAgentsManualTriggerContext",
            "trigger_type": "JsonString",
            "archived": "BetaManagedAgentsEnvironmentArchivedRunError",
            "unknown_error": "Error",  # the union itself: no variant accessor answers
            "error_type": "Type",
            "exception_500": "InternalServerException",
            "exception_404": "NotFoundException",
        }
    ),
    "go": _expected(
        {
            "run": "*anthropic.BetaManagedAgentsDeploymentRun",
            "string": "string",
            "run_type": "constant.DeploymentRun",
            "agent": "anthropic.BetaManagedAgentsAgentReference",
            "agent_type": "constant.Agent",
            "version": "int64",
            "timestamp": "time.Time",
            "schedule": "anthropic.BetaManagedAgentsScheduleTriggerContext",
            "manual": "anthropic.BetaManagedAgentsManualTriggerContext",
            "trigger_type": "string",
            "archived": "anthropic.BetaManagedAgentsEnvironmentArchivedRunErrorObject",
            "unknown_error": "anthropic.BetaManagedAgentsDeploymentRunErrorUnion",  # AsAny() is nil
            "error_type": "string",
            "exception_500": "*apierror.Error",  # one error type for every status
            "exception_404": "*apierror.Error",
        }
    ),
}


def _harness_of(given: str) -> tuple[list[str], dict[str, str]]:
    sdk, release = parse_sdk(given)
    try:
        command = prepare_sdk(sdk, release)
    except SdkUnavailable as exc:
        if REQUIRED:
            pytest.fail(str(exc))
        pytest.skip(f"the {given} harness cannot run here: {exc}")
    return list(command.argv), dict(command.env or {})


def _observed(got: dict[str, Answer]) -> dict[str, Any]:
    return {
        case: {"exception": answer.get("exception")} if case.isdigit() else answer.get("types")
        for case, answer in got.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("name", RELEASES)
def test_each_released_sdk_reports_the_types_users_read(name: str) -> None:
    got = _by_case(*_harness_of(name))
    assert _observed(got) == RELEASES[name]
    # The values are the ones read through those types.
    assert got["archived"]["run"]["error"]["message"] == ARCHIVED["error"]["message"]
    assert got["unknown-error"]["run"]["error"]["type"] == "quota_exceeded_error"
    assert [got[str(status)]["status"] for status in STATUSES] == list(STATUSES)


# --- a faulty local build of anthropic: its reads differ -------------------------------------------

PLANTED: tuple[Callable[[Path], None], ...] = (
    local.created_at_as_str,
    local.unknown_variant_as_dict,
    local.base_status_error,
)


def _all_planted(root: Path) -> None:
    for plant in PLANTED:
        plant(root)


@pytest.mark.slow
def test_a_faulty_python_build_reads_other_types_than_the_release(tmp_path: Path) -> None:
    try:
        checkout = local.python_checkout(tmp_path / "sdk", _all_planted)
    except SdkUnavailable as exc:
        if REQUIRED:
            pytest.fail(str(exc))
        pytest.skip(f"the SDK release to copy cannot be installed here: {exc}")
    observed = _observed(_by_case(*_harness_of(f"python@{checkout}")))
    expected = copy.deepcopy(RELEASES["python"])
    for case in RUNS:
        expected[case]["/created_at"] = "str"  # was datetime
    expected["unknown-error"].update(
        {"/error": "dict", "/error/type": "<unreadable>", "/error/message": "<unreadable>"}
    )
    expected["500"]["exception"] = "APIStatusError"  # was InternalServerError
    assert observed == expected
    assert observed != RELEASES["python"]
