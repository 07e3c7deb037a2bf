"""SDK facts: what one official SDK's own model says about the operation family, each fact with the
file (path inside the package) that says it.

Every extractor turns its language into the same few shapes (`Obj`, `Variants`, `Scalar`, `Const`,
`Choice`); `model_facts` walks a shape into flat facts, the same walk the contract's own facts go
through (`_contract_facts`), so the two sides compare fact by fact:

    {"kind": "field", "name": "agent.version", "type": "int32", "required": true, "nullable": false,
     "file": "com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt"}

Kinds: `model` (run, page, webhook), `field`, `enum` (the values of a union's `type`, of a literal,
of a parameter, the betas, the API error envelope's types), `header`, `operation`, `parameter`.
`required`/`nullable` are null where the language's model does not say (a Go field tagged
required may be null on the wire; a constant with a default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drun_conformance._errors import InputError

__all__ = [
    "API_ERRORS",
    "BETAS",
    "FACTS_FORMAT",
    "Choice",
    "Const",
    "Extracted",
    "Fact",
    "FactSheet",
    "Field",
    "Obj",
    "Operation",
    "Parameter",
    "Scalar",
    "Shape",
    "Variants",
    "closing_brace",
    "model_facts",
    "only_variants",
    "snake",
]

FACTS_FORMAT = 1
BETAS = "anthropic-beta"  # the enum fact of the beta names the SDK knows
API_ERRORS = "api-error.type"  # the enum fact of the error types of the API's error envelope
WEBHOOK_PREFIX = "deployment_run."  # the webhook events of the family


@dataclass(frozen=True, slots=True)
class Scalar:
    """string, int32, int64, integer (any size), number (a double), boolean, date-time, array, object."""

    type: str


@dataclass(frozen=True, slots=True)
class Const:
    value: str


@dataclass(frozen=True, slots=True)
class Choice:
    """A closed list of strings (a literal union, an enum class, a Go string type with constants)."""

    values: tuple[str, ...]
    file: str


@dataclass(frozen=True, slots=True)
class Field:
    wire: str
    shape: Shape
    required: bool | None
    nullable: bool | None


@dataclass(frozen=True, slots=True)
class Obj:
    file: str
    fields: tuple[Field, ...]

    def get(self, wire: str) -> Field | None:
        return next((f for f in self.fields if f.wire == wire), None)


@dataclass(frozen=True, slots=True)
class Variants:
    """A union discriminated by each variant's constant `type`."""

    file: str
    variants: tuple[Obj, ...]


Shape = Scalar | Const | Choice | Obj | Variants


def only_variants(obj: Obj, wire: str, prefix: str) -> Obj:
    """`obj` with its union field `wire` narrowed to the variants whose tag starts with `prefix`
    (the webhook envelope: only the deployment_run.* events of the family)."""
    fields = []
    for f in obj.fields:
        if f.wire == wire and isinstance(f.shape, Variants):
            kept = tuple(v for v in f.shape.variants if (_tag(v) or "").startswith(prefix))
            f = Field(f.wire, Variants(f.shape.file, kept), f.required, f.nullable)
        fields.append(f)
    return Obj(obj.file, tuple(fields))


def _tag(variant: Obj) -> str | None:
    tag = variant.get("type")
    return tag.shape.value if tag is not None and isinstance(tag.shape, Const) else None


def _type_name(shape: Shape) -> str:
    if isinstance(shape, Scalar):
        return shape.type
    return {Const: "const", Choice: "enum", Obj: "object", Variants: "union"}[type(shape)]


@dataclass(frozen=True, slots=True)
class Fact:
    kind: str
    name: str
    file: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return self.kind, self.name

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, **self.detail, "file": self.file}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fact:
        rest = {k: v for k, v in data.items() if k not in ("kind", "name", "file")}
        return cls(str(data["kind"]), str(data["name"]), str(data["file"]), rest)


def model_facts(model: str, root: Obj, *, prefix: str | None = None) -> list[Fact]:
    """The `model` fact and one fact per field, union and literal, named by their path
    (`agent.version`, `error.type`, `error[unknown_error].message`); `prefix` defaults to `model.`."""
    facts = [Fact("model", model, root.file)]
    facts += _walk(root, model + "." if prefix is None else prefix, in_variant=False)
    return facts


def _walk(obj: Obj, prefix: str, *, in_variant: bool) -> Iterator[Fact]:
    for f in obj.fields:
        name = f"{prefix}{f.wire}"
        detail = {"type": _type_name(f.shape), "required": f.required, "nullable": f.nullable}
        yield Fact("field", name, obj.file, detail)
        shape = f.shape
        if isinstance(shape, Obj):
            yield from _walk(shape, name + ".", in_variant=False)
        elif isinstance(shape, Variants):
            tags = [(tag, v) for v in shape.variants if (tag := _tag(v)) is not None]
            yield Fact("enum", f"{name}.type", shape.file, {"values": [t for t, _ in tags]})
            for tag, variant in tags:
                yield from _walk(variant, f"{name}[{tag}].", in_variant=True)
        elif isinstance(shape, Const) and not (in_variant and f.wire == "type"):
            yield Fact("enum", name, obj.file, {"values": [shape.value]})
        elif isinstance(shape, Choice):
            yield Fact("enum", name, shape.file, {"values": list(shape.values)})


@dataclass(frozen=True, slots=True)
class Parameter:
    wire: str  # as sent: "created_at[gt]", "limit"
    location: str  # query (path parameters are in the path)
    shape: Shape
    doc: str  # what the SDK documents for it, in one line ("Default 20, maximum 1000.")
    file: str


@dataclass(frozen=True, slots=True)
class Operation:
    sdk_method: str  # the SDK's own name: "client.beta.deploymentRuns.list"
    method: str
    path: str  # "/v1/deployment_runs/{deployment_run_id}", query string left out
    file: str
    parameters: tuple[Parameter, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Extracted:
    """What an extractor read from one package: the family's models, operations, headers, betas."""

    run: Obj
    operations: tuple[Operation, ...]
    headers: dict[str, tuple[str | None, str]]  # name -> (the value the SDK always sends, or None; file)
    page: Obj | None = None
    webhook: Obj | None = None  # the event envelope, its `data` narrowed to the deployment_run events
    betas: Choice | None = None
    api_errors: Choice | None = None

    def facts(self) -> tuple[Fact, ...]:
        facts = model_facts("run", self.run, prefix="")
        if self.page is not None:
            facts += model_facts("page", self.page)
        webhook = self.webhook and only_variants(self.webhook, "data", WEBHOOK_PREFIX)
        data = webhook.get("data") if webhook else None
        if webhook and data and isinstance(data.shape, Variants) and data.shape.variants:
            facts += model_facts("webhook", webhook)  # a release without the family's events has none
        for name, choice in ((BETAS, self.betas), (API_ERRORS, self.api_errors)):
            if choice is not None:
                facts.append(Fact("enum", name, choice.file, {"values": list(choice.values)}))
        for header, (value, file) in self.headers.items():
            facts.append(Fact("header", header, file, {"value": value}))
        for op in self.operations:
            facts.append(Fact("operation", op.name, op.file, {"sdk_method": op.sdk_method}))
            for p in op.parameters:
                detail = {"in": p.location, "type": _type_name(p.shape), "doc": p.doc}
                facts.append(Fact("parameter", f"{op.name}?{p.wire}", p.file, detail))
                if isinstance(p.shape, Choice):
                    facts.append(
                        Fact("enum", f"{op.name}?{p.wire}", p.shape.file, {"values": list(p.shape.values)})
                    )
        return tuple(facts)


def closing_brace(text: str, start: int, sdk: str) -> int:
    """The index of the brace closing the one at `start` in Kotlin, Go or TypeScript source:
    `//` and `/* */` comments and "..." and `...` literals skipped (InputError if it never closes)."""
    depth, index, end = 0, start, len(text)
    while index < end:
        if text.startswith(("//", "/*"), index):
            close = "\n" if text[index + 1] == "/" else "*/"
            found = text.find(close, index + 2)
            index = end if found < 0 else found + len(close)
            continue
        char = text[index]
        if char in '"`':
            index += 1
            while index < end and text[index] != char:
                index += 2 if char == '"' and text[index] == "\\" else 1
        elif char in "{}":
            depth += 1 if char == "{" else -1
            if depth == 0:
                return index
        index += 1
    raise InputError(f"{sdk} SDK: a declaration's braces do not close")


def snake(name: str) -> str:
    """`deploymentRunID`, `deploymentRunId` -> `deployment_run_id` (path parameters in camel case)."""
    name = re.sub(r"ID$", "Id", name)
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@dataclass(frozen=True, slots=True)
class FactSheet:
    """All facts of one SDK release (or local build), as committed in spec/source/sdks/."""

    sdk: str
    package: str
    release: str
    facts: tuple[Fact, ...]
    own_release: str | None = None  # what a local build declares itself (its release is "local")

    @property
    def file_name(self) -> str:
        return f"{self.sdk}-{self.release.removeprefix('v')}.json"

    def render(self) -> bytes:
        """Byte-reproducible JSON: facts sorted by kind and name, one a line (readable diffs)."""
        head = {"format": FACTS_FORMAT, "sdk": self.sdk, "package": self.package, "release": self.release}
        lines = [json.dumps(f.to_json(), ensure_ascii=False, sort_keys=False) for f in _sorted(self.facts)]
        body = ",\n  ".join(lines)
        text = json.dumps(head, ensure_ascii=False)[:-1] + f',\n "facts": [\n  {body}\n ]\n}}\n'
        return text.encode("utf-8")

    @classmethod
    def read(cls, path: Path) -> FactSheet:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            facts = tuple(Fact.from_json(f) for f in data["facts"])
            return cls(data["sdk"], data["package"], data["release"], facts)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"cannot read the SDK facts {path}: {exc}") from None


def _sorted(facts: Iterable[Fact]) -> list[Fact]:
    return sorted(facts, key=lambda f: (f.kind, f.name))
