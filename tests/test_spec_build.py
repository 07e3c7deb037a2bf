"""spec/ is built from the reference page: reproducibly, from its structure, with clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from drun_conformance import PageError, build_spec, check_spec, diff_pages, parse_page, spec
from drun_conformance._errors import InputError
from drun_conformance.contract._json_schema import build_schema
from drun_conformance.contract._render import SPEC_FILES
from drun_conformance.contract._sources import SpecSources

from .conftest import run_cli

PAGE = spec.SOURCE_PAGE_PATH.read_text(encoding="utf-8")


def _source_with(tmp_path: Path, page_text: str) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    (source / "run-deployment-now.md").write_text(page_text, encoding="utf-8")
    for folder in ("rules", "sdks"):
        shutil.copytree(spec.SPEC_DIR / "source" / folder, source / folder)
    return source


def test_committed_spec_matches_a_fresh_build() -> None:
    assert check_spec(spec.SPEC_DIR) == []


def test_build_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    build_spec(spec.SPEC_DIR / "source", tmp_path / "a")
    build_spec(spec.SPEC_DIR / "source", tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(SPEC_FILES)
    for name in SPEC_FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_spec_check_fails_when_a_built_file_is_edited(tmp_path: Path) -> None:
    copy = tmp_path / "spec"
    build_spec(spec.SPEC_DIR / "source", copy)
    shutil.copytree(spec.SPEC_DIR / "source", copy / "source")
    schema = json.loads((copy / "deployment_run.schema.json").read_text())
    schema["required"].remove("id")
    (copy / "deployment_run.schema.json").write_text(json.dumps(schema))
    assert check_spec(copy) == ["deployment_run.schema.json"]


def test_schema_is_valid_2020_12_with_the_contracts_shape() -> None:
    schema = spec.load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["required"] == [
        "id", "agent", "created_at", "deployment_id", "error", "session_id", "trigger_context", "type"
    ]  # fmt: skip
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
    statuses = {"400", "401", "402", "403", "404", "413", "429", "500", "504", "529"}
    assert set(operation["responses"]) == {"200", *statuses}
    beta = doc["components"]["parameters"]["AnthropicBeta"]
    assert len(beta["schema"]["items"]["anyOf"][0]["enum"]) == 60  # the page's 28, then the SDKs'
    assert beta["schema"]["items"]["anyOf"][1] == {"type": "string", "pattern": "^[a-z0-9-]+$"}  # open
    assert beta["schema"]["contains"] == {"const": "managed-agents-2026-04-01"}
    assert operation["responses"]["404"] == {"$ref": "#/components/responses/NotFoundError"}
    not_found = doc["components"]["responses"]["NotFoundError"]["content"]["application/json"]["schema"]
    assert not_found["properties"]["error"]["properties"]["type"] == {"const": "not_found_error"}
    billing = doc["components"]["responses"]["BillingError"]["content"]["application/json"]["schema"]
    assert billing["properties"]["error"]["properties"]["type"] == {"const": "billing_error"}
    assert set(doc["components"]["securitySchemes"]) == {"ApiKeyAuth", "BearerAuth"}


def test_openapi_describes_the_whole_family() -> None:
    doc = yaml.safe_load(spec.OPENAPI_PATH.read_text())
    parameters = doc["components"]["parameters"]
    retrieve = doc["paths"]["/v1/deployment_runs/{deployment_run_id}"]["get"]
    listing = doc["paths"]["/v1/deployment_runs"]["get"]
    assert retrieve["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DeploymentRun"
    }
    names = {parameters[p["$ref"].rpartition("/")[2]]["name"] for p in listing["parameters"]}
    assert names == {
        "created_at[gt]", "created_at[gte]", "created_at[lt]", "created_at[lte]", "deployment_id",
        "has_error", "limit", "page", "trigger_type", "anthropic-beta", "anthropic-version",
        "anthropic-workspace-id",
    }  # fmt: skip
    assert parameters["ListLimit"]["schema"] == {
        "type": "integer",
        "minimum": 0,
        "default": 20,
        "maximum": 1000,
    }
    assert parameters["AnthropicWorkspaceId"]["required"] is False
    page = doc["components"]["schemas"]["DeploymentRunListPage"]
    assert page["required"] == ["data", "next_page"]
    assert page["properties"]["next_page"] == {"type": ["string", "null"]}
    assert set(doc["webhooks"]) == {
        "deployment_run.started",
        "deployment_run.succeeded",
        "deployment_run.failed",
    }
    jsonschema.Draft202012Validator.check_schema(spec.load_webhook_schema())


def test_where_the_sources_differ_the_catalog_says_what_the_contract_takes_and_why() -> None:
    catalog = spec.load_requirements()
    decisions = {(d["subject"], d["aspect"]): d for d in catalog["decisions"]}
    version = decisions[("agent.version", "type")]
    assert version["contract"] == "int64" and version["why"].startswith("The page's type stands")
    assert {(s["sdk"], s["says"]) for s in version["sdks"]} == {
        ("java", "int32"),
        ("typescript", "number (a double: integers exact only to 2^53)"),
    }
    for key in ("session_id", "error"):
        decision = decisions[(key, "required")]
        assert decision["page"] == "optional key (nullable)"
        assert decision["contract"] == "required key (nullable)"
        assert {s["sdk"] for s in decision["sdks"]} == {"typescript", "java", "go"}
        requirement = next(r for r in catalog["requirements"] if r["id"] == f"run.{key}.required")
        assert requirement["level"] == "MUST" and requirement["source"]["line"]
        assert {s["sdk"] for s in requirement["source"]["sdks"]} == {"typescript", "java", "go"}
    assert [s["file"] for s in catalog["sdk_sources"]] == [
        f"spec/source/sdks/{n}"
        for n in ("go-2.18.0.json", "java-3.17.0.json", "python-2.17.0.json", "typescript-1.17.0.json")
    ]


def test_every_fact_from_the_sdks_names_each_release_and_file() -> None:
    catalog = spec.load_requirements()
    facts = {entry["fact"]: entry for entry in catalog["sdk_facts"]}
    betas = facts["enum anthropic-beta"]
    assert len(betas["values"]) == 32 and "webhooks-2026-10-07" in betas["values"]
    assert {s["sdk"]: s["file"] for s in betas["sdks"]}["python"] == "anthropic/types/anthropic_beta_param.py"
    assert {"billing_error", "timeout_error"} <= set(facts["enum api-error.type"]["values"])
    for name in (
        "operation GET /v1/deployment_runs",
        "parameter GET /v1/deployment_runs?limit",
        "model webhook",
    ):
        assert {s["sdk"] for s in facts[name]["sdks"]} == {"python", "typescript", "java", "go"}, name
    unknown = next(r for r in catalog["requirements"] if r["id"] == "listing.unknown-deployment.empty")
    assert unknown["source"]["page"] == "spec/source/sdks" and len(unknown["source"]["sdks"]) == 4
    hooks = [r for r in catalog["requirements"] if r["side"] == "webhook"]
    assert len(hooks) == 17 and all(r["source"]["sdks"] for r in hooks)


def test_without_the_sdk_facts_the_build_says_how_to_get_them(tmp_path: Path) -> None:
    source = _source_with(tmp_path, PAGE)
    shutil.rmtree(source / "sdks")
    with pytest.raises(InputError, match="spec sources refresh"):
        build_spec(source, tmp_path / "out")


def test_an_sdk_fact_a_rule_names_must_say_its_words(tmp_path: Path) -> None:
    source = _source_with(tmp_path, PAGE)
    rules = source / "rules" / "30-listing.yaml"
    rules.write_text(rules.read_text().replace("returns 200 with empty data.", "returns 404."))
    with pytest.raises(InputError, match="no SDK documents the parameter"):
        build_spec(source, tmp_path / "out")


def test_catalog_entries_name_their_line_on_the_page() -> None:
    lines = PAGE.splitlines()
    catalog = spec.load_requirements()
    for entry in catalog["requirements"]:
        assert entry["level"] in {"MUST", "SHOULD", "EDGE"}
        assert entry["side"] in {"server", "client-request", "client-parse", "webhook"}
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
def test_spec_diff_of_two_contracts_names_each_change_and_its_source(tmp_path: Path) -> None:
    old = tmp_path / "old"
    build_spec(spec.SPEC_DIR / "source", old)
    source = _source_with(tmp_path, PAGE)
    (source / "sdks" / "python-2.17.0.json").unlink()
    listing = source / "rules" / "30-listing.yaml"
    listing.write_text(listing.read_text().replace("answers 200 with no runs.", "lists no run."))
    build_spec(source, tmp_path / "new")
    result = run_cli("spec", "diff", str(old), str(tmp_path / "new"))
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode()
    assert "~ requirement listing.unknown-deployment.empty: MUST 'A listing" in out
    assert "python 2.17.0" not in out.partition("~ requirement listing.unknown")[2].splitlines()[1]
    assert "webhook" not in out  # the three other SDKs still model the events alike
    same = run_cli("spec", "diff", str(old), str(old))
    assert same.returncode == 0 and b"no change to the contract" in same.stdout
    mixed = run_cli("spec", "diff", str(old), str(tmp_path / "old" / "requirements.json"))
    assert mixed.returncode == 2 and b"not one of each" in mixed.stderr


def test_the_contract_diff_says_where_each_addition_comes_from(tmp_path: Path) -> None:
    from drun_conformance.contract._contract_diff import diff_contracts

    old = tmp_path / "old"
    build_spec(spec.SPEC_DIR / "source", old)
    catalog = json.loads((old / "requirements.json").read_text())
    catalog["requirements"] = [r for r in catalog["requirements"] if r["id"] != "listing.limit.default"]
    (old / "requirements.json").write_text(json.dumps(catalog))
    schema = json.loads((old / "deployment_run.schema.json").read_text())
    schema["required"].remove("error")
    (old / "deployment_run.schema.json").write_text(json.dumps(schema))
    lines = diff_contracts(old, spec.SPEC_DIR)
    added = lines.index(
        next(line for line in lines if line.startswith("+ requirement listing.limit.default"))
    )
    assert lines[added + 1].startswith("    from: go v2.18.0 betadeploymentrun.go; java 3.17.0 ")
    changed = lines.index("~ error: required: optional key (nullable) -> required key (nullable)")
    assert lines[changed + 1].startswith("    from: decision: A key is required when")


@pytest.mark.slow
def test_spec_check_command_passes_on_the_shipped_spec() -> None:
    result = run_cli("spec", "check")
    assert result.returncode == 0, result.stdout + result.stderr
