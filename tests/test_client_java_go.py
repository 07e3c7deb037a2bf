"""The gate on the compiled SDKs: com.anthropic:anthropic-java (Maven) and anthropic-sdk-go/v2.

Each release's harness is built once into drun-conformance's cache folder (the first Go build
takes minutes). Without a JDK, Maven, Go or a registry these tests skip with the reason, unless
DRUN_REQUIRE_SDKS=1 (CI sets it), where they fail instead.

The faulty builds at the end are the shipped harness sources with one edit each (a harness that
turns retries back on, writes local times, forgets the JSON metadata...): each must be caught
by its requirement, so the Java and Go paths of the gate are backed by mutants as the Python
model harness is (tests/client_mutants.py).
"""

from __future__ import annotations

import json
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from drun_conformance._errors import SdkUnavailable
from drun_conformance.client._check import ClientOptions, check_client
from drun_conformance.client._sdk_go import PROJECT as GO_PROJECT
from drun_conformance.client._sdk_go import go_harness
from drun_conformance.client._sdk_java import PROJECT as JAVA_PROJECT
from drun_conformance.client._sdk_java import java_harness
from drun_conformance.client._sdks import cache_dir

from .conftest import run_cli
from .test_client_sdks import REQUIRED, failed, gate, listed

pytestmark = pytest.mark.slow
INT32 = range(-(2**31), 2**31)


@pytest.mark.parametrize("release", ["java", "java@3.3.0"])
def test_the_java_sdk_fails_only_what_its_expectations_list(release: str) -> None:
    result = gate(release)
    version = result.identity["version"]
    assert result.identity["name"] == "com.anthropic:anthropic-java" and release.endswith(("java", version))
    assert result.verdict == "non-conformant" and result.gate == "passed", result.notes  # known: no gate
    # Every listed failure with coverage cases shows (they reach it), and none the expectations do
    # not list (one listed for drawn values alone shows when a draw has such a value).
    known = listed("java", version)
    assert {rid for rid, entry in known.items() if entry.cases} <= failed(result) <= set(known)
    # An offset past +/-18:00, which java.time cannot hold, is edge.timestamp.offset-beyond-18h.
    assert {r.id for r in result.requirements if r.status == "failed" and r.level == "MUST"} == {
        "client.parse.int64"
    }
    assert all(r.expected for r in result.requirements if r.status == "failed")
    int64 = next(r for r in result.requirements if r.id == "client.parse.int64")
    assert int64.level == "MUST" and int64.message is not None
    unreadable = 'Received: "<unreadable: AnthropicInvalidDataException: `version` is invalid'
    assert int64.message.startswith(unreadable)


def test_the_java_version_finding_shrinks_to_a_version_just_past_int() -> None:
    # Without its expectations: a known failure is not shrunk, a new one is.
    result = gate(
        "java", examples=100, coverage=False, shrink_calls=300, shrink_seconds=60.0, expectations=False
    )
    int64 = next(r for r in result.requirements if r.id == "client.parse.int64")
    assert int64.status == "failed" and int64.counterexample is not None
    example = int64.counterexample
    version = example.payload["agent"]["version"]
    assert version not in INT32 and example.pointer == "/agent/version"
    assert version in (2**31, -(2**31) - 1), f"not shrunk: {version}"
    assert example.answer is not None and "<unreadable" in example.answer["run"]["agent"]["version"]


@pytest.mark.parametrize("release", ["go", "go@v2.8.0"])
def test_the_go_sdk_fails_only_what_its_expectations_list(release: str) -> None:
    result = gate(release)
    version = result.identity["version"]
    assert result.identity["name"] == "github.com/anthropics/anthropic-sdk-go/v2"
    assert release.endswith(("go", version))
    # v2.8.0 sends a created_at filter cut to the second (client.list.query, listed for it)
    must = {r.id for r in result.requirements if r.status == "failed" and r.level != "EDGE"}
    assert must == ({"client.list.query"} if version == "v2.8.0" else set()), result.notes
    assert result.verdict == ("non-conformant" if must else "conformant")
    assert {"edge.timestamp.leap-second"} <= failed(result) <= set(listed("go", version))
    assert all(r.expected for r in result.requirements if r.status == "failed")
    passed = {r.id for r in result.requirements if r.status == "passed"}
    # null written back as null from the JSON metadata, not as the struct's zero value
    assert {"client.parse.session-id", "client.parse.error", "client.parse.int64"} <= passed


def test_several_sdks_are_one_report_served_the_same_cases(tmp_path: Path) -> None:
    done = run_cli(
        "client",
        "--sdk",
        "java",
        "--sdk",
        "go",
        "--examples",
        "5",
        "--seed",
        "3",
        "--report-dir",
        str(tmp_path),
    )
    results = json.loads((tmp_path / "results.json").read_text())
    targets = {t["id"]: t for t in results["targets"]}
    if not all(t["identity"]["reached"] for t in targets.values()) and not REQUIRED:
        pytest.skip("the java or go SDK cannot run here: " + done.stderr.decode()[-300:])
    assert list(targets) == ["sdk:java", "sdk:go"] and results["seed"] == 3
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    # The same seed, the same cases: both were served the same error types and triggers.
    assert targets["sdk:java"]["coverage"] == targets["sdk:go"]["coverage"] != {}
    assert {t["identity"]["examples"] for t in targets.values()} == {5}


# --- faulty builds of the shipped harnesses ---------------------------------------------------

Builder = Callable[..., tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class FaultyBuild:
    name: str
    project: Path
    source: str  # the file edited, under the project
    needle: str  # exactly once in it
    replacement: str
    requirement: str
    version: str

    @property
    def builder(self) -> Builder:
        return java_harness if self.project == JAVA_PROJECT else go_harness


FAULTY_BUILDS = (
    FaultyBuild(
        "java-retries-on",
        JAVA_PROJECT,
        "src/main/java/DrunHarness.java",
        ".maxRetries(0)",
        "",
        "client.request.once",
        "3.14.0",
    ),
    FaultyBuild(
        "java-local-time",
        JAVA_PROJECT,
        "src/main/java/DrunHarness.java",
        "DateTimeFormatter.ISO_OFFSET_DATE_TIME",
        "DateTimeFormatter.ISO_LOCAL_DATE_TIME",
        "client.parse.timestamp",
        "3.14.0",
    ),
    FaultyBuild(
        "go-zero-value-for-null",
        GO_PROJECT,
        "main.go",
        '"session_id":    held(run.JSON.SessionID, run.SessionID),',
        '"session_id":    run.SessionID,',
        "client.parse.session-id",
        "v2.15.0",
    ),
    FaultyBuild(
        "go-retries-on",
        GO_PROJECT,
        "main.go",
        "option.WithMaxRetries(0),",
        "",
        "client.request.once",
        "v2.15.0",
    ),
)


def build_faulty(fault: FaultyBuild, tmp_path: Path) -> str:
    project = tmp_path / fault.project.name
    shutil.copytree(fault.project, project)
    source = project / fault.source
    text = source.read_text(encoding="utf-8")
    assert text.count(fault.needle) == 1, f"{fault.name}: the shipped harness changed, edit the mutant"
    source.write_text(text.replace(fault.needle, fault.replacement), encoding="utf-8")
    try:
        return shlex.join(fault.builder(fault.version, cache_dir(), project=project))
    except SdkUnavailable as exc:
        if REQUIRED:
            pytest.fail(str(exc))
        pytest.skip(str(exc))


@pytest.mark.parametrize("fault", FAULTY_BUILDS, ids=lambda f: f.name)
def test_each_faulty_build_is_caught_by_its_requirement(fault: FaultyBuild, tmp_path: Path) -> None:
    command = build_faulty(fault, tmp_path)
    result = check_client(ClientOptions(harness=command, examples=0))
    gating = {r.id for r in result.requirements if r.status == "failed" and r.level in ("MUST", "SHOULD")}
    language = fault.project.name.removeprefix("anthropic_")
    known = set(listed(language, result.identity["version"]))
    assert fault.requirement in gating, f"{fault.name} escaped: failed {sorted(gating)}"
    also = gating - known - {fault.requirement}
    assert not also, f"{fault.name} also broke {sorted(also)}"
    if fault.requirement in known:  # the shipped build fails it on one coverage case only (listed)
        broken = next(r for r in result.requirements if r.id == fault.requirement)
        assert broken.failures > 1, f"{fault.name} broke no more than the shipped build does"
    assert result.verdict == "non-conformant"
