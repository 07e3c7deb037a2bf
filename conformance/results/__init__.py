"""The results of a run: what `check_server`, `check_client`, the proxy and the pytest plugin's
`pytest_drun_results` hook return, what `results.json` holds and every report renders.

    from drun_conformance import check_server
    from drun_conformance.results import describe_gate

    result = check_server()                   # a TargetResult
    print(result.verdict, result.gate)        # "conformant", "passed"
    print(describe_gate(result))              # both judgements on one line
    failed = [r.id for r in result.requirements if r.status == "failed"]

A runner feeds each evaluation of the oracle to a `TargetTally`, which keeps per requirement
the counts and the smallest counterexample, then freezes into a `TargetResult`; a run's
targets make its `RunResults`. Each target gets two judgements, never mixed: the `Verdict`
(what was found) and the `Gate` (what the exit status makes of it); see `target_verdict`.
"""

from drun_conformance._differential import Differential

from ._models import (
    RESULTS_SCHEMA_VERSION,
    Counterexample,
    DriftDifference,
    Gate,
    Interrupted,
    RequirementResult,
    RunResults,
    Status,
    TargetDrift,
    TargetResult,
    Verdict,
)
from ._policy import describe_gate, run_gate, run_verdict, target_gate, target_verdict
from ._tally import Remedy, TargetTally

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "Counterexample",
    "Differential",
    "DriftDifference",
    "Gate",
    "Interrupted",
    "Remedy",
    "RequirementResult",
    "RunResults",
    "Status",
    "TargetDrift",
    "TargetResult",
    "TargetTally",
    "Verdict",
    "describe_gate",
    "run_gate",
    "run_verdict",
    "target_gate",
    "target_verdict",
]
