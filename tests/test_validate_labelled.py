"""The offline oracle, through its public interface, against hand-labelled payloads.

Runs the installed console script ``drun-conformance validate --json FILE`` (falling back to
``python -m drun_conformance.cli``) on JSON-lines files built from two fixtures:

- ``fixtures/labelled_payloads.jsonl``: one labelled payload a line. ``must``/``should`` list
  exactly the (requirement, pointer) pairs the oracle must report at that level.
- ``fixtures/date_time_cases.json``: the JSON-Schema-Test-Suite date-time strings, each put in
  the ``created_at`` of a valid payload.

The contract checked is the ``validate --json`` output of DESIGN.md: ``summary`` counts,
``results`` in input order with ``source`` ``<file>:<line>``, ``conforms`` false exactly when a
MUST violation is present, and exit status 0 only when every payload conforms.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import VALID_RUN

FIXTURES = Path(__file__).parent / "fixtures"
LABELLED = FIXTURES / "labelled_payloads.jsonl"
DATE_TIMES = FIXTURES / "date_time_cases.json"

BASE_PAYLOAD = VALID_RUN

# The only requirement ids an offline payload can break (no exchange, so no HTTP ones).
OFFLINE_MUST = frozenset(
    {
        "payload.json",
        "run.json-type",
        "run.id.required",
        "run.id.json-type",
        "run.agent.required",
        "run.agent.json-type",
        "run.agent.id.required",
        "run.agent.id.json-type",
        "run.agent.type.required",
        "run.agent.type.literal",
        "run.agent.version.required",
        "run.agent.version.int64",
        "run.created_at.required",
        "run.created_at.rfc3339",
        "run.deployment_id.required",
        "run.deployment_id.json-type",
        "run.error.required",
        "run.error.json-type",
        "run.error.message.required",
        "run.error.message.json-type",
        "run.error.type.required",
        "run.error.type.known-variant",
        "run.session_id.required",
        "run.session_id.json-type",
        "run.trigger_context.required",
        "run.trigger_context.json-type",
        "run.trigger_context.type.required",
        "run.trigger_context.type.known-variant",
        "run.trigger_context.scheduled_at.required",
        "run.trigger_context.scheduled_at.rfc3339",
        "run.type.required",
        "run.type.literal",
        "run.outcome.exactly-one",
    }
)
OFFLINE_SHOULD = frozenset(
    {
        "run.id.prefix",
        "run.session_id.non-empty",
        "run.error.message.non-empty",
        "run.trigger_context.manual-on-run-now",
        "run.trigger_context.scheduled-not-after-created",
    }
)
KNOWN_LEVELS = frozenset({"MUST", "SHOULD", "EDGE"})

Pair = tuple[str, str]


def _load_corpus() -> list[dict[str, Any]]:
    records = []
    with LABELLED.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                raise AssertionError(f"{LABELLED.name}:{number}: blank line")
            records.append(json.loads(line))
    return records


CORPUS = _load_corpus()


def _line_text(record: dict[str, Any]) -> str:
    """The exact input line for a record: the raw text as-is, or the payload as JSON."""
    if "raw" in record:
        text = record["raw"]
        assert isinstance(text, str), record["label"]
    else:
        text = json.dumps(record["payload"])
    assert "\n" not in text and "\r" not in text, f"{record['label']}: line breaks in input"
    return text


def _cli_command() -> list[str]:
    script = shutil.which("drun-conformance") or shutil.which(
        "drun-conformance", path=str(Path(sys.executable).parent)
    )
    if script:
        return [script]
    return [sys.executable, "-m", "drun_conformance.cli"]


def _validate(directory: Path, name: str, lines: list[str]) -> tuple[int, dict[str, Any]]:
    """Write ``lines`` to ``directory/name`` and run ``validate --json`` on it.

    The file is named relative to the working directory so that ``source`` is
    ``<name>:<line>`` however the CLI spells the path it was given.
    """
    path = directory / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    command = [*_cli_command(), "validate", "--json", name]
    # The fallback runs from the temporary directory: let it import the checkout.
    env = dict(os.environ)
    repo_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo_root, env.get("PYTHONPATH")]))
    proc = subprocess.run(
        command,
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )
    context = (
        f"command {command} exited {proc.returncode}\n"
        f"stdout (first 2000 chars): {proc.stdout[:2000]!r}\n"
        f"stderr (last 2000 chars): {proc.stderr[-2000:]!r}"
    )
    assert proc.returncode in (0, 1), f"validate must exit 0 or 1 on these inputs\n{context}"
    assert "Traceback (most recent call last)" not in proc.stderr, f"traceback\n{context}"
    try:
        document = json.loads(proc.stdout)
    except ValueError as exc:
        raise AssertionError(f"stdout is not one JSON document: {exc}\n{context}") from None
    assert isinstance(document, dict), context
    return proc.returncode, document


def _pairs(violations: list[dict[str, Any]], level: str) -> set[Pair]:
    return {(v["requirement"], v["pointer"]) for v in violations if v["level"] == level}


def _check_envelope(
    document: dict[str, Any], exit_code: int, name: str, expected_conforms: list[bool]
) -> list[dict[str, Any]]:
    """Check summary, order, sources and exit status; return the results list."""
    results = document.get("results")
    assert isinstance(results, list), f"'results' missing or not a list: {document!r:.500}"
    assert len(results) == len(expected_conforms), (
        f"{len(results)} results for {len(expected_conforms)} input lines"
    )
    sources = [r.get("source") for r in results]
    assert sources == [f"{name}:{n}" for n in range(1, len(expected_conforms) + 1)], (
        f"results out of input order or wrong 'source': {sources[:5]}..."
    )
    conforming = sum(expected_conforms)
    assert document.get("summary") == {
        "payloads": len(expected_conforms),
        "conforming": conforming,
        "violating": len(expected_conforms) - conforming,
    }, f"summary: {document.get('summary')!r}"
    assert exit_code == (0 if all(expected_conforms) else 1), f"exit status {exit_code}"
    for result in results:
        assert isinstance(result.get("conforms"), bool), result
        assert isinstance(result.get("violations"), list), result
        for violation in result["violations"]:
            assert violation.get("level") in KNOWN_LEVELS, violation
            assert isinstance(violation.get("requirement"), str), violation
            assert isinstance(violation.get("pointer"), str), violation
            assert isinstance(violation.get("message"), str) and violation["message"], violation
    return results


# --------------------------------------------------------------------------- fixtures


def test_corpus_is_well_formed() -> None:
    """The labelled corpus itself: distinct kebab-case labels, known ids, consistent verdicts."""
    assert len(CORPUS) >= 90
    labels = [r["label"] for r in CORPUS]
    duplicates = sorted({label for label in labels if labels.count(label) > 1})
    assert not duplicates, f"duplicate labels: {duplicates}"
    for record in CORPUS:
        label = record["label"]
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", label), f"{label}: not kebab-case"
        keys = set(record) - {"label", "conforms", "must", "should", "note"}
        assert keys in ({"payload"}, {"raw"}), f"{label}: needs exactly one of payload/raw"
        must = [tuple(p) for p in record["must"]]
        should = [tuple(p) for p in record["should"]]
        assert len(set(must)) == len(must) and len(set(should)) == len(should), label
        assert {r for r, _ in must} <= OFFLINE_MUST, f"{label}: unknown MUST id in {must}"
        assert {r for r, _ in should} <= OFFLINE_SHOULD, f"{label}: unknown SHOULD id in {should}"
        assert all(p == "" or p.startswith("/") for _, p in must + should), label
        assert record["conforms"] is (not must), f"{label}: conforms must equal 'no MUST'"
        _line_text(record)


def test_date_time_fixture_is_well_formed() -> None:
    document = json.loads(DATE_TIMES.read_text(encoding="utf-8"))
    assert document["origin"].startswith("JSON-Schema-Test-Suite ")
    cases = document["cases"]
    assert cases and all(isinstance(c["data"], str) for c in cases)
    assert all(isinstance(c["valid"], bool) for c in cases)
    assert any(c["valid"] for c in cases) and not all(c["valid"] for c in cases)


# --------------------------------------------------------------------------- via the CLI

LABELLED_NAME = "labelled.jsonl"
DATE_TIME_NAME = "date_time.jsonl"
LabelledRun = tuple[int, dict[str, Any]]


@pytest.fixture(scope="module")
def labelled_run(tmp_path_factory: pytest.TempPathFactory) -> LabelledRun:
    """One ``validate --json`` run over the whole labelled corpus."""
    directory = tmp_path_factory.mktemp("labelled")
    return _validate(directory, LABELLED_NAME, [_line_text(r) for r in CORPUS])


@pytest.mark.slow
def test_labelled_envelope(labelled_run: LabelledRun) -> None:
    """Summary counts, result order, sources and exit status for the labelled corpus."""
    exit_code, document = labelled_run
    _check_envelope(document, exit_code, LABELLED_NAME, [r["conforms"] for r in CORPUS])


@pytest.mark.slow
@pytest.mark.parametrize(
    ("number", "record"),
    list(enumerate(CORPUS, 1)),
    ids=[r["label"] for r in CORPUS],
)
def test_labelled_payload(labelled_run: LabelledRun, number: int, record: dict[str, Any]) -> None:
    """One labelled line: its verdict and exactly its MUST and SHOULD violations."""
    label = record["label"]
    _, document = labelled_run
    results = document.get("results")
    assert isinstance(results, list) and len(results) >= number, (
        f"[{label}] no result for line {number} (see test_labelled_envelope)"
    )
    result = results[number - 1]
    assert result.get("source") == f"{LABELLED_NAME}:{number}", (
        f"[{label}] result {number} has source {result.get('source')!r}"
    )
    violations = result.get("violations")
    assert isinstance(violations, list), f"[{label}] violations: {violations!r}"
    want_must = {tuple(p) for p in record["must"]}
    want_should = {tuple(p) for p in record["should"]}
    got_must = _pairs(violations, "MUST")
    got_should = _pairs(violations, "SHOULD")
    problems = []
    if result.get("conforms") is not record["conforms"]:
        problems.append(f"conforms={result.get('conforms')!r}, expected {record['conforms']}")
    if got_must != want_must:
        problems.append(
            f"MUST missing {sorted(want_must - got_must)}, unexpected {sorted(got_must - want_must)}"
        )
    if got_should != want_should:
        problems.append(
            f"SHOULD missing {sorted(want_should - got_should)}, "
            f"unexpected {sorted(got_should - want_should)}"
        )
    assert not problems, f"[{label}] line {number}: " + "; ".join(problems)


def _date_time_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads(DATE_TIMES.read_text(encoding="utf-8"))["cases"]
    return cases


@pytest.mark.slow
def test_validate_date_time_cases(tmp_path: Path) -> None:
    """Each JSON-Schema-Test-Suite date-time string as ``created_at`` of the base payload."""
    cases = _date_time_cases()
    lines = []
    for case in cases:
        payload = copy.deepcopy(BASE_PAYLOAD)
        payload["created_at"] = case["data"]
        lines.append(json.dumps(payload))
    exit_code, document = _validate(tmp_path, DATE_TIME_NAME, lines)
    results = _check_envelope(document, exit_code, DATE_TIME_NAME, [c["valid"] for c in cases])

    flagged: Pair = ("run.created_at.rfc3339", "/created_at")
    failures: list[str] = []
    for case, result in zip(cases, results, strict=True):
        label = f"{case['description']} {case['data']!r}"
        got = _pairs(result["violations"], "MUST") | _pairs(result["violations"], "SHOULD")
        want = set() if case["valid"] else {flagged}
        if result["conforms"] is not case["valid"] or got != want:
            failures.append(
                f"[{label}] conforms={result['conforms']} (expected {case['valid']}), "
                f"MUST/SHOULD reported {sorted(got)}, expected {sorted(want)}"
            )
    assert not failures, f"{len(failures)} of {len(cases)} date-time cases:\n" + "\n".join(failures)
