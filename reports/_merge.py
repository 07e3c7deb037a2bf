"""`report merge SHARD.json... --report-dir DIR`: one run from the results of many shards of it.

A shard is one run of a command split by target (`client --sdk A` on one runner, `--sdk B` on
another, the same seed, so the same cases). The merged run holds every shard's targets in the
order given and computes again what a whole run computes across its targets: the verdict, the
gate and the differential, from each SDK target's case records. Shards of another seed, spec or
strictness are no part of one run, nor is a target named in two shards: an InputError (exit 2).

A reached SDK target whose results.json holds no case records (one written before they were)
leaves the differential uncomputed: the merged run has none, and each such target says why in
its notes.
"""

from __future__ import annotations

from collections.abc import Sequence

from drun_conformance._differential import Differential, differential
from drun_conformance._errors import InputError, UsageError
from drun_conformance.results import RunResults, TargetResult, run_gate, run_verdict

__all__ = ["NO_CASE_RECORDS", "merge_results", "merged_command"]

NO_CASE_RECORDS = (
    "its results.json holds no case records (written before drun-conformance wrote them):"
    " the differential across the merged targets could not be computed"
)
_TARGET_FLAGS = frozenset({"--sdk", "--harness"})
_DROPPED = _TARGET_FLAGS | {"--report-dir"}  # each shard's own; the merged run names its targets


def merge_results(shards: Sequence[tuple[str, RunResults]]) -> RunResults:
    """The run the shards (source name, results) are parts of; InputError when they are not."""
    if not shards:
        raise UsageError("report merge takes at least one results file")
    first_name, first = shards[0]
    owner: dict[str, str] = {}
    targets: list[TargetResult] = []
    for name, shard in shards:
        _same_run(first_name, first, name, shard)
        for target in shard.targets:
            if target.id in owner:
                raise InputError(f"report merge: target {target.id} is in both {owner[target.id]} and {name}")
            owner[target.id] = name
            targets.append(target)
    targets = [_noted(t) if _records_missing(t) else t for t in targets]
    partial = any(shard.partial for _, shard in shards)
    return RunResults(
        tool=first.tool,
        command=merged_command(first.command, targets),
        started_at=min(shard.started_at for _, shard in shards),
        duration_s=round(sum(shard.duration_s for _, shard in shards), 3),  # the work, not the wall time
        seed=first.seed,
        strict=first.strict,
        spec=first.spec,
        partial=partial,
        verdict=run_verdict(targets, partial=partial),
        gate=run_gate(targets, partial=partial),
        targets=targets,
        differential=None if any(_records_missing(t) for t in targets) else _differential(targets),
    )


def merged_command(first: Sequence[str], targets: Sequence[TargetResult]) -> list[str]:
    """The command of one whole run: the first shard's, without its report folder, naming every
    merged SDK target (`--sdk LABEL`, or `--harness CMD`). Other runs keep their command."""
    if not targets or any(t.kind != "client" for t in targets):
        return _without(first, {"--report-dir"})
    from drun_conformance.client._sdks import SDKS

    command = _without(first, _DROPPED)
    for target in targets:
        label = target.id.removeprefix("sdk:")
        command += ["--sdk" if label.partition("@")[0] in SDKS else "--harness", label]
    return command


def _same_run(first_name: str, first: RunResults, name: str, shard: RunResults) -> None:
    if shard.seed != first.seed:
        raise InputError(
            f"report merge: {first_name} has seed {first.seed} and {name} seed {shard.seed}:"
            " the shards of one run share its seed (and so its cases)"
        )
    if shard.spec != first.spec:
        raise InputError(
            f"report merge: {first_name} and {name} were checked against different specs"
            f" ({_spec(first)} and {_spec(shard)}): the shards of one run share its contract"
        )
    if shard.strict != first.strict:
        strict, lax = (first_name, name) if first.strict else (name, first_name)
        raise InputError(f"report merge: {strict} was run with --strict and {lax} without")


def _spec(results: RunResults) -> str:
    return f"sha256 {str(results.spec.get('sha256'))[:12]}, catalog {results.spec.get('catalog_version')}"


def _records_missing(target: TargetResult) -> bool:
    """A reached SDK target always has cases: with none on record, its file predates them."""
    return target.kind == "client" and bool(target.identity.get("reached", True)) and not target.case_records


def _noted(target: TargetResult) -> TargetResult:
    if NO_CASE_RECORDS in target.notes:
        return target
    return target.model_copy(update={"notes": [*target.notes, NO_CASE_RECORDS]})


def _differential(targets: Sequence[TargetResult]) -> Differential | None:
    """As a whole run computes it (drun_conformance._session)."""
    from drun_conformance.oracle import Oracle

    records = [(t.id, t.case_records) for t in targets if t.case_records]
    return differential(records, timestamps=Oracle.default().facts.timestamp_paths)


def _without(command: Sequence[str], flags: frozenset[str] | set[str]) -> list[str]:
    """`command` without `flags` and their values (`--flag VALUE` or `--flag=VALUE`)."""
    kept: list[str] = []
    skip = False
    for arg in command:
        if skip:
            skip = False
        elif arg.split("=", 1)[0] in flags:
            skip = "=" not in arg
        else:
            kept.append(arg)
    return kept
