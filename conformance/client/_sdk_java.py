"""The Java SDK's harness: a small Maven project (harnesses/anthropic_java/) built once per
release of `com.anthropic:anthropic-java` and run as one long-lived JVM (a JVM costs seconds
to start: one per gate, not one per case).

The build happens in the cache folder (`<cache>/java/anthropic-java-<release>-<sources hash>`),
with Maven's repository there too (`<cache>/java/m2`): nothing is written next to the
installed package, and a changed harness is built afresh. One source serves every release: the
build adds the shim of the release's range (`java_shim`: src/shim/v2 for 2.40.0 to 2.x, whose
`type` fields are enums, src/shim/v3 for 3.0.0 on, where they are JSON constants). A local
build (`java@PATH`: a folder of the SDK's jars, or a checkout that built them) runs the harness
built against the default release with the folder's jars in place of the release's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from drun_conformance._errors import SdkUnavailable
from drun_conformance._releases import release_numbers

from ._cache import Note, installing, run_tool, say, sharing, source_digest

__all__ = ["ARTIFACT", "java_harness", "java_shim", "sdk_jars"]

ARTIFACT = "com.anthropic:anthropic-java"
PROJECT = Path(__file__).resolve().parent / "harnesses" / "anthropic_java"
# The gate makes a few hundred calls: the quick JIT tier and a small collector start fastest.
_JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto")


def java_shim(version: str) -> str:
    """The shim of the release's range (a folder of src/shim/); SdkUnavailable for one it cannot serve."""
    numbers = release_numbers(version)
    if not numbers or numbers < (2, 40, 0):
        raise SdkUnavailable(f"{ARTIFACT} {version} has no deployments().run(): it appeared in 2.40.0")
    if numbers[0] > 3:
        raise SdkUnavailable(f"{ARTIFACT} {version} is a major release the java harness has no shim for")
    return f"v{numbers[0]}"


def java_harness(
    version: str,
    cache: Path,
    *,
    note: Note | None = None,
    project: Path = PROJECT,
    local: tuple[Path, str] | None = None,
) -> tuple[str, ...]:
    """The command line of the Java harness built against `version` (built on first use).
    `project`: another copy of the harness's sources (the tests build faulty ones); `local`: a
    folder holding the SDK's own jars (`java@PATH`), run in place of the release's."""
    java, mvn = shutil.which("java"), shutil.which("mvn")
    if java is None or mvn is None:
        missing = " and ".join(n for n, p in (("java", java), ("mvn", mvn)) if p is None)
        raise SdkUnavailable(
            f"the java harness needs a JDK 17 or later and Maven: {missing} not found on PATH"
            " (Debian: apt-get install default-jdk-headless maven)"
        )
    shim = java_shim(version)
    home = cache / "java" / f"anthropic-java-{version}-{source_digest(project)}"
    build = home / "project"
    with installing(home) as ready:
        if not ready:
            say(note, f"building the java harness against {ARTIFACT} {version} in {home} (first use)")
            shutil.rmtree(home, ignore_errors=True)
            shutil.copytree(project, build, ignore=shutil.ignore_patterns("target"))
            with sharing(cache / "java" / "m2"):
                run_tool(
                    [
                        mvn,
                        "--batch-mode",
                        "--quiet",
                        f"-Dmaven.repo.local={cache / 'java' / 'm2'}",
                        f"-Danthropic.version={version}",
                        f"-Dharness.shim={shim}",
                        "compile",
                        "dependency:copy-dependencies",
                    ],
                    f"build the java harness against {ARTIFACT} {version} with Maven",
                    cwd=build,
                )
    target = build / "target"
    jars = [str(target / "dependency" / "*")]
    if local:  # the release's own jars out, the folder's in; their dependencies stay
        dependencies = sorted((target / "dependency").glob("*.jar"))
        jars = [
            str(jar)
            for jar in (*sdk_jars(local[0]), *dependencies)
            if not _sdk_jar(jar) or jar.is_relative_to(local[0])
        ]
    classpath = os.pathsep.join((str(target / "classes"), *jars))
    return (java, *_JVM_FLAGS, "-cp", classpath, "DrunHarness")


def _sdk_jar(jar: Path) -> bool:
    return jar.name.startswith("anthropic-java") and not jar.name.endswith(("-sources.jar", "-javadoc.jar"))


def sdk_jars(folder: Path) -> list[Path]:
    """The SDK's jars under `folder`: a folder of jars, or a checkout after `./gradlew jar`."""
    return sorted(jar for jar in folder.rglob("anthropic-java*.jar") if _sdk_jar(jar))
