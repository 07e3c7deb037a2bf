"""The pytest plugin's options: command-line flags, the same as ini keys, read into DrunSettings.

A flag given on the command line wins over its ini key. The API key is the exception: it is
read only from `--drun-api-key` or `$ANTHROPIC_API_KEY`, never from a file, so an ini
`drun_api_key` is a usage error. Imports only pytest and the standard library (the idle
plugin loads this module).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar, cast

import pytest

__all__ = ["PROFILE_NAMES", "DrunSettings", "DrunTarget", "ReadsTarget", "add_options", "read_settings"]

# The server runner's profiles (server._runner.PROFILES; a test holds the two equal): named
# here so a bad value is refused when pytest starts, without importing the runner.
PROFILE_NAMES = ("quick", "default", "thorough")
_T = TypeVar("_T")
Profile = Literal["quick", "default", "thorough"]


@dataclass(frozen=True)
class DrunTarget:
    """One target asked for: a server (embedded or a URL), a shipped SDK, or a harness command."""

    kind: Literal["server", "client"]
    name: str  # "embedded", a base URL, an SDK name such as "python", or a harness command
    harness: bool = False  # `name` is a harness command (--drun-harness), not a shipped SDK

    @property
    def id(self) -> str:
        prefix = "server" if self.kind == "server" else "harness" if self.harness else "sdk"
        return f"{prefix}:{self.name}".replace("::", ":_:")  # "::" would split the node id


@dataclass(frozen=True)
class ReadsTarget(DrunTarget):
    """A server target's answers as a shipped SDK reads them (--drun-through-sdk): `name` the SDK."""

    server: str = ""  # the server target's name: "embedded" or its base URL

    @property
    def id(self) -> str:
        return f"reads:{self.name}:{self.server}".replace("::", ":_:")


@dataclass(frozen=True)
class DrunSettings:
    """Everything the plugin was asked to do, from the command line and the ini file."""

    targets: tuple[DrunTarget, ...] = ()
    deployment_ids: tuple[str, ...] = ()
    max_requests: int | None = None
    profile: Profile = "default"
    timeout: float | None = None  # None: each runner's own default
    seed: int | None = None  # None: a fresh one per run, shown in the summary
    strict: bool = False
    allow_incomplete: bool = False
    report_dir: Path | None = None
    baseline: str | None = None  # a shipped SDK release the client targets are gated against
    through_sdks: tuple[str, ...] = ()  # shipped SDK releases each server target's answers are read by
    api_key: str | None = field(default=None, repr=False)  # a secret: not in tracebacks either

    @property
    def base_urls(self) -> tuple[str, ...]:
        """The server targets given as URLs (not the embedded one), in order."""
        return tuple(t.name for t in self.targets if t.kind == "server" and t.name != "embedded")


# (flag, ini key, ini type, metavar, help). One table: each flag has its ini key.
_REPEATED = (
    ("--drun-target", "drun_target", "embedded|URL", "check a server: 'embedded' or a base URL"),
    ("--drun-sdk", "drun_sdk", "NAME[@SPEC]", "check a shipped SDK harness (python, typescript, ...)"),
    ("--drun-deployment-id", "drun_deployment_ids", "ID", "a deployment the server targets run"),
    (
        "--drun-through-sdk",
        "drun_through_sdk",
        "NAME[@SPEC]",
        "read each server target's run-now answers through this shipped SDK harness too"
        " (NAME@FIRST..LAST: each release its registry serves in that range)",
    ),
)


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("drun-conformance", "conformance of Run Deployment Now (drun-conformance)")
    for flag, ini, metavar, text in _REPEATED:
        group.addoption(flag, action="append", default=[], metavar=metavar, help=f"{text}; repeatable")
        parser.addini(ini, f"{text} (space-separated; {flag} replaces them)", type="args", default=[])
    group.addoption(
        "--drun-harness",
        action="append",
        default=[],
        metavar="CMD",
        help="check any command speaking the harness protocol; repeatable",
    )
    parser.addini("drun_harness", "harness commands, one a line (--drun-harness replaces them)", "linelist")
    _valued(parser, group, "max-requests", "N", "send a server at most N requests (default 10 remote)")
    _valued(parser, group, "profile", "NAME", f"server probing depth: {', '.join(PROFILE_NAMES)}")
    _valued(parser, group, "timeout", "S", "seconds per request or harness call (default: the runner's)")
    _valued(parser, group, "seed", "N", "reproduce a run (default: a fresh seed, shown in the summary)")
    _valued(parser, group, "report-dir", "DIR", "write report.html, results.json, junit.xml")
    _valued(parser, group, "baseline", "NAME@SPEC", "gate the SDK targets against this release, case by case")
    # No default shown: pytest prints defaults in --help, and this is a secret.
    group.addoption(
        "--drun-api-key", default=None, metavar="KEY", help="API key (default: $ANTHROPIC_API_KEY)"
    )
    parser.addini("drun_api_key", "refused: the key comes only from --drun-api-key or $ANTHROPIC_API_KEY")
    for name, text in (
        ("strict", "SHOULD failures fail too, not only MUST"),
        ("allow-incomplete", "an incomplete verdict does not fail the session"),
    ):
        group.addoption(f"--drun-{name}", action="store_true", default=None, help=text)
        parser.addini(f"drun_{name.replace('-', '_')}", text, type="bool", default=False)


def _valued(parser: pytest.Parser, group: pytest.OptionGroup, name: str, metavar: str, text: str) -> None:
    group.addoption(f"--drun-{name}", default=None, metavar=metavar, help=text)
    parser.addini(f"drun_{name.replace('-', '_')}", f"{text} (--drun-{name} overrides)", default="")


def read_settings(config: pytest.Config) -> DrunSettings:
    """The settings, validated: a bad value is a pytest.UsageError naming the flag or ini key."""
    if config.getini("drun_api_key"):
        raise pytest.UsageError(
            "drun_api_key is set in the ini file: the API key is never read from a file; "
            "use --drun-api-key or $ANTHROPIC_API_KEY"
        )
    servers = _listed(config, "drun_target", "drun_target")
    sdks = _listed(config, "drun_sdk", "drun_sdk")
    harnesses = config.getoption("drun_harness") or [h for h in config.getini("drun_harness") if h.strip()]
    targets = (
        *(DrunTarget("server", t) for t in servers),
        *(DrunTarget("client", s) for s in sdks),
        *(DrunTarget("client", h, harness=True) for h in harnesses),
    )
    if len({t.id for t in targets}) != len(targets):
        raise pytest.UsageError("each --drun-target, --drun-sdk and --drun-harness may be given once")
    max_requests = _value(config, "max-requests", int, "an integer")
    if max_requests is not None and max_requests < 1:
        raise pytest.UsageError(f"--drun-max-requests must be at least 1, not {max_requests}")
    timeout = _value(config, "timeout", float, "a number of seconds")
    if timeout is not None and not timeout > 0:
        raise pytest.UsageError(f"--drun-timeout must be more than 0, not {timeout:g}")
    profile = _value(config, "profile", str, "a profile name") or "default"
    if profile not in PROFILE_NAMES:
        raise pytest.UsageError(f"--drun-profile must be one of {', '.join(PROFILE_NAMES)}, not {profile!r}")
    report_dir = _value(config, "report-dir", Path, "a folder")
    key = config.getoption("drun_api_key")
    return DrunSettings(
        targets=targets,
        deployment_ids=tuple(_listed(config, "drun_deployment_id", "drun_deployment_ids")),
        max_requests=max_requests,
        profile=cast(Profile, profile),  # checked against PROFILE_NAMES above
        timeout=timeout,
        seed=_value(config, "seed", int, "an integer"),
        strict=flag(config, "strict"),
        allow_incomplete=flag(config, "allow-incomplete"),
        report_dir=report_dir,
        baseline=_value(config, "baseline", _release, "NAME@SPEC of a shipped SDK"),
        through_sdks=_through_sdks(_listed(config, "drun_through_sdk", "drun_through_sdk")),
        api_key=key if key is not None else os.environ.get("ANTHROPIC_API_KEY") or None,
    )


def _release(text: str) -> str:
    from drun_conformance._errors import UsageError
    from drun_conformance.client._sdks import parse_sdk

    try:
        parse_sdk(text)
    except UsageError as exc:
        raise ValueError(str(exc)) from None
    return text


def _through_sdks(names: list[str]) -> tuple[str, ...]:
    """The --drun-through-sdk values, each a shipped SDK release named once (a range
    NAME@FIRST..LAST: each release its registry serves in it)."""
    if not names:  # the idle plugin imports only the standard library
        return ()
    from drun_conformance._errors import DrunError
    from drun_conformance.client._sdks import parse_sdks

    try:
        return tuple(parse_sdks(names, flag="--drun-through-sdk"))
    except DrunError as exc:  # a bad value, or a registry that cannot say what a range holds
        raise pytest.UsageError(str(exc)) from None


def _listed(config: pytest.Config, option: str, ini: str) -> list[str]:
    given: list[str] = config.getoption(option) or []
    return given or [str(v) for v in config.getini(ini)]


def flag(config: pytest.Config, name: str) -> bool:
    given = config.getoption(f"drun_{name.replace('-', '_')}")
    return bool(given) if given is not None else bool(config.getini(f"drun_{name.replace('-', '_')}"))


def _value(config: pytest.Config, name: str, parse: Callable[[str], _T], what: str) -> _T | None:
    """A flag's value, else its ini key's; None when neither is set."""
    key = name.replace("-", "_")
    given, where = config.getoption(f"drun_{key}"), f"--drun-{name}"
    if given is None:
        given, where = str(config.getini(f"drun_{key}")).strip(), f"ini drun_{key}"
    if given in (None, ""):
        return None
    try:
        return parse(given)
    except ValueError:
        raise pytest.UsageError(f"{where} must be {what}, not {given!r}") from None
