"""The suite as a library for users' own tests: assert_conforms, the plugin's fixtures, and the
docs' property-test example, which fails for a client that does not escape the id."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest
import requests

from drun_conformance import DeploymentRun, Oracle, assert_conforms
from drun_conformance.pytest_plugin import ReferenceServer
from tests.conftest import REPO, VALID_RUN

pytest_plugins = ["pytester"]

CUSTOM_SCENARIO: dict[str, Any] = {
    "api_keys": ["k-custom"],
    "agents": [{"id": "agent_mine", "version": 1}],
    "environments": [{"id": "env_mine"}],
    "deployments": [{"id": "depl_mine", "agent": {"id": "agent_mine"}, "environment": "env_mine"}],
}


def _run_url(server: ReferenceServer, deployment_id: str) -> str:
    return f"{server.base_url}/v1/deployments/{deployment_id}/run"


@pytest.mark.slow
def test_an_httpx_response_that_conforms_gives_the_run(drun_reference_server: ReferenceServer) -> None:
    server = drun_reference_server
    response = httpx.post(_run_url(server, server.healthy_deployment_id), headers=server.headers)
    run = assert_conforms(response, strict=True)
    assert isinstance(run, DeploymentRun) and run.session_id and run.deployment_id == "depl_ok"


@pytest.mark.slow
def test_a_requests_response_too(drun_reference_server: ReferenceServer) -> None:
    server = drun_reference_server
    failing = next(e for e in server.expected if e.error_type is not None)
    response = requests.post(_run_url(server, failing.deployment_id), headers=server.headers, timeout=10)
    run = assert_conforms(response)
    assert run is not None and run.error is not None and run.error.type == failing.error_type


@pytest.mark.slow
def test_a_conforming_error_answer_gives_none(drun_reference_server: ReferenceServer) -> None:
    server = drun_reference_server
    response = httpx.post(_run_url(server, "depl_nobody"), headers=server.headers)
    assert response.status_code == 404
    assert assert_conforms(response, strict=True) is None


@pytest.mark.parametrize("form", ["dict", "bytes", "str"])
def test_a_body_in_any_form(form: str) -> None:
    body = {"dict": VALID_RUN, "bytes": httpx.Response(200, json=VALID_RUN).content}.get(form)
    body = body if body is not None else httpx.Response(200, json=VALID_RUN).text
    assert assert_conforms(body, deployment_id=VALID_RUN["deployment_id"]) == DeploymentRun(**VALID_RUN)


def test_each_violation_is_listed_with_level_pointer_and_message() -> None:
    body = copy.deepcopy(VALID_RUN)
    body["error"] = {"type": "unknown_error", "message": "and yet"}  # and a session_id
    body["agent"]["version"] = "3"
    with pytest.raises(AssertionError) as caught:
        assert_conforms(body)
    lines = str(caught.value).splitlines()
    assert lines[0] == "2 requirement(s) of Run Deployment Now violated:"
    patterns = [
        r'  MUST run\.outcome\.exactly-one at pointer "": Received: .+',
        r'  MUST run\.agent\.version\.int64 at pointer "/agent/version": Received: "3" .+',
    ]
    assert all(any(re.fullmatch(p, line) for line in lines[1:]) for p in patterns), lines


def test_should_failures_only_with_strict() -> None:
    body = {**VALID_RUN, "id": "run_01HZX3K4M5N6P7Q8R9S0T1U2V3"}  # not drun_: a SHOULD
    assert assert_conforms(body) is not None
    with pytest.raises(AssertionError, match=r'SHOULD run\.id\.prefix at pointer "/id"'):
        assert_conforms(body, strict=True)


def test_the_run_must_echo_the_deployment() -> None:
    with pytest.raises(AssertionError, match=r"MUST run\.deployment_id\.echo"):
        assert_conforms(VALID_RUN, deployment_id="depl_other")


def test_a_response_is_judged_with_its_request() -> None:
    request = httpx.Request("POST", "http://api.test/v1/deployments/depl_other/run")  # no key sent
    response = httpx.Response(200, json=VALID_RUN, request=request)
    with pytest.raises(AssertionError) as caught:
        assert_conforms(response)
    text = str(caught.value)
    assert "MUST run.deployment_id.echo" in text  # the id from the request's path
    assert "MUST http.auth.no-run" in text  # a run created without credentials


def test_a_body_that_is_not_json() -> None:
    with pytest.raises(AssertionError, match=r"MUST payload\.json"):
        assert_conforms(b"<html>oops</html>")


def test_a_hand_made_response_without_its_request_is_refused() -> None:
    with pytest.raises(TypeError, match="needs the request"):
        assert_conforms(httpx.Response(200, json=VALID_RUN))


@pytest.mark.slow
def test_the_reference_server_takes_another_scenario(drun_reference_server: ReferenceServer) -> None:
    server = drun_reference_server
    default_key = server.api_key
    with server.use_scenario(CUSTOM_SCENARIO):
        assert (server.api_key, server.deployment_ids) == ("k-custom", ("depl_mine",))
        assert assert_conforms(httpx.post(_run_url(server, "depl_mine"), headers=server.headers))
        refused = httpx.post(
            _run_url(server, "depl_mine"), headers={**server.headers, "x-api-key": default_key}
        )
        assert refused.status_code == 401
    assert server.api_key == default_key
    assert httpx.post(_run_url(server, "depl_mine"), headers=server.headers).status_code == 404


@pytest.mark.slow
def test_reset_forgets_the_runs(drun_reference_server: ReferenceServer) -> None:
    server = drun_reference_server
    run = assert_conforms(httpx.post(_run_url(server, "depl_ok"), headers=server.headers))
    assert run is not None
    read_back = f"{server.base_url}/v1/deployment_runs/{run.id}"
    assert httpx.get(read_back, headers=server.headers).status_code == 200
    server.reset()
    assert httpx.get(read_back, headers=server.headers).status_code == 404


def test_the_oracle_fixture(drun_oracle: Oracle) -> None:
    body = {**VALID_RUN, "error": {"type": "unknown_error", "message": "and yet"}}
    assert [f.requirement for f in drun_oracle.judge_recorded(body).violations] == ["run.outcome.exactly-one"]


def _docs_example() -> str:
    """The property-test example of docs/pytest.md (tests/test_docs_examples.py runs it as written)."""
    text = (REPO / "docs" / "pytest.md").read_text(encoding="utf-8")
    start = text.index("```python\n", text.index("`test_my_client.py`")) + len("```python\n")
    return text[start : text.index("```\n", start)]


@pytest.mark.slow
def test_the_docs_property_example_catches_a_client_that_does_not_escape(pytester: pytest.Pytester) -> None:
    example = _docs_example()
    naive = example.replace("{quote(deployment_id, safe='')}", "{deployment_id}")
    naive = naive.replace("max_examples=25", "max_examples=300")  # so a "/", "?" or "#" comes up
    assert naive.count("max_examples=300") == 1 and "quote(deployment_id" not in naive
    pytester.makepyfile(test_my_client=naive)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)  # the shipped ids that need escaping, and a generated one
    assert "FAILED test_my_client.py::test_my_client_runs_any_deployment_id" in result.stdout.str()
