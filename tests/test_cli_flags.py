"""Every flag of every command is checked before anything is contacted: a bad value exits 2
with a message naming the flag, never a traceback, a connection or a file written."""

from __future__ import annotations

import argparse
import site
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from drun_conformance.cli import build_parser, main

# (argv, words the message must hold): at least one bad value for every flag that takes one.
BAD_VALUES: list[tuple[list[str], str]] = [
    (["server", "--base-url", "notaurl"], "argument --base-url: must be an http:// or https:// URL"),
    (["server", "--base-url", "ftp://host"], "argument --base-url"),
    (["server", "--base-url", "http://"], "argument --base-url"),
    (["server", "--base-url", "http://h:99999"], "argument --base-url"),
    (["server", "--base-url", "http://h/?q=1"], "argument --base-url: must be a base URL without query"),
    (["server", "--base-url", "http://h/a b"], "argument --base-url"),
    (["server", "--api-key", "two words"], "argument --api-key: must be printable ASCII"),
    (["server", "--api-key", "ключ"], "argument --api-key"),
    (["server", "--api-key", ""], "argument --api-key"),
    (["server", "--deployment-id", ""], "argument --deployment-id: must not be empty"),
    (["server", "--max-requests", "0"], "argument --max-requests: must be at least 1, got 0"),
    (["server", "--max-requests", "ten"], "argument --max-requests: must be a whole number"),
    (["server", "--profile", "fast"], "argument --profile: invalid choice: 'fast'"),
    (["server", "--timeout", "-5"], "argument --timeout: must be more than 0"),
    (["server", "--timeout", "0"], "argument --timeout: must be more than 0"),
    (["server", "--timeout", "nan"], "argument --timeout"),
    (["server", "--timeout", "inf"], "argument --timeout"),
    (["server", "--timeout", "1e300"], "argument --timeout"),
    (["server", "--timeout", "soon"], "argument --timeout: must be a number of seconds"),
    (["server", "--max-response-bytes", "-1"], "argument --max-response-bytes: must be at least 1"),
    (["server", "--max-response-bytes", "1.5"], "argument --max-response-bytes: must be a whole number"),
    (["server", "--seed", "x"], "argument --seed: must be a whole number, got 'x'"),
    (["server", "--seed", "-1"], "argument --seed: must be from 0 to"),
    (["server", "--seed", str(2**64)], "argument --seed"),
    (["server", "--report-dir", "{file}"], "--report-dir: cannot create the folder"),
    (["server", "--through-sdk", "cobol"], "--through-sdk 'cobol': the shipped harnesses are"),
    (["server", "--through-sdk", "java@not-a-release"], "is not a release number"),
    (
        ["server", "--through-sdk", "java", "--through-sdk", "java@3.14.0"],
        "the same SDK release is named twice",
    ),
    (
        ["server", "--through-sdk", "python@2.17.0..2.15.0"],
        "'python@2.17.0..2.15.0': 2.17.0 comes after 2.15.0",
    ),
    (["server", "--through-sdk", "python@2.15..2.17"], "a range is NAME@FIRST..LAST of final releases"),
    (["server", "--through-sdk", "java@2.39.0.."], "anthropic-java 2.39.0 cannot be gated"),
    (["client", "--harness", "x", "--examples", "-1"], "argument --examples: must be at least 0"),
    (["client", "--harness", "x", "--examples", "many"], "argument --examples"),
    (["client", "--harness", "x", "--timeout", "0"], "argument --timeout: must be more than 0"),
    (["client", "--harness", "x", "--seed", "1.0"], "argument --seed"),
    (["client", "--harness", "x", "--jobs", "0"], "argument --jobs: must be at least 1, got 0"),
    (["client", "--harness", "x", "--jobs", "two"], "argument --jobs: must be a whole number"),
    (["client", "--sdk", "python", "--sdk", "python@2.10.0"], "the same SDK release is named twice"),
    (["client", "--harness", "x", "--report-dir", "{file}/sub"], "--report-dir: cannot create the folder"),
    (["client", "--harness", "'unclosed"], "--harness"),
    (["client", "--harness", ""], "--harness needs a command"),
    (["client", "--sdk", "cobol"], "--sdk 'cobol': the shipped harnesses are"),
    (["client", "--sdk", "python@not-a-release"], "is not a release number"),
    (["client", "--sdk", "go@v2.9.0..v2.7.0"], "--sdk 'go@v2.9.0..v2.7.0': v2.9.0 comes after v2.7.0"),
    (
        ["client", "--sdk", "python", "--baseline", "python@2.10.0.."],
        "one release is taken here, not a range",
    ),
    (["client"], "one of the arguments --sdk --harness is required"),
    (["client", "--harness", "x", "--baseline", ""], "argument --baseline: must not be empty"),
    (["client", "--sdk", "python", "--baseline", "cobol"], "--baseline 'cobol': the shipped harnesses are"),
    (["client", "--sdk", "python", "--baseline", "python@2.10.0"], "the same SDK release is named twice"),
    (["client", "--harness", "x", "--expectations", ""], "argument --expectations: must not be empty"),
    (["client", "--harness", "x", "--expectations", "{missing}"], "--expectations: no such file"),
    (["client", "--harness", "x", "--record-expectations"], "needs --expectations FILE to write"),
    (["run", "--seed", "x"], "argument --seed"),
    (["validate", "x.jsonl", "--jobs", "0"], "argument --jobs: must be from 1 to 64, got 0"),
    (["validate", "x.jsonl", "--jobs", "auto"], "argument --jobs: must be a whole number"),
    (["validate", "x.jsonl", "--jobs", "65"], "argument --jobs: must be from 1 to 64, got 65"),
    (["run", "--report-dir", "{file}"], "--report-dir: cannot create the folder"),
    (["serve", "--port", "70000"], "argument --port: must be from 0 to 65535, got 70000"),
    (["serve", "--port", "-1"], "argument --port"),
    (["serve", "--port", "http"], "argument --port: must be a whole number"),
    (["serve", "--host", "192.0.2.1"], "cannot listen on 192.0.2.1"),  # TEST-NET: not ours
    (["serve", "--scenario", "{missing}"], "argument --scenario"),
    (["serve", "--database", "{missing}/runs.db"], "argument --database: the folder of"),
    (["serve", "--api-key", "two words"], "argument --api-key: must be printable ASCII"),
    (["serve", "--webhook-url", "ftp://h/hook"], "argument --webhook-url: must be an http:// or https://"),
    (["serve", "--webhook-url", "http:///hook"], "argument --webhook-url"),
    (["serve", "--webhook-secret", "sekrit"], "argument --webhook-secret: must be whsec_ and base64"),
    (["serve", "--webhook-secret", "whsec_!!"], "argument --webhook-secret"),
    (["serve", "--webhook-secret", "whsec_c2VjcmV0"], "--webhook-secret signs what --webhook-url receives"),
    (["proxy", "--upstream", "notaurl"], "argument --upstream: must be an http:// or https:// URL"),
    (["proxy", "--upstream", "http://h", "--port", "70000"], "argument --port: must be from 0 to 65535"),
    (["proxy", "--upstream", "http://h", "--host", "192.0.2.1"], "cannot listen on 192.0.2.1"),
    (
        ["proxy", "--upstream", "http://h", "--max-exchanges", "0"],
        "argument --max-exchanges: must be at least 1",
    ),
    (["proxy", "--upstream", "http://h", "--duration", "-1"], "argument --duration: must be more than 0"),
    (["proxy", "--upstream", "http://h", "--connect-timeout", "0"], "--connect-timeout: must be more"),
    (["proxy", "--upstream", "http://h", "--connect-timeout", "soon"], "--connect-timeout: must be a"),
    (["proxy", "--upstream", "http://h", "--read-timeout", "nan"], "argument --read-timeout: must be more"),
    (["proxy", "--upstream", "http://h", "--read-timeout", "-3"], "argument --read-timeout: must be more"),
    (["proxy", "--upstream", "http://h", "--max-connections", "0"], "--max-connections: must be from 1"),
    (["proxy", "--upstream", "http://h", "--max-connections", "many"], "--max-connections: must be a"),
    (["proxy", "--upstream", "http://h", "--report-dir", "{file}"], "--report-dir: cannot create the folder"),
    (["proxy", "--upstream", "http://h", "--through-sdk", "cobol"], "--through-sdk 'cobol': the shipped"),
    (["proxy", "--upstream", "http://h", "--through-sdk", "go", "--through-sdk", "go"], "named twice"),
    (
        ["proxy", "--upstream", "http://h", "--through-sdk", "go@..2.17"],
        "--through-sdk 'go@..2.17': a range is",
    ),
    (["spec", "compile"], "argument action: invalid choice"),
    (["spec", "build", "--source", "{missing}"], "argument --source"),
    (["spec", "build", "--out", "{file}"], "is not a folder"),
    (["spec", "check", "page.md"], "spec check takes no PAGE"),
    (["spec", "diff", "one.md"], "spec diff takes two pages"),
    (["spec", "diff", "{missing}", "{missing}"], "cannot read"),
    (["spec", "drift", "--sdk", "cobol"], "--sdk 'cobol': the SDKs are python, typescript, java, go"),
    (["spec", "drift", "--sdk", "java@not-a-release"], "is not a release number such as 3.17.0"),
    (["spec", "drift", "--sdk", "go@{missing}"], "no such file or folder"),
    (["spec", "sources", "refresh", "--sdk", "python@{tmp}"], "not a package of anthropic"),
    (["report", "diff", "{missing}", "{missing}"], "cannot read"),
    (["report", "diff", "{file}"], "report diff takes two results files"),
    (["report", "render", "{missing}", "--report-dir", "{tmp}"], "cannot read"),
    (["report", "merge", "{missing}", "--report-dir", "{tmp}"], "cannot read"),
    (["report", "merge", "{file}"], "report merge needs --report-dir DIR"),
    (["report", "summary", "{file}", "{file}"], "report summary takes one results file"),
    (["report", "summary", "{file}", "--report-dir", "{tmp}"], "report summary takes no --report-dir"),
    (["validate"], "the following arguments are required: PATH"),
    (["validate", "{missing}"], "missing"),
]

# Flags that take no value (nothing to get wrong), and --help.
VALUELESS = {
    "--help",
    "-h",
    "--strict",
    "--json",
    "--allow-incomplete",
    "--any-deployment",
    "--any-run",
    "--record-expectations",
}


def _fill(argv: list[str], tmp_path: Path) -> list[str]:
    file = tmp_path / "a-file"
    file.write_text("not a folder")
    places = {"file": str(file), "missing": str(tmp_path / "missing"), "tmp": str(tmp_path)}
    return [arg.format(**places) for arg in argv]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that would see any connection the command made."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.setblocking(False)
        yield sock


def _connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            sock.accept()[0].close()
        except BlockingIOError:
            return count
        count += 1


@pytest.mark.slow
@pytest.mark.parametrize(("argv", "words"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_a_bad_value_exits_2_naming_it(
    argv: list[str], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(_fill(argv, tmp_path))
    out, err = capsys.readouterr()
    assert status == 2, out + err
    assert err.startswith("drun-conformance: ") and words in err, err
    assert "Traceback" not in out + err


@pytest.mark.slow
@pytest.mark.parametrize(
    "bad",
    [["--timeout", "-5"], ["--max-response-bytes", "-1"], ["--max-requests", "0"], ["--api-key", "a b"]],
)
def test_nothing_is_contacted_for_a_bad_flag(
    bad: list[str], listener: socket.socket, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    report_dir = tmp_path / "reports"
    status = main(
        ["server", "--base-url", url, "--deployment-id", "d", "--report-dir", str(report_dir), *bad]
    )
    assert status == 2 and bad[0] in capsys.readouterr().err
    assert _connections(listener) == 0 and not report_dir.exists()


def test_a_key_that_cannot_be_sent_is_never_echoed(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["server", "--api-key", "sk-secret value"]) == 2
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-secret\nvalue")
    assert main(["server", "--base-url", "http://127.0.0.1:9", "--deployment-id", "d"]) == 2
    out, err = capsys.readouterr()
    assert "$ANTHROPIC_API_KEY must be printable ASCII" in err
    assert "sk-secret" not in out + err


def test_every_flag_of_every_command_has_a_bad_value_tested() -> None:
    """A flag added without a row in BAD_VALUES fails here."""
    tested = {arg.split("=")[0] for argv, _ in BAD_VALUES for arg in argv if arg.startswith("--")}
    missing = []
    for name, command in _subcommands(build_parser()).items():
        tested_here = {a for argv, _ in BAD_VALUES if argv[:1] == [name] for a in argv if a.startswith("--")}
        for action in command._actions:
            for flag in action.option_strings:
                if flag not in VALUELESS and flag.startswith("--") and flag not in tested_here:
                    missing.append(f"{name} {flag}")
    assert tested and not missing, missing


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (group,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(group.choices)


def test_good_values_are_accepted() -> None:
    parse = build_parser().parse_args
    args = parse(
        ["server", "--base-url", "https://api.example.com/v1/../", "--timeout", "0.5", "--seed", "0"]
    )
    assert (args.base_url, args.timeout, args.seed) == ("https://api.example.com/v1/../", 0.5, 0)
    args = parse(
        ["server", "--base-url", "http://[::1]:8080", "--max-requests", "1", "--max-response-bytes", "1"]
    )
    assert (args.max_requests, args.max_response_bytes) == (1, 1)
    args = parse(
        ["client", "--harness", "h", "--examples", "0", "--timeout", "86400", "--seed", str(2**64 - 1)]
    )
    assert (args.examples, args.timeout, args.seed) == (0, 86400.0, 2**64 - 1)
    assert parse(["serve", "--port", "65535", "--database", ":memory:"]).port == 65535


def test_spec_build_writes_where_it_is_told_and_never_into_site_packages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # not a checkout: the default has nowhere to go
    assert main(["spec", "build"]) == 2
    assert (
        "not inside a drun-conformance checkout; name the folder to write with --out"
        in capsys.readouterr().err
    )
    installed = Path(site.getsitepackages()[0]) / "drun-spec-out"
    assert main(["spec", "build", "--out", str(installed)]) == 2
    assert "refusing to write into installed packages" in capsys.readouterr().err
    assert not installed.exists()
    assert main(["spec", "build", "--out", str(tmp_path / "out")]) == 0
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"requirements.json", "openapi.yaml"}
