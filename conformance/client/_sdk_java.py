"""The Java SDK's harness: a small Maven project (harnesses/anthropic_java/) built once per
release of `com.anthropic:anthropic-java` and run as one long-lived JVM (a JVM costs seconds
to start: one per gate, not one per case).

The build happens in the cache folder (`<cache>/java/anthropic-java-<release>-<sources hash>`),
with Maven's repository there too (`<cache>/java/m2`): nothing is written next to the
installed package, and a changed harness is built afresh.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from drun_conformance._errors import SdkUnavailable

from ._cache import Note, installing, run_tool, say, sharing, source_digest

__all__ = ["ARTIFACT", "java_harness"]

ARTIFACT = "com.anthropic:anthropic-java"
PROJECT = Path(__file__).resolve().parent / "harnesses" / "anthropic_java"
# The gate makes a few hundred calls: the quick JIT tier and a small collector start fastest.
_JVM_FLAGS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto")


def java_harness(
    version: str, cache: Path, *, note: Note | None = None, project: Path = PROJECT
) -> tuple[str, ...]:
    """The command line of the Java harness built against `version` (built on first use).
    `project`: another copy of the harness's sources (the tests build faulty ones)."""
    java, mvn = shutil.which("java"), shutil.which("mvn")
    if java is None or mvn is None:
        missing = " and ".join(n for n, p in (("java", java), ("mvn", mvn)) if p is None)
        raise SdkUnavailable(
            f"the java harness needs a JDK 17 or later and Maven: {missing} not found on PATH"
            " (Debian: apt-get install default-jdk-headless maven)"
        )
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
                        "compile",
                        "dependency:copy-dependencies",
                    ],
                    f"build the java harness against {ARTIFACT} {version} with Maven",
                    cwd=build,
                )
    target = build / "target"
    classpath = os.pathsep.join((str(target / "classes"), str(target / "dependency" / "*")))
    return (java, *_JVM_FLAGS, "-cp", classpath, "DrunHarness")
