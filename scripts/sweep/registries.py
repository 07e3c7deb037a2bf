"""The SDKs' registries: which final releases each serves (the package's listers,
drun_conformance.client._registries, which `NAME@FIRST..LAST` ranges expand over too), and which of
them have Run Deployment Now (read from each release's own package: the wheel, the npm tarball, the
anthropic-java-core jar by HTTP range requests, the Go module zip). The operation, once added,
stays: the first release with it is found by bisection.
"""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import tempfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from drun_conformance.client._registries import (
    GO_MODULE,
    final_releases,
    pypi_releases,
    registry_url,
    version_key,
)
from drun_conformance.client._registries import served_releases as listed

__all__ = ["SDKS", "Sdk", "has_operation", "sampled", "served_releases", "version_key", "with_operation"]


@dataclass(frozen=True, slots=True)
class Sdk:
    """Where an SDK's releases are listed, and the file of a release that holds the operation."""

    name: str  # as --sdk takes it
    releases: Callable[[], list[str]]
    artefact: Callable[[str], str]  # a release -> the URL of its package (a zip) or npm spec
    member: Callable[[str], str]  # a release -> the file in its package that defines the operation
    marker: bytes  # what that file holds when the operation is there


def _get(url: str, *, span: tuple[int, int] | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Range": f"bytes={span[0]}-{span[1]}"} if span else {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return bytes(response.read())


class _RemoteFile(io.RawIOBase):
    """A read-only file over HTTP range requests: zipfile reads a package's directory and one
    member without downloading the rest (an anthropic-java-core jar is 40 MB)."""

    def __init__(self, url: str) -> None:
        self.url, self.position = url, 0
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=60) as response:
            self.size = int(response.headers["Content-Length"])

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.position = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        end = min(self.position + len(buffer), self.size)
        if end <= self.position:
            return 0
        data = _get(self.url, span=(self.position, end - 1))
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)


def _pypi_wheel(version: str) -> str:
    wheel = next(f["url"] for f in pypi_releases()[version] if str(f["filename"]).endswith(".whl"))
    return urllib.parse.urljoin(registry_url("python"), str(wheel))


def _go_module(version: str) -> str:
    """v2 releases are the module .../v2; v0 and v1 the module itself."""
    major = version_key(version)[0]
    return f"{GO_MODULE}/v{major}" if major >= 2 else GO_MODULE


SDKS = {
    "python": Sdk(
        "python",
        partial(listed, "python"),
        _pypi_wheel,
        lambda v: "anthropic/resources/beta/deployments.py",
        b"def run(",
    ),
    "typescript": Sdk(
        "typescript",
        partial(listed, "typescript"),
        lambda v: f"@anthropic-ai/sdk@{v}",
        lambda v: "package/resources/beta/deployments.js",
        b"run(deploymentID",
    ),
    "java": Sdk(
        "java",
        partial(listed, "java"),
        lambda v: f"{registry_url('java')}/anthropic-java-core/{v}/anthropic-java-core-{v}.jar",
        lambda v: "com/anthropic/models/beta/deployments/DeploymentRunParams.class",
        b"",
    ),
    "go": Sdk(
        "go",
        partial(listed, "go"),
        lambda v: f"{registry_url('go')}/{_go_module(v)}/@v/{v}.zip",
        lambda v: f"{_go_module(v)}@{v}/betadeployment.go",
        b") Run(ctx context.Context",
    ),
}


def served_releases(sdk: Sdk) -> list[str]:
    """The final releases the registry serves, oldest first."""
    return final_releases(sdk.releases())


def _member(sdk: Sdk, version: str) -> bytes | None:
    member = sdk.member(version)
    if sdk.name == "typescript":  # an npm package is a tarball: npm pack fetches it
        with tempfile.TemporaryDirectory() as folder:
            subprocess.run(
                ["npm", "pack", sdk.artefact(version), "--pack-destination", folder, "--silent"],
                capture_output=True,
                check=True,
            )
            with tarfile.open(next(Path(folder).glob("*.tgz"))) as package:
                try:
                    stream = package.extractfile(member)
                except KeyError:
                    return None
                return stream.read() if stream else None
    with zipfile.ZipFile(io.BufferedReader(_RemoteFile(sdk.artefact(version)), 1 << 16)) as package:
        try:
            return package.read(member)
        except KeyError:
            return None


def has_operation(sdk: Sdk, version: str) -> bool:
    """Does this release define Run Deployment Now? Read from the release's own package."""
    text = _member(sdk, version)
    return text is not None and sdk.marker in text


def with_operation(
    sdk: Sdk, releases: Sequence[str], *, probe: Callable[[Sdk, str], bool] = has_operation
) -> list[str]:
    """The releases from the first one with the operation on, found by bisection."""
    low, high = 0, len(releases)  # releases[high:] have it; releases[:low] do not
    while low < high:
        middle = (low + high) // 2
        found = probe(sdk, releases[middle])
        print(f"  {sdk.name} {releases[middle]}: {'has' if found else 'no'} deployments.run", file=sys.stderr)
        low, high = (low, middle) if found else (middle + 1, high)
    return list(releases[high:])


def sampled(releases: list[str], step: int) -> list[str]:
    """With `step` 1, every release. Else the first release, and of the newest release of each
    minor line every `step`-th, counted from the newest (which is always in)."""
    if step == 1 or not releases:
        return releases
    newest = {version_key(v)[:2]: v for v in releases}  # ascending: the last one of a line wins
    lines = list(newest.values())[::-1][::step][::-1]
    return [releases[0], *lines] if lines[0] != releases[0] else lines
