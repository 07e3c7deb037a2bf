"""Judging exchanges the suite did not make itself: recorded payloads and HTTP archives (`validate`)."""

from ._validate import PayloadResult, ValidationReport, validate_inputs

__all__ = ["PayloadResult", "ValidationReport", "validate_inputs"]
