"""`spec drift` on the real SDKs: the newest four releases and the SDK gate's own defaults (read from
the cache folder the gate's tests fill; fetched there on first use). Their known drift shows, each
difference listed in the SDK's expectations file, so the command passes.

Without a registry or the SDK's tools these tests skip with the reason, unless DRUN_REQUIRE_SDKS=1
(CI sets it), where they fail instead.
"""

from __future__ import annotations

import contextlib
import io
import json
import os

import pytest

from drun_conformance.cli import main
from drun_conformance.client._sdks import SDKS
from drun_conformance.contract._sdk_sources import NEWEST

pytestmark = pytest.mark.slow
REQUIRED = os.environ.get("DRUN_REQUIRE_SDKS") == "1"
RELEASES = [f"{sdk}@{release}" for sdk, release in NEWEST.items()]
RELEASES += [f"{name}@{sdk.default_version}" for name, sdk in SDKS.items()]
# What the issue found by hand, now read from the models: (sdk, difference id, words of its line).
KNOWN = [
    (
        "java",
        "agent.version: type",
        "int32 in com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt",
    ),
    ("typescript", "agent.version: type", "number (a double: integers exact only to 2^53)"),
    ("typescript", "session_id: required", "required key (nullable) in resources/beta/deployment-runs.d.ts"),
    ("typescript", "error: required", "required key (nullable)"),
    ("java", "session_id: required", "required key (nullable)"),
    ("java", "error: required", "required key (nullable)"),
    ("go", "session_id: required", "required key in betadeploymentrun.go"),
    ("go", "error: required", "required key in betadeploymentrun.go"),
]


@pytest.fixture(scope="module")
def drift() -> dict[str, dict[str, object]]:
    """The JSON drift table of all eight releases, by `sdk@release` (read once for the module: a
    module-scoped fixture cannot use capsys, so the output is captured here)."""
    argv = ["spec", "drift", "--json"] + [arg for release in RELEASES for arg in ("--sdk", release)]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    if status == 3:
        reason = f"an SDK release cannot be fetched here: {err.getvalue()[-300:]}"
        if REQUIRED:
            pytest.fail(reason)
        pytest.skip(reason)
    assert status == 0, out.getvalue()[-3000:] + err.getvalue()[-1000:]  # every difference is known
    reports = json.loads(out.getvalue())["sdks"]
    return {f"{r['sdk']}@{r['release'].removeprefix('v')}": r for r in reports}


def _lines(report: dict[str, object]) -> dict[str, str]:
    differences = report["differences"]
    assert isinstance(differences, list)
    return {d["id"]: d["line"] for d in differences}


@pytest.mark.parametrize(("sdk", "difference", "words"), KNOWN)
def test_the_known_drift_of_each_sdk_shows_with_its_file(
    drift: dict[str, dict[str, object]], sdk: str, difference: str, words: str
) -> None:
    for release in (NEWEST[sdk], SDKS[sdk].default_version):
        line = _lines(drift[f"{sdk}@{release.removeprefix('v')}"]).get(difference, "")
        assert words in line, (release, line)


@pytest.mark.parametrize("sdk", list(NEWEST))
def test_the_newest_sdks_know_32_betas_and_two_error_types_the_contract_lacks(
    drift: dict[str, dict[str, object]], sdk: str
) -> None:
    lines = _lines(drift[f"{sdk}@{NEWEST[sdk].removeprefix('v')}"])
    assert lines["anthropic-beta: values-only-in-sdk"].startswith("anthropic-beta: 32 values (")  # 60 vs 28
    assert "2 values (billing_error, timeout_error)" in lines["api-error.type: values-only-in-sdk"]
    assert "model webhook: {created_at, data (deployment_run." in lines["model webhook: only-in-sdk"]
    assert "GET /v1/deployment_runs: only-in-sdk" in lines
    assert "header anthropic-workspace-id: only-in-sdk" in lines


def test_python_agrees_with_the_contract_on_the_run_itself(drift: dict[str, dict[str, object]]) -> None:
    lines = _lines(drift[f"python@{NEWEST['python']}"])
    run = {i for i in lines if not i.startswith(("model ", "GET ", "anthropic-beta", "api-error", "header "))}
    assert (
        run == set()
    )  # int holds int64; session_id and error: Optional with a default, as the page has them
