"""The JSON Schema of `results.json`, shipped beside this module, and the loader that checks it.

The schema is generated from the pydantic model (`drun_conformance.results.RunResults`), so the
two cannot drift apart unnoticed: `scripts/build_results_schema.py` writes it and a test fails
when the shipped file differs from a fresh build. Its version is the model's
`RESULTS_SCHEMA_VERSION`; a reader refuses a file of another version instead of guessing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import orjson

from drun_conformance._errors import InputError
from drun_conformance._files import read_regular
from drun_conformance.oracle._body import lone_surrogates
from drun_conformance.results import RESULTS_SCHEMA_VERSION, RunResults

__all__ = ["RESULTS_SCHEMA_PATH", "build_results_schema", "load_results", "results_schema"]

RESULTS_SCHEMA_PATH = Path(__file__).resolve().parent / "results.schema.json"
_SCHEMA_ID = f"urn:drun-conformance:results:{RESULTS_SCHEMA_VERSION}"


def build_results_schema() -> str:
    """The schema as it should be shipped (sorted keys, a final newline): deterministic text."""
    schema: dict[str, Any] = RunResults.model_json_schema(mode="serialization")
    version = schema["properties"]["schema_version"]
    version.pop("default", None)
    version["const"] = RESULTS_SCHEMA_VERSION
    # A file without schema_version is not ours: required, even though the model defaults it.
    schema["required"] = sorted({*schema.get("required", []), "schema_version"})
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _SCHEMA_ID,
        **schema,
        "title": "drun-conformance results",
        "description": "results.json: one conformance run of Run Deployment Now, every target "
        f"and requirement (schema version {RESULTS_SCHEMA_VERSION}).",
    }
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def results_schema() -> dict[str, Any]:
    """The shipped schema, parsed."""
    schema: dict[str, Any] = json.loads(RESULTS_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def load_results(path: Path | str) -> RunResults:
    """Read and check a results.json; any problem is an InputError (exit 2) naming the file."""
    path = Path(path)
    try:
        text = read_regular(str(path)).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path} is not a drun-conformance results file (not UTF-8 text)") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from exc
    except (ValueError, RecursionError) as exc:  # a number too long to convert; nesting too deep
        reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
        raise InputError(f"{path} is not a drun-conformance results file: {reason}") from None
    return results_from_json(data, source=str(path))


def results_from_json(data: Any, *, source: str) -> RunResults:
    """`data` (parsed JSON) checked against the schema and turned into RunResults."""
    import jsonschema
    import pydantic

    if not isinstance(data, dict) or "schema_version" not in data or "targets" not in data:
        raise InputError(f"{source} is not a drun-conformance results file (no schema_version, targets)")
    if data["schema_version"] != RESULTS_SCHEMA_VERSION:
        raise InputError(
            f"{source} has results schema version {data['schema_version']!r}; "
            f"this drun-conformance reads version {RESULTS_SCHEMA_VERSION}"
        )
    validator = jsonschema.Draft202012Validator(
        results_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise InputError(f"{source} does not match the results schema at {where}: {error.message}")
    problem = _lone_surrogate(data) or _twice_named(data)  # what the schema cannot say
    if problem is not None:
        raise InputError(f"{source} is not valid results at {problem}")
    try:
        return RunResults.model_validate(data)
    except pydantic.ValidationError as exc:  # the schema should have caught it: say where anyway
        first = exc.errors()[0]
        where = "/" + "/".join(str(p) for p in first["loc"])
        raise InputError(f"{source} is not valid results at {where}: {first['msg']}") from exc


def _lone_surrogate(data: Any) -> str | None:
    """Where a string holds a lone surrogate (JSON's `"\\ud800"`): no UTF-8 text holds one, so
    no report could be written from it."""
    try:
        orjson.dumps(data)  # fast, and refuses one; the walk below only says where (or sees none)
        return None
    except orjson.JSONEncodeError:  # a lone surrogate, or what orjson alone refuses: an int past 64 bits
        pass
    for where, _, in_name in lone_surrogates(data):
        held = "member name" if in_name else "string"
        return f"{where or '/'}: a lone surrogate in a {held} (not Unicode text)"
    return None


def _twice_named(data: dict[str, Any]) -> str | None:
    """Where a target id, or a requirement id within a target, is given twice: one run checks
    each target once, each requirement once (as `report merge` holds across files)."""
    targets: set[str] = set()
    for index, target in enumerate(data["targets"]):
        if target["id"] in targets:
            return f"/targets/{index}/id: target {target['id']!r} is given twice"
        targets.add(target["id"])
        requirements: set[str] = set()
        for number, requirement in enumerate(target["requirements"]):
            if requirement["id"] in requirements:
                return f"/targets/{index}/requirements/{number}/id: {requirement['id']!r} is given twice"
            requirements.add(requirement["id"])
    return None
