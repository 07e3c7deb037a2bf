"""The shipped SDK harnesses: which SDK, which release, and where it is installed.

`--sdk python` or `--sdk python@2.10.0` names a shipped harness and a release;
`--sdk python@2.15.0..2.17.0` every final release its registry serves in that range (either end
may be left out: `python@2.15.0..`, `java@..3.17.0`; an open start is the oldest release the harness
gates), for the flags that take several (`parse_sdks`);
`--sdk python@.` or `--sdk typescript@./pkg.tgz` a local build to gate before it is released
(Python: a folder with pyproject.toml, a wheel or an sdist; TypeScript: a package folder or
an `npm pack` tarball; Go: a module folder of anthropic-sdk-go, built in through a `replace`;
Java: a folder of the SDK's jars, run in place of the release's).
Each is installed once, in isolation, under the cache folder (`$DRUN_CACHE_DIR`, else
`$XDG_CACHE_HOME/drun-conformance`, else `~/.cache/drun-conformance`): a virtual environment or
an npm prefix per release, and per content hash of a local build, so a changed checkout is
installed afresh; a Maven build per `anthropic-java` release (`_sdk_java`), a Go build per
`anthropic-sdk-go` release or local module (`_sdk_go`). Later runs reuse it.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from drun_conformance._errors import SdkUnavailable, UsageError
from drun_conformance._releases import release_numbers

from ._cache import installing, run_tool, say
from ._registries import served_releases, version_key
from ._sdk_go import MODULE as GO_MODULE
from ._sdk_go import go_harness, go_release
from ._sdk_java import java_harness, sdk_jars

__all__ = [
    "SDKS",
    "HarnessCommand",
    "LocalBuild",
    "ShippedSdk",
    "cache_dir",
    "content_hash",
    "harness_environment",
    "parse_sdk",
    "parse_sdks",
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
_ARTEFACTS = {"python": (".whl", ".tar.gz", ".zip"), "typescript": (".tgz", ".tar.gz")}
_LOCAL_KINDS = {
    "python": "a folder with pyproject.toml, a wheel (.whl) or an sdist (.tar.gz)",
    "typescript": "a package folder with package.json or an `npm pack` tarball (.tgz)",
    "go": f"a module folder whose go.mod declares {GO_MODULE}",
    "java": "a folder holding anthropic-java-core-*.jar (a folder of jars, or a checkout that built them)",
}
_MARKERS = {"python": "pyproject.toml", "typescript": "package.json", "go": "go.mod"}
# Folders that are no part of what gets installed, and change without the build changing.
_NOT_CONTENT = frozenset(
    {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox"}
)
_BUILD_OUTPUT = {"python": frozenset({"build"})}  # pip builds a setuptools checkout in place
_VERSION = re.compile(r"^v?\d+(\.\d+){0,2}([.-]?[0-9A-Za-z.]+)?$")
_RANGE = re.compile(r"^(?P<first>v?\d+\.\d+\.\d+)?\.\.(?P<last>v?\d+\.\d+\.\d+)?$")
Note = Callable[[str], None]
Served = Callable[[str], Sequence[str]]  # an SDK's name -> the final releases its registry serves


@dataclass(frozen=True, slots=True)
class ShippedSdk:
    name: str  # what --sdk takes
    package: str
    language: str
    default_version: str
    minimum_version: tuple[int, ...]  # the oldest release the shipped harness gates...
    minimum_reason: str  # ...and why (scripts/sweep_sdks.py checks it against the registries)
    harness: str  # the file or folder in drun_conformance.client's harnesses/

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
    gated: dict[str, str] | None = None  # a local build: what was gated, for the report


@dataclass(frozen=True, slots=True)
class LocalBuild:
    """A checkout or built artefact given as `--sdk NAME@PATH`: gated before it is released."""

    given: str  # as the user wrote it, for the target id
    path: Path  # resolved
    sha256: str  # of its content: two runs on different builds can be told apart

    def describe(self) -> dict[str, str]:
        return {"gated": str(self.path), "gated_sha256": self.sha256}


SDKS: dict[str, ShippedSdk] = {
    "python": ShippedSdk(
        "python",
        "anthropic",
        "python",
        "2.10.0",
        (0, 109, 0),
        "deployments.run appeared in 0.109.0",
        "anthropic_python.py",
    ),
    "typescript": ShippedSdk(
        "typescript",
        "@anthropic-ai/sdk",
        "typescript",
        "1.10.0",
        (0, 104, 0),
        "deployments.run appeared in 0.104.0",
        "anthropic_typescript.cjs",
    ),
    "java": ShippedSdk(
        "java",
        "com.anthropic:anthropic-java",
        "java",
        "3.14.0",
        (2, 40, 0),
        "deployments().run() appeared in 2.40.0",
        "anthropic_java",
    ),
    "go": ShippedSdk(
        "go",
        "github.com/anthropics/anthropic-sdk-go/v2",
        "go",
        "v2.15.0",
        (1, 50, 0),
        "Deployments.Run appeared in v1.50.0 (of the v1 module github.com/anthropics/anthropic-sdk-go)",
        "anthropic_go",
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


def parse_sdk(text: str) -> tuple[ShippedSdk, str | LocalBuild]:
    """`python`, `python@2.10.0` or `python@./checkout` -> the shipped SDK and the release or
    local build (UsageError if neither)."""
    name, _, version = text.partition("@")
    sdk = _shipped(text, name)
    if _is_range(version):
        raise UsageError(f"--sdk {text!r}: one release is taken here, not a range")
    if version and _looks_local(version):
        return sdk, _local_build(sdk, text, version)
    return sdk, _release(sdk, text, version or sdk.default_version)


def parse_sdks(
    texts: Sequence[str], *, flag: str, served: Served = served_releases, note: Note | None = None
) -> dict[str, tuple[ShippedSdk, str | LocalBuild]]:
    """The values of a repeatable SDK flag, each checked as `parse_sdk` checks it, a range
    `NAME@FIRST..LAST` replaced by the releases `served` lists in it (what a range holds is told
    to `note`): each release as `NAME@VERSION` -> its parse. UsageError, naming `flag`, for a bad
    value, a range that holds no release, or a release named twice."""
    parsed: dict[str, tuple[ShippedSdk, str | LocalBuild]] = {}
    for text in texts:
        try:
            for one in _expanded(text, served, note):
                release = parse_sdk(one)
                if release in parsed.values():
                    raise UsageError(f"--sdk {text!r}: the same SDK release is named twice")
                parsed[one] = release
        except UsageError as exc:
            raise UsageError(str(exc).replace("--sdk", flag, 1)) from None
        except SdkUnavailable as exc:  # the registry could not say what the range holds
            raise SdkUnavailable(f"{flag} {text!r}: {exc}") from None
    return parsed


def _expanded(text: str, served: Served, note: Note | None) -> list[str]:
    """`text` itself, or the releases of the range it names."""
    name, _, spec = text.partition("@")
    if not _is_range(spec):
        return [text]
    sdk = _shipped(text, name)
    ends = _RANGE.match(spec)
    if ends is None:
        raise UsageError(
            f"--sdk {text!r}: a range is NAME@FIRST..LAST of final releases, either end left out"
            f" ({name}@{sdk.default_version}.., {name}@..{sdk.default_version})"
        )
    first = _release(sdk, text, ends["first"]) if ends["first"] else None
    last = _release(sdk, text, ends["last"]) if ends["last"] else None
    if first and last and version_key(first) > version_key(last):
        raise UsageError(f"--sdk {text!r}: {first} comes after {last}")
    low = version_key(first) if first else sdk.minimum_version  # open: the oldest the harness gates
    listed = list(served(name))
    held = [
        v for v in listed if low <= version_key(v) and (last is None or version_key(v) <= version_key(last))
    ]
    if not held:
        offered = f"; it serves {listed[0]} to {listed[-1]}" if listed else ""
        raise UsageError(
            f"--sdk {text!r}: the registry serves no final release of {sdk.package} in that range{offered}"
        )
    if note is not None:
        which = ", ".join(held) if len(held) <= 6 else f"{held[0]}, {held[1]}, ..., {held[-1]}"
        note(
            f"{text}: {len(held)} release{'s' if len(held) > 1 else ''} of {sdk.package} ({which});"
            " one not yet in the cache is installed on first use"
        )
    return [f"{name}@{v}" for v in held]


def _shipped(text: str, name: str) -> ShippedSdk:
    if name not in SDKS:
        raise UsageError(
            f"--sdk {text!r}: the shipped harnesses are {', '.join(SDKS)}"
            " (NAME, NAME@VERSION, NAME@FIRST..LAST or NAME@PATH)"
        )
    return SDKS[name]


def _release(sdk: ShippedSdk, text: str, version: str) -> str:
    """`version` of `sdk` as given in `text`, checked: a release number the harness gates."""
    if not _VERSION.match(version):
        raise UsageError(f"--sdk {text!r}: {version!r} is not a release number such as {sdk.default_version}")
    if sdk.language == "go":
        version = go_release(version)
    if release_numbers(version) < sdk.minimum_version:
        raise UsageError(f"--sdk {text!r}: {sdk.package} {version} cannot be gated: {sdk.minimum_reason}")
    return version


def _is_range(spec: str) -> bool:
    """`..` between release numbers: a range (`..` alone, `../x`, is a folder)."""
    return ".." in spec and spec != ".." and "/" not in spec and os.sep not in spec


def _looks_local(spec: str) -> bool:
    built = tuple(suffix for suffixes in _ARTEFACTS.values() for suffix in suffixes)
    return spec.startswith((".", "/", "~")) or os.sep in spec or "/" in spec or spec.endswith(built)


def _local_build(sdk: ShippedSdk, text: str, spec: str) -> LocalBuild:
    path = Path(spec).expanduser().resolve()
    if not path.exists():
        raise UsageError(f"--sdk {text!r}: no such file or folder: {path}")
    kinds = _LOCAL_KINDS[sdk.language]
    if sdk.language == "java":
        if not path.is_dir() or not any(jar.name.startswith("anthropic-java-core") for jar in sdk_jars(path)):
            raise UsageError(f"--sdk {text!r}: {path} has no anthropic-java-core jar; give {kinds}")
        return LocalBuild(text.partition("@")[2], path, content_hash(path, language=sdk.language))
    marker = _MARKERS[sdk.language]
    if path.is_dir() and not (path / marker).is_file() and not (path / "setup.py").is_file():
        raise UsageError(f"--sdk {text!r}: {path} has no {marker}; give {kinds}")
    if path.is_file() and not path.name.endswith(_ARTEFACTS.get(sdk.language, ())):
        raise UsageError(f"--sdk {text!r}: {path.name} is not {kinds}")
    if sdk.language == "go" and _go_module(path / "go.mod") != GO_MODULE:
        raise UsageError(f"--sdk {text!r}: {path / 'go.mod'} is not the module {GO_MODULE}; give {kinds}")
    return LocalBuild(text.partition("@")[2], path, content_hash(path, language=sdk.language))


def _go_module(go_mod: Path) -> str | None:
    """The module a go.mod declares."""
    if not go_mod.is_file():
        return None
    for line in go_mod.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("module "):
            return line.removeprefix("module ").strip().strip('"')
    return None


def content_hash(path: Path, *, language: str) -> str:
    """sha256 of a file, or of a folder's files (names and bytes; VCS, caches, installs and what
    building a `language` package writes into its checkout left out)."""
    digest = hashlib.sha256()
    files = (
        [path]
        if path.is_file()
        else sorted(_tree(path, _NOT_CONTENT | _BUILD_OUTPUT.get(language, frozenset())))
    )
    for file in files:
        if file != path:  # in a folder, a renamed file is a change too
            digest.update(file.relative_to(path).as_posix().encode() + b"\0")
        with file.open("rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        digest.update(b"\0")
    return digest.hexdigest()


def _tree(root: Path, skipped: frozenset[str]) -> Iterator[Path]:
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            d for d in subfolders if d not in skipped and not d.endswith(("_cache", ".egg-info"))
        ]
        for name in names:
            yield Path(folder) / name


def prepare_sdk(sdk: ShippedSdk, release: str | LocalBuild, *, note: Note | None = None) -> HarnessCommand:
    """The harness command for this release or local build, installing it on first use."""
    if isinstance(release, LocalBuild):
        label, gated = f"{sdk.name}@{release.given}", release.describe()
    else:
        label = sdk.name if release == sdk.default_version else f"{sdk.name}@{release}"
        gated = None
    if sdk.language in _BUILT:
        if isinstance(release, LocalBuild):  # the harness of the default release, with the build
            local = (release.path, release.sha256)
            built = _BUILT[sdk.language](sdk.default_version, cache_dir(), note=note, local=local)
        else:
            built = _BUILT[sdk.language](release, cache_dir(), note=note)
        return HarnessCommand(built, harness_environment(), label, sdk.expectations, gated)
    if sdk.language == "python":
        python = _python_env(sdk, release, note)
        argv: tuple[str, ...] = (str(python), "-I", str(HARNESS_DIR / sdk.harness))
        return HarnessCommand(argv, harness_environment(), label, sdk.expectations, gated)
    node, modules = _node_prefix(sdk, release, note)
    env = harness_environment({"NODE_PATH": str(modules)})
    return HarnessCommand((node, str(HARNESS_DIR / sdk.harness)), env, label, sdk.expectations, gated)


def _install_plan(sdk: ShippedSdk, release: str | LocalBuild, separator: str) -> tuple[str, str, str]:
    """The cache folder's name, what the installer is given, and what the install is called."""
    if isinstance(release, LocalBuild):
        name = f"{sdk.package.replace('/', '+')}-local-{release.sha256[:16]}"
        return name, str(release.path), f"{sdk.package} from {release.path}"
    name = f"{sdk.package.replace('/', '+')}-{release}"
    return name, f"{sdk.package}{separator}{release}", f"{sdk.package} {release}"


def _python_env(sdk: ShippedSdk, release: str | LocalBuild, note: Note | None) -> Path:
    folder, requirement, what = _install_plan(sdk, release, "==")
    home = cache_dir() / "python" / folder
    python = home / "bin" / "python"
    with installing(home) as ready:
        if not ready:
            say(note, f"installing {what} into {home} (first use; later runs reuse it)")
            shutil.rmtree(home, ignore_errors=True)
            run_tool([sys.executable, "-m", "venv", str(home)], f"create a virtual environment in {home}")
            run_tool(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "--retries=1",  # offline, fail in seconds rather than minutes
                    "--timeout=20",
                    requirement,
                ],
                f"install {what}",
            )
    return python


def _node_prefix(sdk: ShippedSdk, release: str | LocalBuild, note: Note | None) -> tuple[str, Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if p is None)
        raise SdkUnavailable(
            f"the typescript harness needs Node.js: {missing} not found on PATH (install Node.js 18 or later)"
        )
    folder, requirement, what = _install_plan(sdk, release, "@")
    home = cache_dir() / "typescript" / folder
    with installing(home) as ready:
        if not ready:
            say(note, f"installing {what} into {home} with npm (first use; later runs reuse it)")
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            (home / "package.json").write_text('{"private": true}\n', encoding="utf-8")
            run_tool(
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
                    "--install-links",  # a package folder is copied, as a release would be, not linked
                    requirement,
                ],
                f"install {what}",
            )
    return node, home / "node_modules"
