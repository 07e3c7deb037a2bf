"""Where an SDK's package comes from: `--sdk NAME`, `NAME@VERSION` (a release, fetched once into the
SDK gate's cache folder with the gate's own machinery) or `NAME@PATH` (a package folder, a checkout,
or an archive: .whl, .zip, .jar, .tgz), and reading its facts from there.

Releases: Python and TypeScript are installed as the SDK gate installs them (a virtual environment,
an npm prefix: the gate reuses them); Java's sources jar (`anthropic-java-core`) is fetched with
Maven into the gate's Maven repository; Go's module source with `go mod download` into the gate's
module cache. Nothing is imported or run from the package: it is only read.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drun_conformance._errors import InputError, SdkUnavailable, UsageError
from drun_conformance._interrupt import run_tool_group
from drun_conformance.client._cache import Note, installing, run_tool, say, sharing
from drun_conformance.client._sdk_go import MODULE, go_environment, go_release, go_variant

from ._facts_go import go_facts
from ._facts_java import java_facts
from ._facts_python import python_facts
from ._facts_typescript import typescript_facts
from ._sdk_facts import Extracted, FactSheet

__all__ = ["NEWEST", "SdkSource", "parse_sdk_source", "read_sheet"]

# The newest release of each, as `spec sources refresh` reads them when no --sdk is given.
NEWEST = {"python": "2.17.0", "typescript": "1.17.0", "java": "3.17.0", "go": "v2.18.0"}
PACKAGES = {
    "python": "anthropic",
    "typescript": "@anthropic-ai/sdk",
    "java": "com.anthropic:anthropic-java-core",
    "go": MODULE,
}
# A file every package of the SDK has, relative to the folder its facts name files from.
MARKERS = {
    "python": "anthropic/resources/beta/deployments.py",
    "typescript": "resources/beta/deployments.d.ts",
    "java": "com/anthropic/services/blocking/beta/DeploymentServiceImpl.kt",
    "go": "betadeployment.go",
}
EXTRACTORS: dict[str, Callable[[Path], Extracted]] = {
    "python": python_facts,
    "typescript": typescript_facts,
    "java": java_facts,
    "go": go_facts,
}
# Where a package writes its own release number: a local build's expectations apply by it, as the
# SDK gate applies them by the release its harness reports. TypeScript's is package.json's
# `version`, Java's in its jars' names.
_OWN_RELEASE = {
    "python": ("anthropic/_version.py", re.compile(r'^__version__\s*=\s*"([^"]+)"', re.M)),
    "go": ("internal/version.go", re.compile(r'^const PackageVersion\s*=\s*"([^"]+)"', re.M)),
}
_JAVA_JAR = re.compile(r"^anthropic-java-core-(\d+\.\d+\.\d+[^/]*?)(-sources)?\.jar$")
_RELEASE = re.compile(r"^v?\d+\.\d+\.\d+([.-][0-9A-Za-z.]+)?$")
_ARCHIVES = (".whl", ".zip", ".jar", ".tgz", ".tar.gz")


@dataclass(frozen=True, slots=True)
class SdkSource:
    sdk: str
    given: str  # as written after --sdk
    release: str | None = None  # a release to fetch...
    path: Path | None = None  # ...or a local package, checkout or archive

    @property
    def label(self) -> str:
        return self.release or f"local {self.path}"


def parse_sdk_source(text: str) -> SdkSource:
    """`java`, `java@3.17.0`, `python@./anthropic-2.17.0.whl` (UsageError for anything else)."""
    name, at, spec = text.partition("@")
    if name not in PACKAGES:
        raise UsageError(
            f"--sdk {text!r}: the SDKs are {', '.join(PACKAGES)} (NAME, NAME@VERSION or NAME@PATH)"
        )
    if at and not spec:
        raise UsageError(f"--sdk {text!r}: name a release or a path after @")
    if spec and (spec.startswith((".", "/", "~")) or "/" in spec or spec.endswith(_ARCHIVES)):
        path = Path(spec).expanduser().resolve()
        if not path.exists():
            raise UsageError(f"--sdk {text!r}: no such file or folder: {path}")
        return SdkSource(name, text, path=path)
    release = spec or NEWEST[name]
    if not _RELEASE.match(release):
        raise UsageError(f"--sdk {text!r}: {release!r} is not a release number such as {NEWEST[name]}")
    return SdkSource(name, text, release=go_release(release) if name == "go" else release.removeprefix("v"))


def read_sheet(source: SdkSource, cache: Path, *, note: Note | None = None) -> FactSheet:
    """The SDK's facts, read from its package (a release is fetched into `cache` on first use)."""
    with tempfile.TemporaryDirectory(prefix="drun-sdk-") as scratch:
        if source.path is not None:
            root = _package_root(source, _unpacked(source.path, Path(scratch)))
        else:
            assert source.release is not None
            root = _package_root(source, _FETCH[source.sdk](source.release, cache, note))
        try:
            facts = EXTRACTORS[source.sdk](root).facts()
        except (LookupError, ValueError, AttributeError, RecursionError) as exc:  # a layout not foreseen
            raise InputError(
                f"--sdk {source.given!r}: cannot read the {source.sdk} SDK's model in {root}"
                f" ({type(exc).__name__}: {exc}); the extractor does not know this package's layout"
            ) from exc
        own = None if source.path is None else _own_release(source.sdk, source.path, root)
    return FactSheet(source.sdk, PACKAGES[source.sdk], source.release or "local", facts, own)


def _own_release(sdk: str, given: Path, root: Path) -> str | None:
    """The release number a local build declares (None when it says none we can read)."""
    if sdk == "java":
        jars = [given] if given.is_file() else sorted(given.glob("anthropic-java-core-*.jar"))
        found = [m.group(1) for m in (_JAVA_JAR.match(jar.name) for jar in jars) if m]
        return found[0] if found else None
    try:
        if sdk == "typescript":
            declared = json.loads((root / "package.json").read_text(encoding="utf-8")).get("version")
        else:
            name, pattern = _OWN_RELEASE[sdk]
            match = pattern.search((root / name).read_text(encoding="utf-8"))
            declared = match.group(1) if match else None
    except (OSError, UnicodeDecodeError, ValueError, AttributeError):  # AttributeError: JSON no object
        return None
    return declared if isinstance(declared, str) and _RELEASE.match(declared) else None


def _unpacked(path: Path, scratch: Path) -> Path:
    if path.is_dir():
        return path
    try:
        if path.name.endswith((".tgz", ".tar.gz")):
            with tarfile.open(path) as archive:
                archive.extractall(scratch, filter="data")
        else:
            with zipfile.ZipFile(path) as archive:
                archive.extractall(scratch)
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
        raise UsageError(f"--sdk: cannot unpack {path}: {exc}") from None
    return scratch


def _package_root(source: SdkSource, folder: Path) -> Path:
    """The folder the SDK's marker file hangs from, at `folder` or below it."""
    marker = Path(MARKERS[source.sdk])
    if (folder / marker).is_file():
        return folder
    for found in sorted(folder.rglob(marker.name)):
        if found.as_posix().endswith("/" + marker.as_posix()):
            root = found
            for _ in marker.parts:
                root = root.parent
            return root
    raise UsageError(
        f"--sdk {source.given!r}: no {marker} in {folder}: not a package of {PACKAGES[source.sdk]}"
    )


def _python(release: str, cache: Path, note: Note | None) -> Path:
    from drun_conformance.client._sdks import SDKS, prepare_sdk

    python = Path(prepare_sdk(SDKS["python"], release, note=note).argv[0])
    found = sorted(python.parent.parent.glob("lib/python*/site-packages"))
    if not found:
        raise SdkUnavailable(f"anthropic {release}: no site-packages under {python.parent.parent}")
    return found[0]


def _typescript(release: str, cache: Path, note: Note | None) -> Path:
    from drun_conformance.client._sdks import SDKS, prepare_sdk

    modules = prepare_sdk(SDKS["typescript"], release, note=note).env["NODE_PATH"]
    return Path(modules) / "@anthropic-ai" / "sdk"


def _java(release: str, cache: Path, note: Note | None) -> Path:
    home = cache / "java" / "sources" / f"anthropic-java-core-{release}"
    with installing(home) as ready:
        if not ready:
            mvn = shutil.which("mvn")
            if mvn is None:
                raise SdkUnavailable("reading the java SDK's sources needs Maven: mvn not found on PATH")
            say(note, f"fetching the sources of {PACKAGES['java']} {release} into {home} (first use)")
            shutil.rmtree(home, ignore_errors=True)
            repository = cache / "java" / "m2"
            with sharing(repository):
                run_tool(
                    [
                        mvn,
                        "--batch-mode",
                        "--quiet",
                        f"-Dmaven.repo.local={repository}",
                        "dependency:get",
                        f"-Dartifact={PACKAGES['java']}:{release}:jar:sources",
                        "-Dtransitive=false",
                    ],
                    f"fetch the sources of {PACKAGES['java']} {release} with Maven",
                )
            jar = repository / "com/anthropic/anthropic-java-core" / release
            _unpacked(jar / f"anthropic-java-core-{release}-sources.jar", home)
    return home


def _go(release: str, cache: Path, note: Note | None) -> Path:
    module = go_variant(release).module  # v1.x is the module without /v2
    cached = cache / "go" / "mod" / f"{module}@{release}"
    if (cached / MARKERS["go"]).is_file():
        return cached  # the SDK gate's build fetched it already
    go = shutil.which("go")
    if go is None:
        raise SdkUnavailable("reading the go SDK's source needs Go: go not found on PATH")
    say(note, f"fetching {module} {release} into {cache / 'go' / 'mod'} (first use)")
    what = f"fetch {module} {release} with go mod download"
    try:
        done = run_tool_group(
            [go, "mod", "download", "-json", f"{module}@{release}"],
            env=go_environment(cache),
            cwd=Path(tempfile.gettempdir()),  # outside any module
            timeout=900,
        )
        found = json.loads(done.stdout or b"{}")
    except (OSError, subprocess.TimeoutExpired, ValueError) as exc:
        raise SdkUnavailable(f"cannot {what}: {exc}") from None
    if done.returncode != 0 or "Dir" not in found:
        raise SdkUnavailable(f"cannot {what}: {found.get('Error') or done.stderr.decode(errors='replace')}")
    return Path(found["Dir"])


_FETCH: dict[str, Callable[[str, Path, Note | None], Path]] = {
    "python": _python,
    "typescript": _typescript,
    "java": _java,
    "go": _go,
}
