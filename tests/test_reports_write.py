"""write_reports: the three files, redaction, atomic writes, partial runs, the HTML's content."""

from __future__ import annotations

import json
import os
import re
from html import unescape
from pathlib import Path

import pytest

from drun_conformance.reports import REPORT_FILES, render_html, write_reports
from drun_conformance.results import RunResults
from tests._report_data import BASE_URL, SECRET, four_targets, live_server, one_target


@pytest.fixture
def written(tmp_path: Path) -> Path:
    write_reports(four_targets(), tmp_path, secrets=[SECRET])
    return tmp_path


def test_writes_the_three_files_and_no_temporary(written: Path) -> None:
    assert sorted(p.name for p in written.iterdir()) == sorted(REPORT_FILES)
    assert RunResults.model_validate_json((written / "results.json").read_text()).verdict == "non-conformant"


@pytest.mark.parametrize("pass_secret", [True, False], ids=["key-passed", "key-in-env"])
def test_no_secret_in_any_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pass_secret: bool) -> None:
    # The planted key sits in request headers, a curl line, the argv and an SDK's answer text.
    if pass_secret:
        monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    else:
        monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    write_reports(four_targets(), tmp_path, secrets=[SECRET] if pass_secret else [])
    for name in REPORT_FILES:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert SECRET not in text, name
        assert SECRET[10:30] not in text, name  # not even a piece of it
        assert "redacted" in text, name


def test_secret_headers_redacted_even_when_the_key_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    results = one_target(live_server())
    write_reports(results, tmp_path)  # no secrets given: the header names alone must suffice
    for name in REPORT_FILES:
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert SECRET not in text, name


def test_a_short_key_is_redacted_where_a_whole_value_equals_it(tmp_path: Path) -> None:
    results = one_target(live_server())
    results.targets[0].identity["key"] = "k1"
    write_reports(results, tmp_path, secrets=["k1"])
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["targets"][0]["identity"]["key"] == "<redacted>"
    assert data["targets"][0]["identity"]["url"] == BASE_URL  # "k1" inside other text is left alone


def test_an_interrupted_write_leaves_the_previous_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_reports(one_target(live_server()), tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in REPORT_FILES}

    def fail(src: str, dst: str) -> None:
        raise KeyboardInterrupt  # as if the user pressed ^C between the write and the rename

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(KeyboardInterrupt):
        write_reports(four_targets(), tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in REPORT_FILES} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(REPORT_FILES)  # no temp file left


def test_an_unwritable_folder_is_an_input_error(tmp_path: Path) -> None:
    from drun_conformance._errors import InputError

    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError) as excinfo:
        write_reports(four_targets(), blocker / "sub")
    assert excinfo.value.exit_status == 2


def test_html_is_self_contained(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert not re.search(r"<link[^>]+rel=[\"']?stylesheet|@import|url\(\s*['\"]?(?:https?:)?//", html, re.I)
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket|EventSource|sendBeacon", html)
    assert "<style>" in html and "<script>" in html and "<svg" in html


def test_html_escapes_what_the_target_sent(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_shows_the_run_and_the_failure(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "Non-conformant" in html
    assert "dca8aa0b3685c6e3" in html  # the spec hash
    assert "1 min 23 s" in html and ">42<" in html  # duration, seed
    command = 'drun-conformance server --base-url https://staging.example.test --api-key "$ANTHROPIC_API_KEY"'
    assert command in unescape(html)
    # the failure: requirement, page line, expected vs observed, curl reading the key from the env
    assert 'id="t0-run.outcome.exactly-one"' in html
    assert "line 303" in html and "Exactly one of session_id or error is non-null." in html
    assert 'class="expected"' in html and 'class="observed"' in html
    assert "curl -sS -i -X POST" in html and "$ANTHROPIC_API_KEY" in html
    # statuses kept apart, each skip with its reason
    assert "budget spent: --max-requests 10" in html
    assert "read-back failed: connection reset" in html


def test_html_orders_targets_worst_first(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    start = html.index('id="matrix"')
    header = html[start : html.index("</thead>", start)]
    order = [
        header.index(name) for name in (BASE_URL, "@anthropic-ai/sdk 1.10.0", "anthropic 2.10.0", "127.0.0.1")
    ]
    assert order == sorted(order)


def test_html_coverage_and_edge_matrix(written: Path) -> None:
    html = (written / "report.html").read_text(encoding="utf-8")
    assert "16 on the page: 3 observed · 0 synthesised · 13 not seen" in html
    assert "2 on the page: 0 observed · 2 synthesised · 0 not seen" in html
    edges = html[html.index('id="edges"') :]
    assert "edge.timestamp.leap-second" in edges and "not handled" in edges and "not exercised" in edges


def test_a_partial_run_never_reads_as_passed(tmp_path: Path) -> None:
    results = one_target(live_server()).model_copy(update={"partial": True, "verdict": "conformant"})
    results.targets[0].verdict = "conformant"
    write_reports(results, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "PARTIAL RUN" in html
    assert 'class="verdict incomplete"' in html and "<h1>Incomplete</h1>" in html
    assert "drun.run-complete" in (tmp_path / "junit.xml").read_text()


def test_renders_100_requirements_by_4_targets_quickly() -> None:
    import time

    results = four_targets()
    for target in results.targets:  # pad every target to 100 requirements
        base = target.requirements
        target.requirements = [
            base[i % len(base)].model_copy(update={"id": f"{base[i % len(base)].id}.{i}"}) for i in range(100)
        ]
    started = time.perf_counter()
    html = render_html(results)
    assert time.perf_counter() - started < 2.0
    assert len(html) < 3_000_000


def test_expected_and_observed_are_read_from_the_oracles_message() -> None:
    target = live_server()
    requirement = next(r for r in target.requirements if r.id == "http.no-server-error")
    requirement.message = "Received: 500 / Expected: no 5xx"  # the runner left no counterexample fields
    html = render_html(one_target(target))
    start = html.index('id="t0-http.no-server-error"')
    failure = html[start : html.index("</details>", start)]
    assert '<div class="expected">no 5xx</div>' in failure and '<div class="observed">500</div>' in failure


def test_a_one_field_difference_in_a_whole_payload_stays_visible() -> None:
    from drun_conformance.reports._text import line_diff

    expected = json.dumps({f"field_{i}": i for i in range(30)}, indent=2)
    observed = expected.replace('"field_15": 15', '"field_15": 16')
    diff = line_diff(expected, observed)
    assert ("expected", '  "field_15": 15,') in diff and ("observed", '  "field_15": 16,') in diff
    assert [kind for kind, _ in diff].count("skip") == 2 and len(diff) == 10  # 3 lines of context a side
    assert line_diff("a", "b") == [("expected", "a"), ("observed", "b")]
