"""Sweep every served release of each official SDK through the SDK gate: which release fixed or
broke what. Run on demand, never part of the test run.

    python scripts/sweep_sdks.py [--sdk NAME]... [--examples N] [--seed S] [--step N] [--dry-run]
                                 [--out docs/sweep] [--full-report DIR]

For each SDK it asks the registry which final releases are served (PyPI, the npm registry,
Maven Central, the Go module proxy) and keeps those with Run Deployment Now (the first one is
found by bisection over the releases' own files: the operation, once added, stays) that the
shipped harness builds against; `--step` samples the Python and TypeScript minor lines. It
prints the plan and gates them all in one matrix run, `drun-conformance client --sdk
NAME@VERSION ... --seed S --report-dir DIR`: one report, requirement x release, the same cases
for every release. Then it writes OUT/README.md, per SDK the runs of releases x the
requirements they fail (a failure listed in an expectations file is still a failure here),
marking where a failure appears or goes; OUT/results.json and OUT/report.html for the releases
where something changed (every release's report stays in DIR); OUT/sweep.png, a screenshot.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shlex
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from drun_conformance.client._sdks import SDKS as SHIPPED
from drun_conformance.reports._chromium import screenshot

REPO = Path(__file__).resolve().parents[1]
FULL_REPORT = Path(tempfile.gettempdir()) / "drun-sweep"
PYPI = "https://pypi.org/pypi/anthropic/json"
MAVEN = "https://repo1.maven.org/maven2/com/anthropic"
GOPROXY = "https://proxy.golang.org/github.com/anthropics/anthropic-sdk-go/v2/@v"
SAMPLED = ("python", "typescript")  # dozens of releases each: --step samples them
NOT_STARTED = "(the harness did not start)"
Results = dict[str, Any]  # a results.json
FINAL = re.compile(r"^v?\d+\.\d+\.\d+$")  # no pre-releases: a sweep is of what users install


@dataclass(frozen=True, slots=True)
class Sdk:
    """Where an SDK's releases are listed, and the file of a release that holds the operation."""

    name: str  # as --sdk takes it
    releases: Callable[[], list[str]]
    artefact: Callable[[str], str]  # a release -> the URL of its package (a zip) or npm spec
    member: str  # the file in the package that defines the operation
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


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.lstrip("v").split("."))


@cache
def _pypi() -> dict[str, list[dict[str, object]]]:
    return dict(json.loads(_get(PYPI))["releases"])


def _pypi_releases() -> list[str]:
    releases = _pypi()
    return [v for v, files in releases.items() if files and not all(f["yanked"] for f in files)]


def _pypi_wheel(version: str) -> str:
    wheel = next(f["url"] for f in _pypi()[version] if str(f["filename"]).endswith(".whl"))
    return urllib.parse.urljoin(PYPI, str(wheel))


def _npm_releases() -> list[str]:
    found = subprocess.run(
        ["npm", "view", "@anthropic-ai/sdk", "versions", "--json"], capture_output=True, check=True, text=True
    )
    return list(json.loads(found.stdout))


def _maven_releases() -> list[str]:
    metadata = ElementTree.fromstring(_get(f"{MAVEN}/anthropic-java/maven-metadata.xml"))
    return [v.text for v in metadata.iterfind("versioning/versions/version") if v.text]


def _go_releases() -> list[str]:
    return _get(f"{GOPROXY}/list").decode().split()


SDKS = {
    "python": Sdk(
        "python", _pypi_releases, _pypi_wheel, "anthropic/resources/beta/deployments.py", b"def run("
    ),
    "typescript": Sdk(
        "typescript",
        _npm_releases,
        lambda v: f"@anthropic-ai/sdk@{v}",
        "package/resources/beta/deployments.js",
        b"run(deploymentID",
    ),
    "java": Sdk(
        "java",
        _maven_releases,
        lambda v: f"{MAVEN}/anthropic-java-core/{v}/anthropic-java-core-{v}.jar",
        "com/anthropic/models/beta/deployments/DeploymentRunParams.class",
        b"",
    ),
    "go": Sdk(
        "go",
        _go_releases,
        lambda v: f"{GOPROXY}/{v}.zip",
        "github.com/anthropics/anthropic-sdk-go/v2@{version}/betadeployment.go",
        b") Run(ctx context.Context",
    ),
}


def served_releases(sdk: Sdk) -> list[str]:
    """The final releases the registry serves, oldest first."""
    return sorted((v for v in sdk.releases() if FINAL.match(v)), key=_version_key)


def _member(sdk: Sdk, version: str) -> bytes | None:
    member = sdk.member.format(version=version)
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


def with_operation(sdk: Sdk, releases: Sequence[str]) -> list[str]:
    """The releases from the first one with the operation on, found by bisection."""
    low, high = 0, len(releases)  # releases[high:] have it; releases[:low] do not
    while low < high:
        middle = (low + high) // 2
        found = has_operation(sdk, releases[middle])
        print(f"  {sdk.name} {releases[middle]}: {'has' if found else 'no'} deployments.run", file=sys.stderr)
        low, high = (low, middle) if found else (middle + 1, high)
    return list(releases[high:])


def sampled(releases: list[str], step: int) -> list[str]:
    """With `step` 1, every release. Else the first release, and of the newest release of each
    minor line every `step`-th, counted from the newest (which is always in)."""
    if step == 1:
        return releases
    newest = {_version_key(v)[:2]: v for v in releases}  # ascending: the last one of a line wins
    lines = list(newest.values())[::-1][::step][::-1]
    return [releases[0], *lines] if lines[0] != releases[0] else lines


def run_matrix(plan: dict[str, list[str]], *, examples: int, seed: int, report_dir: Path) -> float:
    """One `drun-conformance client` run over every release; its wall time in seconds."""
    command = [sys.executable, "-m", "drun_conformance", "client", "--examples", str(examples)]
    command += ["--seed", str(seed), "--report-dir", str(report_dir)]
    for name, releases in plan.items():
        command += [arg for version in releases for arg in ("--sdk", f"{name}@{version}")]
    started = time.monotonic()
    status = subprocess.run(command, check=False).returncode
    if status not in (0, 1, 4):  # 1 and 4: a new failure, a release that did not start: findings
        raise SystemExit(f"the matrix run ended with exit status {status}")
    return time.monotonic() - started


def target_id(name: str, version: str) -> str:
    """The matrix's id for a release: the default release is named by the SDK alone."""
    return f"sdk:{name}" if version == SHIPPED[name].default_version else f"sdk:{name}@{version}"


def failures(results: Results) -> dict[str, dict[str, str]]:
    """target id -> {failed requirement: its level}, known failures included; a release whose
    harness never started fails NOT_STARTED."""
    table: dict[str, dict[str, str]] = {}
    for target in results["targets"]:
        failed = {r["id"]: r["level"] for r in target["requirements"] if r["status"] in ("failed", "errored")}
        table[target["id"]] = failed if target["identity"].get("reached", True) else {NOT_STARTED: "-"}
    return table


def runs(releases: list[str], failed: list[dict[str, str]]) -> list[tuple[list[str], dict[str, str]]]:
    """Consecutive releases with the same failures, grouped: [(releases, failures)]."""
    grouped: list[tuple[list[str], dict[str, str]]] = []
    for version, now in zip(releases, failed, strict=True):
        if grouped and grouped[-1][1].keys() == now.keys():
            grouped[-1][0].append(version)
        else:
            grouped.append(([version], now))
    return grouped


def write_table(
    results: Results,
    plan: dict[str, list[str]],
    out: Path,
    *,
    command: str,
    wall_s: float,
    left_out: list[str],
) -> list[str]:
    """OUT/README.md: per SDK, runs of releases x the requirements they fail, **broke** where a
    failure appears and **fixed** where it goes. Returns the changes, one line each."""
    failed = failures(results)
    examples = results["command"][results["command"].index("--examples") + 1]
    lines = [
        "# SDK release sweep",
        "",
        f"`{command}`",
        "",
        f"Run on {results['started_at'][:10]}: {len(failed)} releases, seed {results['seed']},"
        f" {examples} drawn examples a release after the coverage cases, one `drun-conformance"
        f" client` run of {wall_s / 60:.0f} min. A cell marks a requirement the releases of that"
        " row fail (a failure listed in an expectations file is still a failure here): **broke**"
        " where it first appears, **fixed** where it goes (in that release, or since the previous"
        " release swept). The report and results.json beside this file keep the releases where"
        " something changed (the first, each change and the last); the same command with the"
        " same seed gives them all.",
    ]
    changes: list[str] = []
    for name, releases in plan.items():
        grouped = runs(releases, [failed[target_id(name, v)] for v in releases])
        columns = sorted({req for _, now in grouped for req in now})
        levels = {req: level for _, now in grouped for req, level in now.items()}
        lines += ["", f"## {name}: {len(releases)} releases, {releases[0]} to {releases[-1]}", ""]
        lines.append("| releases | " + " | ".join(f"`{req}` {levels[req]}" for req in columns) + " |")
        lines.append("| --- " * (len(columns) + 1) + "|")
        before: dict[str, str] | None = None
        for versions, now in grouped:
            span = versions[0] if len(versions) == 1 else f"{versions[0]} to {versions[-1]} ({len(versions)})"
            cells = [_cell(req in now, before, req) for req in columns]
            lines.append(f"| {span} | " + " | ".join(cells) + " |")
            if before is not None:
                changes.append(f"{name} {versions[0]}: {_change(before, now)}")
            before = now
    lines += ["", "## What changed", ""] + [f"- {change}" for change in changes or ["nothing"]]
    lines += ["", "## Not swept", ""] + [f"- {line}" for line in left_out or ["nothing"]]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changes


def _change(before: dict[str, str], now: dict[str, str]) -> str:
    broke = ", ".join(f"`{req}`" for req in now if req not in before)
    fixed = ", ".join(f"`{req}`" for req in before if req not in now)
    return "; ".join(what for what in (broke and f"broke {broke}", fixed and f"fixed {fixed}") if what)


def _cell(fails: bool, before: dict[str, str] | None, requirement: str) -> str:
    if before is None or fails == (requirement in before):
        return "fails" if fails else ""
    return "**broke**" if fails else "**fixed**"


def keep_changes(results: Results, plan: dict[str, list[str]], out: Path) -> None:
    """OUT/results.json and OUT/report.html for the releases where something changed: every
    release's report would be megabytes."""
    failed = failures(results)
    kept = set()
    for name, releases in plan.items():
        for versions, _ in runs(releases, [failed[target_id(name, v)] for v in releases]):
            kept.add(target_id(name, versions[0]))
        kept.add(target_id(name, releases[-1]))
    subset = {**results, "targets": [t for t in results["targets"] if t["id"] in kept]}
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "results.json"
        source.write_text(json.dumps(subset), encoding="utf-8")
        render = [sys.executable, "-m", "drun_conformance", "report", "render", str(source)]
        subprocess.run([*render, "--report-dir", str(out)], check=True, stdout=subprocess.DEVNULL)
    (out / "junit.xml").unlink()  # the report and results.json say the same


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--sdk", action="append", choices=list(SDKS), help="limit to these SDKs")
    parser.add_argument("--examples", type=int, default=25, metavar="N", help="drawn cases each (default 25)")
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="one seed for all (default 1)")
    parser.add_argument(
        "--step",
        type=int,
        metavar="N",
        default=1,
        help="python, typescript: the first release, every N-th minor line's newest (default 1: all)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the releases only")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "sweep", help="default: docs/sweep")
    parser.add_argument(
        "--full-report",
        type=Path,
        metavar="DIR",
        default=FULL_REPORT,
        help=f"every release's report (default {FULL_REPORT})",
    )
    args = parser.parse_args(argv)
    command = shlex.join(["python", "scripts/sweep_sdks.py", *(sys.argv[1:] if argv is None else argv)])
    plan: dict[str, list[str]] = {}
    left_out: list[str] = []
    for name in args.sdk or list(SDKS):
        sdk = SDKS[name]
        served = served_releases(sdk)
        found = with_operation(sdk, served)
        oldest = SHIPPED[name].minimum_version  # what `--sdk NAME@VERSION` takes
        supported = [v for v in found if _version_key(v) >= oldest]
        plan[name] = sampled(supported, args.step if name in SAMPLED else 1)
        print(f"{name}: {len(served)} final releases served, {len(found)} with the operation")
        print(f"  swept: {' '.join(plan[name])}")
        if older := [v for v in found if v not in supported]:
            left_out.append(f"{name}, {SHIPPED[name].minimum_reason}: {' '.join(older)}")
        if sampled_out := [v for v in supported if v not in plan[name]]:
            left_out.append(f"{name}, sampled out by --step {args.step}: {' '.join(sampled_out)}")
    print("\n".join(f"not swept: {line}" for line in left_out))
    if args.dry_run:
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    wall_s = run_matrix(plan, examples=args.examples, seed=args.seed, report_dir=args.full_report)
    results = json.loads((args.full_report / "results.json").read_text(encoding="utf-8"))
    keep_changes(results, plan, args.out)
    print("\n".join(write_table(results, plan, args.out, command=command, wall_s=wall_s, left_out=left_out)))
    screenshot((args.out / "report.html").resolve().as_uri(), args.out / "sweep.png", height=2800)
    print(
        f"wrote {args.out}/README.md, results.json, report.html, sweep.png; every release: {args.full_report}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
