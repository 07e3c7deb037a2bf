"""The SDK gate's public entry: `check_client`, the options, and the gates `drun-conformance run`
adds. The gate itself (`_gate`) is imported on first use: it brings Hypothesis and the
strategies, which `import drun_conformance` should not pay for.
"""

from __future__ import annotations

import dataclasses
import functools
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drun_conformance import spec
from drun_conformance._errors import SdkUnavailable, UsageError

from ._options import DEFAULT_EXAMPLES, ClientOptions
from ._sdks import SDKS, HarnessCommand, LocalBuild, harness_environment, parse_sdk, prepare_sdk

if TYPE_CHECKING:
    from drun_conformance.results import TargetResult

__all__ = [
    "DEFAULT_EXAMPLES",
    "ClientOptions",
    "baseline_options",
    "check_client",
    "expectations_path",
    "harness_command",
    "run_baseline",
    "runnable_sdk_gates",
]

Note = Callable[[str], None]


def harness_command(options: ClientOptions, *, note: Note | None = None) -> HarnessCommand:
    """The command to start: a shipped SDK (installed on first use) or the --harness given."""
    if (options.sdk is None) == (options.harness is None):
        raise UsageError("give exactly one of --sdk NAME and --harness CMD")
    if options.sdk is not None:
        sdk, release = parse_sdk(options.sdk)
        return prepare_sdk(sdk, release, note=note)
    assert options.harness is not None
    try:
        argv = tuple(shlex.split(options.harness))
    except ValueError as exc:
        raise UsageError(f"--harness {options.harness!r}: {exc}") from exc
    if not argv:
        raise UsageError("--harness needs a command")
    return HarnessCommand(argv, harness_environment(), options.harness)


def check_client(
    options: ClientOptions | None = None,
    *,
    note: Note | None = None,
    baseline: TargetResult | None = None,
    **fields: Any,
) -> TargetResult:
    """Run the SDK gate: `check_client(sdk="python", strict=True)` or with ClientOptions.
    `baseline`: the gate's result for the baseline release (same seed and examples), each of
    whose cases the candidate must handle as the baseline did (client.baseline.same); without
    it, `options.baseline` names a release to run first for that."""
    options = options or ClientOptions(**fields)
    if baseline is None and options.baseline is not None:  # run here when no run of it is given
        baseline = run_baseline(baseline_options(options), note=note)
    if options.examples < 0:
        raise UsageError("--examples must be 0 or more")
    if options.record_expectations and options.harness is not None and options.expectations_file is None:
        raise UsageError("--record-expectations with --harness needs --expectations FILE to write")
    try:
        command = harness_command(options, note=note)
    except SdkUnavailable as exc:  # the SDK cannot run here: an unreached target, with reports
        return _not_installed(options, str(exc))
    return _run_gate(options, command, note, baseline)


def baseline_options(options: ClientOptions) -> ClientOptions:
    """The gate run of `options.baseline`: the same cases, its shipped expectations, no baseline."""
    return dataclasses.replace(
        options,
        sdk=options.baseline,
        harness=None,
        expectations=True,
        expectations_file=None,
        record_expectations=False,
        baseline=None,
    )


def run_baseline(options: ClientOptions, *, note: Note | None = None) -> TargetResult:
    """The baseline release's gate run (`options` from `baseline_options`), named by its
    release even when it is the default one: "as sdk:python@2.10.0 did"."""
    result = check_client(options, note=note)
    return result.model_copy(update={"id": f"sdk:{options.sdk}"})


def _not_installed(options: ClientOptions, reason: str) -> TargetResult:
    from drun_conformance.results import TargetTally

    tally = TargetTally(spec.load_catalog(), sides={"client-request", "client-parse"})
    return tally.result(
        target_id=f"sdk:{options.sdk}",
        kind="client",
        identity={"sdk": options.sdk, "reached": False},
        strict=options.strict,
        notes=[reason],
        default_skip=reason,
    )


def expectations_path(options: ClientOptions, command: HarnessCommand) -> Path | None:
    """The expectations file of a gate run: --expectations FILE, else the shipped SDK's."""
    if options.expectations_file is not None:
        path = Path(options.expectations_file)
        if not path.is_file() and not options.record_expectations:
            raise UsageError(f"--expectations: no such file: {path}")
        return path
    return command.expectations if options.expectations else None


def _run_gate(
    options: ClientOptions, command: HarnessCommand, note: Note | None, baseline: TargetResult | None = None
) -> TargetResult:
    # The drift's modules too, before any case is drawn: Hypothesis draws some values from the
    # constants of the local modules loaded, so a seed draws the same cases in turn as side by side.
    from . import _drift  # noqa: F401
    from ._expectations import load_expectations
    from ._gate import Baseline, Gate

    path = expectations_path(options, command)
    if path is not None and path.is_file():  # a broken file stops the run before anything is called
        load_expectations(path, version=None, catalog=spec.load_catalog())
    command = dataclasses.replace(command, expectations=path)
    gate = Gate(options, command, note, baseline=Baseline.of(baseline) if baseline is not None else None)
    result = gate.execute()
    if command.gated is not None:  # a local build: name what was gated (the version is the harness's)
        result = result.model_copy(update={"identity": {**result.identity, **command.gated}})
    result = gate.ledger.settle(result, strict=options.strict)
    if options.sdk is not None and result.identity.get("reached"):
        result = _with_drift(result, options.sdk, path, note)
    if options.record_expectations and path is not None and result.identity.get("reached"):
        said = gate.ledger.record(result, path, version=result.identity.get("version"))
        notes = [*result.notes, f"recorded the failures into {path}", *said]
        result = result.model_copy(update={"notes": notes})
    return result


def _with_drift(
    result: TargetResult, given: str, expectations: Path | None, note: Note | None
) -> TargetResult:
    """The result with the drift of the release gated (never changing its gate: see `_drift`)."""
    from ._drift import drift_note, gate_drift

    sdk, release = parse_sdk(given)
    where = release.path if isinstance(release, LocalBuild) else release
    drift = gate_drift(f"{sdk.name}@{where}", expectations)
    said = drift_note(drift)
    _say(note, said)
    return result.model_copy(update={"drift": drift, "notes": [*result.notes, said]})


def runnable_sdk_gates(
    *, seed: int | None, strict: bool, note: Note | None = None
) -> list[Callable[[], TargetResult | None]]:
    """For `drun-conformance run`: a gate per shipped SDK, each installing its default release
    when it starts, so an install interrupted still leaves the run's reports. One that cannot
    run here (no Node.js, no registry) is named and left out: its gate answers None."""
    return [
        functools.partial(_gate_if_runnable, ClientOptions(sdk=name, seed=seed, strict=strict), note)
        for name in SDKS
    ]


def _gate_if_runnable(options: ClientOptions, note: Note | None) -> TargetResult | None:
    sdk = SDKS[str(options.sdk)]
    try:
        command = prepare_sdk(sdk, sdk.default_version, note=note)
    except SdkUnavailable as exc:
        _say(note, f"the {sdk.name} SDK gate cannot run here, left out: {exc}")
        return None
    return _run_gate(options, command, note)


def _say(note: Note | None, text: str) -> None:
    if note is not None:
        note(text)
