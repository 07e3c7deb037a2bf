"""An old release's harness variant builds and says which release it runs: anthropic-java 2.40.0
(the 2.x shim) and anthropic-sdk-go v1.50.0 (the v1 module, the compat file before v2.6.0).

From the cache only, never a network fetch: each builds afresh into a temporary cache folder that
shares the real one's downloads (Maven's repository, Go's module and build caches) with Maven
offline and Go's proxy and checksum database off; a release never built here is skipped, saying
how to build it once."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from drun_conformance.client._sdk_go import PROJECT as GO_PROJECT
from drun_conformance.client._sdk_go import V1_MODULE, go_harness
from drun_conformance.client._sdk_java import ARTIFACT, java_harness
from drun_conformance.client._sdk_java import PROJECT as JAVA_PROJECT
from drun_conformance.client._sdks import cache_dir

pytestmark = pytest.mark.slow


def built_before(pattern: str, product: str) -> bool:
    """Whether the real cache holds a finished build of this release (so all it needs is downloaded)."""
    return any((home / product).exists() for home in cache_dir().glob(pattern))


def start(argv: tuple[str, ...]) -> dict[str, object]:
    """The harness's answer to `start`."""
    commands = '{"cmd": "start"}\n{"cmd": "stop"}\n'
    done = subprocess.run(argv, input=commands, capture_output=True, text=True, timeout=120, check=True)
    answer: dict[str, object] = json.loads(done.stdout.splitlines()[0])
    return answer


def shared(cache: Path, *folders: str) -> None:
    for folder in folders:
        (cache / folder).parent.mkdir(parents=True, exist_ok=True)
        (cache / folder).symlink_to(cache_dir() / folder, target_is_directory=True)


def test_java_2_40_0_builds_with_the_2x_shim_offline(tmp_path: Path) -> None:
    if not built_before("java/anthropic-java-2.40.0-*", "project/target/dependency"):
        pytest.skip(
            f"{ARTIFACT} 2.40.0 is not in {cache_dir()}: `drun-conformance client --sdk java@2.40.0` once"
        )
    project = tmp_path / "project"
    shutil.copytree(JAVA_PROJECT, project)
    (project / ".mvn").mkdir()
    (project / ".mvn" / "maven.config").write_text("--offline\n", encoding="utf-8")  # Maven: no fetch
    cache = tmp_path / "cache"
    shared(cache, "java/m2")
    answer = start(java_harness("2.40.0", cache, note=lambda _: None, project=project))
    assert answer["implementation"] == {"name": ARTIFACT, "version": "2.40.0", "language": "java"}


def test_go_v1_50_0_builds_against_the_v1_module_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not built_before("go/anthropic-sdk-go-v1.50.0-*", "harness"):
        pytest.skip(
            f"{V1_MODULE} v1.50.0 is not in {cache_dir()}: `drun-conformance client --sdk go@v1.50.0` once"
        )
    monkeypatch.setenv("GOPROXY", "off")  # Go: no fetch
    monkeypatch.setenv("GOSUMDB", "off")  # the cached modules were verified when they were fetched
    cache = tmp_path / "cache"
    shared(cache, "go/mod", "go/build")
    answer = start(go_harness("v1.50.0", cache, note=lambda _: None, project=GO_PROJECT))
    assert answer["implementation"] == {"name": V1_MODULE, "version": "v1.50.0", "language": "go"}
