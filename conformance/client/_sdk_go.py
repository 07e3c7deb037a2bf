"""The Go SDK's harness: a small Go module (harnesses/anthropic_go/) built once per release of
`github.com/anthropics/anthropic-sdk-go/v2` (or a local module folder of it, `go@PATH`, through
a `replace`) into one binary, run as one long-lived process.

The build happens in the cache folder (`<cache>/go/anthropic-sdk-go-<release>-<sources hash>`),
with Go's module and build caches there too (`<cache>/go/mod`, `<cache>/go/build`). The first
build compiles the whole SDK (minutes on two cores); the next release reuses most of it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from drun_conformance._errors import SdkUnavailable

from ._cache import Note, installing, run_tool, say, source_digest

__all__ = ["MODULE", "go_environment", "go_harness", "go_release"]

MODULE = "github.com/anthropics/anthropic-sdk-go/v2"
PROJECT = Path(__file__).resolve().parent / "harnesses" / "anthropic_go"


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
    built = f"local-{local[1][:16]}" if local else release
    home = cache / "go" / f"anthropic-sdk-go-{built}-{source_digest(project)}"
    binary = home / "harness"
    env = go_environment(cache)
    against = f"{MODULE} from {local[0]}" if local else f"{MODULE} {release}"
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
                run_tool([go, "get", f"{MODULE}@{release}"], what, cwd=source, env=env)
            build = [go, "build", "-mod=mod", "-trimpath", "-o", str(binary), "."]
            run_tool(build, what, cwd=source, env=env)
    return (str(binary),)
