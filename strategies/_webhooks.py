"""webhook_events(): the family's webhook events, compiled from spec/webhook_event.schema.json."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import strategies as st

from drun_conformance import spec

from ._compiler import from_schema
from ._validation import check_bool, check_choice
from ._values import prefixed_ids

__all__ = ["webhook_event_types", "webhook_events"]

# Realistic ids, keyed by where they sit in the event (the reference server's prefixes).
_REALISTIC_IDS = {
    "/id": "wevt_",
    "/data/id": "drun_",
    "/data/organization_id": "org_",
    "/data/workspace_id": "wrkspc_",
}


@cache
def webhook_event_types() -> tuple[str, ...]:
    """The events' `data.type` values, as spec/webhook_event.schema.json lists them."""
    data = spec.load_webhook_schema()["$defs"]["BetaWebhookEventData"]
    return tuple(data["properties"]["type"]["enum"])


def _narrowed_schema(event_type: str | None) -> dict[str, Any]:
    """The spec's schema, intersected (`allOf`) with the event type asked for."""
    schema = spec.load_webhook_schema()
    if event_type is None:
        return schema
    only = {"properties": {"data": {"properties": {"type": {"const": event_type}}}}}
    return {"allOf": [schema, only], "$defs": schema["$defs"]}


@cache
def _events(event_type: str | None, extra_fields: bool) -> st.SearchStrategy[dict[str, Any]]:
    strings = {where: prefixed_ids(prefix) for where, prefix in _REALISTIC_IDS.items()}
    return from_schema(_narrowed_schema(event_type), strings=strings, extra_fields=extra_fields)


def webhook_events(
    *, event_type: str | None = None, extra_fields: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """Valid webhook events of the family (`{id, type: "event", created_at, data}` around
    `{id, organization_id, type, workspace_id}`): every one meets every requirement of the
    catalog's `webhook` side, as `validate` judges them.

    - `event_type`: one of `webhook_event_types()` ("deployment_run.started"...), or any.
    - `extra_fields`: unknown extra fields at every object level, as a newer API may send.

    >>> webhook_events(event_type="deployment_run.failed").example()
    """
    check_choice(event_type, webhook_event_types(), "event_type")
    return _events(event_type, check_bool(extra_fields, "extra_fields"))
