"""The requirement catalog, typed: `spec/requirements.json` read once into frozen records.

    catalog = spec.load_catalog()
    requirement = catalog["run.outcome.exactly-one"]
    requirement.level, requirement.side, requirement.title   # "MUST", "server", "Exactly one..."
    [r.id for r in catalog.on("client-request")]              # one side's requirements, in order

`spec/requirements.json` stays the interchange form (`spec.load_requirements()` reads it as
JSON); everything that judges or reports reads these types instead, so mypy sees every field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Catalog",
    "CheckKind",
    "Condition",
    "Conventions",
    "Level",
    "Requirement",
    "SdkSource",
    "Side",
    "Source",
    "Structure",
]

Level = Literal["MUST", "SHOULD", "EDGE"]
# `webhook`: the events a server delivers to a webhook receiver (judged by `validate`).
Side = Literal["server", "client-request", "client-parse", "webhook"]
CheckKind = Literal["required", "json-type", "literal", "one-of", "int64", "rfc3339"]
_LEVELS: frozenset[str] = frozenset(("MUST", "SHOULD", "EDGE"))
_SIDES: frozenset[str] = frozenset(("server", "client-request", "client-parse", "webhook"))
_KINDS: frozenset[str] = frozenset(("required", "json-type", "literal", "one-of", "int64", "rfc3339"))


@dataclass(frozen=True, slots=True)
class SdkSource:
    """An official SDK release and the file in its package that says it."""

    sdk: str
    release: str
    file: str

    def to_json(self) -> dict[str, str]:
        return {"sdk": self.sdk, "release": self.release, "file": self.file}


@dataclass(frozen=True, slots=True)
class Source:
    """Where a requirement comes from: a line of the reference page, or a document's name
    (`api-conventions`) when no sentence of the page states it; `sdks`, the official SDK
    releases and files that say it (the whole source when `page` is `spec/source/sdks`)."""

    page: str
    line: int | None = None
    sdks: tuple[SdkSource, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """As `requirements.json` and `results.json` write it."""
        out: dict[str, Any] = (
            {"page": self.page} if self.line is None else {"page": self.page, "line": self.line}
        )
        if self.sdks:
            out["sdks"] = [s.to_json() for s in self.sdks]
        return out


@dataclass(frozen=True, slots=True)
class Condition:
    """A structural check applies only where the value at `path` equals `equals`."""

    path: tuple[str, ...]
    equals: Any


@dataclass(frozen=True, slots=True)
class Structure:
    """What a structural requirement tests at `path`, derived by the builder from the page's
    field lists: presence (`required`), a JSON type, a literal, one of the page's tags, int64
    or RFC 3339 (`expected`: the type, literal or tags), null allowed when `nullable`."""

    kind: CheckKind
    path: tuple[str, ...]
    expected: Any = None
    nullable: bool = False
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One checkable statement of the contract. `in_schema`: the JSON Schema says it too;
    `structure`: what a structural requirement tests (None for a rule checked in code)."""

    id: str
    level: Level
    side: Side
    area: str
    pointer: str
    title: str
    source: Source
    in_schema: bool = False
    structure: Structure | None = None


@dataclass(frozen=True, slots=True)
class Conventions:
    """The API's conventions every client and server depends on (not stated by the page)."""

    required_beta: str
    api_key_header: str
    version_header: str
    request_id_header: str
    error_types: Mapping[int, str]  # HTTP status -> the API's error type for it


@dataclass(frozen=True, slots=True)
class Catalog:
    """Every requirement in catalog order, the conventions, and the page the catalog was built
    from (its path and SHA-256)."""

    version: int
    page: str
    page_sha256: str
    conventions: Conventions
    requirements: tuple[Requirement, ...]
    _by_id: Mapping[str, Requirement] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {r.id: r for r in self.requirements})  # frozen: set once

    def __getitem__(self, requirement: str) -> Requirement:
        return self._by_id[requirement]

    def __contains__(self, requirement: object) -> bool:
        return requirement in self._by_id

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def on(self, *sides: Side) -> tuple[Requirement, ...]:
        """The requirements binding these sides, in catalog order."""
        return tuple(r for r in self.requirements if r.side in sides)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Catalog:
        """The catalog of a parsed `requirements.json`; ValueError names what does not fit."""
        try:
            conventions = data["conventions"]
            return cls(
                version=int(data["catalog_version"]),
                page=str(data["source"]["page"]),
                page_sha256=str(data["source"]["sha256"]),
                conventions=Conventions(
                    required_beta=conventions["required_beta"],
                    api_key_header=conventions["api_key_header"],
                    version_header=conventions["version_header"],
                    request_id_header=conventions["request_id_header"],
                    error_types={int(k): v for k, v in conventions["error_types"].items()},
                ),
                requirements=tuple(_requirement(entry) for entry in data["requirements"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a requirement catalog: {exc!r}") from exc


def _requirement(entry: Mapping[str, Any]) -> Requirement:
    level, side = entry["level"], entry["side"]
    if level not in _LEVELS or side not in _SIDES:
        raise ValueError(f"{entry['id']}: level {level!r} or side {side!r} unknown")
    check = entry.get("check")
    return Requirement(
        id=entry["id"],
        level=level,
        side=side,
        area=entry["area"],
        pointer=entry["pointer"],
        title=entry["title"],
        source=Source(
            entry["source"]["page"],
            entry["source"].get("line"),
            tuple(SdkSource(s["sdk"], s["release"], s["file"]) for s in entry["source"].get("sdks", ())),
        ),
        in_schema=bool(entry.get("in_schema")),
        structure=None if check is None else _structure(entry["id"], check),
    )


def _structure(rid: str, check: Mapping[str, Any]) -> Structure:
    if check["kind"] not in _KINDS:
        raise ValueError(f"{rid}: structural check kind {check['kind']!r} unknown")
    when, expected = check.get("when"), check.get("expected")
    return Structure(
        kind=check["kind"],
        path=tuple(check["path"]),
        expected=tuple(expected) if isinstance(expected, list) else expected,
        nullable=bool(check.get("nullable", False)),
        when=None if when is None else Condition(tuple(when["path"]), when["equals"]),
    )
