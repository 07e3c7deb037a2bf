"""The SDK extractors on tiny fake packages (tests/fixtures/sdks/): each reads its language's model
into the same facts, with the file each fact comes from, offline and in milliseconds."""

from __future__ import annotations

import json
import shutil
import signal
from pathlib import Path
from typing import Any

import pytest

from drun_conformance._errors import InputError
from drun_conformance.contract._sdk_facts import Fact, FactSheet
from drun_conformance.contract._sdk_sources import EXTRACTORS, NEWEST

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "sdks"
REPO = Path(__file__).resolve().parents[1]
LANGUAGES = ("python", "typescript", "java", "go")

# What every fixture says alike: the family's operations, headers, enumerations and the webhook
# narrowed to the deployment_run events (the fixtures' agent.created event is left out).
COMMON: dict[tuple[str, str], dict[str, Any]] = {
    ("operation", "POST /v1/deployments/{deployment_id}/run"): {},
    ("operation", "GET /v1/deployment_runs/{deployment_run_id}"): {},
    ("operation", "GET /v1/deployment_runs"): {},
    ("header", "anthropic-version"): {"value": "2026-10-21"},
    ("header", "anthropic-beta"): {"value": "managed-agents-2026-04-01"},
    ("header", "anthropic-workspace-id"): {"value": None},
    ("enum", "anthropic-beta"): {
        "values": ["files-api-2025-04-14", "managed-agents-2026-04-01", "fixture-beta-2099-01-01"]
    },
    ("enum", "api-error.type"): {"values": ["not_found_error", "billing_error"]},
    ("enum", "error.type"): {"values": ["unknown_error", "agent_archived_error"]},
    ("enum", "trigger_context.type"): {"values": ["schedule", "manual"]},
    ("enum", "type"): {"values": ["deployment_run"]},
    ("enum", "webhook.data.type"): {"values": ["deployment_run.started"]},
    ("enum", "GET /v1/deployment_runs?trigger_type"): {"values": ["schedule", "manual"]},
    ("field", "webhook.data[deployment_run.started].organization_id"): {"type": "string", "required": True},
    ("field", "trigger_context[schedule].scheduled_at"): {"required": True},
    ("field", "page.next_page"): {"type": "string", "nullable": True},
    ("parameter", "GET /v1/deployment_runs?created_at[gt]"): {"in": "query"},
}
# What each fixture says on its own, with the file that says it.
OWN: dict[str, dict[tuple[str, str], dict[str, Any]]] = {
    "python": {
        ("field", "agent.version"): {
            "type": "integer",
            "file": "anthropic/types/beta/beta_managed_agents_agent_reference.py",
        },
        ("field", "session_id"): {"required": True, "nullable": True},  # Optional[str], no default
        ("field", "error"): {"type": "union", "required": False, "nullable": True},
        ("field", "created_at"): {"type": "date-time"},
        ("parameter", "GET /v1/deployment_runs?limit"): {
            "type": "integer",
            "doc": "Maximum results per page. Default 20, maximum 1000.",
        },
    },
    "typescript": {
        ("field", "agent.version"): {"type": "number", "file": "resources/beta/agents/agents.d.ts"},
        ("field", "error"): {"required": True, "nullable": True},  # no `?`
        ("field", "session_id"): {"required": False, "nullable": True},
        ("field", "created_at"): {"type": "string"},
        ("parameter", "GET /v1/deployment_runs?limit"): {
            "type": "number",
            "doc": "Number of items per page.",
            "file": "core/pagination.d.ts",
        },
    },
    "java": {
        ("field", "agent.version"): {
            "type": "int32",
            "file": "com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt",
        },
        ("field", "error"): {"type": "union", "required": True, "nullable": True},  # checkRequired
        ("field", "session_id"): {"required": False, "nullable": True},
        ("field", "type"): {"type": "const", "required": None},  # a builder default
        ("parameter", "GET /v1/deployment_runs?limit"): {
            "type": "int32",
            "doc": "Maximum results per page. Default 20, maximum 1000.",
        },
    },
    "go": {
        ("field", "agent.version"): {"type": "int32", "file": "betaagent.go"},
        ("field", "error"): {"required": True, "nullable": None},  # api:"required" says nothing of null
        ("field", "session_id"): {"required": False, "nullable": True},  # api:"nullable"
        ("field", "page.data"): {"required": False},
        ("parameter", "GET /v1/deployment_runs?limit"): {
            "type": "int64",
            "doc": "Maximum results per page. Default 20, maximum 1000.",
        },
    },
}


def facts_of(language: str) -> dict[tuple[str, str], Fact]:
    return {f.key: f for f in EXTRACTORS[language](FIXTURES / language).facts()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_extractor_reads_its_fixture_fact_by_fact(language: str) -> None:
    facts = facts_of(language)
    for key, expected in {**COMMON, **OWN[language]}.items():
        assert key in facts, key
        got = facts[key].to_json()
        assert {k: got[k] for k in expected} == expected, key
    run_fields = {n for k, n in facts if k == "field" and "." not in n and "[" not in n}
    assert run_fields == {
        "id",
        "agent",
        "created_at",
        "deployment_id",
        "error",
        "session_id",
        "trigger_context",
        "type",
    }
    assert not any("agent.created" in n for _, n in facts)  # events of other families left out
    for fact in facts.values():  # every fact names a file of the package
        assert (FIXTURES / language / fact.file).is_file(), fact


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_extractor_reads_each_error_variant_and_trigger_through_its_file(language: str) -> None:
    facts = facts_of(language)
    for variant in ("unknown_error", "agent_archived_error"):
        assert facts[("field", f"error[{variant}].message")].detail["type"] == "string"
    assert ("field", "trigger_context[manual].type") in facts


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_folder_that_is_no_package_is_an_input_error(language: str, tmp_path: Path) -> None:
    with pytest.raises(InputError):
        EXTRACTORS[language](tmp_path)


def test_a_fact_sheet_is_byte_reproducible_and_reads_back(tmp_path: Path) -> None:
    facts = EXTRACTORS["java"](FIXTURES / "java").facts()
    sheet = FactSheet("java", "com.anthropic:anthropic-java-core", "0.0.1", facts)
    again = FactSheet("java", "com.anthropic:anthropic-java-core", "0.0.1", tuple(reversed(facts)))
    assert sheet.render() == again.render()
    (tmp_path / sheet.file_name).write_bytes(sheet.render())
    read = FactSheet.read(tmp_path / sheet.file_name)
    assert read.render() == sheet.render() and read.release == "0.0.1"
    assert all(line.startswith("  {") for line in sheet.render().decode().splitlines()[2:-2])


def test_the_committed_facts_are_the_four_newest_releases_in_canonical_form() -> None:
    folder = REPO / "spec" / "source" / "sdks"
    names = sorted(p.name for p in folder.glob("*.json"))
    assert names == sorted(f"{sdk}-{release.removeprefix('v')}.json" for sdk, release in NEWEST.items())
    for path in folder.glob("*.json"):
        sheet = FactSheet.read(path)
        assert sheet.render() == path.read_bytes(), path  # as `spec sources refresh` writes it
        betas = next(f for f in sheet.facts if f.key == ("enum", "anthropic-beta"))
        assert len(betas.detail["values"]) == 60, path
        assert {f.name for f in sheet.facts if f.kind == "operation"} == {
            "POST /v1/deployments/{deployment_id}/run",
            "GET /v1/deployment_runs/{deployment_run_id}",
            "GET /v1/deployment_runs",
        }


def test_an_unreadable_fact_sheet_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "python-1.json"
    path.write_text(json.dumps({"format": 1, "sdk": "python"}))
    with pytest.raises(InputError, match="cannot read the SDK facts"):
        FactSheet.read(path)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_truncated_file_is_read_or_refused_never_a_crash(language: str, tmp_path: Path) -> None:
    """A package cut short anywhere (a bad download, an unforeseen layout) is an input error at
    worst: no other exception, no endless scan of a comment or string that never closes."""
    files = sorted(p for p in (FIXTURES / language).rglob("*") if p.is_file())
    previous = signal.signal(signal.SIGALRM, _endless)
    signal.alarm(60)  # far beyond the second it takes: only a scan that never advances reaches it
    try:
        _read_each_truncation(language, files, tmp_path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _endless(*_: object) -> None:
    raise AssertionError("an extractor scanned for a minute: a loop that does not advance")


def _read_each_truncation(language: str, files: list[Path], tmp_path: Path) -> None:
    from drun_conformance.contract._sdk_sources import parse_sdk_source, read_sheet

    for number, original in enumerate(files):
        for cut in (0.3, 0.6, 0.9):
            package = tmp_path / f"{number}-{cut}"
            shutil.copytree(FIXTURES / language, package)
            copy = package / original.relative_to(FIXTURES / language)
            text = original.read_text()
            copy.write_text(text[: int(len(text) * cut)])
            try:
                read_sheet(parse_sdk_source(f"{language}@{package}"), tmp_path / "cache")
            except InputError:
                pass
