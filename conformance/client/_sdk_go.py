"""The Go SDK's harness: a small Go module (harnesses/anthropic_go/) built once per release of
`github.com/anthropics/anthropic-sdk-go/v2` or of the v1 module `github.com/anthropics/anthropic-sdk-go`
(or a local module folder of v2, `go@PATH`, through a `replace`) into one binary, run as one
long-lived process. One source serves every release: the build picks the release's variant
(`go_variant`: the module the harness imports, and the tags that select its compat_*.go files).

The build happens in the cache folder (`<cache>/go/anthropic-sdk-go-<release>-<sources hash>`),
with Go's module and build caches there too (`<cache>/go/mod`, `<cache>/go/build`). The first
build compiles the whole SDK (minutes on two cores); the next release reuses most of it.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from drun_conformance._errors import SdkUnavailable
from drun_conformance._releases import release_numbers

from ._cache import Note, installing, run_tool, say, source_digest

__all__ = ["MODULE", "V1_MODULE", "GoVariant", "go_environment", "go_harness", "go_release", "go_variant"]

MODULE = "github.com/anthropics/anthropic-sdk-go/v2"
V1_MODULE = "github.com/anthropics/anthropic-sdk-go"
PROJECT = Path(__file__).resolve().parent / "harnesses" / "anthropic_go"
_IMPORTED = re.compile(rf'"{re.escape(MODULE)}(?=["/])')  # the harness's imports of the v2 module


@dataclass(frozen=True, slots=True)
class GoVariant:
    """How the one harness source is built for a range of releases."""

    module: str  # the module the harness imports and requires
    tags: tuple[str, ...]  # build tags: which compat_*.go files are compiled


def go_variant(release: str) -> GoVariant:
    """The harness variant for a release (`v1.50.0`): SdkUnavailable for one it cannot serve."""
    numbers = release_numbers(release)
    if not numbers or numbers < (1, 50, 0):
        raise SdkUnavailable(f"{V1_MODULE} {release} has no deployments.run: it appeared in v1.50.0")
    if numbers[0] > 2:
        raise SdkUnavailable(
            f"{V1_MODULE}/v{numbers[0]} {release}: a major release the go harness has no variant for"
        )
    module = V1_MODULE if numbers[0] == 1 else MODULE
    return GoVariant(module, ("drun_before_v2_6",) if numbers < (2, 6, 0) else ())


def go_release(version: str) -> str:
    """Go spells releases with a v: `2.15.0` and `v2.15.0` are the same release."""
    return version if version.startswith("v") else f"v{version}"


def go_environment(cache: Path) -> dict[str, str]:
    """Go's environment for the cache folder: its module and build caches there, no other toolchain."""
    return {
        **os.environ,
        "GOMODCACHE": str(cache / "go" / "mod"),
        "GOCACHE": str(cache / "go" / "build"),
        "GOFLAGS": "-modcacherw -buildvcs=false",  # a cache folder anyone can delete
        "GOTOOLCHAIN": "local",  # never download another toolchain: a clear error instead
        "GOWORK": "off",
        "CGO_ENABLED": "0",
    }


def go_harness(
    version: str,
    cache: Path,
    *,
    note: Note | None = None,
    project: Path = PROJECT,
    local: tuple[Path, str] | None = None,
) -> tuple[str, ...]:
    """The command line of the Go harness built against `version` (built on first use).
    `project`: another copy of the harness's sources (the tests build faulty ones); `local`: a
    module folder of the SDK and its content hash, built in through a `replace` (`go@PATH`)."""
    go = shutil.which("go")
    if go is None:
        raise SdkUnavailable("the go harness needs Go 1.25 or later: go not found on PATH")
    release = go_release(version)
    variant = go_variant(release)
    built = f"local-{local[1][:16]}" if local else release
    home = cache / "go" / f"anthropic-sdk-go-{built}-{source_digest(project)}"
    binary = home / "harness"
    env = go_environment(cache)
    against = f"{MODULE} from {local[0]}" if local else f"{variant.module} {release}"
    with installing(home) as ready:
        if not ready:
            say(note, f"building the go harness against {against} in {home} (first use: minutes)")
            shutil.rmtree(home, ignore_errors=True)
            source = home / "src"
            shutil.copytree(project, source)
            what = f"build the go harness against {against}"
            if local:  # the harness's go.mod requires a release: the replace puts the folder in its place
                run_tool([go, "mod", "edit", f"-replace={MODULE}={local[0]}"], what, cwd=source, env=env)
            else:
                if variant.module != MODULE:
                    _import_module(source, variant.module, go, env)
                run_tool([go, "get", f"{variant.module}@{release}"], what, cwd=source, env=env)
            tags = ["-tags", ",".join(variant.tags)] if variant.tags else []
            build = [go, "build", "-mod=mod", "-trimpath", *tags, "-o", str(binary), "."]
            run_tool(build, what, cwd=source, env=env)
    return (str(binary),)


def _import_module(source: Path, module: str, go: str, env: dict[str, str]) -> None:
    """The harness's copy in `source` made to import and require `module` in place of the v2 module."""
    run_tool([go, "mod", "edit", f"-droprequire={MODULE}"], f"require {module}", cwd=source, env=env)
    for file in source.glob("*.go"):
        file.write_text(_IMPORTED.sub(f'"{module}', file.read_text(encoding="utf-8")), encoding="utf-8")
