"""drun-conformance as a pytest plugin: one test item per requirement per target, and fixtures.

Registered as the `pytest11` entry point `drun`. It imports only pytest and the standard
library at load time (the suite is imported when a drun item first runs or a drun fixture is
used), so installing drun-conformance costs other test runs nothing.

    pytest --drun-target https://staging.example --drun-deployment-id depl_ok --drun-deployment-id depl_bad
    pytest --drun-target embedded                 # the embedded reference server
    pytest --drun-sdk python --drun-report-dir drun-report

Every flag has an ini key (`[tool.pytest.ini_options]`), the flag winning: `--drun-target` /
`drun_target`, `--drun-sdk` / `drun_sdk`, `--drun-harness` / `drun_harness`,
`--drun-deployment-id` / `drun_deployment_ids`, `--drun-max-requests`, `--drun-profile`,
`--drun-timeout`, `--drun-seed`, `--drun-report-dir`, `--drun-strict`,
`--drun-allow-incomplete`, `--drun-through-sdk` / `drun_through_sdk` (each server target's
answers read by a shipped SDK too: one `reads:NAME:SERVER` target each, judged on the
client-parse requirements) (ini: the same names with underscores). The API key comes only
from `--drun-api-key` or `$ANTHROPIC_API_KEY`; an ini `drun_api_key` is a usage error.
Without a target the plugin adds no item.

Items have node ids `drun::<target>::<requirement>`, e.g.
`drun::server:embedded::run.outcome.exactly-one`; `-k`, `-m "drun(level='MUST')"` and
`--lf` select them. The suite runs once per session, on the targets that have a selected
item, when the first drun item runs (under pytest-xdist: once for all workers). Outcomes:

    failed MUST (and SHOULD with --drun-strict)  -> failed, the counterexample in the report
    failed SHOULD without --drun-strict, or EDGE -> xfailed with the message (reported, not gating)
    failed but listed in the SDK's expectations  -> xfailed with the listed reason
    skipped                                      -> skipped with the reason (never passed)
    errored                                      -> error
    passed                                       -> passed

A run whose verdict is `incomplete`, or that was cut short, makes pytest exit 1 even if no
item failed (unless --drun-allow-incomplete); the summary lists each MUST not exercised.

The run goes through the firstresult hook `pytest_drun_results(config, targets) ->
RunResults` (one TargetResult per target, in order); a conftest.py may implement it.

Fixtures: `drun_reference_server` (session: the embedded reference server on loopback, see
`plugin._fixtures.ReferenceServer`), `drun_oracle` (the Oracle), `drun_settings` (what the
plugin was asked to do).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .plugin._fixtures import ReferenceServer, serve_reference
from .plugin._items import RequirementFailed, RequirementItem, collect_requirements
from .plugin._options import DrunSettings, DrunTarget, add_options, read_settings
from .plugin._run import RUN, DrunRunError, Run, run_targets
from .plugin._summary import fail_session_by_gate, summary_lines

if TYPE_CHECKING:
    from drun_conformance.results import RunResults

    from .oracle import Oracle

__all__ = [
    "DrunHookSpecs",
    "DrunRunError",
    "DrunSettings",
    "DrunTarget",
    "ReferenceServer",
    "RequirementFailed",
    "RequirementItem",
]

_SETTINGS = pytest.StashKey[DrunSettings]()


class DrunHookSpecs:
    @pytest.hookspec(firstresult=True)
    def pytest_drun_results(self, config: pytest.Config, targets: list[DrunTarget]) -> RunResults | None:
        """Run the suite on `targets`; return RunResults with one TargetResult per target, in order."""
        raise NotImplementedError  # a hookspec: never called


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(DrunHookSpecs)
    # The validating proxy (`--drun-proxy URL`, the `drun_proxy` fixture): its own module,
    # registered with this one; it too imports only pytest and the standard library when idle.
    from .plugin import _proxy as pytest_proxy

    if not pluginmanager.is_registered(pytest_proxy):
        pluginmanager.register(pytest_proxy, "drun-proxy")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "drun(level, side, area): a drun-conformance requirement on one target (the plugin)"
    )
    if config.getoption("help"):
        return
    settings = read_settings(config)
    config.stash[_SETTINGS] = settings
    if settings.targets:
        run = config.stash[RUN] = Run(config, settings)
        shared = getattr(config, "workerinput", {}).get("drun_shared_dir")
        run.shared_dir = Path(shared) if shared else None


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist, on the controller: give each worker the folder the one run writes to."""
    run = node.config.stash.get(RUN, None)
    if run is None:
        return
    if run.shared_dir is None:
        run.shared_dir = Path(tempfile.mkdtemp(prefix="drun-pytest-"))
    node.workerinput["drun_shared_dir"] = str(run.shared_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None and run.shared_dir is not None and not hasattr(config, "workerinput"):
        shutil.rmtree(run.shared_dir, ignore_errors=True)


def pytest_report_header(config: pytest.Config) -> str | None:
    run = config.stash.get(RUN, None)
    return f"drun-conformance: {', '.join(t.id for t in run.targets)}" if run else None


@pytest.hookimpl(tryfirst=True)  # before -k / -m / --lf deselect, so they apply to drun items too
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[Any]) -> None:
    if RUN in config.stash:
        items.extend(collect_requirements(session))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Which targets the selection needs: only those are run (every worker works it out alike)."""
    run = session.config.stash.get(RUN, None)
    if run is not None:
        run.needed = sorted({i.index for i in session.items if isinstance(i, RequirementItem)})


@pytest.hookimpl(trylast=True)
def pytest_drun_results(config: pytest.Config, targets: list[DrunTarget]) -> RunResults:
    """The default: the suite's own runners, one per target."""
    return run_targets(config, targets)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    run = config.stash.get(RUN, None)
    if run is None or hasattr(config, "workerinput"):  # a worker: the controller reports
        return
    if run.results is None:
        run.load_shared()
    if run.results is None:
        return
    settings = run.settings
    if settings.report_dir is not None:
        from drun_conformance.reports import write_reports

        write_reports(run.results, settings.report_dir, secrets=[k for k in [settings.api_key] if k])
    fail_session_by_gate(session, run.results, allow_incomplete=settings.allow_incomplete)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is None or run.results is None:
        return
    results = run.results
    write = terminalreporter.write_line
    terminalreporter.section("drun-conformance")
    partial = " (PARTIAL: the run was cut short)" if results.partial else ""
    write(f"verdict: {results.verdict}{partial}")
    for line in summary_lines(results, allow_incomplete=run.settings.allow_incomplete):
        write(line)
    if results.seed is not None:
        write(f"seed: {results.seed} (--drun-seed {results.seed} reproduces the run)")
    if run.unmatched:
        write(f"reported without a test item: {', '.join(sorted(run.unmatched))}")
    if run.settings.report_dir is not None:
        write(f"report: {run.settings.report_dir / 'report.html'}")


# --- fixtures: the suite as a library for the user's own tests ------------------------------


@pytest.fixture(scope="session")
def drun_reference_server() -> Iterator[ReferenceServer]:
    """The embedded reference server on a free loopback port, for the whole test session."""
    with serve_reference() as server:
        yield server


@pytest.fixture(scope="session")
def drun_oracle() -> Oracle:
    """The oracle (`drun_conformance.Oracle`): `drun_oracle.judge_recorded(body).violations`."""
    from .oracle import Oracle

    return Oracle.default()


@pytest.fixture(scope="session")
def drun_settings(pytestconfig: pytest.Config) -> DrunSettings:
    """What the plugin was asked to do: targets, deployment ids, the key, the budget..."""
    return pytestconfig.stash[_SETTINGS]
