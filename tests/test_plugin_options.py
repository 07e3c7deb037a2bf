"""The plugin's options: every flag and its ini key reach DrunSettings (the flag winning), bad
values are usage errors naming the flag or key, the key never comes from a file, and the
settings reach the runners' options. In-process pytester runs; nothing is contacted."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drun_conformance.plugin._options import PROFILE_NAMES, DrunSettings, DrunTarget
from drun_conformance.plugin._run import client_options, server_options
from drun_conformance.server import PROFILES
from tests._report_data import SECRET, embedded_server, judged, one_target

pytest_plugins = ["pytester"]

DUMP = """
import dataclasses, json
from pathlib import Path

def test_dump(drun_settings):
    data = dataclasses.asdict(drun_settings)
    Path("settings.json").write_text(json.dumps(data, default=str))
"""
URL = "https://staging.example.test"


def _settings(pytester: pytest.Pytester, *args: str, ini: str = "") -> dict[str, Any]:
    """The settings the plugin read from `args` and `ini` (no drun item runs: -k test_dump)."""
    pytester.makepyfile(test_dump=DUMP)
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    result = pytester.runpytest("-k", "test_dump", *args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str() + result.stderr.str()
    data: dict[str, Any] = json.loads((pytester.path / "settings.json").read_text())
    return data


# (field, command-line flags, ini lines, the value read). Each row runs both ways.
CASES = [
    (
        "targets",
        ["--drun-target", "embedded", "--drun-target", URL, "--drun-sdk", "python@2.10.0"],
        f"drun_target = embedded {URL}\ndrun_sdk = python@2.10.0",
        [
            {"kind": "server", "name": "embedded", "harness": False},
            {"kind": "server", "name": URL, "harness": False},
            {"kind": "client", "name": "python@2.10.0", "harness": False},
        ],
    ),
    (
        "targets",
        ["--drun-harness", "node harness.js --fast"],
        "drun_harness =\n    node harness.js --fast",
        [{"kind": "client", "name": "node harness.js --fast", "harness": True}],
    ),
    (
        "deployment_ids",
        ["--drun-deployment-id", "depl_ok", "--drun-deployment-id", "depl a/b"],
        'drun_deployment_ids = depl_ok "depl a/b"',
        ["depl_ok", "depl a/b"],
    ),
    ("max_requests", ["--drun-max-requests", "12"], "drun_max_requests = 12", 12),
    ("profile", ["--drun-profile", "thorough"], "drun_profile = thorough", "thorough"),
    ("timeout", ["--drun-timeout", "2.5"], "drun_timeout = 2.5", 2.5),
    ("seed", ["--drun-seed", "42"], "drun_seed = 42", 42),
    ("report_dir", ["--drun-report-dir", "out"], "drun_report_dir = out", "out"),
    ("baseline", ["--drun-baseline", "python@2.10.0"], "drun_baseline = python@2.10.0", "python@2.10.0"),
    ("strict", ["--drun-strict"], "drun_strict = true", True),
    ("allow_incomplete", ["--drun-allow-incomplete"], "drun_allow_incomplete = true", True),
]


@pytest.mark.parametrize("where", ["flag", "ini"])
@pytest.mark.parametrize(
    ("name", "flags", "ini", "expected"), CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)]
)
def test_each_option_by_flag_and_by_ini_key(
    pytester: pytest.Pytester, where: str, name: str, flags: list[str], ini: str, expected: Any
) -> None:
    settings = _settings(pytester, *flags) if where == "flag" else _settings(pytester, ini=ini)
    assert settings[name] == expected


def test_the_defaults(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    defaults = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(DrunSettings()).items()}
    assert _settings(pytester) == defaults
    assert defaults["profile"] == "default" and defaults["targets"] == []


def test_a_flag_wins_over_its_ini_key(pytester: pytest.Pytester) -> None:
    ini = f"drun_target = {URL}\ndrun_deployment_ids = depl_a\ndrun_max_requests = 5\ndrun_profile = quick"
    flags = ["--drun-target", "embedded", "--drun-deployment-id", "depl_b", "--drun-max-requests", "7"]
    settings = _settings(pytester, *flags, ini=ini)
    assert [t["name"] for t in settings["targets"]] == ["embedded"]
    assert settings["deployment_ids"] == ["depl_b"]
    assert (settings["max_requests"], settings["profile"]) == (7, "quick")  # no --drun-profile: the ini's


def test_the_key_from_the_flag_or_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    assert _settings(pytester)["api_key"] == "from-env"
    assert _settings(pytester, "--drun-api-key", SECRET)["api_key"] == SECRET


def test_the_key_stays_out_of_a_failing_tests_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_mine(drun_settings):\n    assert drun_settings.targets == 'x'")
    result = pytester.runpytest("--drun-api-key", SECRET, "-l", "-k", "test_mine")
    result.assert_outcomes(failed=1)
    assert "drun_settings = DrunSettings(" in result.stdout.str() and SECRET not in result.stdout.str()


@pytest.mark.parametrize("how", ["ini", "-o"])
def test_a_key_in_the_ini_file_is_refused(pytester: pytest.Pytester, how: str) -> None:
    pytester.makepyfile("def test_one(): pass")
    if how == "ini":
        pytester.makeini(f"[pytest]\ndrun_api_key = {SECRET}")
        result = pytester.runpytest()
    else:
        result = pytester.runpytest("-o", f"drun_api_key={SECRET}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "the API key is never read from a file" in result.stderr.str()
    assert SECRET not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--drun-max-requests", "0"], "", "--drun-max-requests must be at least 1, not 0"),
        ([], "drun_max_requests = many", "ini drun_max_requests must be an integer, not 'many'"),
        (["--drun-timeout", "-1"], "", "--drun-timeout must be more than 0, not -1"),
        ([], "drun_timeout = soon", "ini drun_timeout must be a number of seconds, not 'soon'"),
        (["--drun-seed", "x"], "", "--drun-seed must be an integer, not 'x'"),
        (
            ["--drun-profile", "fast"],
            "",
            "--drun-profile must be one of quick, default, thorough, not 'fast'",
        ),
        ([], "drun_profile = fast", "--drun-profile must be one of quick, default, thorough, not 'fast'"),
        (["--drun-target", "embedded", "--drun-target", "embedded"], "", "may be given once"),
        (
            ["--drun-baseline", "cobol@1"],
            "",
            "--drun-baseline must be NAME@SPEC of a shipped SDK, not 'cobol@1'",
        ),
        (["--drun-through-sdk", "cobol"], "", "--drun-through-sdk 'cobol': the shipped harnesses are"),
        ([], "drun_through_sdk = cobol", "--drun-through-sdk 'cobol': the shipped harnesses are"),
        (["--drun-through-sdk", "java@x.y"], "", "--drun-through-sdk 'java@x.y': 'x.y' is not a release"),
        (["--drun-through-sdk", "python", "--drun-through-sdk", "python"], "", "named twice"),
        (["--drun-through-sdk", "python@2.17.0..2.15.0"], "", "'python@2.17.0..2.15.0': 2.17.0 comes after"),
        (
            [],
            "drun_through_sdk = java@..3.17",
            "--drun-through-sdk 'java@..3.17': a range is NAME@FIRST..LAST",
        ),
    ],
)
def test_bad_values_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makepyfile("def test_one(): pass")
    if ini:
        pytester.makeini("[pytest]\n" + ini)
    result = pytester.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
    assert "Traceback" not in result.stderr.str()


def test_help_lists_every_flag_and_ini_key(pytester: pytest.Pytester) -> None:
    text = pytester.runpytest("--help").stdout.str()
    group = text[text.index("conformance of Run Deployment Now (drun-conformance):") :]
    for flag in ("target", "sdk", "harness", "deployment-id", "max-requests", "profile", "timeout", "seed"):
        assert f"--drun-{flag}" in group
    for flag in ("report-dir", "api-key", "strict", "allow-incomplete", "baseline"):
        assert f"--drun-{flag}" in group
    for key in ("target", "sdk", "harness", "deployment_ids", "max_requests", "profile", "timeout", "seed"):
        assert f"drun_{key} " in text
    for key in ("report_dir", "strict", "allow_incomplete", "api_key", "baseline"):
        assert f"drun_{key} " in text


def test_the_profiles_are_the_runners() -> None:
    assert set(PROFILE_NAMES) == set(PROFILES)


def test_the_settings_reach_the_runners_options() -> None:
    settings = DrunSettings(
        deployment_ids=("depl_ok", "depl_bad"),
        max_requests=9,
        profile="quick",
        timeout=3.0,
        strict=True,
        api_key=SECRET,
        baseline="python@2.10.0",
    )
    server = server_options(settings, DrunTarget("server", URL), 42)
    assert (server.base_url, server.api_key, server.deployment_ids) == (URL, SECRET, ("depl_ok", "depl_bad"))
    assert (server.max_requests, server.profile, server.seed, server.strict) == (9, "quick", 42, True)
    assert server.timeout_s == 3.0
    assert server_options(settings, DrunTarget("server", "embedded"), 1).base_url is None
    sdk = client_options(settings, DrunTarget("client", "python@."), 42)
    assert (sdk.sdk, sdk.harness, sdk.seed, sdk.strict, sdk.call_timeout) == ("python@.", None, 42, True, 3.0)
    assert sdk.baseline == "python@2.10.0"  # check_client runs it first, with the same seed
    harness = client_options(DrunSettings(), DrunTarget("client", "node h.js", harness=True), 1)
    assert (harness.sdk, harness.harness) == (None, "node h.js")
    assert harness.call_timeout == client_options(DrunSettings(), DrunTarget("client", "x"), 1).call_timeout


FED = """
from pathlib import Path
from drun_conformance.results import RunResults

def pytest_drun_results(config, targets):
    return RunResults.model_validate_json(Path(__file__).with_name("fed.json").read_text())
"""


def _feed(pytester: pytest.Pytester, statuses: dict[str, tuple[str, str]], known: str = "") -> None:
    """The embedded server's results with some requirements set to (status, reason), verdict
    and gate worked out by the suite's own functions; `known` marks one failure as listed."""
    target = embedded_server()
    for requirement in target.requirements:
        if requirement.id in statuses:
            requirement.status, requirement.reason = statuses[requirement.id]
            requirement.expected = statuses[requirement.id][1] if requirement.id == known else None
    results = one_target(judged(target))
    pytester.makeconftest(FED)
    (pytester.path / "fed.json").write_text(results.model_dump_json())


def _incomplete(pytester: pytest.Pytester) -> None:
    budget = ("skipped", "budget spent: --max-requests 3")
    _feed(pytester, {"run.outcome.exactly-one": budget, "run.read-back.same-record": budget})


def test_a_known_failure_does_not_hide_an_unexercised_must(pytester: pytest.Pytester) -> None:
    """Verdict non-conformant (the known failure), gate incomplete: the session fails, as
    `drun-conformance server` exits 4."""
    _feed(
        pytester,
        {
            "run.deployment_id.echo": ("failed", "echoes the id lower-cased"),
            "run.read-back.same-record": ("skipped", "budget spent: --max-requests 3"),
        },
        known="run.deployment_id.echo",
    )
    result = pytester.runpytest("--drun-target", "embedded")
    out = result.stdout.str()
    assert "verdict: non-conformant" in out
    assert "not exercised: run.read-back.same-record" in out
    assert "incomplete fails the session" in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    passing = pytester.runpytest("--drun-target", "embedded", "--drun-allow-incomplete")
    assert passing.ret == pytest.ExitCode.OK, passing.stdout.str()


def test_an_incomplete_run_names_what_was_not_exercised(pytester: pytest.Pytester) -> None:
    _incomplete(pytester)
    result = pytester.runpytest("--drun-target", "embedded")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    assert "verdict: incomplete" in out
    assert "not exercised: run.outcome.exactly-one (skipped: budget spent: --max-requests 3)" in out
    assert "not exercised: run.read-back.same-record (skipped: budget spent" in out
    assert "incomplete fails the session (--drun-allow-incomplete accepts it)" in out


@pytest.mark.parametrize("how", [["--drun-allow-incomplete"], ["-o", "drun_allow_incomplete=true"]])
def test_allow_incomplete_accepts_it(pytester: pytest.Pytester, how: list[str]) -> None:
    _incomplete(pytester)
    result = pytester.runpytest("--drun-target", "embedded", *how)
    assert result.ret == pytest.ExitCode.OK
    assert "verdict: incomplete" in result.stdout.str()
    assert "incomplete: allowed by --drun-allow-incomplete" in result.stdout.str()


def test_m_selects_by_level(pytester: pytest.Pytester) -> None:
    _incomplete(pytester)
    result = pytester.runpytest(
        "--drun-target", "embedded", "-m", "drun(level='SHOULD')", "--collect-only", "-q"
    )
    ids = [line.rsplit("::", 1)[1] for line in result.stdout.lines if line.startswith("drun::")]
    target = embedded_server()
    assert ids == [r.id for r in target.requirements if r.level == "SHOULD"] and ids


def test_the_report_dir_from_the_ini_file(pytester: pytest.Pytester) -> None:
    _incomplete(pytester)
    pytester.makeini("[pytest]\ndrun_report_dir = from-ini")
    pytester.runpytest("--drun-target", "embedded", "--drun-api-key", SECRET)
    written = sorted(p.name for p in (pytester.path / "from-ini").iterdir())
    assert written == ["junit.xml", "report.html", "results.json"]
