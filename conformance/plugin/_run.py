"""The plugin's one run of the suite: done when the first drun item needs it, once per session.

Under pytest-xdist every worker collects the same items, so each knows which targets the
session selected. The controller gives the workers one shared folder; the first worker that
needs results takes its lock, runs the targets and writes them there (results already
redacted, or the error that stopped the run); the others, and the controller for its summary
and exit status, read that file. So `-n N` contacts a target once, not N times.

Imports only pytest and the standard library at load time; the suite when it runs.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._options import DrunSettings, DrunTarget, ReadsTarget

if TYPE_CHECKING:
    from drun_conformance.client._options import ClientOptions
    from drun_conformance.results import RequirementResult, RunResults, TargetResult
    from drun_conformance.server import ServerOptions

__all__ = ["RUN", "DrunRunError", "Run", "client_options", "run_targets", "server_options"]

_RESULTS_FILE, _LOCK_FILE = "results.json", "results.lock"


class DrunRunError(Exception):
    """The suite could not produce results: every drun item errors with this message."""


class Run:
    """The session's run: its settings, which targets the selection needs, and the results."""

    def __init__(self, config: pytest.Config, settings: DrunSettings) -> None:
        self.config = config
        self.settings = settings
        # Each server target's answers as each --drun-through-sdk reads them: after every other.
        self.targets = [
            *settings.targets,
            *(
                ReadsTarget("client", sdk, server=t.name)
                for t in settings.targets
                if t.kind == "server"
                for sdk in settings.through_sdks
            ),
        ]
        self.shared_dir: Path | None = None  # set under xdist: where the one run's results go
        self.needed: list[int] = []  # indexes of the targets with a selected item
        self.results: RunResults | None = None  # of the needed targets, in order
        self.error: str | None = None
        self.unmatched: set[str] = set()
        self.collected: list[set[str]] = [set() for _ in self.targets]
        self._by_target: dict[int, dict[str, RequirementResult]] = {}
        self._ran = False

    def requirement(self, index: int, requirement_id: str) -> RequirementResult:
        if not self._ran:
            self._ran = True
            self._obtain()
        if self.error is not None:
            raise DrunRunError(self.error)
        found = self._by_target.get(index, {}).get(requirement_id)
        if found is None:
            raise DrunRunError(f"the run reported no result for {requirement_id} on {self.targets[index].id}")
        return found

    def target(self, index: int) -> TargetResult:
        assert self.results is not None
        return self.results.targets[self.needed.index(index)]

    def load_shared(self) -> None:
        """Read what a worker wrote (the controller, for its summary and exit status)."""
        if self.shared_dir is not None and (self.shared_dir / _RESULTS_FILE).is_file():
            self._read(self.shared_dir / _RESULTS_FILE)

    def _obtain(self) -> None:
        if self.shared_dir is None:
            self._accept(*self._produce())
            return
        from filelock import FileLock

        shared = self.shared_dir / _RESULTS_FILE
        with FileLock(str(self.shared_dir / _LOCK_FILE)):
            if not shared.is_file():  # no other worker ran it: this one does, for all
                results, error = self._produce()
                data: dict[str, Any] = {"needed": self.needed, "error": error}
                if results is not None:
                    data["results"] = results.model_dump(mode="json")
                partial = shared.with_suffix(".part")
                partial.write_text(json.dumps(data), encoding="utf-8")
                partial.replace(shared)
        self._read(shared)

    def _read(self, path: Path) -> None:
        from drun_conformance.results import RunResults

        data = json.loads(path.read_text(encoding="utf-8"))
        self.needed = data["needed"]  # the controller collects nothing: it learns them here
        if "results" in data:
            self._accept(RunResults.model_validate(data["results"]), None)
        else:
            self._accept(None, data["error"])

    def _produce(self) -> tuple[RunResults | None, str | None]:
        from drun_conformance._errors import DrunError

        targets = [self.targets[i] for i in self.needed]
        try:
            results = self.config.hook.pytest_drun_results(config=self.config, targets=targets)
        except (DrunError, DrunRunError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if results is None:
            return None, "no pytest_drun_results implementation returned results"
        if len(results.targets) != len(targets):
            return None, f"asked for {len(targets)} targets, the run reported {len(results.targets)}"
        from drun_conformance.reports import redact_results

        # Redacted once, here: failure texts, skip reasons, the shared file and the reports.
        return redact_results(results, [k for k in [self.settings.api_key] if k]), None

    def _accept(self, results: RunResults | None, error: str | None) -> None:
        self.results, self.error = results, error
        if results is None:
            return
        pairs = list(zip(self.needed, results.targets, strict=True))
        self._by_target = {i: {r.id: r for r in t.requirements} for i, t in pairs}
        # Requirements the runner judged that the catalog did not lead us to collect: shown in
        # the terminal summary, so a catalog and runner out of step cannot go unnoticed.
        self.unmatched = {
            f"{self.targets[i].id}::{r.id}"
            for i, t in pairs
            for r in t.requirements
            if r.id not in self.collected[i]
        }


RUN = pytest.StashKey[Run]()


def run_targets(config: pytest.Config, targets: Sequence[DrunTarget]) -> RunResults:
    """The default `pytest_drun_results`: the suite's own runners, one per target."""
    from drun_conformance._session import check_targets, reproduce_command

    settings = config.stash[RUN].settings
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**32)
    logs: dict[str, _Answers] = {}
    checks = [_check(settings, target, seed, logs) for target in targets]
    command = ["pytest", *reproduce_command(config.invocation_params.args, seed=None)[1:]]
    if settings.seed is None:
        command += ["--drun-seed", str(seed)]
    results = check_targets(checks, command=command, seed=seed, strict=settings.strict)
    if results.partial:  # Ctrl-C belongs to pytest
        raise KeyboardInterrupt
    return results


class _Answers:
    """One server target's run-now answers, kept for its reads targets: the server's own check
    keeps them; a reads target whose server target was not selected runs that check unreported."""

    def __init__(self, options: ServerOptions) -> None:
        from drun_conformance.server._replay import AnswerLog

        self.options = options
        self.log = AnswerLog()
        self.checked = False

    def check(self) -> TargetResult:
        from drun_conformance.server import check_server

        self.checked = True
        return check_server(self.options, answers=self.log)

    def read(self, sdk: str, strict: bool) -> TargetResult:
        from drun_conformance.server._replay import read_through_sdk

        if not self.checked:
            self.check()
        return read_through_sdk(self.log, sdk, strict=strict)


def _check(
    settings: DrunSettings, target: DrunTarget, seed: int, logs: dict[str, _Answers]
) -> Callable[[], TargetResult]:
    from drun_conformance.client._check import check_client
    from drun_conformance.server import check_server

    if isinstance(target, ReadsTarget):
        server = server_options(settings, DrunTarget("server", target.server), seed)
        answers = logs.setdefault(target.server, _Answers(server))
        return lambda: answers.read(target.name, settings.strict)
    if target.kind == "client":
        client = client_options(settings, target, seed)
        return lambda: check_client(client)
    server = server_options(settings, target, seed)
    if not settings.through_sdks:
        return lambda: check_server(server)
    return logs.setdefault(target.name, _Answers(server)).check


def server_options(settings: DrunSettings, target: DrunTarget, seed: int | None) -> ServerOptions:
    """What the server runner is asked for a server target."""
    from drun_conformance.server import ServerOptions

    options = ServerOptions(
        base_url=None if target.name == "embedded" else target.name,
        api_key=settings.api_key,
        deployment_ids=settings.deployment_ids,
        max_requests=settings.max_requests,
        profile=settings.profile,
        seed=seed,
        strict=settings.strict,
    )
    return options if settings.timeout is None else replace(options, timeout_s=settings.timeout)


def client_options(settings: DrunSettings, target: DrunTarget, seed: int | None) -> ClientOptions:
    """What the SDK gate is asked for an SDK or harness target."""
    from drun_conformance.client._options import ClientOptions

    options = ClientOptions(
        sdk=None if target.harness else target.name,
        harness=target.name if target.harness else None,
        seed=seed,
        strict=settings.strict,
        baseline=settings.baseline,
    )
    return options if settings.timeout is None else replace(options, call_timeout=settings.timeout)
