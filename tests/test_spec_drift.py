"""`spec drift`: each kind of difference between an SDK's facts and the contract's is caught alone,
an identical model reports nothing, expectations decide the exit status, and the fixture SDKs'
injected faults (a 32-bit version, a missing `?`, a new beta) show up with their files."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drun_conformance import spec
from drun_conformance._errors import InputError
from drun_conformance.cli import main
from drun_conformance.contract._contract_facts import contract_facts
from drun_conformance.contract._drift import compare_facts, load_drift_expectations
from drun_conformance.contract._sdk_facts import Fact

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sdks"
AGENT_KT = "com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt"
CONTRACT = contract_facts(spec.SPEC_DIR)
Facts = tuple[Fact, ...]


def changed(key: tuple[str, str], **detail: Any) -> Callable[[Facts], Facts]:
    return lambda facts: tuple(
        Fact(f.kind, f.name, f.file, {**f.detail, **detail}) if f.key == key else f for f in facts
    )


def without(key: tuple[str, str]) -> Callable[[Facts], Facts]:
    return lambda facts: tuple(f for f in facts if f.key != key)


def plus(*added: Fact) -> Callable[[Facts], Facts]:
    return lambda facts: (*facts, *added)


def field(name: str, kind: str = "string", required: bool = True) -> Fact:
    return Fact("field", name, "sdk.file", {"type": kind, "required": required, "nullable": False})


def values(key: tuple[str, str], change: Callable[[list[str]], list[str]]) -> Callable[[Facts], Facts]:
    before = next(f for f in CONTRACT if f.key == key).detail["values"]
    return changed(key, values=change(list(before)))


LIST = "GET /v1/deployment_runs"
CANCEL = "POST /v1/deployment_runs/{deployment_run_id}/cancel"  # an operation no SDK has (yet)
# One injected difference each, and the one id that must be reported for it.
INJECTED: list[tuple[str, Callable[[Facts], Facts], str]] = [
    ("a 32-bit version", changed(("field", "agent.version"), type="int32"), "agent.version: type"),
    ("a double version", changed(("field", "agent.version"), type="number"), "agent.version: type"),
    ("a key left optional", changed(("field", "session_id"), required=False), "session_id: required"),
    ("a value never null", changed(("field", "error"), nullable=False), "error: nullable"),
    ("a field of its own", plus(field("agent.name")), "agent.name: only-in-sdk"),
    ("a field missing", without(("field", "deployment_id")), "deployment_id: only-in-contract"),
    (
        "a new beta",
        values(("enum", "anthropic-beta"), lambda v: [*v, "fixture-beta-2099-01-01"]),
        "anthropic-beta: values-only-in-sdk",
    ),
    (
        "an error type fewer",
        values(("enum", "api-error.type"), lambda v: [t for t in v if t != "request_too_large"]),
        "api-error.type: values-only-in-contract",
    ),
    (
        "a new run error type, with its fields",
        lambda f: plus(field("error[quota_error].message"))(
            values(("enum", "error.type"), lambda v: [*v, "quota_error"])(f)
        ),
        "error.type: values-only-in-sdk",
    ),
    (
        "a model of its own, with its fields",
        plus(Fact("model", "thread", "t.py"), field("thread.id"), field("thread.title")),
        "model thread: only-in-sdk",
    ),
    (
        "an operation of its own, with its parameters",
        plus(
            Fact("operation", CANCEL, "r.py", {"sdk_method": "cancel"}),
            Fact("parameter", f"{CANCEL}?reason", "r.py", {"in": "query", "type": "string", "doc": ""}),
        ),
        f"{CANCEL}: only-in-sdk",
    ),
    (
        "a header of its own",
        plus(Fact("header", "anthropic-organization-id", "r.py", {"value": None})),
        "header anthropic-organization-id: only-in-sdk",
    ),
    (
        "a parameter missing",
        without(("parameter", f"{LIST}?has_error")),
        f"{LIST}?has_error: only-in-contract",
    ),
    (
        "another value of a header",
        changed(("header", "anthropic-beta"), value="managed-agents-2099-01-01"),
        "header anthropic-beta: value",
    ),
]


def test_an_identical_model_reports_nothing() -> None:
    assert compare_facts(CONTRACT, CONTRACT) == []


@pytest.mark.parametrize(("fault", "inject", "expected"), INJECTED, ids=[i[0] for i in INJECTED])
def test_each_kind_of_difference_is_caught_alone(
    fault: str, inject: Callable[[Facts], Facts], expected: str
) -> None:
    assert [d.id for d in compare_facts(inject(CONTRACT), CONTRACT)] == [expected]


@pytest.mark.parametrize(
    "inject",
    [
        changed(("field", "agent.version"), type="integer"),  # Python's int holds any integer
        changed(("field", "created_at"), type="string"),  # a timestamp kept as its text
        changed(("field", "session_id"), required=None, nullable=None),  # the language does not say
    ],
)
def test_what_a_language_cannot_say_or_holds_anyway_is_no_difference(
    inject: Callable[[Facts], Facts],
) -> None:
    assert compare_facts(inject(CONTRACT), CONTRACT) == []


def test_a_parameter_sent_elsewhere_is_a_difference() -> None:
    moved = changed(("parameter", f"{LIST}?limit"), **{"in": "header"})(CONTRACT)
    (difference,) = compare_facts(moved, CONTRACT)
    assert difference.id == f"{LIST}?limit: location"
    assert difference.line == f"{LIST}?limit: in the header in spec/openapi.yaml, contract in the query"


@pytest.mark.parametrize(
    ("language", "faults"),
    [
        (
            "java",
            {"agent.version: type": f"int32 in {AGENT_KT}"},
        ),
        (
            "go",
            {
                "agent.version: type": "int32 in betaagent.go",
                "session_id: required": "optional key (nullable) in",
            },
        ),
        (
            "typescript",
            {"session_id: required": "optional key (nullable) in resources/beta/deployment-runs.d.ts"},
        ),
        ("python", {"error: required": "optional key (nullable) in anthropic/types/beta/"}),
    ],
)
def test_the_fixture_sdks_injected_faults_show_with_their_files(
    language: str, faults: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["spec", "drift", "--sdk", f"{language}@{FIXTURES / language}", "--json"]) == 1
    (report,) = json.loads(capsys.readouterr().out)["sdks"]
    lines = {d["id"]: d["line"] for d in report["differences"]}
    for difference, words in faults.items():
        assert words in lines[difference], lines.get(difference)
    assert "fixture-beta-2099-01-01" in lines["anthropic-beta: values-only-in-sdk"]
    assert "error.type: values-only-in-contract" in lines  # 2 run error types of 16
    assert not any("[agent_archived_error]" in d for d in lines)  # a variant both have: fields agree


def test_the_drift_table_and_its_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "drift", "--sdk", f"java@{FIXTURES / 'java'}"]) == 1
    table = capsys.readouterr().out
    assert table.startswith(f"java java@{FIXTURES / 'java'} (com.anthropic:anthropic-java-core): ")
    assert f"  known  agent.version: int32 in {AGENT_KT}, contract int64\n" in table
    assert "  NEW    error.type: 14 values (" in table  # the fixture has 2 of the 16 run error types
    assert main(["spec", "drift", "--sdk", f"java@{FIXTURES / 'java'}", "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == 1 and document["unexpected"] == document["sdks"][0]["unexpected"] > 0
    assert document["contract"] == [
        "spec/deployment_run.schema.json",
        "spec/openapi.yaml",
        "spec/requirements.json",
    ]
    (report,) = document["sdks"]
    assert set(report) == {
        "sdk", "package", "release", "version", "given", "expectations", "unexpected", "differences", "stale"
    }  # fmt: skip
    version = next(d for d in report["differences"] if d["id"] == "agent.version: type")
    assert version["sdk"] == "int32" and version["contract"] == "int64" and version["expected"]
    assert report["release"] == "local" and report["expectations"] == "expectations/java.yaml"
    assert report["version"] is None  # a folder of sources, no jar named with its release


@pytest.mark.parametrize(
    ("language", "declares", "declared"),
    [
        ("python", "anthropic/_version.py", '__version__ = "{}"  # x-release-please-version\n'),
        ("typescript", "package.json", '{{"name": "@anthropic-ai/sdk", "version": "{}"}}\n'),
        ("go", "internal/version.go", 'package internal\n\nconst PackageVersion = "{}"\n'),
    ],
)
def test_a_local_build_is_held_to_the_entries_of_the_release_it_declares(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    language: str,
    declares: str,
    declared: str,
) -> None:
    from drun_conformance.client import _sdks

    build = tmp_path / "build"
    shutil.copytree(FIXTURES / language, build)
    sdk = f"{language}@{build}"
    assert main(["spec", "drift", "--sdk", sdk, "--json"]) == 1
    ids = [d["id"] for d in json.loads(capsys.readouterr().out)["sdks"][0]["differences"]]
    folder = tmp_path / "expectations"
    folder.mkdir()
    entries = [{"difference": i, "reason": "known in 2.10.0", "versions": ["2.10.0"]} for i in ids]
    (folder / f"{language}.yaml").write_text(json.dumps({"sdk": language, "drift": entries}))
    monkeypatch.setattr(_sdks, "EXPECTATIONS_DIR", folder)
    (build / declares).parent.mkdir(parents=True, exist_ok=True)
    (build / declares).write_text(declared.format("2.10.0"))
    assert main(["spec", "drift", "--sdk", sdk]) == 0  # a patched 2.10.0: its entries apply
    assert f" 2.10.0): {len(ids)} differences from the contract, {len(ids)} known" in capsys.readouterr().out
    (build / declares).write_text(declared.format("2.11.0"))
    assert main(["spec", "drift", "--sdk", sdk, "--json"]) == 1  # a candidate for 2.11.0: they do not
    (report,) = json.loads(capsys.readouterr().out)["sdks"]
    assert report["version"] == "2.11.0" and report["release"] == "local" and report["unexpected"] == len(ids)


def test_listing_every_difference_passes_and_a_listed_one_not_shown_is_pointed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from drun_conformance.client import _sdks

    sdk = f"go@{FIXTURES / 'go'}"
    assert main(["spec", "drift", "--sdk", sdk, "--json"]) == 1
    ids = [d["id"] for d in json.loads(capsys.readouterr().out)["sdks"][0]["differences"]]
    entries = [{"difference": i, "reason": "known in the fixture"} for i in ids]
    entries.append({"difference": "agent.id: type", "reason": "not shown by the fixture"})
    folder = tmp_path / "expectations"
    folder.mkdir()
    (folder / "go.yaml").write_text(json.dumps({"sdk": "go", "drift": entries}))
    monkeypatch.setattr(_sdks, "EXPECTATIONS_DIR", folder)
    assert main(["spec", "drift", "--sdk", sdk]) == 0
    out = capsys.readouterr().out
    assert f", {len(ids)} known (expectations/go.yaml), 0 new" in out
    assert "note: expectations/go.yaml lists 'agent.id: type', which this release does not show" in out
    (folder / "go.yaml").write_text(json.dumps({"drift": entries[1:]}))
    assert main(["spec", "drift", "--sdk", sdk]) == 1
    assert f"  NEW    {ids[0].partition(':')[0]}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("drift: {difference: x}", "drift must be a list"),
        ("drift: [{reason: why}]", "needs a difference"),
        ("drift: [{difference: 'agent.version: wider', reason: why}]", "is not `<subject>: <aspect>`"),
        ("drift: [{difference: 'agent.version: type'}]", "needs a reason"),
        (
            "drift: [{difference: 'agent.version: type', reason: why, versions: 1.0}]",
            "versions must be a list",
        ),
        ("drift: [", "cannot read the expectations file"),
    ],
)
def test_a_bad_drift_list_is_an_input_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "java.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=words):
        load_drift_expectations(path, version="3.17.0")


def test_versions_limit_an_entry_and_a_local_build_takes_only_the_unversioned(tmp_path: Path) -> None:
    path = tmp_path / "go.yaml"
    path.write_text(
        "drift:\n"
        "  - {difference: 'agent.version: type', reason: old, versions: ['2.0.0']}\n"
        "  - {difference: 'error: required', reason: always}\n"
    )
    assert set(load_drift_expectations(path, version="v2.0.0").known) == {
        "agent.version: type",
        "error: required",
    }
    assert set(load_drift_expectations(path, version="v2.1.0").known) == {"error: required"}
    assert set(load_drift_expectations(path, version=None).known) == {"error: required"}


def test_the_shipped_expectations_files_have_a_valid_drift_list() -> None:
    from drun_conformance.client._sdks import SDKS

    for sdk in SDKS.values():
        assert load_drift_expectations(sdk.expectations, version=None).known, sdk.name


def test_sources_refresh_writes_the_same_bytes_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["spec", "sources", "refresh", "--out", str(tmp_path)]
    argv += [arg for language in ("python", "go") for arg in ("--sdk", f"{language}@{FIXTURES / language}")]
    assert main(argv) == 0
    written = {p.name: p.read_bytes() for p in (tmp_path / "source" / "sdks").iterdir()}
    assert set(written) == {"python-local.json", "go-local.json"}
    assert main(argv) == 0
    assert written == {p.name: p.read_bytes() for p in (tmp_path / "source" / "sdks").iterdir()}
    assert "wrote " in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["spec", "drift"], "spec drift needs --sdk"),
        (["spec", "drift", "page.md", "--sdk", "go"], "spec drift takes no PAGE"),
        (["spec", "sources"], "spec sources takes one action"),
        (["spec", "sources", "pull"], "spec sources takes one action"),
        (["spec", "sources", "refresh", "--json"], "--json is for spec drift"),
        (["spec", "build", "--sdk", "go"], "spec build takes no --sdk"),
        (["spec", "drift", "--sdk", "go", "--sdk", "go@2.18.0"], "the same SDK release is named twice"),
        (["spec", "drift", "--sdk", "python@"], "name a release or a path after @"),
        (["spec", "drift", "--sdk", f"python@{FIXTURES / 'go'}"], "not a package of anthropic"),
    ],
)
def test_bad_input_exits_2_before_anything_is_fetched(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert words in capsys.readouterr().err


def test_a_package_of_a_layout_no_extractor_knows_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    package = tmp_path / "typescript"
    shutil.copytree(FIXTURES / "typescript", package)
    declarations = package / "resources" / "beta" / "deployments.d.ts"
    declarations.write_text(
        declarations.read_text().replace("APIPromise<DeploymentRunsAPI.", "Promise<Nowhere.")
    )
    assert main(["spec", "drift", "--sdk", f"typescript@{package}"]) == 2
    err = capsys.readouterr().err
    assert "Nowhere is not imported in resources/beta/deployments.d.ts" in err and "Traceback" not in err


def test_sources_refresh_outside_a_checkout_needs_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["spec", "sources", "refresh", "--sdk", f"go@{FIXTURES / 'go'}"]) == 2
    assert "spec sources refresh: not inside a drun-conformance checkout" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
