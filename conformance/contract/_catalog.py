"""The requirement catalog: structural requirements from the page's fields (the run) and the SDKs'
(the webhook event), then the rules files'.

A structural requirement names where it comes from: the page's line for a run field, and, for a key
an SDK makes required or a field only the SDKs describe, every SDK release and file that says so.
A rule names its page line (`quote`), the SDK fact its words come from (`sdk`), or a document.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from drun_conformance._errors import InputError

from ._json_schema import SCALARS, discriminator, variant_tags
from ._page import ClassShape, EnumShape, Field, ScalarShape, UnionShape
from ._second_source import SdkView
from ._sources import PAGE_NAME, SDKS_FOLDER, SpecSources

__all__ = ["Model", "build_requirements"]

# The structural requirement each scalar type gets, and its words in a title.
_SCALAR_KINDS = {
    "String": ("json-type", "a string"),
    "boolean": ("json-type", "a boolean"),
    "double": ("json-type", "a number"),
    "long": ("int64", "an integer within the int64 range"),
    "LocalDateTime": ("rfc3339", "an RFC 3339 date-time"),
    "OffsetDateTime": ("rfc3339", "an RFC 3339 date-time"),
}
Where = list[dict[str, str]]  # SDK releases and files: [{"sdk", "release", "file"}]


@dataclass(frozen=True, slots=True)
class Model:
    """One model's structural requirements: their id prefix (`run`, `webhook`), the side they
    bind, the keys an SDK makes required beyond the model's own, and each path's SDK provenance
    (a model only the SDKs describe has it for every path; the page's run, for what an SDK adds)."""

    prefix: str
    side: str
    shape: ClassShape
    required: frozenset[tuple[str, ...]] = frozenset()
    where: dict[tuple[str, ...], Where] = field(default_factory=dict)
    from_sdks: bool = False  # no line of the page: every requirement's source is the SDKs'
    label: str = ""  # what a title names its fields of ("The webhook event's ")

    def source(self, path: tuple[str, ...], line: int | None, aspect: str = "") -> dict[str, Any]:
        """The page's line; with the SDKs that make a key required (its `required` aspect); or
        the SDKs alone for a model only they describe."""
        sdks = self.where.get(path, [])
        if self.from_sdks:
            return {"page": SDKS_FOLDER, "sdks": sdks}
        base: dict[str, Any] = {"page": PAGE_NAME, "line": line} if line else {"page": "api-conventions"}
        added = aspect == "required" and path in self.required and sdks
        return base | ({"sdks": sdks} if added else {})


def build_requirements(sources: SpecSources, models: list[Model], view: SdkView) -> list[dict[str, Any]]:
    """Each model's structural requirements, in field order, then the rules files'."""
    structural: list[dict[str, Any]] = []
    for model in models:
        structural.append(
            _requirement(
                f"{model.prefix}.json-type",
                "MUST",
                side=model.side,
                pointer="",
                title=f"The body is a JSON object ({model.shape.name}).",
                source=model.source((), model.shape.line),
                check={"kind": "json-type", "path": [], "expected": "object", "nullable": False},
            )
        )
        for f in model.shape.fields:
            structural += _field_requirements(model, f, path=[], when=None)
    return structural + [_rule_requirement(rule, sources, view) for rule in sources.rules["rules"]]


def _requirement(
    rid: str,
    level: str,
    *,
    side: str,
    pointer: str,
    title: str,
    source: dict[str, Any],
    check: dict[str, Any] | None,
    area: str = "payload",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rid,
        "level": level,
        "side": side,
        "area": area,
        "pointer": pointer,
        "title": title,
        "source": source,
    }
    if check is not None:
        entry["check"] = check
        entry["in_schema"] = True
    return entry


def _pointer(path: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _field_requirements(
    model: Model, f: Field, *, path: list[str], when: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Presence (unless Optional and no SDK requires it) and the value's one check, then the
    field's own children. A key an SDK requires stays nullable as the page has it."""
    here = [*path, f.wire_name]
    structural = _structural(model, here, f.line, _area(f), when)
    required = f.required or tuple(here) in model.required
    out = [structural("required", "required", "present", {})] if required else []
    kind, expected, words = _value_check(f)
    nullable = not f.required
    value = {"expected": expected, "nullable": nullable}
    out.append(structural(kind, kind, words + (" or null" if nullable else ""), value))
    if isinstance(f.shape, ClassShape):
        for child in f.shape.fields:
            out += _field_requirements(model, child, path=here, when=None)
    if isinstance(f.shape, UnionShape):
        out += _union_requirements(model, f, f.shape, here)
    return out


def _structural(
    model: Model, here: list[str], line: int, area: str, when: dict[str, Any] | None
) -> Callable[[str, str, str, dict[str, Any]], dict[str, Any]]:
    """A maker of structural MUSTs at `here`: `<prefix>.<path>.<aspect>`, checked by `kind`."""
    suffix = f" when {when['path'][-2]}.{when['path'][-1]} is {when['equals']!r}" if when else ""

    def make(aspect: str, kind: str, words: str, check: dict[str, Any]) -> dict[str, Any]:
        return _requirement(
            f"{model.prefix}.{'.'.join(here)}.{aspect}",
            "MUST",
            side=model.side,
            pointer=_pointer(here),
            title=f"{model.label}{'.'.join(here)} is {words}{suffix}.",
            source=model.source(tuple(here), line, aspect),
            check={"kind": kind, "path": here, **check, "when": when},
            area=area,
        )

    return make


def _area(f: Field) -> str:
    if isinstance(f.shape, UnionShape):
        return "variant"
    if isinstance(f.shape, ScalarShape) and _SCALAR_KINDS.get(f.shape.name, ("",))[0] == "rfc3339":
        return "timestamp"
    return "payload"


def _value_check(f: Field) -> tuple[str, Any, str]:
    """The one requirement on a present value: (kind, expected, words for the title)."""
    shape = f.shape
    if isinstance(shape, ScalarShape):
        kind, words = _SCALAR_KINDS[shape.name]
        expected = SCALARS[shape.name]["type"] if kind == "json-type" else None
        return kind, expected, words
    if isinstance(shape, EnumShape):
        values = [c.wire for c in shape.constants]
        if len(values) == 1:
            return "literal", values[0], f"the literal {values[0]!r}"
        return "one-of", values, f"one of {', '.join(values)}"
    return "json-type", "object", "an object"


def _union_requirements(model: Model, f: Field, shape: UnionShape, path: list[str]) -> list[dict[str, Any]]:
    """The tag must be known; fields every variant shares are checked always, others per tag."""
    tag = discriminator(f, shape)
    tags = variant_tags(f, shape)
    first = shape.variants[0].field_named(tag)
    assert first is not None
    here = [*path, tag]
    known = {"expected": [t for t, _ in tags], "nullable": False}
    where = "on the page" if not model.from_sdks else "the SDKs know"
    out = [
        _structural(model, here, first.line, "variant", None)("required", "required", "present", {}),
        _structural(model, here, f.line, "variant", None)(
            "known-variant", "one-of", f"one of the {len(tags)} variants {where}", known
        ),
    ]
    shared = [g for g in shape.variants[0].fields if g.wire_name != tag]
    shared = [g for g in shared if all(_same_field(g, v.field_named(g.wire_name)) for v in shape.variants)]
    for g in shared:
        out += _field_requirements(model, g, path=path, when=None)
    shared_names = {g.wire_name for g in shared} | {tag}
    for value, variant in tags:
        for g in variant.fields:
            if g.wire_name not in shared_names:
                out += _field_requirements(model, g, path=path, when={"path": [*path, tag], "equals": value})
    return out


def _same_field(a: Field, b: Field | None) -> bool:
    return b is not None and a.type == b.type and a.shape == b.shape


def _rule_requirement(rule: dict[str, Any], sources: SpecSources, view: SdkView) -> dict[str, Any]:
    # Without a quote or an SDK fact: the API's conventions, or a document of ours (the harness protocol).
    source: dict[str, Any] = {"page": rule.get("source", "api-conventions")}
    if "quote" in rule:
        source = {"page": PAGE_NAME, "line": sources.page.line_of(rule["quote"])}
    elif "sdk" in rule:
        source = {"page": SDKS_FOLDER, "sdks": _rule_sdks(rule, view)}
    entry = _requirement(
        rule["id"],
        rule["level"],
        side=rule["side"],
        pointer=rule["pointer"],
        title=rule["title"],
        source=source,
        check=None,
        area=rule["area"],
    )
    if rule.get("schema") == "exactly-one":
        entry["in_schema"] = True
    return entry


def _rule_sdks(rule: dict[str, Any], view: SdkView) -> Where:
    """Each SDK release and file behind a rule's `sdk: {fact: "<kind> <name>", says: ...}`."""
    sdk = rule["sdk"]
    kind, _, name = str(sdk.get("fact", "")).partition(" ")
    if not name:
        raise InputError(f"rules: {rule['id']}: sdk.fact must be `<kind> <name>`, got {sdk.get('fact')!r}")
    return view.documented(kind, name, sdk["says"]) if "says" in sdk else view.where(kind, name)
