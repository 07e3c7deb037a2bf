"""The report's "Your answers, as each SDK reads them": for each `reads:NAME` target, the answers
the SDK misread (answer number, request line, what it read against what was served) and how many
it read clean. Hand-built records through the runner's own `case_record`; one live run (slow)
through the Java SDK and a server only that SDK misreads."""

from __future__ import annotations

import json
import os

import pytest

from drun_conformance._differential import case_record
from drun_conformance._session import check_targets
from drun_conformance.oracle import Finding, Oracle
from drun_conformance.reports import render_html
from drun_conformance.reports._readings import MOST_SHOWN
from drun_conformance.results import RunResults, TargetResult
from tests._report_data import embedded_server, one_target

SERVED = {"id": "drun_1", "agent": {"id": "agent_1", "type": "agent", "version": 2**31}}
READ = {"id": "drun_1", "agent": {"id": "agent_1", "type": "agent", "version": -(2**31)}}
WRONG = Finding("client.parse.int64", "MUST", "/agent/version", "2147483648 read as -2147483648")


def _record(number: int, *, misread: bool) -> object:
    run = READ if misread else SERVED
    return case_record(
        key=f"#{number}:x",
        served=f"your answer #{number}: POST /v1/deployments/depl_ok/run -> 200",
        body=json.dumps(SERVED).encode(),
        answer={"outcome": "ok", "run": run},
        findings=[WRONG] if misread else [],
        known=Oracle.default().facts.known_paths,
    )


def _reading(*misread: int, answers: int) -> TargetResult:
    return TargetResult(
        id="reads:java@3.14.0",
        kind="client",
        identity={
            "name": "anthropic-java",
            "version": "3.14.0",
            "reads": "server:embedded",
            "answers": answers,
        },
        verdict="non-conformant" if misread else "conformant",
        gate="failed" if misread else "passed",
        requirements=[],
        case_records=[_record(n, misread=n in misread) for n in range(1, answers + 1)],  # type: ignore[misc]
    )


def _section(html: str) -> str:
    start = html.index('id="readings"')
    return html[start : html.index("</section>", start)]


def test_each_misread_answer_with_what_the_sdk_read_against_what_was_served() -> None:
    results = one_target(embedded_server())
    results.targets.append(_reading(3, answers=5))
    section = _section(render_html(results))
    assert "Your answers, as each SDK reads them" in section
    assert "anthropic-java 3.14.0" in section and "reads server:embedded" in section
    assert "<b>4</b> read clean" in section and "misread" in section
    (row,) = [r for r in section.split("<tr>")[1:] if "<td" in r]
    assert "#3" in row and "POST /v1/deployments/depl_ok/run -&gt; 200" in row
    assert "client.parse.int64" in row
    assert "agent.version = -2147483648" in row and "agent.version = 2147483648" in row


def test_an_sdk_that_read_every_answer_clean_lists_none() -> None:
    results = one_target(embedded_server())
    results.targets.append(_reading(answers=4))
    section = _section(render_html(results))
    assert "<b>4</b> read clean" in section and "<table" not in section


def test_the_misread_listed_are_bounded_the_rest_counted() -> None:
    results = one_target(embedded_server())
    results.targets.append(_reading(*range(1, MOST_SHOWN + 6), answers=MOST_SHOWN + 6))
    section = _section(render_html(results))
    assert section.count('<tr><td class="mono">#') == MOST_SHOWN
    assert f"{MOST_SHOWN + 5}</b> misread" in section and "5 more misread answers not listed" in section


def test_an_sdk_that_could_not_run_says_why_not_that_it_read_none() -> None:
    unread = _reading(answers=0).model_copy(
        update={"identity": {"reads": "server:embedded", "reached": False}, "notes": ["no JDK here"]}
    )
    results = one_target(embedded_server())
    results.targets.append(unread)
    section = _section(render_html(results))
    assert "not read: no JDK here" in section and "read clean" not in section


def test_no_section_without_a_reads_target() -> None:
    assert 'id="readings"' not in render_html(one_target(embedded_server()))


@pytest.mark.slow
def test_a_server_only_java_misreads_shows_in_the_section() -> None:
    from drun_conformance.server import ServerOptions, check_server
    from drun_conformance.server._replay import AnswerLog, read_through_sdk
    from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

    from .mutant_kit import FaultInjector
    from .probe_mutants import ONLY_AN_SDK_MISREADS

    log = AnswerLog()
    with serve_in_thread(FaultInjector(create_app(), ONLY_AN_SDK_MISREADS[0])) as url:
        options = ServerOptions(base_url=url, api_key=DEFAULT_API_KEY, deployment_ids=("depl_ok",), seed=2)
        results: RunResults = check_targets(
            [lambda: check_server(options, answers=log), lambda: read_through_sdk(log, "java@3.14.0")],
            command=["drun-conformance", "server"],
            seed=2,
            strict=False,
        )
    reading = results.targets[1]
    if not reading.identity["reached"] and os.environ.get("DRUN_REQUIRE_SDKS") != "1":
        pytest.skip(f"java cannot run here: {'; '.join(reading.notes)}")
    section = _section(render_html(results))
    assert "#1</td>" in section and "POST /v1/deployments/depl_ok/run -&gt; 200" in section
    assert "agent.version = 2147483648" in section  # served
    assert "agent.version = 2147483648</td><td" not in section  # read otherwise
