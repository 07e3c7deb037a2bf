"""An existing test suite through the validating proxy: `pytest --drun-proxy URL`.

Registered by the `drun` plugin; like it, it imports only pytest and the standard library
until asked. With `--drun-proxy URL` it starts the proxy to URL on 127.0.0.1 for the session
and points `ANTHROPIC_BASE_URL` (the SDKs' default base URL) and `TEST_API_BASE_URL` (the
SDKs' own generated tests) at it, so tests that build their clients from the environment
go through it unchanged; the `drun_proxy` fixture gives the proxy itself (`.base_url`) to
tests that pass a base URL explicitly. At the end: the verdict of the upstream and of each
client seen, in the terminal summary and, with `--drun-report-dir DIR`, in DIR's report
(DIR/proxy/ when the session also checks `--drun-target`s). A non-conformant verdict makes
pytest exit 1 even if every test passed.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._options import flag
from ._summary import fail_session_by_gate, summary_lines

if TYPE_CHECKING:
    from drun_conformance.proxy import RunningProxy
    from drun_conformance.results import RunResults

__all__ = ["ProxySession", "drun_proxy"]

_ENVIRONMENT = ("ANTHROPIC_BASE_URL", "TEST_API_BASE_URL")


@dataclass
class ProxySession:
    """The session's proxy, the environment it replaced, and the results once done."""

    proxy: RunningProxy
    stack: contextlib.ExitStack
    saved: dict[str, str | None] = field(default_factory=dict)
    results: RunResults | None = None


_SESSION = pytest.StashKey[ProxySession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drun-conformance", "conformance of Run Deployment Now (drun-conformance)")
    group.addoption(
        "--drun-proxy",
        default=None,
        metavar="URL",
        help="run the tests through a validating proxy to URL (ANTHROPIC_BASE_URL and "
        "TEST_API_BASE_URL point at it) and report the conformance of what passed",
    )


def pytest_configure(config: pytest.Config) -> None:
    upstream = config.getoption("drun_proxy", None)
    if not upstream:
        return
    from drun_conformance._errors import DrunError
    from drun_conformance.proxy import check_upstream, proxy_in_thread

    try:
        check_upstream(upstream)
    except DrunError as exc:
        raise pytest.UsageError(str(exc).replace("--upstream", "--drun-proxy")) from None
    stack = contextlib.ExitStack()
    # The per-exchange lines would land in whichever test's output is being captured: dropped.
    quiet = stack.enter_context(open(os.devnull, "w", encoding="utf-8"))
    proxy = stack.enter_context(proxy_in_thread(upstream, out=quiet))
    session = ProxySession(proxy, stack, {name: os.environ.get(name) for name in _ENVIRONMENT})
    os.environ.update(dict.fromkeys(_ENVIRONMENT, proxy.base_url))
    config.stash[_SESSION] = session


def pytest_report_header(config: pytest.Config) -> str | None:
    session = config.stash.get(_SESSION, None)
    if session is None:
        return None
    return f"drun-conformance proxy: {session.proxy.base_url} -> {session.proxy.judge.upstream}"


@pytest.fixture(scope="session")
def drun_proxy(pytestconfig: pytest.Config) -> RunningProxy:
    """The validating proxy of this session (`--drun-proxy URL`): point a client at `.base_url`."""
    session = pytestconfig.stash.get(_SESSION, None)
    if session is None:
        pytest.skip("no --drun-proxy URL given")
    return session.proxy


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    state = session.config.stash.get(_SESSION, None)
    if state is None:
        return
    from drun_conformance._session import check_targets

    targets = state.proxy.results(strict=False)
    command = ["pytest", *session.config.invocation_params.args]
    state.results = check_targets([_constant(t) for t in targets], command=command, seed=None, strict=False)
    report_dir = session.config.getoption("drun_report_dir", None)
    if report_dir:
        from drun_conformance.reports import write_reports

        also_targets = session.config.getoption("drun_target", None) or session.config.getoption(
            "drun_sdk", None
        )
        folder = Path(report_dir) / "proxy" if also_targets else Path(report_dir)
        write_reports(state.results, folder, secrets=state.proxy.judge.secrets)
    fail_session_by_gate(session, state.results, allow_incomplete=flag(session.config, "allow-incomplete"))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    state = config.stash.get(_SESSION, None)
    if state is None or state.results is None:
        return
    results = state.results
    terminalreporter.section("drun-conformance proxy")
    forwarded = state.proxy.forwarded
    terminalreporter.write_line(f"verdict: {results.verdict} ({forwarded} requests forwarded, none added)")
    for line in summary_lines(results, allow_incomplete=flag(config, "allow-incomplete")):
        terminalreporter.write_line(line)
    report_dir = config.getoption("drun_report_dir", None)
    if report_dir:
        terminalreporter.write_line(f"report: {Path(report_dir)} (report.html)")


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_SESSION, None)
    if state is None:
        return
    for name, value in state.saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    state.stack.close()


def _constant(target: Any) -> Any:
    return lambda: target
