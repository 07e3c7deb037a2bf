"""Checks of an SDK call's parse: how faithfully it read back the run it was served.

The answer is compared with the body served in meaning (`differences`: timestamps as
instants, integers exactly), over the fields the page defines, an absent optional field
counting as null and unknown fields ignored. Each difference is charged to the one
part of the run its pointer belongs to (the fields, int64, a timestamp...), each part the one
requirement that checks it; a difference at a value an EDGE label marked (a leap second, a long
string...) is that EDGE requirement's alone (`judge_edge`), so a rare input never gates.

Valid runs are split so that a refusal is charged to what the payload has: an unknown error
type (client.parse.unknown-error-type), else unknown fields (client.parse.unknown-fields),
else nothing unusual (client.parse.ok). Of an unknown error, what a typed harness could not
read (its `types` say "<unreadable>") is client.parse.unknown-variant-readable's; what it read
otherwise than served, client.parse.unknown-error-type's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ._call import ClientCase
from ._case import Found, show
from ._meaning import differences, known_part
from ._registry import Registry

__all__ = ["EDGE_EXCUSES", "PARSE", "UNREADABLE", "judge_edge", "served_run"]

PARSE = Registry[ClientCase]()
check = PARSE.register
# The part of a run a differing pointer belongs to: each is checked by one requirement.
Part = Literal[
    "fields", "int64", "timestamp", "session-id", "error", "unknown-error-type", "unknown-variant", "trigger"
]
UNREADABLE = "<unreadable>"  # a harness's type for a value whose accessor threw
UNDEFINED = "undefined"  # a TypeScript harness's type for a value the SDK holds as undefined

# An EDGE class whose mishandling is reported at EDGE only. The unknown error type is not
# here: tolerating it is a MUST for clients (client.parse.unknown-error-type).
EDGE_EXCUSES = frozenset(
    {
        "edge.timestamp.leap-second",
        "edge.timestamp.sub-microsecond",
        "edge.timestamp.lowercase",
        "edge.timestamp.unknown-offset",
        "edge.timestamp.offset-beyond-18h",
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
    charged: dict[Part, list[str]]  # the part of the run -> its differing pointers
    edge_pointers: dict[str, list[str]]  # EDGE requirement -> the pointers it excuses
    unknown_error: bool
    unknown_fields: bool


def served_run(case: ClientCase) -> dict[str, Any] | None:
    call = case.call
    if not 200 <= call.status < 300 or not isinstance(call.served, dict) or call.answer is None:
        return None
    return None if not call.requests else call.served


def _comparison(case: ClientCase) -> _Comparison | None:
    served = served_run(case)
    if served is None:
        return None
    cached: _Comparison | None = case.cache.get("client_comparison")
    if cached is not None:
        return cached
    call = case.call
    known = case.facts.known_paths
    excused = [
        (rid, _excused_pointer(p))
        for rid, pointers in case.edge_labels.items()
        if rid in EDGE_EXCUSES
        for p in pointers
    ]
    outcome = call.outcome or ""
    answer_run = call.answer.get("run") if call.answer is not None and outcome == "ok" else None
    charged: dict[Part, list[str]] = {}
    edge_pointers: dict[str, list[str]] = {}
    unknown_error = _unknown_tag(case, served, "error")
    if outcome == "ok":
        expected, actual = known_part(served, known), known_part(answer_run, known)
        compared = differences(expected, actual, timestamps=case.facts.timestamp_paths)
        pointers = sorted({*compared, *_null_held_undefined(call.answer, served)})
        unreadable = _held_as(call.answer, UNREADABLE)
        for pointer in pointers:
            excusing = [rid for rid, where in excused if _under(pointer, where)]
            if excusing:
                for rid in excusing:
                    edge_pointers.setdefault(rid, []).append(pointer)
                continue
            part = _charge(pointer, pointers, unknown_error)
            if part == "unknown-error-type" and any(_under(pointer, where) for where in unreadable):
                part = "unknown-variant"
            charged.setdefault(part, []).append(pointer)
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


def _null_held_undefined(answer: Any, served: dict[str, Any]) -> list[str]:
    """The pointers served as JSON null that a typed harness says the SDK holds as `undefined`
    (TypeScript: its declarations say `| null`, and its users test `=== null`)."""
    return [pointer for pointer in _held_as(answer, UNDEFINED) if _served_null(served, pointer)]


def _served_null(served: Any, pointer: str) -> bool:
    *parents, name = [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]] or [""]
    holder = _value_at(served, "".join("/" + p for p in parents)) if parents else served
    return isinstance(holder, dict) and name in holder and holder[name] is None


def _held_as(answer: Any, name: str) -> list[str]:
    """The pointers whose type a typed harness reports as `name` (none when it reports no types):
    UNREADABLE, a value it could not read; UNDEFINED, one TypeScript holds as undefined."""
    types = answer.get("types") if isinstance(answer, dict) else None
    return [pointer for pointer, held in types.items() if held == name] if isinstance(types, dict) else []


def _excused_pointer(pointer: str) -> str:
    # An unknown variant is the whole object, not its tag alone: the SDK may hold it otherwise.
    return pointer.removesuffix("/type") if pointer in ("/trigger_context/type",) else pointer


def _under(pointer: str, where: str) -> bool:
    return pointer == where or pointer.startswith(where + "/") or where == ""


def _unknown_tag(case: ClientCase, served: dict[str, Any], member: str) -> bool:
    """Whether `member` is a union (error, trigger_context) whose served tag is none of its variants:
    `agent` has a `type` too, but no variants to be unknown among."""
    node = served.get(member)
    tag = node.get("type") if isinstance(node, dict) else None
    variants = case.facts.variants.get((member, "type"), ())
    return bool(variants) and isinstance(tag, str) and tag not in variants


def _has_unknown_fields(case: ClientCase, served: dict[str, Any], known: frozenset[tuple[str, ...]]) -> bool:
    def walk(node: Any, path: tuple[str, ...]) -> bool:
        if not isinstance(node, dict):
            return False
        if len(path) == 1 and _unknown_tag(case, served, path[0]):
            return False  # an unknown variant brings fields of its own: they are the variant's
        return any((*path, key) not in known or walk(value, (*path, key)) for key, value in node.items())

    return walk(served, ())


def _charge(pointer: str, all_pointers: list[str], unknown_error: bool) -> Part:
    """The part of the run a differing pointer belongs to."""
    if pointer == "/error" or pointer.startswith("/error/"):
        return "unknown-error-type" if unknown_error else "error"
    if pointer.startswith("/trigger_context") and (
        "/trigger_context/type" in all_pointers or "/trigger_context" in all_pointers
    ):
        return "trigger"  # the variant was misread: its fields follow it
    if pointer in ("/created_at", "/trigger_context/scheduled_at"):
        return "timestamp"
    if pointer.startswith("/trigger_context"):
        return "trigger"
    if pointer == "/agent/version":
        return "int64"
    if pointer == "/session_id":
        return "session-id"
    return "fields"


def _value_at(node: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:] if pointer else []:
        key = part.replace("~1", "/").replace("~0", "~")
        node = node.get(key, None) if isinstance(node, dict) else None
    return node


def _difference_findings(case: ClientCase, comparison: _Comparison, part: Part) -> list[Found]:
    served = case.call.served
    undefined = set(_held_as(case.call.answer, UNDEFINED))

    def received(pointer: str) -> str:
        return UNDEFINED if pointer in undefined else show(_value_at(comparison.answer_run, pointer))

    return [
        (pointer, f"Received: {received(pointer)} / Expected: {show(_value_at(served, pointer))}")
        for pointer in comparison.charged.get(part, [])
    ]


def _refusal(case: ClientCase, comparison: _Comparison) -> list[Found]:
    answer = case.call.answer or {}
    said = answer.get("message") or answer.get("error_type") or ""
    detail = f": {show(said, 100)}" if said else ""
    return [("", f"Received: {comparison.outcome}{detail} / Expected: ok, the run parsed")]


def _accepts(case: ClientCase, part: Part | None, *, applies: bool) -> list[Found] | None:
    """A run of this kind was returned as a run (not refused), and `part` of it read back exactly."""
    comparison = _comparison(case)
    if comparison is None or not applies or _edge_excused(case):
        return None
    if comparison.outcome != "ok":
        return _refusal(case, comparison)
    return _difference_findings(case, comparison, part) if part is not None else []


def _edge_excused(case: ClientCase) -> bool:
    """The payload has a value of an EDGE class: its refusal is reported at EDGE only."""
    return any(rid in EDGE_EXCUSES for rid in case.edge_labels)


@check("client.parse.ok")
def check_valid_run_returned(case: ClientCase) -> list[Found] | None:
    comparison = _comparison(case)
    plain = comparison is not None and not comparison.unknown_error and not comparison.unknown_fields
    return _accepts(case, None, applies=plain)


@check("client.parse.unknown-fields")
def check_unknown_fields_tolerated(case: ClientCase) -> list[Found] | None:
    comparison = _comparison(case)
    applies = comparison is not None and comparison.unknown_fields and not comparison.unknown_error
    return _accepts(case, None, applies=applies)


@check("client.parse.unknown-error-type")
def check_unknown_error_type_tolerated(case: ClientCase) -> list[Found] | None:
    comparison = _comparison(case)
    return _accepts(case, "unknown-error-type", applies=comparison is not None and comparison.unknown_error)


def _read_back(case: ClientCase, part: Part, *, applies: bool = True) -> list[Found] | None:
    comparison = _comparison(case)
    if comparison is None or comparison.outcome != "ok" or not applies:
        return None
    return _difference_findings(case, comparison, part)


@check("client.parse.fields")
def check_fields(case: ClientCase) -> list[Found] | None:
    return _read_back(case, "fields")


@check("client.parse.int64")
def check_int64(case: ClientCase) -> list[Found] | None:
    return _read_back(case, "int64")


@check("client.parse.timestamp")
def check_timestamps(case: ClientCase) -> list[Found] | None:
    return _read_back(case, "timestamp")


@check("client.parse.session-id")
def check_session_id(case: ClientCase) -> list[Found] | None:
    return _read_back(case, "session-id")


@check("client.parse.error")
def check_run_error(case: ClientCase) -> list[Found] | None:
    comparison = _comparison(case)
    return _read_back(case, "error", applies=comparison is not None and not comparison.unknown_error)


@check("client.parse.trigger")
def check_trigger(case: ClientCase) -> list[Found] | None:
    served = served_run(case)
    known = served is not None and not _unknown_tag(case, served, "trigger_context")
    return _read_back(case, "trigger", applies=known)


def _variant_classes(case: ClientCase, *, known: bool) -> list[Found] | None:
    """Each union member of the run served with a type on the page (`known`) or not, against
    the variant class the SDK built for it (`variants` of the answer)."""
    comparison, served = _comparison(case), served_run(case)
    answer = case.call.answer or {}
    variants = answer.get("variants")
    if comparison is None or served is None or comparison.outcome != "ok" or not isinstance(variants, dict):
        return None
    findings: list[Found] = []
    exercised = False
    for pointer in _VARIANT_OBJECTS:
        member = pointer[1:]
        node = served.get(member)
        if (
            not isinstance(node, dict)
            or pointer not in variants
            or _unknown_tag(case, served, member) == known
        ):
            continue
        exercised = True
        tag = node.get("type")
        expected = tag if known else None
        held = variants[pointer]
        if held != expected:
            wanted = f"the {expected} variant" if expected else "no known variant (a generic one)"
            findings.append(
                (
                    pointer,
                    f"Received: type {show(tag)} held as the {show(held)} variant / Expected: {wanted}",
                )
            )
    return findings if exercised else None


@check("client.parse.variant-class")
def check_unknown_variant_class(case: ClientCase) -> list[Found] | None:
    return _variant_classes(case, known=False)


@check("client.parse.variant-known")
def check_known_variant_class(case: ClientCase) -> list[Found] | None:
    return _variant_classes(case, known=True)


@check("client.parse.unknown-variant-readable")
def check_unknown_variant_readable(case: ClientCase) -> list[Found] | None:
    comparison = _comparison(case)
    typed = isinstance((case.call.answer or {}).get("types"), dict)  # an older harness: not judged
    return _read_back(
        case, "unknown-variant", applies=comparison is not None and comparison.unknown_error and typed
    )


# --- EDGE classes, in a client evaluation -----------------------------------------------------


def judge_edge(case: ClientCase, requirement: str, labels: list[Found]) -> list[Found] | None:
    """An EDGE label on the served run (`labels`: what it marked), judged by the SDK's answer:
    None when the call did not get to the parse (no run served, no answer), [] when the SDK kept
    the value, else what it did not keep."""
    comparison = _comparison(case)
    if comparison is None or not labels:
        return None
    if comparison.outcome != "ok":
        answer = case.call.answer or {}
        said = f": {show(answer.get('message'), 100)}" if answer.get("message") else ""
        return [
            (pointer, f"{message}; the SDK answered {comparison.outcome}{said}")
            for pointer, message in labels[:1]
        ]
    if requirement in EDGE_EXCUSES:
        pointers = comparison.edge_pointers.get(requirement, [])
    else:  # an unknown error type: tolerating it is client.parse.unknown-error-type's MUST
        pointers = [
            *comparison.charged.get("unknown-error-type", []),
            *comparison.charged.get("unknown-variant", []),
        ]
    return [
        (
            pointer,
            f"Received: {show(_value_at(comparison.answer_run, pointer))}"
            f" / Expected: {show(_value_at(case.call.served, pointer))}",
        )
        for pointer in pointers
    ]
