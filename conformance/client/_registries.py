"""Which final releases each shipped SDK's registry serves: PyPI, npm, Maven Central and the Go
module proxy (both Go modules). `NAME@FIRST..LAST` ranges expand over these listings, and the
release sweep (scripts/sweep) plans from them.

Each registry is asked once a process. Its address can be moved by an environment variable
(DRUN_PYPI_URL, DRUN_NPM_URL, DRUN_MAVEN_URL, DRUN_GOPROXY_URL: a mirror, or a listing the tests
serve on loopback). A registry that cannot be reached, or answers what is not a listing, is
SdkUnavailable with the reason, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any
from xml.etree import ElementTree

from drun_conformance._errors import SdkUnavailable

__all__ = [
    "FINAL",
    "GO_MODULE",
    "final_releases",
    "pypi_releases",
    "registry_url",
    "served_releases",
    "version_key",
]

FINAL = re.compile(r"^v?\d+\.\d+\.\d+$")  # no pre-releases: ranges and sweeps are of what users install
GO_MODULE = "github.com/anthropics/anthropic-sdk-go"  # v0 and v1; v2 on is GO_MODULE/v2
# SDK -> (the variable that moves its registry, the registry's default address)
_REGISTRIES = {
    "python": ("DRUN_PYPI_URL", "https://pypi.org/pypi/anthropic/json"),
    "typescript": ("DRUN_NPM_URL", "https://registry.npmjs.org/@anthropic-ai%2fsdk"),
    "java": ("DRUN_MAVEN_URL", "https://repo1.maven.org/maven2/com/anthropic"),
    "go": ("DRUN_GOPROXY_URL", "https://proxy.golang.org"),
}
_TIMEOUT_S = 30.0


def version_key(version: str) -> tuple[int, ...]:
    """A final release's numbers, for ordering: `v2.15.0` -> (2, 15, 0)."""
    return tuple(int(part) for part in version.lstrip("v").split("."))


def final_releases(versions: Iterable[str]) -> list[str]:
    """The final releases among `versions`, oldest first."""
    return sorted((v for v in versions if FINAL.match(v)), key=version_key)


def registry_url(name: str) -> str:
    """Where the SDK `name`'s releases are listed (its variable, if set, else the public registry)."""
    variable, default = _REGISTRIES[name]
    return (os.environ.get(variable) or default).rstrip("/")


def served_releases(name: str) -> list[str]:
    """The final releases the registry of SDK `name` serves, oldest first (asked once a process)."""
    return list(_served(name, registry_url(name)))


@cache
def _served(name: str, url: str) -> tuple[str, ...]:
    try:
        return tuple(final_releases(_LISTERS[name](url)))
    except (ValueError, KeyError, TypeError, AttributeError, ElementTree.ParseError) as exc:
        raise SdkUnavailable(
            f"cannot list the {name} SDK's releases: {url} answered what is not a release listing ({exc})"
        ) from None


def pypi_releases() -> dict[str, list[dict[str, Any]]]:
    """PyPI's releases of anthropic, each with its files (the sweep reads a release's wheel)."""
    return _pypi(registry_url("python"))


@cache
def _pypi(url: str) -> dict[str, list[dict[str, Any]]]:
    return dict(json.loads(_get(url, "python"))["releases"])


def _python(url: str) -> list[str]:
    releases = _pypi(url)
    return [v for v, files in releases.items() if files and not all(f["yanked"] for f in files)]


def _typescript(url: str) -> list[str]:
    # The abbreviated document ("corgi"): the versions without their readmes, a tenth of the size.
    return list(json.loads(_get(url, "typescript", accept="application/vnd.npm.install-v1+json"))["versions"])


def _java(url: str) -> list[str]:
    metadata = ElementTree.fromstring(_get(f"{url}/anthropic-java/maven-metadata.xml", "java"))
    return [v.text for v in metadata.iterfind("versioning/versions/version") if v.text]


def _go(url: str) -> list[str]:
    """v0 and v1 are the module itself, v2 on the module .../v2: both lists."""
    v1 = _get(f"{url}/{GO_MODULE}/@v/list", "go").decode().split()
    v2 = _get(f"{url}/{GO_MODULE}/v2/@v/list", "go").decode().split()
    return [v for v in v1 if FINAL.match(v) and version_key(v)[0] < 2] + v2


_LISTERS: dict[str, Callable[[str], list[str]]] = {
    "python": _python,
    "typescript": _typescript,
    "java": _java,
    "go": _go,
}


def _get(url: str, name: str, *, accept: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        raise SdkUnavailable(f"cannot list the {name} SDK's releases: {url} answered {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:  # no route, refused, timed out, TLS
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        raise SdkUnavailable(
            f"cannot list the {name} SDK's releases: {url} cannot be reached ({reason})"
        ) from None
