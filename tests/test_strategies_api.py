"""The strategies package's public API: exports, argument checks, caching, the mutation
registry against the catalog, requests(), http_errors() and the schema compiler's subset."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drun_conformance import spec, strategies
from drun_conformance.oracle import Exchange, Oracle
from drun_conformance.oracle._answers import READ_BACK
from drun_conformance.strategies import (
    EDGE_CLASSES,
    MUTATION_OPERATORS,
    edge_runs,
    from_schema,
    http_errors,
    invalid_runs,
    requests,
    requirement_operators,
    runs,
)
from drun_conformance.strategies._contract import contract

ORACLE = Oracle.default()
OPENAPI = yaml.safe_load(spec.OPENAPI_PATH.read_text(encoding="utf-8"))
SMALL = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --- exports ----------------------------------------------------------------------------------


def test_the_issue_names_are_public() -> None:
    # tests/test_exports.py holds __all__ to exactly the public names
    issue_names = {"runs", "edge_runs", "invalid_runs", "requests", "http_errors", "from_schema"}
    assert issue_names <= set(strategies.__all__)


def test_every_private_module_declares_its_exports() -> None:
    for info in pkgutil.iter_modules(strategies.__path__):
        assert info.name.startswith("_"), f"strategies.{info.name} should be private"
        module = importlib.import_module(f"drun_conformance.strategies.{info.name}")
        assert isinstance(module.__all__, list), info.name
        assert all(hasattr(module, name) for name in module.__all__), info.name


@pytest.mark.parametrize(
    "name", ["runs", "edge_runs", "invalid_runs", "requests", "http_errors", "from_schema"]
)
def test_docstrings_say_what_then_show_then_shrink(name: str) -> None:
    doc = getattr(strategies, name).__doc__
    assert doc and ">>>" in doc, name
    assert "Shrinks" in doc.strip().split("\n\n")[-1], name


# --- arguments and caching ------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: runs(outcome="maybe"),
        lambda: runs(trigger="webhook"),
        lambda: runs(extra_fields=1),
        lambda: edge_runs(classes=["edge.nope"]),
        lambda: edge_runs(classes=[]),
        lambda: edge_runs(classes="edge.string.long"),
        lambda: invalid_runs(requirements=["run.deployment_id.echo"]),
        lambda: invalid_runs(operators=["explode"]),
        lambda: invalid_runs(requirements=["payload.json"], operators=["drop-required"]),
        lambda: http_errors(statuses=[418]),
        lambda: requests(deployment_ids=["depl_1"]),
        lambda: from_schema({"type": "object"}, extra_fields="yes"),
        lambda: from_schema({"type": "object"}, strings={"id": st.just("x")}),
        lambda: from_schema([1, 2]),
    ],
)
def test_bad_arguments_raise_invalid_argument(call: Any) -> None:
    with pytest.raises(InvalidArgument):
        call()


def test_strategies_are_compiled_once_and_cached() -> None:
    assert runs() is runs()
    assert runs(outcome="error") is runs(outcome="error")
    assert edge_runs() is edge_runs() and invalid_runs() is invalid_runs()
    assert requests() is requests() and http_errors() is http_errors()
    assert from_schema(spec.load_schema()) is from_schema(json.loads(json.dumps(spec.load_schema())))


def test_a_schema_changed_in_place_compiles_to_what_it_says_now() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "required": ["a"],
        "properties": {"a": {"const": 1}},
        "additionalProperties": False,
    }
    assert find(from_schema(schema), lambda _: True) == {"a": 1}
    schema["properties"]["a"]["const"] = 2  # the same object: the cache is keyed by its content
    assert find(from_schema(schema), lambda _: True) == {"a": 2}


@SMALL
@given(runs(outcome="error", trigger="schedule", extra_fields=False))
def test_runs_narrowed_by_outcome_and_trigger(payload: dict[str, Any]) -> None:
    assert payload["error"]["type"] in contract().error_types
    assert payload.get("session_id") is None
    assert payload["trigger_context"]["type"] == "schedule"
    properties = spec.load_schema()["properties"]
    assert set(payload) <= set(properties) and set(payload["agent"]) == {"id", "type", "version"}


# --- the mutation registry against the catalog --------------------------------------------------


def _payload_must() -> set[str]:
    """MUST requirements a payload alone can break: on the server's answer, not HTTP, and no
    exchange needed (the client requirements bind what an SDK does, not a payload)."""
    # echo, uniqueness and clock skew need the exchange; sameness, the record first answered
    needs_more = {c.requirement for c in ORACLE.checks if c.needs is not None} | {
        c.requirement for c in READ_BACK
    }
    return {
        r.id
        for r in spec.load_catalog().on("server")
        if r.level == "MUST"
        # the listing's requirements bind a walk of pages; the transport ones, how bytes arrived
        and r.area not in ("http", "listing", "transport")
        and r.id not in needs_more
    }


def test_every_payload_must_requirement_has_a_mutation_operator() -> None:
    """A new MUST requirement in the catalog without an operator fails here."""
    registry = requirement_operators()
    assert _payload_must() - set(registry) == set()
    assert set(registry) <= _payload_must()  # and no operator claims what a payload can't break
    assert all(registry[rid] for rid in registry)
    assert {op for ops in registry.values() for op in ops} == set(MUTATION_OPERATORS)


def test_edge_classes_include_every_edge_requirement_of_the_catalog() -> None:
    edge_ids = {r.id for r in spec.load_catalog() if r.level == "EDGE"}
    assert edge_ids <= set(EDGE_CLASSES)
    assert len(EDGE_CLASSES) == len(set(EDGE_CLASSES))


def test_edge_and_invalid_runs_unpack_as_pairs() -> None:
    @settings(max_examples=5, deadline=None)
    @given(edge_runs(), invalid_runs())
    def check(edge: Any, invalid: Any) -> None:
        payload, edge_class = edge
        assert (payload, edge_class) == (edge.payload, edge.edge_class)
        payload, requirement = invalid
        assert (payload, requirement) == (invalid.payload, invalid.requirement)

    check()


# --- requests() and http_errors() --------------------------------------------------------------


def test_the_betas_come_from_the_spec() -> None:
    items = OPENAPI["components"]["parameters"]["AnthropicBeta"]["schema"]["items"]["anyOf"]
    assert contract().betas == tuple(items[0]["enum"]) and len(contract().betas) == 60  # the SDKs' 60
    assert contract().required_beta in contract().betas


@SMALL
@given(requests())
def test_requests_have_a_path_that_decodes_to_the_id(request: Any) -> None:
    assert request.deployment_id and request.deployment_id not in (".", "..")
    prefix, suffix = "/v1/deployments/", "/run"
    assert request.path.startswith(prefix) and request.path.endswith(suffix)
    segment = request.path[len(prefix) : -len(suffix)]
    assert "/" not in segment and "?" not in segment and "#" not in segment and " " not in segment
    assert unquote(segment) == request.deployment_id
    assert request.betas is None or len(set(request.betas)) == len(request.betas)
    assert contract().required_beta in request.expected_betas
    assert request.workspace_id is None or request.workspace_id.startswith("wrkspc_")


def test_requests_cover_the_issue_id_kinds() -> None:
    kinds = {"ascii": str.isascii, "slash": lambda i: "/" in i, "long": lambda i: len(i) >= 1000}
    kinds.update({c: (lambda i, c=c: c in i) for c in "?#% "})
    kinds["non-ascii"] = lambda i: not i.isascii()
    seen: set[str] = set()
    betas: set[str] = set()

    @settings(max_examples=400, deadline=None, database=None, derandomize=True)
    @given(requests())
    def check(request: Any) -> None:
        seen.update(name for name, test in kinds.items() if test(request.deployment_id))
        betas.add("none" if request.betas is None else "empty" if not request.betas else "some")
        if request.betas and set(request.betas) - set(contract().betas):
            betas.add("unknown")

    check()
    assert seen == set(kinds) and betas == {"none", "empty", "some", "unknown"}


def test_requests_take_the_callers_deployment_ids() -> None:
    @settings(max_examples=20, deadline=None)
    @given(requests(deployment_ids=st.sampled_from(["depl_a", "depl_b"])))
    def check(request: Any) -> None:
        assert request.deployment_id in ("depl_a", "depl_b")

    check()


@SMALL
@given(http_errors())
def test_http_errors_are_the_apis_envelope(error: Any) -> None:
    assert contract().http_error_types[error.status] == error.error_type
    response = OPENAPI["paths"]["/v1/deployments/{deployment_id}/run"]["post"]["responses"][str(error.status)]
    response = OPENAPI["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]  # shared envelopes
    jsonschema.validate(json.loads(error.content), response["content"]["application/json"]["schema"])
    exchange = Exchange(
        method="POST",
        deployment_id="depl_1",
        request_headers={"x-api-key": "k", "anthropic-beta": contract().required_beta},
        status=error.status,
        response_headers=error.headers,
        body=error.content,
    )
    findings = ORACLE.judge_run_now(exchange, error.body).findings
    assert "http.error.envelope" not in {f.requirement for f in findings}
    assert ("http.request-id" in {f.requirement for f in findings}) is (error.request_id is None)


def test_http_errors_cover_every_status_with_and_without_headers() -> None:
    seen: set[tuple[int, bool, bool]] = set()

    @settings(max_examples=600, deadline=None, database=None, derandomize=True)
    @given(http_errors())
    def check(error: Any) -> None:
        seen.add((error.status, error.request_id is None, error.retry_after is None))

    check()
    assert {s for s, _, _ in seen} == set(contract().http_error_types)
    assert {(r, a) for _, r, a in seen} == {(True, True), (True, False), (False, True), (False, False)}


# --- the compiler's subset ---------------------------------------------------------------------

SUBSET_SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer", "minimum": 3, "exclusiveMaximum": 7},
    {"type": "number", "minimum": -1.5, "maximum": 2},
    {"type": ["string", "null"], "minLength": 2, "maxLength": 4},
    {"enum": ["a", "b", 3, None]},
    {"type": "object", "required": ["a"], "properties": {"a": {"const": 1}}, "additionalProperties": False},
    {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 3},
    {"anyOf": [{"type": "string"}, {"type": "integer", "maximum": 0}]},
    {"allOf": [{"type": ["integer", "string"]}, {"not": {"type": "string"}}, {"minimum": 5}]},
    {
        "$defs": {"A": {"type": "object", "required": ["k"], "properties": {"k": {"const": "a"}}}},
        "type": "object",
        "required": ["k"],
        "properties": {"k": {"enum": ["a", "b"]}},
        "oneOf": [{"$ref": "#/$defs/A"}, {"properties": {"k": {"const": "b"}}, "required": ["x"]}],
    },
]


@pytest.mark.parametrize("schema", SUBSET_SCHEMAS, ids=range(len(SUBSET_SCHEMAS)))
def test_the_compiler_generates_only_instances_of_the_schema(schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)

    @settings(max_examples=100, deadline=None)
    @given(from_schema(schema))
    def check(instance: Any) -> None:
        assert validator.is_valid(instance), instance

    check()


def test_the_compiled_spec_schema_is_what_runs_uses() -> None:
    validator = jsonschema.Draft202012Validator(spec.load_schema())

    @settings(max_examples=100, deadline=None)
    @given(from_schema(spec.load_schema()))
    def check(instance: Any) -> None:
        assert validator.is_valid(instance), instance

    check()


@pytest.mark.parametrize(
    ("schema", "words"),
    [
        ({"type": "string", "pattern": "^a"}, "pattern"),
        ({"oneOf": [{"type": "integer"}, {"minimum": 0}]}, "disjoint"),
        ({"$defs": {"T": {"properties": {"t": {"$ref": "#/$defs/T"}}}}, "$ref": "#/$defs/T"}, "recursive"),
        ({"$ref": "https://example.com/schema"}, "local"),
        ({"type": "string", "format": "email"}, "format"),
        ({"not": {"const": 1}}, "not"),
        ({"additionalProperties": {"type": "string"}}, "additionalProperties"),
    ],
)
def test_the_compiler_refuses_what_is_outside_its_subset(schema: dict[str, Any], words: str) -> None:
    with pytest.raises(InvalidArgument, match=words):
        from_schema(schema)
