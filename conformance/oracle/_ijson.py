"""Checks of a body as every client reads it (I-JSON, RFC 7493): no object names a member
twice, no string holds a lone surrogate. `parse_body` leaves such a body unparsed, so a body
it parsed meets both at no cost; for one it did not, `why_unparsed` says which it breaks (once
a case: the three body checks share the answer)."""

from __future__ import annotations

from ._body import unparsed_because
from ._case import UNPARSED, Case, Found
from ._rules import BODY

__all__: list[str] = []


def _i_json(case: Case, requirement: str) -> list[Found] | None:
    if case.run is not UNPARSED:
        return []
    why = unparsed_because(case)
    if why is None or why[0] == "payload.json":
        return None  # no JSON (payload.json's finding), or unknown bytes: no names to judge
    return [why[1]] if why[0] == requirement else None


@BODY.register("payload.json.unique-names")
def check_unique_names(case: Case) -> list[Found] | None:
    return _i_json(case, "payload.json.unique-names")


@BODY.register("payload.json.no-lone-surrogate")
def check_no_lone_surrogate(case: Case) -> list[Found] | None:
    return _i_json(case, "payload.json.no-lone-surrogate")
