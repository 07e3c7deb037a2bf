"""The requirement catalog: structural requirements from the page's fields, then the rules file's."""

from __future__ import annotations

from typing import Any

from ._json_schema import SCALARS, discriminator, variant_tags
from ._page import ClassShape, EnumShape, Field, ScalarShape, UnionShape
from ._sources import PAGE_NAME, SpecSources

__all__ = ["build_requirements"]

# The structural requirement each scalar type gets, and its words in a title.
_SCALAR_KINDS = {
    "String": ("json-type", "a string"),
    "boolean": ("json-type", "a boolean"),
    "double": ("json-type", "a number"),
    "long": ("int64", "an integer within the int64 range"),
    "LocalDateTime": ("rfc3339", "an RFC 3339 date-time"),
    "OffsetDateTime": ("rfc3339", "an RFC 3339 date-time"),
}


def build_requirements(sources: SpecSources) -> list[dict[str, Any]]:
    """Structural requirements from the page's fields, then the rules file's, in page order."""
    page = sources.page
    structural = [
        _requirement(
            "run.json-type",
            "MUST",
            pointer="",
            title=f"The body is a JSON object ({page.returns.name}).",
            line=page.returns.line,
            check={"kind": "json-type", "path": [], "expected": "object", "nullable": False},
        )
    ]
    for f in page.returns.fields:
        structural += _field_requirements(f, path=[], when=None)
    return structural + [_rule_requirement(rule, sources) for rule in sources.rules["rules"]]


def _requirement(
    rid: str,
    level: str,
    *,
    pointer: str,
    title: str,
    line: int | None,
    check: dict[str, Any] | None,
    side: str = "server",
    area: str = "payload",
    document: str = "api-conventions",
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": rid,
        "level": level,
        "side": side,
        "area": area,
        "pointer": pointer,
        "title": title,
        "source": {"page": PAGE_NAME, "line": line} if line else {"page": document},
    }
    if check is not None:
        entry["check"] = check
        entry["in_schema"] = True
    return entry


def _pointer(path: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in path)


def _field_requirements(f: Field, *, path: list[str], when: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Presence (unless Optional) and the value's one check, then the field's own children."""
    here = [*path, f.wire_name]
    place: dict[str, Any] = {"line": f.line, "area": _area(f), "when": when}
    out = [_structural(here, "required", "required", "present", {}, **place)] if f.required else []
    kind, expected, words = _value_check(f)
    nullable = not f.required
    value = {"expected": expected, "nullable": nullable}
    out.append(_structural(here, kind, kind, words + (" or null" if nullable else ""), value, **place))
    if isinstance(f.shape, ClassShape):
        for child in f.shape.fields:
            out += _field_requirements(child, path=here, when=None)
    if isinstance(f.shape, UnionShape):
        out += _union_requirements(f, f.shape, here)
    return out


def _structural(
    here: list[str],
    aspect: str,
    kind: str,
    words: str,
    check: dict[str, Any],
    *,
    line: int,
    area: str,
    when: dict[str, Any] | None,
) -> dict[str, Any]:
    """One structural MUST: `run.<path>.<aspect>`, checked by the `kind` check at `here`."""
    suffix = f" when {when['path'][-2]}.{when['path'][-1]} is {when['equals']!r}" if when else ""
    return _requirement(
        f"run.{'.'.join(here)}.{aspect}",
        "MUST",
        pointer=_pointer(here),
        title=f"{'.'.join(here)} is {words}{suffix}.",
        line=line,
        check={"kind": kind, "path": here, **check, "when": when},
        area=area,
    )


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


def _union_requirements(f: Field, shape: UnionShape, path: list[str]) -> list[dict[str, Any]]:
    """The tag must be known; fields every variant shares are checked always, others per tag."""
    tag = discriminator(f, shape)
    tags = variant_tags(f, shape)
    first = shape.variants[0].field_named(tag)
    assert first is not None
    here = [*path, tag]
    known = {"expected": [t for t, _ in tags], "nullable": False}
    out = [
        _structural(here, "required", "required", "present", {}, line=first.line, area="variant", when=None),
        _structural(
            here,
            "known-variant",
            "one-of",
            f"one of the {len(tags)} variants on the page",
            known,
            line=f.line,
            area="variant",
            when=None,
        ),
    ]
    shared = [g for g in shape.variants[0].fields if g.wire_name != tag]
    shared = [g for g in shared if all(_same_field(g, v.field_named(g.wire_name)) for v in shape.variants)]
    for g in shared:
        out += _field_requirements(g, path=path, when=None)
    shared_names = {g.wire_name for g in shared} | {tag}
    for value, variant in tags:
        for g in variant.fields:
            if g.wire_name not in shared_names:
                out += _field_requirements(g, path=path, when={"path": [*path, tag], "equals": value})
    return out


def _same_field(a: Field, b: Field | None) -> bool:
    return b is not None and a.type == b.type and a.shape == b.shape


def _rule_requirement(rule: dict[str, Any], sources: SpecSources) -> dict[str, Any]:
    line = sources.page.line_of(rule["quote"]) if "quote" in rule else None
    entry = _requirement(
        rule["id"],
        rule["level"],
        pointer=rule["pointer"],
        title=rule["title"],
        line=line,
        check=None,
        side=rule["side"],
        area=rule["area"],
        # Without a quote: the API's conventions, or a document of ours (the harness protocol).
        document=rule.get("source", "api-conventions"),
    )
    if rule.get("schema") == "exactly-one":
        entry["in_schema"] = True
    return entry
