"""Models only the SDKs describe (the webhook event), turned from their settled facts into the
shapes the page's classes have, so the run's schema and catalog builders serve them too.

    shape = model_shape("webhook", "BetaWebhookEvent", fields, view)
    # ClassShape: id (String), created_at (OffsetDateTime), data (a union by `type`), type ("event")
"""

from __future__ import annotations

import re

from drun_conformance._errors import InputError

from ._page import ClassShape, EnumConstant, EnumShape, Field, ScalarShape, Shape, TypeRef, UnionShape
from ._sdk_facts import Fact
from ._second_source import SdkView

__all__ = ["model_shape"]

# An SDK fact's type -> the page's scalar type name for it.
_SCALARS = {"string": "String", "date-time": "OffsetDateTime", "int64": "long", "boolean": "boolean"}


def model_shape(prefix: str, name: str, fields: dict[str, Fact], view: SdkView) -> ClassShape:
    """The class `name` made of the settled field facts under `prefix.` (a union's variants named
    after their tags, as the SDKs name them: `deployment_run.failed` ->
    BetaWebhookDeploymentRunFailedEventData)."""
    return ClassShape(name, "", tuple(_fields(name, f"{prefix}.", fields, view)), 0)


def _fields(
    owner: str, prefix: str, fields: dict[str, Fact], view: SdkView, tag: str | None = None
) -> list[Field]:
    """The fields right under `prefix`; in a union's variant (`tag`), its `type` is the tag."""
    out = []
    for name, fact in fields.items():
        wire = name.removeprefix(prefix)
        if not name.startswith(prefix) or "." in wire or "[" in wire:
            continue
        if tag is not None and wire == "type":
            shape: Shape = EnumShape((EnumConstant(_constant(tag), tag, 0),))
            type_name = "Type"
        else:
            shape, type_name = _shape(owner, name, fact, fields, view)
        if fact.detail["nullable"] and fact.detail["required"]:
            raise InputError(f"SDK facts: {name} is a required key that may be null: no model shape has it")
        required = fact.detail["required"] is not False
        type_ref = TypeRef(type_name) if required else TypeRef("Optional", (TypeRef(type_name),))
        out.append(Field(wire, type_ref, "", 0, shape))
    return out


def _shape(owner: str, name: str, fact: Fact, fields: dict[str, Fact], view: SdkView) -> tuple[Shape, str]:
    kind = fact.detail["type"]
    if kind in _SCALARS:
        return ScalarShape(_SCALARS[kind]), _SCALARS[kind]
    if kind == "const":
        values = view.values("enum", name)
        if len(values) != 1:
            raise InputError(f"SDK facts: {name} is a constant with {len(values)} values")
        return EnumShape((EnumConstant(_constant(values[0]), values[0], 0),)), "Type"
    if kind == "union":
        variants = tuple(
            ClassShape(_class_name(tag), "", tuple(_fields(owner, f"{name}[{tag}].", fields, view, tag)), 0)
            for tag in view.values("enum", f"{name}.type")
        )
        return UnionShape(variants), owner + name.rpartition(".")[2].capitalize()
    raise InputError(f"SDK facts: {name} has the type {kind!r}, which no model shape holds")


def _constant(wire: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", wire).upper()


def _class_name(tag: str) -> str:
    """`deployment_run.failed` -> BetaWebhookDeploymentRunFailedEventData (the SDKs' class)."""
    words = re.split(r"[^A-Za-z0-9]+", tag)
    return "BetaWebhook" + "".join(w.capitalize() for w in words if w) + "EventData"
