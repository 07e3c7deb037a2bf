"""spec/ is built from the reference page: reproducibly, from its structure, with clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from drun_conformance import PageError, build_spec, check_spec, diff_pages, parse_page, spec
from drun_conformance.contract._json_schema import build_schema
from drun_conformance.contract._sources import SpecSources

from .conftest import run_cli

PAGE = spec.SOURCE_PAGE_PATH.read_text(encoding="utf-8")


def _source_with(tmp_path: Path, page_text: str) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "run-deployment-now.md").write_text(page_text, encoding="utf-8")
    shutil.copytree(spec.SPEC_DIR / "source" / "rules", source / "rules")
    return source


def test_committed_spec_matches_a_fresh_build() -> None:
    assert check_spec(spec.SPEC_DIR) == []


def test_build_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    build_spec(spec.SPEC_DIR / "source", tmp_path / "a")
    build_spec(spec.SPEC_DIR / "source", tmp_path / "b")
    for name in ("deployment_run.schema.json", "openapi.yaml", "requirements.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_spec_check_fails_when_a_built_file_is_edited(tmp_path: Path) -> None:
    copy = tmp_path / "spec"
    build_spec(spec.SPEC_DIR / "source", copy)
    (copy / "source").mkdir()
    (copy / "source" / "run-deployment-now.md").write_bytes(spec.SOURCE_PAGE_PATH.read_bytes())
    shutil.copytree(spec.SPEC_DIR / "source" / "rules", copy / "source" / "rules")
    schema = json.loads((copy / "deployment_run.schema.json").read_text())
    schema["required"].remove("id")
    (copy / "deployment_run.schema.json").write_text(json.dumps(schema))
    assert check_spec(copy) == ["deployment_run.schema.json"]


def test_schema_is_valid_2020_12_with_the_contracts_shape() -> None:
    schema = spec.load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["id", "agent", "created_at", "deployment_id", "trigger_context", "type"]
    assert schema["properties"]["type"] == {"const": "deployment_run"}
    version = schema["$defs"]["BetaManagedAgentsAgentReference"]["properties"]["version"]
    assert (version["minimum"], version["maximum"]) == (-(2**63), 2**63 - 1)
    assert len(schema["$defs"]["Error"]["properties"]["type"]["enum"]) == 16
    assert schema["$defs"]["BetaManagedAgentsTriggerContext"]["properties"]["type"]["enum"] == [
        "schedule",
        "manual",
    ]
    assert schema["properties"]["session_id"]["type"] == ["string", "null"]
    assert "additionalProperties" not in json.dumps(schema)  # open to fields the API adds
    assert len(schema["oneOf"]) == 2  # exactly one of session_id and error


def test_openapi_describes_the_operation_and_its_errors() -> None:
    doc = yaml.safe_load(spec.OPENAPI_PATH.read_text())
    assert doc["openapi"] == "3.1.0"
    operation = doc["paths"]["/v1/deployments/{deployment_id}/run"]["post"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404", "413", "429", "500", "529"}
    beta = doc["components"]["parameters"]["AnthropicBeta"]
    assert len(beta["schema"]["items"]["anyOf"][0]["enum"]) == 28
    assert beta["schema"]["contains"] == {"const": "managed-agents-2026-04-01"}
    not_found = operation["responses"]["404"]["content"]["application/json"]["schema"]
    assert not_found["properties"]["error"]["properties"]["type"] == {"const": "not_found_error"}
    assert set(doc["components"]["securitySchemes"]) == {"ApiKeyAuth", "BearerAuth"}


def test_catalog_entries_name_their_line_on_the_page() -> None:
    lines = PAGE.splitlines()
    catalog = spec.load_requirements()
    for entry in catalog["requirements"]:
        assert entry["level"] in {"MUST", "SHOULD", "EDGE"}
        assert entry["side"] in {"server", "client-request", "client-parse"}
        line = entry["source"].get("line")
        if line is not None:
            assert 1 <= line <= len(lines), entry["id"]
    version = next(e for e in catalog["requirements"] if e["id"] == "run.agent.version.int64")
    assert lines[version["source"]["line"] - 1].strip() == "- `long version`"


def test_the_pages_own_example_breaks_exactly_one() -> None:
    findings = spec.load_requirements()["example"]["findings"]
    assert {"requirement": "run.outcome.exactly-one", "level": "MUST", "pointer": ""} in [
        {k: f[k] for k in ("requirement", "level", "pointer")} for f in findings
    ]


@pytest.mark.slow
def test_spec_build_reports_the_example_finding(tmp_path: Path) -> None:
    result = run_cli("spec", "build", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert b"MUST run.outcome.exactly-one" in result.stdout


def test_the_builder_reads_structure_not_knowledge(tmp_path: Path) -> None:
    """A new error class and a new field on the page reach the schema and the catalog."""
    new_error = PAGE.replace(
        "    - `class BetaManagedAgentsMcpEgressBlockedRunError:`",
        "    - `class BetaManagedAgentsQuotaRunError:`\n\n      Quota.\n\n"
        '      - `String message`\n\n      - `Type type`\n\n        - `QUOTA_ERROR("quota_error")`\n\n'
        "    - `class BetaManagedAgentsMcpEgressBlockedRunError:`",
    ).replace(
        "  - `Optional<String> sessionId`",
        "  - `Optional<long> retryCount`\n\n  - `Optional<String> sessionId`",
    )
    page = parse_page(new_error)
    schema = build_schema(page)
    assert "quota_error" in schema["$defs"]["Error"]["properties"]["type"]["enum"]
    assert schema["properties"]["retry_count"]["type"] == ["integer", "null"]
    source = _source_with(tmp_path, new_error)
    catalog = json.loads(
        __import__("drun_conformance.contract._render", fromlist=["render_spec"]).render_spec(
            SpecSources.read(source), []
        )["requirements.json"]
    )
    ids = {e["id"] for e in catalog["requirements"]}
    assert "run.retry_count.int64" in ids


@pytest.mark.slow
@pytest.mark.parametrize(
    ("damage", "line", "words"),
    [
        (lambda p: p.replace("  - `String id`", "  - `String`", 1), 81, "expected a field"),
        (
            lambda p: p.replace('      - `AGENT("agent")`', "      - `AGENT(agent)`"),
            93,
            'expected `NAME("wire")`',
        ),
        (lambda p: p.replace("### Returns", "### Gone"), None, "no `### Returns` section"),
        (lambda p: p.replace('  "id": "id",', '  "id": id,'), 358, "not JSON"),
        (lambda p: p.replace("    - `long version`", "     - `long version`"), 95, "two spaces"),
    ],
)
def test_a_page_it_cannot_read_names_the_line(damage, line, words, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = damage(PAGE)
    with pytest.raises(PageError) as caught:
        parse_page(broken)
    assert caught.value.line == line
    assert words in str(caught.value)
    result = run_cli(
        "spec", "build", "--source", str(_source_with(tmp_path, broken)), "--out", str(tmp_path / "o")
    )
    assert result.returncode == 2
    assert (f"line {line}:" if line else words).encode() in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.slow
def test_spec_diff_names_what_changed(tmp_path: Path) -> None:
    new = PAGE.replace('    - `FALLBACK_CREDIT_2026_06_01("fallback-credit-2026-06-01")`\n', "").replace(
        '        - `UNKNOWN_ERROR("unknown_error")`', '        - `UNKNOWN_ERROR("unknown_run_error")`'
    )
    changes = diff_pages(PAGE, new)
    assert "- beta: fallback-credit-2026-06-01" in changes
    assert "- variant: error: unknown_error" in changes
    assert "+ variant: error: unknown_run_error" in changes
    (tmp_path / "old.md").write_text(PAGE)
    (tmp_path / "new.md").write_text(new)
    result = run_cli("spec", "diff", str(tmp_path / "old.md"), str(tmp_path / "new.md"))
    assert result.returncode == 1
    assert b"- beta: fallback-credit-2026-06-01" in result.stdout
    same = run_cli("spec", "diff", str(tmp_path / "old.md"), str(tmp_path / "old.md"))
    assert same.returncode == 0
    missing = run_cli("spec", "diff", str(tmp_path / "old.md"), str(tmp_path / "absent.md"))
    assert missing.returncode == 2 and b"cannot read" in missing.stderr


@pytest.mark.slow
def test_spec_check_command_passes_on_the_shipped_spec() -> None:
    result = run_cli("spec", "check")
    assert result.returncode == 0, result.stdout + result.stderr
