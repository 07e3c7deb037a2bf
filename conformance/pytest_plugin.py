"""drun-conformance as a pytest plugin: one test item per requirement per target.

Registered as the `pytest11` entry point `drun`. It imports only pytest and the standard
library at load time (the suite is imported when a drun item first runs), so installing
drun-conformance costs other test runs nothing.

    pytest --drun-target embedded                         # the embedded reference server
    pytest --drun-target https://staging.example --drun-max-requests 10
    pytest --drun-sdk python --drun-report-dir drun-report

Options (group "drun-conformance"): `--drun-target embedded|URL` and `--drun-sdk NAME`
(each repeatable, one target each), `--drun-max-requests N`, `--drun-report-dir DIR`
(report.html, results.json, junit.xml), `--drun-api-key KEY` (default: $ANTHROPIC_API_KEY),
`--drun-strict` (SHOULD failures gate too). Without a target or an SDK the plugin does nothing.

Items have node ids `drun::<target>::<requirement>`, e.g.
`drun::server:embedded::run.outcome.exactly-one` or `drun::sdk:python::edge.string.long`;
select with `-k`. Outcomes map honestly:

    failed MUST (and SHOULD with --drun-strict)  -> failed, the counterexample in the report
    failed SHOULD without --drun-strict, or EDGE -> xfailed with the message (reported, not gating)
    failed but listed in the SDK's expectations  -> xfailed with the listed reason
    skipped                                      -> skipped with the reason (never passed)
    errored                                      -> error
    passed                                       -> passed

A run whose verdict is `incomplete` (MUST checks planned, none exercised) or that was cut
short makes pytest exit 1 even if no item failed, as `drun-conformance` would.

The run happens once, when the first drun item runs, through the firstresult hook
`pytest_drun_results(config, targets) -> RunResults` (one TargetResult per target, in the
order of `targets`). The default implementation runs the server runner per server target
and `drun_conformance.check_client(sdk=NAME, strict=...)` per SDK target. A conftest.py can
implement the hook to supply results another way (the plugin's tests feed RunResults so).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pytest

if TYPE_CHECKING:
    from ._verdict import RequirementResult, RunResults, TargetResult

__all__ = ["DrunHookSpecs", "DrunRunError", "DrunTarget", "RequirementFailed", "RequirementItem"]

_SIDES = {"server": ("server",), "client": ("client-request", "client-parse")}


@dataclass(frozen=True)
class DrunTarget:
    """One target asked for on the command line: a server (embedded or a URL) or an SDK."""

    kind: Literal["server", "client"]
    name: str  # "embedded", a base URL, or an SDK name such as "python"

    @property
    def id(self) -> str:
        prefix = "server" if self.kind == "server" else "sdk"
        return f"{prefix}:{self.name}".replace("::", ":_:")  # "::" would split the node id


class DrunHookSpecs:
    @pytest.hookspec(firstresult=True)
    def pytest_drun_results(self, config: pytest.Config, targets: list[DrunTarget]) -> RunResults | None:
        """Run the suite on `targets`; return RunResults with one TargetResult per target, in order."""
        raise NotImplementedError  # a hookspec: never called


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(DrunHookSpecs)
    # The validating proxy (`--drun-proxy URL`, the `drun_proxy` fixture): its own module,
    # registered with this one; it too imports only pytest and the standard library when idle.
    from . import pytest_proxy

    if not pluginmanager.is_registered(pytest_proxy):
        pluginmanager.register(pytest_proxy, "drun-proxy")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drun-conformance", "conformance of Run Deployment Now (drun-conformance)")
    group.addoption(
        "--drun-target",
        action="append",
        default=[],
        metavar="embedded|URL",
        help="check a server: 'embedded' (the reference server) or a base URL; repeatable",
    )
    group.addoption(
        "--drun-sdk", action="append", default=[], metavar="NAME", help="check an SDK harness; repeatable"
    )
    group.addoption(
        "--drun-max-requests",
        type=int,
        default=None,
        metavar="N",
        help="never send a server more than N requests (default: the runner's, 10 for a remote URL)",
    )
    group.addoption(
        "--drun-report-dir", default=None, metavar="DIR", help="write report.html, results.json, junit.xml"
    )
    # No default value here: pytest would print it in --help, and it is a secret.
    group.addoption(
        "--drun-api-key", default=None, metavar="KEY", help="API key (default: $ANTHROPIC_API_KEY)"
    )
    group.addoption("--drun-strict", action="store_true", help="SHOULD failures fail too, not only MUST")


def _targets(config: pytest.Config) -> list[DrunTarget]:
    servers = [DrunTarget("server", t) for t in config.getoption("drun_target") or []]
    return servers + [DrunTarget("client", s) for s in config.getoption("drun_sdk") or []]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "drun: a drun-conformance requirement on one target (the plugin)")
    targets = _targets(config)
    if not targets:
        return
    max_requests = config.getoption("drun_max_requests")
    if max_requests is not None and max_requests < 1:
        raise pytest.UsageError(f"--drun-max-requests must be at least 1, not {max_requests}")
    if len({t.id for t in targets}) != len(targets):
        raise pytest.UsageError("each --drun-target and --drun-sdk may be given once")
    config.stash[_RUN] = _Run(config, targets)


def pytest_report_header(config: pytest.Config) -> str | None:
    run = config.stash.get(_RUN, None)
    return f"drun-conformance: {', '.join(t.id for t in run.targets)}" if run else None


@pytest.hookimpl(tryfirst=True)  # before -k / -m deselect, so they apply to drun items too
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run = config.stash.get(_RUN, None)
    if run is None:
        return
    from . import spec

    catalog = spec.load_requirements()["requirements"]
    root = _Suite.from_parent(session, name="drun", nodeid="drun")  # not "::drun" under the session
    for index, target in enumerate(run.targets):
        node = _TargetNode.from_parent(root, name=target.id)
        sides = _SIDES[target.kind]
        node.requirement_items = [
            RequirementItem.from_parent(node, name=e["id"], index=index, level=e["level"])
            for e in catalog
            if e["side"] in sides
        ]
        run.collected[index] = {item.name for item in node.requirement_items}
        items.extend(node.requirement_items)


@pytest.hookimpl(trylast=True)
def pytest_drun_results(config: pytest.Config, targets: list[DrunTarget]) -> RunResults:
    """The default: the suite's own runners, one per target."""
    return _run_targets(config, targets)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    run = session.config.stash.get(_RUN, None)
    if run is None or run.results is None:
        return
    report_dir = session.config.getoption("drun_report_dir")
    if report_dir:
        from .reports import write_reports

        write_reports(run.results, Path(report_dir), secrets=[k for k in [_api_key(session.config)] if k])
    results = run.results
    if (results.partial or results.verdict == "incomplete") and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(_RUN, None)
    if run is None or run.results is None:
        return
    results = run.results
    verdict = "incomplete" if results.partial and results.verdict == "conformant" else results.verdict
    terminalreporter.section("drun-conformance")
    partial = " (PARTIAL: the run was cut short)" if results.partial else ""
    terminalreporter.write_line(f"verdict: {verdict}{partial}")
    for target in results.targets:
        counts = target.counts()
        line = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        terminalreporter.write_line(f"  {target.id}: {target.verdict} ({line})")
    if run.unmatched:
        terminalreporter.write_line(f"reported without a test item: {', '.join(sorted(run.unmatched))}")
    report_dir = config.getoption("drun_report_dir")
    if report_dir:
        terminalreporter.write_line(f"report: {Path(report_dir) / 'report.html'}")


# --- the run, done once --------------------------------------------------------------------


class DrunRunError(Exception):
    """The suite could not produce results: every drun item errors with this message."""


class _Run:
    def __init__(self, config: pytest.Config, targets: list[DrunTarget]) -> None:
        self.config = config
        self.targets = targets
        self.results: RunResults | None = None
        self.error: str | None = None
        self.unmatched: set[str] = set()
        self.collected: list[set[str]] = [set() for _ in targets]
        self._by_target: list[dict[str, RequirementResult]] = []
        self._ran = False

    def requirement(self, index: int, requirement_id: str) -> RequirementResult:
        if not self._ran:
            self._ran = True
            self._produce()
        if self.error is not None:
            raise DrunRunError(self.error)
        found = self._by_target[index].get(requirement_id)
        if found is None:
            raise DrunRunError(f"the run reported no result for {requirement_id} on {self.targets[index].id}")
        return found

    def _produce(self) -> None:
        from ._errors import DrunError

        try:
            results = self.config.hook.pytest_drun_results(config=self.config, targets=self.targets)
        except (DrunError, DrunRunError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            return
        if results is None:
            self.error = "no pytest_drun_results implementation returned results"
            return
        if len(results.targets) != len(self.targets):
            self.error = f"asked for {len(self.targets)} targets, the run reported {len(results.targets)}"
            return
        from .reports import redact_results

        # Redacted once, here: failure texts, skip reasons and the report files all come from it.
        results = redact_results(results, [k for k in [_api_key(self.config)] if k])
        self.results = results
        self._by_target = [{r.id: r for r in t.requirements} for t in results.targets]
        # Requirements the runner judged that the catalog did not lead us to collect: shown in
        # the terminal summary, so a catalog and runner out of step cannot go unnoticed.
        self.unmatched = {
            f"{self.targets[i].id}::{r.id}"
            for i, t in enumerate(results.targets)
            for r in t.requirements
            if r.id not in self.collected[i]
        }

    def target(self, index: int) -> TargetResult:
        assert self.results is not None
        return self.results.targets[index]


_RUN = pytest.StashKey[_Run]()


def _api_key(config: pytest.Config) -> str | None:
    key = config.getoption("drun_api_key")
    return key if key is not None else os.environ.get("ANTHROPIC_API_KEY")


def _run_targets(config: pytest.Config, targets: list[DrunTarget]) -> RunResults:
    from ._session import check_targets
    from .client._check import check_client
    from .server._runner import ServerOptions, check_server

    strict = bool(config.getoption("drun_strict"))

    def check(target: DrunTarget) -> Callable[[], TargetResult]:
        if target.kind == "client":
            return lambda: check_client(sdk=target.name, strict=strict)
        options = ServerOptions(
            base_url=None if target.name == "embedded" else target.name,
            api_key=_api_key(config),
            max_requests=config.getoption("drun_max_requests"),
            strict=strict,
        )
        return lambda: check_server(options)

    command = ["pytest", *config.invocation_params.args]
    results = check_targets([check(t) for t in targets], command=command, seed=None, strict=strict)
    if results.partial:  # Ctrl-C belongs to pytest
        raise KeyboardInterrupt
    return results


# --- collection nodes ------------------------------------------------------------------------


class _Suite(pytest.Collector):
    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []  # filled in by pytest_collection_modifyitems, not by pytest's own collection


class _TargetNode(pytest.Collector):
    requirement_items: list[RequirementItem]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return list(getattr(self, "requirement_items", []))


class RequirementFailed(Exception):
    """A requirement failed on the target: repr_failure shows the counterexample."""


class RequirementItem(pytest.Item):
    """One requirement on one target; its outcome is read from the run's results."""

    def __init__(self, *, index: int, level: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.level = level
        self.add_marker(pytest.mark.drun)

    def _result(self) -> RequirementResult:
        return self.config.stash[_RUN].requirement(self.index, self.name)

    def setup(self) -> None:
        # A failure raised in setup is reported as an error; pytrace=False: the reason is the
        # whole story, a traceback into this plugin is noise (and slow, times every item).
        try:
            result = self._result()
        except DrunRunError as exc:
            pytest.fail(str(exc), pytrace=False)
        if result.status == "errored":
            pytest.fail(
                f"{result.level} {result.id} errored: {result.reason or 'no reason recorded'}", pytrace=False
            )
        if result.status == "skipped":
            pytest.skip(f"{result.level} {result.id}: {result.reason or 'not exercised'}")

    def runtest(self) -> None:
        result = self._result()
        if result.status != "failed":
            return
        if result.expected is not None:
            pytest.xfail(f"{result.id} known failure ({result.expected}): {result.message or result.title}")
        strict = bool(self.config.getoption("drun_strict"))
        if result.level == "MUST" or (result.level == "SHOULD" and strict):
            from .reports._text import counterexample_text

            run = self.config.stash[_RUN]
            raise RequirementFailed(counterexample_text(result, kind=run.target(self.index).kind))
        gate = "EDGE: never gating" if result.level == "EDGE" else "SHOULD: gating only with --drun-strict"
        pytest.xfail(f"{result.id} failed ({gate}): {result.message or result.title}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, RequirementFailed | DrunRunError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"drun {self.parent.name if self.parent else ''}::{self.name}"
