"""The operation family around a run, as `spec build` takes it from its sources: the run's keys as
settled between the page and the SDKs, the read-back and the listing with their parameters, the
listing's page, the webhook event, the betas and the headers, each with the SDK releases and files
that say it.

    family = read_family(sources)
    family.required          # run keys an SDK makes required: {"session_id", "error"}
    family.operations        # the family's other operations, parameters and all
    family.webhook           # the webhook event's class (ClassShape), from the SDKs' facts
    family.decisions         # where the sources differ, what the contract says and why
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from drun_conformance._errors import InputError

from ._contract_facts import run_facts
from ._json_schema import build_schema
from ._page import ClassShape, EnumShape, UnionShape
from ._sdk_facts import BETAS, Fact
from ._sdk_models import model_shape
from ._second_source import SdkView, Settled, merged_type, settle_model, settle_run
from ._sources import SpecSources

__all__ = ["Family", "FamilyOperation", "FamilyParameter", "read_family"]

WEBHOOK_CLASS = "BetaWebhookEvent"


@dataclass(frozen=True, slots=True)
class FamilyParameter:
    """A query parameter of a family operation, as the SDKs send it."""

    name: str  # as sent: "created_at[gt]"
    type: str  # the type the SDKs agree on: string, date-time, boolean, integer, enum
    doc: str  # the documentation most SDKs give it
    values: tuple[str, ...] = ()  # an enumeration's values


@dataclass(frozen=True, slots=True)
class FamilyOperation:
    method: str
    path: str
    operation_id: str
    summary: str
    parameters: tuple[FamilyParameter, ...]

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True, slots=True)
class Family:
    view: SdkView
    run: Settled
    page_model: dict[str, Fact]  # page.data, page.next_page, settled
    webhook: ClassShape
    webhook_settled: Settled
    operations: tuple[FamilyOperation, ...]
    betas: tuple[str, ...]  # the page's, then those only the SDKs know
    headers: tuple[str, ...]  # optional headers the SDKs send
    anthropic_version: str | None  # the version the SDKs send, when they agree
    limit: dict[str, int]
    decisions: tuple[dict[str, Any], ...]

    @property
    def required(self) -> frozenset[str]:
        """Top-level run keys an SDK makes required (nested ones have no place in the schema yet)."""
        return frozenset(path[0] for path in self.run.required)


def read_family(sources: SpecSources) -> Family:
    """The family from the page, the rules' `family` and `sdk_policy`, and the SDK facts."""
    view = SdkView(sheet for sheet, _ in sources.sheets)
    scope, policy = sources.rules["family"], sources.rules["sdk_policy"]
    if not view.sheets:
        raise InputError("no SDK facts in spec/source/sdks/: run `drun-conformance spec sources refresh`")
    run = settle_run(run_facts(build_schema(sources.page)), view, policy)
    nested = sorted(".".join(p) for p in run.required if len(p) > 1)
    if nested:
        raise InputError(f"an SDK requires nested keys the schema cannot require yet: {nested}")
    page_model, page_settled = settle_model("page.", view, policy)
    hooks, hook_settled = settle_model("webhook.", view, policy)
    webhook = model_shape("webhook", WEBHOOK_CLASS, hooks, view)
    _only_family_events(webhook, str(scope.get("webhook_events", "")))
    return Family(
        view=view,
        run=run,
        page_model=page_model,
        webhook=webhook,
        webhook_settled=hook_settled,
        operations=tuple(_operation(entry, view) for entry in scope.get("operations", [])),
        betas=_betas(sources, view),
        headers=tuple(_known_header(name, view) for name in scope.get("optional_headers", [])),
        anthropic_version=_agreed_value(view, "anthropic-version"),
        limit={k: int(v) for k, v in (scope.get("limit") or {}).items()},
        decisions=(*run.decisions, *page_settled.decisions, *hook_settled.decisions),
    )


def _only_family_events(webhook: ClassShape, prefix: str) -> None:
    data = webhook.field_named("data")
    variants = data.shape.variants if data is not None and isinstance(data.shape, UnionShape) else ()
    if not variants or not prefix:
        raise InputError("SDK facts: no webhook event of the family (rules: family.webhook_events)")
    for variant in variants:
        tag = variant.field_named("type")
        if (
            tag is None
            or not isinstance(tag.shape, EnumShape)
            or not tag.shape.constants[0].wire.startswith(prefix)
        ):
            raise InputError(f"SDK facts: the webhook event {variant.name} is not of {prefix}*")


def _operation(entry: dict[str, Any], view: SdkView) -> FamilyOperation:
    method, _, path = str(entry.get("operation", "")).partition(" ")
    name = f"{method} {path}"
    view.where("operation", name)  # an operation no SDK has is a typo in the rules
    found = {f.name for sheet in view.sheets for f in sheet.facts if f.kind == "parameter"}
    parameters = []
    for fact_name in sorted(n for n in found if n.startswith(name + "?")):
        saids = view.said("parameter", fact_name)
        docs = Counter(str(s.fact.detail.get("doc") or "") for s in saids)
        docs.pop("", None)
        doc = max(sorted(docs), key=lambda d: docs[d]) if docs else ""  # the most given, then the first
        values = tuple(view.values("enum", fact_name))
        kind = "enum" if values else merged_type(fact_name, [str(s.fact.detail["type"]) for s in saids])
        parameters.append(FamilyParameter(fact_name.partition("?")[2], kind, doc, values))
    return FamilyOperation(method, path, str(entry["id"]), str(entry["summary"]), tuple(parameters))


def _betas(sources: SpecSources, view: SdkView) -> tuple[str, ...]:
    page = next(
        (
            [c.wire for c in p.shape.constants]
            for p in sources.page.parameters
            if p.wire_name == "betas" and isinstance(p.shape, EnumShape)
        ),
        [],
    )
    return tuple(dict.fromkeys([*page, *view.values("enum", BETAS)]))


def _known_header(name: str, view: SdkView) -> str:
    view.where("header", name)
    return name


def _agreed_value(view: SdkView, header: str) -> str | None:
    values = {s.fact.detail.get("value") for s in view.said("header", header)}
    return values.pop() if len(values) == 1 else None
