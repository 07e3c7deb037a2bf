"""Judging exchanges the suite did not make itself: recorded payloads and HTTP archives (`validate`).

    from drun_conformance.recorded import payload_conforms, validate_inputs

    report = validate_inputs(["runs.jsonl"])          # every finding, payload by payload
    payload_conforms(raw)                             # one body's MUST verdict alone, fastest

A pre-filter (`PreFilter`) stands in front of the oracle here: it tells, from jsonschema-rs, which
requirements cannot fire on a body, and the oracle's `judge_recorded` runs the rest.
"""

from ._prefilter import PreFilter, payload_conforms
from ._validate import PayloadResult, ValidationReport, validate_inputs

__all__ = ["PayloadResult", "PreFilter", "ValidationReport", "payload_conforms", "validate_inputs"]
