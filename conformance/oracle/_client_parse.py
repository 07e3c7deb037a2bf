"""Checks of an SDK call, part two: how faithfully it read back the run it was served.

The answer is compared with the body served in meaning (`differences`: timestamps as
instants, integers exactly), over the fields the page defines, an absent optional field
counting as null and unknown fields ignored. Each difference is charged to the one
requirement its pointer belongs to; a difference at a value an EDGE label marked (a leap
second, a long string...) is that EDGE requirement's alone (`judge_edge`), so a rare input
never gates.

Valid runs are split so that a refusal is charged to what the payload has: an unknown error
type (client.parse.unknown-error-type), else unknown fields (client.parse.unknown-fields),
else nothing unusual (client.parse.ok).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._case import Case, Finding, show
from ._client import CLIENT, call_of, one
from ._meaning import differences, known_part

__all__ = ["EDGE_EXCUSES", "judge_edge"]

check = CLIENT.register

# An EDGE class whose mishandling is reported at EDGE only. The unknown error type is not
# here: tolerating it is a MUST for clients (client.parse.unknown-error-type).
EDGE_EXCUSES = frozenset(
    {
        "edge.timestamp.leap-second",
        "edge.timestamp.sub-microsecond",
        "edge.timestamp.lowercase",
        "edge.timestamp.unknown-offset",
        "edge.string.long",
        "edge.string.non-ascii",
        "edge.variant.unknown-trigger-type",
    }
)
_VARIANT_OBJECTS = ("/error", "/trigger_context")


# --- the answer to a run ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Comparison:
    """A served run against the harness's answer, worked out once per case."""

    outcome: str
    answer_run: Any  # the `run` of an ok answer, else None
    charged: dict[str, list[str]]  # requirement id -> differing pointers charged to it
    edge_pointers: dict[str, list[str]]  # EDGE requirement -> the pointers it excuses
    unknown_error: bool
    unknown_fields: bool


def _served_run(case: Case) -> dict[str, Any] | None:
    call = call_of(case)
    if not 200 <= call.status < 300 or not isinstance(case.run, dict) or call.answer is None:
        return None
    return None if not call.requests else case.run


def _comparison(case: Case) -> _Comparison | None:
    served = _served_run(case)
    if served is None:
        return None
    cached: _Comparison | None = case.cache.get("client_comparison")
    if cached is not None:
        return cached
    call = call_of(case)
    known = case.facts.known_paths
    edges: dict[str, list[str]] = case.cache.get("edge_labels", {})
    excused = [
        (rid, _excused_pointer(p)) for rid, pointers in edges.items() if rid in EDGE_EXCUSES for p in pointers
    ]
    outcome = call.outcome or ""
    answer_run = call.answer.get("run") if call.answer is not None and outcome == "ok" else None
    charged: dict[str, list[str]] = {}
    edge_pointers: dict[str, list[str]] = {}
    unknown_error = _unknown_tag(case, served, "error")
    if outcome == "ok":
        expected, actual = known_part(served, known), known_part(answer_run, known)
        pointers = sorted(differences(expected, actual, timestamps=case.facts.timestamp_paths))
        for pointer in pointers:
            excusing = [rid for rid, where in excused if _under(pointer, where)]
            if excusing:
                for rid in excusing:
                    edge_pointers.setdefault(rid, []).append(pointer)
                continue
            rid = _charge(pointer, pointers, unknown_error)
            charged.setdefault(rid, []).append(pointer)
    comparison = _Comparison(
        outcome=outcome,
        answer_run=answer_run,
        charged=charged,
        edge_pointers=edge_pointers,
        unknown_error=unknown_error,
        unknown_fields=_has_unknown_fields(case, served, known),
    )
    case.cache["client_comparison"] = comparison
    return comparison


def _excused_pointer(pointer: str) -> str:
    # An unknown variant is the whole object, not its tag alone: the SDK may hold it otherwise.
    return pointer.removesuffix("/type") if pointer in ("/trigger_context/type",) else pointer


def _under(pointer: str, where: str) -> bool:
    return pointer == where or pointer.startswith(where + "/") or where == ""


def _unknown_tag(case: Case, served: dict[str, Any], member: str) -> bool:
    node = served.get(member)
    tag = node.get("type") if isinstance(node, dict) else None
    return isinstance(tag, str) and tag not in case.facts.variants.get((member, "type"), ())


def _has_unknown_fields(case: Case, served: dict[str, Any], known: frozenset[tuple[str, ...]]) -> bool:
    def walk(node: Any, path: tuple[str, ...]) -> bool:
        if not isinstance(node, dict):
            return False
        if len(path) == 1 and _unknown_tag(case, served, path[0]):
            return False  # an unknown variant brings fields of its own: they are the variant's
        return any((*path, key) not in known or walk(value, (*path, key)) for key, value in node.items())

    return walk(served, ())


def _charge(pointer: str, all_pointers: list[str], unknown_error: bool) -> str:
    """The requirement a differing pointer belongs to."""
    if pointer == "/error" or pointer.startswith("/error/"):
        return "client.parse.unknown-error-type" if unknown_error else "client.parse.error"
    if pointer.startswith("/trigger_context") and (
        "/trigger_context/type" in all_pointers or "/trigger_context" in all_pointers
    ):
        return "client.parse.trigger"  # the variant was misread: its fields follow it
    if pointer in ("/created_at", "/trigger_context/scheduled_at"):
        return "client.parse.timestamp"
    if pointer.startswith("/trigger_context"):
        return "client.parse.trigger"
    if pointer == "/agent/version":
        return "client.parse.int64"
    if pointer == "/session_id":
        return "client.parse.session-id"
    return "client.parse.fields"


def _value_at(node: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node.get(key, None) if isinstance(node, dict) else None
    return node


def _difference_findings(case: Case, comparison: _Comparison, requirement: str) -> list[Finding]:
    served = case.run
    return [
        Finding(
            requirement,
            "MUST",
            pointer,
            f"Received: {show(_value_at(comparison.answer_run, pointer))} / "
            f"Expected: {show(_value_at(served, pointer))}",
        )
        for pointer in comparison.charged.get(requirement, [])
    ]


def _refusal(case: Case, requirement: str, comparison: _Comparison) -> list[Finding]:
    answer = call_of(case).answer or {}
    said = answer.get("message") or answer.get("error_type") or ""
    detail = f": {show(said, 100)}" if said else ""
    return one(requirement, f"Received: {comparison.outcome}{detail} / Expected: ok, the run parsed")


def _accepts(case: Case, requirement: str, *, applies: bool) -> list[Finding] | None:
    comparison = _comparison(case)
    if comparison is None or not applies or _edge_excused(case):
        return None
    if comparison.outcome != "ok":
        return _refusal(case, requirement, comparison)
    return _difference_findings(case, comparison, requirement)


def _edge_excused(case: Case) -> bool:
    """The payload has a value of an EDGE class: its refusal is reported at EDGE only."""
    return any(rid in EDGE_EXCUSES for rid in case.cache.get("edge_labels", {}))


@check("client.parse.ok")
def check_valid_run_returned(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    plain = comparison is not None and not comparison.unknown_error and not comparison.unknown_fields
    return _accepts(case, "client.parse.ok", applies=plain)


@check("client.parse.unknown-fields")
def check_unknown_fields_tolerated(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    applies = comparison is not None and comparison.unknown_fields and not comparison.unknown_error
    return _accepts(case, "client.parse.unknown-fields", applies=applies)


@check("client.parse.unknown-error-type")
def check_unknown_error_type_tolerated(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    return _accepts(
        case, "client.parse.unknown-error-type", applies=comparison is not None and comparison.unknown_error
    )


def _read_back(case: Case, requirement: str, *, applies: bool = True) -> list[Finding] | None:
    comparison = _comparison(case)
    if comparison is None or comparison.outcome != "ok" or not applies:
        return None
    return _difference_findings(case, comparison, requirement)


@check("client.parse.fields")
def check_fields(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.fields")


@check("client.parse.int64")
def check_int64(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.int64")


@check("client.parse.timestamp")
def check_timestamps(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.timestamp")


@check("client.parse.session-id")
def check_session_id(case: Case) -> list[Finding] | None:
    return _read_back(case, "client.parse.session-id")


@check("client.parse.error")
def check_run_error(case: Case) -> list[Finding] | None:
    comparison = _comparison(case)
    return _read_back(
        case, "client.parse.error", applies=comparison is not None and not comparison.unknown_error
    )


@check("client.parse.trigger")
def check_trigger(case: Case) -> list[Finding] | None:
    served = _served_run(case)
    known = served is not None and not _unknown_tag(case, served, "trigger_context")
    return _read_back(case, "client.parse.trigger", applies=known)


@check("client.parse.variant-class")
def check_variant_class(case: Case) -> list[Finding] | None:
    comparison, served = _comparison(case), _served_run(case)
    answer = call_of(case).answer or {}
    variants = answer.get("variants")
    if comparison is None or served is None or comparison.outcome != "ok" or not isinstance(variants, dict):
        return None
    findings, exercised = [], False
    for pointer in _VARIANT_OBJECTS:
        member = pointer[1:]
        node = served.get(member)
        if not isinstance(node, dict) or pointer not in variants:
            continue
        exercised = True
        tag = node.get("type")
        expected = None if _unknown_tag(case, served, member) else tag
        held = variants[pointer]
        if held != expected:
            wanted = f"the {expected} variant" if expected else "no known variant (a generic one)"
            findings.append(
                Finding(
                    "client.parse.variant-class",
                    "SHOULD",
                    pointer,
                    f"Received: type {show(tag)} held as the {show(held)} variant / Expected: {wanted}",
                )
            )
    return findings if exercised else None


# --- EDGE classes, in a client evaluation -----------------------------------------------------


def judge_edge(case: Case, requirement: str, labels: list[Finding]) -> list[Finding] | None:
    """An EDGE label on the served run, judged by the SDK's answer: None when the call did not
    get to the parse (no run served, no answer), [] when the SDK kept the value, else findings."""
    comparison = _comparison(case)
    if comparison is None or not labels:
        return None
    if comparison.outcome != "ok":
        answer = call_of(case).answer or {}
        said = f": {show(answer.get('message'), 100)}" if answer.get("message") else ""
        return [
            Finding(
                requirement,
                "EDGE",
                label.pointer,
                f"{label.message}; the SDK answered {comparison.outcome}{said}",
            )
            for label in labels[:1]
        ]
    if requirement == "edge.variant.unknown-error-type":
        pointers = comparison.charged.get("client.parse.unknown-error-type", [])
    else:
        pointers = comparison.edge_pointers.get(requirement, [])
    return [
        Finding(
            requirement,
            "EDGE",
            pointer,
            f"Received: {show(_value_at(comparison.answer_run, pointer))}"
            f" / Expected: {show(_value_at(case.run, pointer))}",
        )
        for pointer in pointers
    ]
