"""The input readers, fuzzed: whatever bytes or structure they are given, each returns a value
or raises InputError (exit 2 with a message), never anything else.

Targets and example counts (bounded: every target is a few hundred examples at most):
    scenario files       load_scenario: 150 byte strings (.json), 150 (.yaml); parse_scenario:
                         150 mutated shipped scenarios, 100 arbitrary structures
    expectations files   load_expectations: 150 byte strings, 150 mutated valid files
    harness messages     read_answer: 200 byte strings, 200 mutated valid answers (start and run)
    results.json         report diff: 100 byte strings, 60 mutated valid results files
"""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drun_conformance import spec
from drun_conformance._errors import InputError
from drun_conformance.cli import main
from drun_conformance.client._expectations import Expectations, load_expectations
from drun_conformance.client._harness import HarnessFault, read_answer
from drun_conformance.client._protocol import response_problem
from drun_conformance.reports import write_reports
from drun_conformance.reports._schema import load_results
from drun_conformance.results import RunResults
from drun_conformance.server.reference._scenario import Scenario, load_scenario, parse_scenario
from tests._report_data import four_targets


def _fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


DEEP = [b"[" * 5000, b"{" * 5000, b'{"a":' * 5000, b"- " * 3000 + b"x", b"9" * 5000, b"\xff\xfe{}"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON-like value that a mutation can hit."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@st.composite
def mutated(draw: st.DrawFn, valid: Any) -> Any:
    """`valid` with one to three places replaced by any JSON value, or removed."""
    document = json.loads(json.dumps(valid))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        if not path:
            document = draw(json_values)
            continue
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        if draw(st.booleans()):
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent.pop(path[-1])
    return document


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# --- scenario files ----------------------------------------------------------------------

SHIPPED_SCENARIO = yaml.safe_load(
    (files("drun_conformance.server.reference") / "default_scenario.yaml").read_text(encoding="utf-8")
)


def _scenario_or_input_error(path: Path) -> None:
    try:
        assert isinstance(load_scenario(path), Scenario)
    except InputError as exc:
        assert str(path) in str(exc)


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_scenario_file_of_any_bytes_loads_or_is_an_input_error(suffix: str, workdir: Path) -> None:
    @_fuzz(150)
    @given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    @example(b"at: 2026-13-45")  # a date YAML cannot make
    @example(b"api_keys: !!python/object:os.system x")
    def check(data: bytes) -> None:
        path = workdir / f"scenario{suffix}"
        path.write_bytes(data)
        _scenario_or_input_error(path)

    for data in DEEP:
        (workdir / f"deep{suffix}").write_bytes(data)
        _scenario_or_input_error(workdir / f"deep{suffix}")
    check()


@_fuzz(150)
@given(mutated(SHIPPED_SCENARIO))
def test_a_mutated_scenario_parses_or_names_the_problem(data: Any) -> None:
    try:
        assert isinstance(parse_scenario(data, source="fuzzed"), Scenario)
    except InputError as exc:
        assert str(exc).startswith("fuzzed")


@_fuzz(100)
@given(json_values)
def test_any_structure_as_a_scenario_parses_or_names_the_problem(data: Any) -> None:
    try:
        parse_scenario(data, source="fuzzed")
    except InputError as exc:
        assert str(exc).startswith("fuzzed")


# --- expectations files ------------------------------------------------------------------

CATALOG = spec.load_catalog()
VALID_EXPECTATIONS = {
    "sdk": "python",
    "failures": [
        {"requirement": CATALOG.requirements[0].id, "reason": "a known bug", "versions": ["1.0.0", 2]}
    ],
}


def _expectations_or_input_error(path: Path) -> None:
    try:
        assert isinstance(load_expectations(path, version="1.0.0", catalog=CATALOG), Expectations)
    except InputError as exc:
        assert str(path) in str(exc)


def test_an_expectations_file_of_any_bytes_loads_or_is_an_input_error(workdir: Path) -> None:
    @_fuzz(150)
    @given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    def check(data: bytes) -> None:
        (workdir / "exp.yaml").write_bytes(data)
        _expectations_or_input_error(workdir / "exp.yaml")

    for data in DEEP:
        (workdir / "exp-deep.yaml").write_bytes(data)
        _expectations_or_input_error(workdir / "exp-deep.yaml")
    check()


def test_a_mutated_expectations_file_loads_or_is_an_input_error(workdir: Path) -> None:
    @_fuzz(150)
    @given(mutated(VALID_EXPECTATIONS))
    def check(data: Any) -> None:
        (workdir / "exp.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
        _expectations_or_input_error(workdir / "exp.yaml")

    check()


# --- harness messages --------------------------------------------------------------------

VALID_ANSWERS = {
    "start": {"ok": True, "implementation": {"name": "anthropic", "version": "2.10.0", "language": "python"}},
    "run": {"seq": 7, "outcome": "ok", "run": {"id": "drun_1", "agent": {"version": 3}}},
}


def _answer_or_fault(name: Any, line: bytes) -> None:
    answer = read_answer(name, line)
    if isinstance(answer, HarnessFault):
        assert answer.kind == "garbage" and answer.message
    else:
        assert response_problem(name, answer) is None


@_fuzz(200)
@given(st.sampled_from(["start", "run"]), st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example("run", b"NaN\n")
@example("run", b'{"seq": Infinity}\n')
def test_a_harness_line_of_any_bytes_is_an_answer_or_a_fault(name: str, line: bytes) -> None:
    _answer_or_fault(name, line)


def test_a_deeply_nested_harness_line_is_a_fault() -> None:
    for data in DEEP:
        for name in VALID_ANSWERS:
            _answer_or_fault(name, data)
            _answer_or_fault(name, b'{"seq": 1, "outcome": "ok", "run": ' + data + b"}")


@_fuzz(200)
@given(st.sampled_from(["start", "run"]).flatmap(lambda n: st.tuples(st.just(n), mutated(VALID_ANSWERS[n]))))
def test_a_mutated_harness_answer_is_an_answer_or_a_fault(named: tuple[str, Any]) -> None:
    name, message = named
    _answer_or_fault(name, json.dumps(message).encode() + b"\n")


# --- results.json for report diff --------------------------------------------------------


@pytest.fixture(scope="module")
def good_results(workdir: Path) -> Path:
    write_reports(four_targets(), workdir / "good")
    return workdir / "good" / "results.json"


def _diff_exits_0_1_or_2(old: Path, new: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["report", "diff", str(old), str(new)])  # any exception fails the test
    _, err = capsys.readouterr()
    assert status in (0, 1, 2)
    if status == 2:
        assert err.startswith("drun-conformance: ") and str(old) in err
    else:
        assert isinstance(load_results(old), RunResults)


def test_a_results_file_of_any_bytes_is_diffed_or_refused(
    workdir: Path, good_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    @_fuzz(100)
    @given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
    def check(data: bytes) -> None:
        (workdir / "fuzzed.json").write_bytes(data)
        _diff_exits_0_1_or_2(workdir / "fuzzed.json", good_results, capsys)

    for data in DEEP:
        (workdir / "deep.json").write_bytes(data)
        _diff_exits_0_1_or_2(workdir / "deep.json", good_results, capsys)
    check()


def test_a_mutated_results_file_is_diffed_or_refused(
    workdir: Path, good_results: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    valid = json.loads(good_results.read_text(encoding="utf-8"))

    @_fuzz(60)
    @given(mutated(valid))
    def check(data: Any) -> None:
        (workdir / "mutated.json").write_text(json.dumps(data), encoding="utf-8")
        _diff_exits_0_1_or_2(workdir / "mutated.json", good_results, capsys)

    check()
