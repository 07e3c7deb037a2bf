"""Parse the API reference page into a typed model of the operation.

The page is the Java SDK's reference: nested Markdown bullets, two spaces a level, each item
a backticked field (`Optional<String> sessionId`), class (`class Foo:`) or enum constant
(`AGENT("agent")`), followed by indented description lines. Nothing about this operation is
hard-coded here: the fields, unions and literals all come from the page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from drun_conformance._errors import PageError

__all__ = [
    "ClassShape",
    "EnumConstant",
    "EnumShape",
    "Field",
    "Page",
    "ScalarShape",
    "Shape",
    "TypeRef",
    "UnionShape",
    "parse_page",
    "wire_name",
]

_BULLET = re.compile(r"^(?P<indent> *)- `(?P<item>[^`]+)`\s*$")
_CLASS = re.compile(r"^class (?P<name>\w+):$")
_CONSTANT = re.compile(r'^(?P<name>[A-Z0-9_]+)\("(?P<wire>[^"]*)"\)$')
_FIELD = re.compile(r"^(?P<type>[\w<>, ]+?) (?P<name>\w+)$")
_ENDPOINT = re.compile(r"^\*\*(?P<method>get|post|put|patch|delete)\*\* `(?P<path>/[^`]*)`$")
_TYPE = re.compile(r"^(?P<name>\w+)(?:<(?P<args>.+)>)?$")


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A Java-style type as written on the page: `Optional<List<AnthropicBeta>>`."""

    name: str
    args: tuple[TypeRef, ...] = ()

    @property
    def is_optional(self) -> bool:
        return self.name == "Optional"

    @property
    def inner(self) -> TypeRef:
        """The type under `Optional<...>` (itself when not optional)."""
        return self.args[0] if self.is_optional else self

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}<{', '.join(map(str, self.args))}>"


@dataclass(frozen=True, slots=True)
class EnumConstant:
    name: str
    wire: str
    line: int


@dataclass(frozen=True, slots=True)
class ScalarShape:
    """A leaf type with no children on the page (`String`, `long`, `LocalDateTime`)."""

    name: str


@dataclass(frozen=True, slots=True)
class EnumShape:
    constants: tuple[EnumConstant, ...]


@dataclass(frozen=True, slots=True)
class ClassShape:
    name: str
    description: str
    fields: tuple[Field, ...]
    line: int

    def field_named(self, wire: str) -> Field | None:
        return next((f for f in self.fields if f.wire_name == wire), None)


@dataclass(frozen=True, slots=True)
class UnionShape:
    """Classes listed under one field: the wire object is exactly one of them."""

    variants: tuple[ClassShape, ...]


Shape = ScalarShape | EnumShape | ClassShape | UnionShape


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    type: TypeRef
    description: str
    line: int
    shape: Shape

    @property
    def wire_name(self) -> str:
        return wire_name(self.name)

    @property
    def required(self) -> bool:
        return not self.type.is_optional


@dataclass(frozen=True, slots=True)
class Page:
    title: str
    method: str
    path: str
    parameters: tuple[Field, ...]
    returns: ClassShape
    example: Any
    example_line: int
    lines: tuple[str, ...] = field(repr=False)

    def line_of(self, text: str) -> int:
        """The 1-based line where `text` first appears; PageError when it does not."""
        for number, line in enumerate(self.lines, start=1):
            if text in line:
                return number
        raise PageError(f"the page does not contain {text!r}", line=None)


def wire_name(java_name: str) -> str:
    """`deploymentId` -> `deployment_id`: the API's field names are snake_case."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", java_name).lower()


def parse_type(text: str, line: int) -> TypeRef:
    match = _TYPE.match(text.strip())
    if match is None:
        raise PageError(f"cannot read the type {text!r}", line=line)
    args_text = match["args"]
    if args_text is None:
        return TypeRef(match["name"])
    return TypeRef(match["name"], tuple(parse_type(a, line) for a in _split_args(args_text)))


def _split_args(text: str) -> list[str]:
    """Split `A, Map<B, C>` at top-level commas."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


@dataclass(slots=True)
class _Node:
    """One bullet item with its description lines and child bullets, before typing."""

    item: str
    line: int
    indent: int
    description: list[str] = field(default_factory=list)
    children: list[_Node] = field(default_factory=list)


def _bullet_tree(lines: list[tuple[int, str]]) -> list[_Node]:
    roots: list[_Node] = []
    stack: list[_Node] = []
    for number, text in lines:
        if not text.strip():
            continue
        bullet = _BULLET.match(text)
        indent = len(text) - len(text.lstrip(" "))
        if bullet is None:
            if not stack:
                raise PageError(f"text outside any list item: {text.strip()!r}", line=number)
            while stack and stack[-1].indent >= indent:
                stack.pop()
            if not stack:
                raise PageError(f"description without an item: {text.strip()!r}", line=number)
            stack[-1].description.append(text.strip())
            continue
        if indent % 2:
            raise PageError("list items must be indented by two spaces a level", line=number)
        node = _Node(bullet["item"], number, indent)
        while stack and stack[-1].indent >= indent:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


def _to_field(node: _Node) -> Field:
    match = _FIELD.match(node.item)
    if match is None:
        raise PageError(f"expected a field `Type name`, found {node.item!r}", line=node.line)
    type_ref = parse_type(match["type"], node.line)
    return Field(
        name=match["name"],
        type=type_ref,
        description=" ".join(node.description),
        line=node.line,
        shape=_shape_of(type_ref, node),
    )


def _to_class(node: _Node) -> ClassShape:
    match = _CLASS.match(node.item)
    if match is None:
        raise PageError(f"expected `class Name:`, found {node.item!r}", line=node.line)
    return ClassShape(
        name=match["name"],
        description=" ".join(node.description),
        fields=tuple(_to_field(child) for child in node.children),
        line=node.line,
    )


def _shape_of(type_ref: TypeRef, node: _Node) -> Shape:
    """What a field's children make it: enum constants, a union of classes, or fields."""
    if not node.children:
        return ScalarShape(type_ref.inner.name)
    kinds = {_item_kind(child) for child in node.children}
    if len(kinds) > 1:
        raise PageError("a field's children mix constants, classes and fields", line=node.line)
    kind = kinds.pop()
    if kind == "constant":
        return EnumShape(tuple(_to_constant(child) for child in node.children))
    if kind == "class":
        return UnionShape(tuple(_to_class(child) for child in node.children))
    fields = tuple(_to_field(child) for child in node.children)
    return ClassShape(type_ref.inner.name, " ".join(node.description), fields, node.line)


def _to_constant(node: _Node) -> EnumConstant:
    match = _CONSTANT.match(node.item)
    if match is None:
        raise PageError(f'expected `NAME("wire")`, found {node.item!r}', line=node.line)
    return EnumConstant(match["name"], match["wire"], node.line)


def _item_kind(node: _Node) -> str:
    if re.match(r"^[A-Z0-9_]+\(", node.item):
        return "constant"
    if _CLASS.match(node.item):
        return "class"
    return "field"


def _sections(lines: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Lines under each `###`/`####` heading, code fences kept apart as their own lines."""
    sections: dict[str, list[tuple[int, str]]] = {"": []}
    current = ""
    for number, text in enumerate(lines, start=1):
        heading = re.match(r"^#{2,4} (.+)$", text)
        if heading:
            current = heading[1].strip()
            sections[current] = []
            continue
        sections[current].append((number, text))
    return sections


def _fenced_json(section: list[tuple[int, str]]) -> tuple[Any, int]:
    inside, body, start = False, [], 0
    for number, text in section:
        if text.startswith("```"):
            if inside:
                break
            inside, start = text.strip() == "```json", number + 1
            continue
        if inside:
            body.append(text)
    if not body:
        return None, 0
    try:
        return json.loads("\n".join(body)), start
    except json.JSONDecodeError as exc:
        raise PageError(f"the example response is not JSON: {exc.msg}", line=start + exc.lineno - 1) from exc


def parse_page(text: str) -> Page:
    """Read the reference page into a Page; PageError (naming the line) when it cannot."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("## "):
        raise PageError("the page must open with a `## Title` heading", line=1)
    sections = _sections(lines)
    endpoint = next((m for _, t in sections.get(lines[0][3:].strip(), []) if (m := _ENDPOINT.match(t))), None)
    if endpoint is None:
        raise PageError("no `**method** `/path`` line under the title", line=1)
    for required in ("Parameters", "Returns"):
        if required not in sections:
            raise PageError(f"no `### {required}` section", line=None)
    params = _bullet_tree([(n, t) for n, t in sections["Parameters"] if not t.startswith("```")])
    returns = _bullet_tree(sections["Returns"])
    if len(returns) != 1:
        raise PageError("`### Returns` must hold exactly one class", line=_first_line(sections["Returns"]))
    parameters = tuple(f for root in params for f in _flatten_params(_to_field(root)))
    example, example_line = _fenced_json(sections.get("Response", []))
    return Page(
        title=lines[0][3:].strip(),
        method=endpoint["method"].upper(),
        path=endpoint["path"],
        parameters=parameters,
        returns=_to_class(returns[0]),
        example=example,
        example_line=example_line,
        lines=tuple(lines),
    )


def _flatten_params(param: Field) -> tuple[Field, ...]:
    """`DeploymentRunParams params` stands for its fields; a plain parameter for itself."""
    return param.shape.fields if isinstance(param.shape, ClassShape) else (param,)


def _first_line(section: list[tuple[int, str]]) -> int | None:
    return next((n for n, t in section if t.strip()), None)
