"""The SDK gate's drift: `spec drift` on the release the gate ran, carried in its result so the
report shows the same table, each difference marked known (listed under `drift:` in the
expectations file in use) or not.

It never gates the gate: the gate judges what the SDK did with the cases it was served, and a
difference in its model that matters shows there as a failed requirement (an int32 `version`
fails client.parse.version); `spec drift` is the gate for the model itself (exit 1 on a
difference not listed). A model that cannot be read is said in the result, not raised.
"""

from __future__ import annotations

from pathlib import Path

from drun_conformance._errors import DrunError
from drun_conformance.contract._sdk_reports import drift_report
from drun_conformance.contract._sdk_sources import parse_sdk_source
from drun_conformance.results import TargetDrift

__all__ = ["drift_note", "gate_drift"]


def gate_drift(sdk: str, expectations: Path | None) -> TargetDrift:
    """`spec drift --sdk SDK` (`python@2.10.0`, `go@/path/to/sdk-go`) against the `drift:` list of
    `expectations` (None or not yet written: the shipped SDK's file)."""
    listed = expectations if expectations is not None and expectations.is_file() else None
    try:
        report = drift_report(parse_sdk_source(sdk), expectations_file=listed)
    except DrunError as exc:  # no Maven for Java's sources, a build of jars only: said, not raised
        return TargetDrift(given=sdk, error=str(exc))
    return TargetDrift.model_validate({k: v for k, v in report.items() if k != "sdk"})


def drift_note(drift: TargetDrift) -> str:
    """The drift in one line, for the console and the report's notes."""
    command = f"`drun-conformance spec drift --sdk {drift.given}`"
    if drift.error is not None:
        return f"drift from the contract not read ({command}): {drift.error}"
    count = len(drift.differences)
    known = count - drift.unexpected
    line = f"drift from the contract ({command}): {count} differences, {known} known ({drift.expectations})"
    if drift.unexpected:
        line += f", {drift.unexpected} not listed: reported here, gated by {command} (exit 1)"
    return line
