"""The shipped SDK harnesses: which SDK, which release, and where it is installed.

`--sdk python` or `--sdk python@2.10.0` names a shipped harness and a release. Each release
is installed once, in isolation, under the cache folder (`$DRUN_CACHE_DIR`, else
`$XDG_CACHE_HOME/drun-conformance`, else `~/.cache/drun-conformance`): a virtual environment
per `anthropic` release, an npm prefix per `@anthropic-ai/sdk` release, a Maven build per
`anthropic-java` release (`_sdk_java`), a Go build per `anthropic-sdk-go` release (`_sdk_go`).
Later runs reuse it.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drun_conformance._errors import SdkUnavailable, UsageError

from ._build import installing as _installing
from ._build import run_tool as _install
from ._build import say as _say
from ._sdk_go import go_harness, go_release
from ._sdk_java import java_harness

__all__ = [
    "SDKS",
    "HarnessCommand",
    "ShippedSdk",
    "cache_dir",
    "harness_environment",
    "parse_sdk",
    "prepare_sdk",
]

HARNESS_DIR = Path(__file__).resolve().parent / "harnesses"
EXPECTATIONS_DIR = Path(__file__).resolve().parent / "expectations"
# Variables that would point an SDK at a real account or endpoint, or route loopback elsewhere.
_SCRUBBED = (
    "ANTHROPIC_",
    "CLAUDE_",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)
_VERSION = re.compile(r"^v?\d+(\.\d+){0,2}([.-]?[0-9A-Za-z.]+)?$")
Note = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ShippedSdk:
    name: str  # what --sdk takes
    package: str
    language: str
    default_version: str
    minimum_version: tuple[int, ...] | None  # the first release with deployments.run, when known
    harness: str  # the file or folder under conformance/harnesses/

    @property
    def expectations(self) -> Path:
        return EXPECTATIONS_DIR / f"{self.name}.yaml"


@dataclass(frozen=True, slots=True)
class HarnessCommand:
    """How to start one harness: the command line and its environment."""

    argv: tuple[str, ...]
    env: dict[str, str]
    label: str  # the target id's tail: "python", "python@0.109.0", or the --harness command
    expectations: Path | None = None


SDKS: dict[str, ShippedSdk] = {
    "python": ShippedSdk("python", "anthropic", "python", "2.10.0", (0, 109, 0), "anthropic_python.py"),
    "typescript": ShippedSdk(
        "typescript", "@anthropic-ai/sdk", "typescript", "1.10.0", None, "anthropic_typescript.cjs"
    ),
    "java": ShippedSdk("java", "com.anthropic:anthropic-java", "java", "3.14.0", None, "anthropic_java"),
    "go": ShippedSdk(
        "go", "github.com/anthropics/anthropic-sdk-go/v2", "go", "v2.15.0", None, "anthropic_go"
    ),
}
# Built once per release in the cache folder: the harness's command line for a release.
_BUILT: dict[str, Callable[..., tuple[str, ...]]] = {"java": java_harness, "go": go_harness}


def harness_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a harness runs in: ours, without credentials, endpoints or proxies."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost,::1"
    env.update(extra or {})
    return env


def cache_dir() -> Path:
    if os.environ.get("DRUN_CACHE_DIR"):
        return Path(os.environ["DRUN_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "drun-conformance"


def parse_sdk(text: str) -> tuple[ShippedSdk, str]:
    """`python` or `python@2.10.0` -> the shipped SDK and the release (UsageError if neither)."""
    name, _, version = text.partition("@")
    if name not in SDKS:
        raise UsageError(
            f"--sdk {text!r}: the shipped harnesses are {', '.join(SDKS)} (NAME or NAME@VERSION)"
        )
    sdk = SDKS[name]
    version = version or sdk.default_version
    if not _VERSION.match(version):
        raise UsageError(f"--sdk {text!r}: {version!r} is not a release number such as {sdk.default_version}")
    if name == "go":
        version = go_release(version)
    if sdk.minimum_version and _numbers(version) < sdk.minimum_version:
        first = ".".join(map(str, sdk.minimum_version))
        raise UsageError(f"{sdk.package} {version} has no deployments.run: it appeared in {first}")
    return sdk, version


def _numbers(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def prepare_sdk(sdk: ShippedSdk, version: str, *, note: Note | None = None) -> HarnessCommand:
    """The harness command for this release, installing the release on first use."""
    label = sdk.name if version == sdk.default_version else f"{sdk.name}@{version}"
    if sdk.language in _BUILT:
        built = _BUILT[sdk.language](version, cache_dir(), note=note)
        return HarnessCommand(built, harness_environment(), label, sdk.expectations)
    if sdk.language == "python":
        python = _python_env(sdk, version, note)
        argv: tuple[str, ...] = (str(python), "-I", str(HARNESS_DIR / sdk.harness))
        return HarnessCommand(argv, harness_environment(), label, sdk.expectations)
    node, modules = _node_prefix(sdk, version, note)
    env = harness_environment({"NODE_PATH": str(modules)})
    return HarnessCommand((node, str(HARNESS_DIR / sdk.harness)), env, label, sdk.expectations)


def _python_env(sdk: ShippedSdk, version: str, note: Note | None) -> Path:
    home = cache_dir() / "python" / f"{sdk.package}-{version}"
    python = home / "bin" / "python"
    with _installing(home) as ready:
        if not ready:
            _say(note, f"installing {sdk.package} {version} into {home} (first use; later runs reuse it)")
            shutil.rmtree(home, ignore_errors=True)
            _install([sys.executable, "-m", "venv", str(home)], f"create a virtual environment in {home}")
            _install(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "--retries=1",  # offline, fail in seconds rather than minutes
                    "--timeout=20",
                    f"{sdk.package}=={version}",
                ],
                f"install {sdk.package}=={version} from PyPI",
            )
    return python


def _node_prefix(sdk: ShippedSdk, version: str, note: Note | None) -> tuple[str, Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        raise SdkUnavailable(
            f"the typescript harness needs Node.js: {missing} not found on PATH (install Node.js 18 or later)"
        )
    home = cache_dir() / "typescript" / f"{sdk.package.replace('/', '+')}-{version}"
    with _installing(home) as ready:
        if not ready:
            _say(
                note,
                f"installing {sdk.package} {version} into {home} with npm (first use; later runs reuse it)",
            )
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            (home / "package.json").write_text('{"private": true}\n', encoding="utf-8")
            _install(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(home),
                    "--no-audit",
                    "--no-fund",
                    "--ignore-scripts",
                    "--loglevel=error",
                    "--fetch-retries=1",
                    "--fetch-timeout=20000",
                    f"{sdk.package}@{version}",
                ],
                f"install {sdk.package}@{version} from npm",
            )
    return node, home / "node_modules"
