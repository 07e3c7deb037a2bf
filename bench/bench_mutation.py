"""The suite's own mutation score: cosmic-ray's mutants of the reference server, each checked by
`drun-conformance server --strict` as a user runs it.

cosmic-ray (the `bench` extra: `pip install -e '.[bench]'`) enumerates and applies the mutations
(its core operators; the two that need a per-variable configuration are left out). Each mutant
is written into a temporary copy of the package (symbolic links but for the one mutated file),
started as `drun-conformance serve` from that copy, and checked by this checkout's
`drun-conformance server --strict` with one healthy and one failing deployment id:

    exit 1 killed (the failed requirement ids are kept)   exit 0 survived
    exit 3 or 4 killed, noted (unreachable, incomplete)    past --timeout: timeout
    the server never prints its URL: stillborn              anything else: error
    not Python at all (cosmic-ray turns `*,` into `^,`): incompetent, left out of the score

The work tree is never written. Every mutant is written to --out (JSON: id, operator, file:line,
diff, verdict, exit code, the requirement ids that killed it, seconds) and the score is printed;
a survivor whose change is in annotations alone is noted equivalent. Every other survivor is
classified by hand in bench/mutation_survivors.md.

    python bench/bench_mutation.py [--sample N] [--seed S] [--limit N] [--only ID ...] [--jobs 2]

--sample N draws N mutation sites (a file, a position, an operator family: one site gets up
to 13 binary-operator variants) and one mutant at each; without it every mutant runs (2053 in
627 sites). 200 sites took 11 to 13 minutes on 2 CPUs shared with other work (about 6.7 s a
mutant: the server's start and a 1 to 2 s check), so all 2053 would take about 2 hours.
A measurement, never a test: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO / "conformance" / "server" / "reference"
KEY = "sk-drun-reference"  # the shipped scenario's key: given as a user gives it, by $ANTHROPIC_API_KEY
IDS = ("depl_ok", "depl_vault_archived_error")  # one healthy id, one whose runs fail
BASE_URL = re.compile(r"base url: (http://127\.0\.0\.1:\d+)")
KILLED_EXITS = {1: "", 3: "unreachable", 4: "incomplete"}


@dataclass(frozen=True)
class Mutation:
    """One cosmic-ray mutation: `operator` applied at its `occurrence`-th position in `file`."""

    file: str
    operator: str
    occurrence: int
    line: int
    column: int

    @property
    def id(self) -> str:
        return f"{self.file}:{self.operator}:{self.occurrence}"

    @property
    def site(self) -> tuple[str, int, int, str]:
        return self.file, self.line, self.column, self.operator.split("/")[-1].split("_")[0]


@dataclass
class Outcome:
    """What the check made of one mutant."""

    verdict: str  # killed | survived | timeout | stillborn | error | incompetent (module docstring)
    exit: int | None = None
    note: str = ""
    killed_by: list[str] = field(default_factory=list)
    seconds: float = 0.0


def cosmic_ray() -> tuple[ModuleType, ModuleType, ModuleType]:
    """cosmic-ray's plugins, ast and mutating modules, or a clear exit 2 when it is missing."""
    try:
        import cosmic_ray.ast as cr_ast  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import cosmic_ray.mutating as mutating  # type: ignore[import-untyped,import-not-found,unused-ignore]
        import cosmic_ray.plugins as plugins  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        sys.exit("bench_mutation: cosmic-ray is not installed: pip install -e '.[bench]'")
    return plugins, cr_ast, mutating


def mutations(files: list[Path]) -> list[Mutation]:
    """Every mutation cosmic-ray's argument-free operators make in `files`, in its own order."""
    plugins, cr_ast, _ = cosmic_ray()
    found = []
    for path in files:
        tree = cr_ast.get_ast(path.read_text(encoding="utf-8"))
        for name in plugins.operator_names():
            operator_class = plugins.get_operator(name)
            if operator_class.arguments():
                continue  # VariableInserter/Replacer: one configuration per variable name
            operator = operator_class()
            positions = [
                start for node in cr_ast.ast_nodes(tree) for start, _ in operator.mutation_positions(node)
            ]
            found += [
                Mutation(path.name, name, occurrence, line, column)
                for occurrence, (line, column) in enumerate(positions)
            ]
    return found


def mutated(mutation: Mutation) -> tuple[str, str]:
    """The mutated source of `mutation`'s file and its unified diff."""
    plugins, _, mutating = cosmic_ray()
    source = (SOURCE / mutation.file).read_text(encoding="utf-8")
    code = mutating.mutate_code(source, plugins.get_operator(mutation.operator)(), mutation.occurrence)
    diff = "\n".join(
        line
        for line in difflib.unified_diff(
            source.splitlines(),
            code.splitlines(),
            f"a/conformance/server/reference/{mutation.file}",
            f"b/conformance/server/reference/{mutation.file}",
            lineterm="",
            n=1,
        )
    )
    return code, diff


def annotation_only(source: str, code: str) -> bool:
    """Whether `code` differs from `source` in annotations alone: never evaluated at run time
    under `from __future__ import annotations` (a mutant that survives so is equivalent)."""
    return _without_annotations(source) == _without_annotations(code)


def _without_annotations(text: str) -> str:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            node.returns = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
    return ast.dump(tree)


def sample(found: list[Mutation], count: int, seed: int) -> list[Mutation]:
    """`count` sites drawn at random, one mutant drawn at each (in the tool's order)."""
    draw = random.Random(seed)
    sites: dict[tuple[str, int, int, str], list[Mutation]] = {}
    for mutation in found:
        sites.setdefault(mutation.site, []).append(mutation)
    chosen = draw.sample(sorted(sites), min(count, len(sites)))
    picked = {draw.choice(sites[site]) for site in chosen}
    return [m for m in found if m in picked]


def build_overlay(root: Path) -> Path:
    """A copy of the installed package under `root`, all links but the reference server's files,
    which are links too until one is replaced by its mutant."""
    import drun_conformance

    package = Path(drun_conformance.__file__).parent
    top = root / "drun_conformance"
    for folder, keep in ((package, "server"), (package / "server", "reference")):
        here = top / folder.relative_to(package)
        here.mkdir(parents=True)
        for entry in folder.iterdir():
            if entry.name not in (keep, "__pycache__"):
                (here / entry.name).symlink_to(entry.resolve())
    reference = top / "server" / "reference"
    reference.mkdir()
    for entry in (package / "server" / "reference").iterdir():
        if entry.name != "__pycache__":
            (reference / entry.name).symlink_to(entry.resolve())
    return reference


@contextmanager
def applied(reference: Path, mutation: Mutation | None, code: str) -> Iterator[None]:
    """`mutation`'s file replaced by `code` in the overlay for the with-block."""
    if mutation is None:
        yield
        return
    target = reference / mutation.file
    original = target.resolve()
    target.unlink()
    target.write_text(code, encoding="utf-8")
    try:
        yield
    finally:
        target.unlink()
        target.symlink_to(original)


def check(overlay: Path, timeout: float) -> Outcome:
    """Start the overlay's reference server and check it with `server --strict`."""
    started = time.perf_counter()
    log = overlay / "serve.log"
    # No bytecode: a mutant's .pyc could pass for the next mutant of the same size and second.
    env = {**os.environ, "PYTHONPATH": str(overlay), "PYTHONDONTWRITEBYTECODE": "1"}
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "drun_conformance", "serve"],
            cwd=overlay,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        url = _base_url(server, log, deadline=time.monotonic() + 30)
        if url is None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-1:]
            return Outcome("stillborn", note=" ".join(tail)[:300], seconds=time.perf_counter() - started)
        outcome = _run_check(url, overlay / "report", timeout)
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    outcome.seconds = round(time.perf_counter() - started, 2)
    return outcome


def _base_url(server: subprocess.Popen[bytes], log: Path, deadline: float) -> str | None:
    while time.monotonic() < deadline:
        match = BASE_URL.search(log.read_text(encoding="utf-8", errors="replace"))
        if match:
            return match.group(1)
        if server.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def _run_check(url: str, report: Path, timeout: float) -> Outcome:
    ids = [arg for i in IDS for arg in ("--deployment-id", i)]
    command = [sys.executable, "-m", "drun_conformance", "server", "--base-url", url, *ids]
    command += ["--strict", "--seed", "1", "--report-dir", str(report)]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"ANTHROPIC_API_KEY": KEY}
    (report / "results.json").unlink(missing_ok=True)
    try:
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return Outcome("timeout", note=f"past {timeout:.0f} s")
    if done.returncode == 0:
        return Outcome("survived", exit=0)
    if done.returncode not in KILLED_EXITS:
        return Outcome("error", exit=done.returncode, note=done.stderr.decode(errors="replace")[-300:])
    return Outcome(
        "killed", exit=done.returncode, note=KILLED_EXITS[done.returncode], killed_by=_failed(report)
    )


def _failed(report: Path) -> list[str]:
    """The requirement ids failed, else (an incomplete verdict) the applicable ones not exercised."""
    try:
        results: dict[str, Any] = json.loads((report / "results.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    requirements = [r for target in results["targets"] for r in target["requirements"]]
    failed = sorted({r["id"] for r in requirements if r["status"] == "failed"})
    unexercised = {r["id"] for r in requirements if r["status"] in ("skipped", "errored") and r["applicable"]}
    return failed or sorted(f"unexercised:{i}" for i in unexercised)


def run_all(chosen: list[Mutation], jobs: int, timeout: float) -> list[dict[str, Any]]:
    """Each mutant checked in one of `jobs` overlays; the clean overlay must pass first."""
    with tempfile.TemporaryDirectory(prefix="drun-mutation-") as folder:
        slots: queue.Queue[tuple[Path, Path]] = queue.Queue()
        for n in range(jobs):
            root = Path(folder) / f"slot{n}"
            slots.put((root, build_overlay(root)))
        root, _ = slots.queue[0]
        clean = check(root, timeout)
        if clean.verdict != "survived":
            sys.exit(f"bench_mutation: the unmutated reference server does not pass: {clean}")
        print(f"clean reference: passed in {clean.seconds:.1f} s; {len(chosen)} mutants, {jobs} at a time")

        def one(mutation: Mutation) -> dict[str, Any]:
            code, diff = mutated(mutation)
            try:
                compile(code, mutation.file, "exec")
            except SyntaxError as error:  # cosmic-ray turns `*,` into `^,`
                outcome = Outcome("incompetent", note=f"not Python: {error.msg}")
            else:
                root, reference = slots.get()
                try:
                    with applied(reference, mutation, code):
                        outcome = check(root, timeout)
                finally:
                    slots.put((root, reference))
            row = {"id": mutation.id, "operator": mutation.operator, "at": f"{mutation.file}:{mutation.line}"}
            if outcome.verdict == "survived" and annotation_only(
                SOURCE.joinpath(mutation.file).read_text(), code
            ):
                outcome.note = "equivalent: annotations only"
            print(
                f"  {outcome.verdict:9} {row['at']:18} {mutation.operator} {' '.join(outcome.killed_by[:3])}"
            )
            return {**row, "diff": diff, **asdict(outcome)}

        with ThreadPoolExecutor(jobs) as pool:
            return list(pool.map(one, chosen))


def score(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per verdict and the score: mutants caught (killed, timed out, stillborn) of those
    that are Python."""
    counts = Counter(row["verdict"] for row in rows)
    caught = counts["killed"] + counts["timeout"] + counts["stillborn"]
    competent = len(rows) - counts["incompetent"]
    return {
        "checked": competent,
        **{v: counts[v] for v in ("killed", "timeout", "stillborn", "survived", "error", "incompetent")},
        "score": round(caught / competent, 3) if competent else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, metavar="N", help="draw N mutation sites, one mutant each")
    parser.add_argument("--seed", type=int, default=24, help="the draw's seed (default 24)")
    parser.add_argument("--limit", type=int, metavar="N", help="run the first N mutants only")
    parser.add_argument("--only", action="append", metavar="ID", help="run this mutant id (repeatable)")
    parser.add_argument("--file", action="append", metavar="NAME", help="mutate this file only (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants checked at once (default 2: 2 CPUs)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds per check (default 120)")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "mutation_results.json")
    args = parser.parse_args()
    files = sorted(SOURCE.glob("*.py")) if not args.file else [SOURCE / name for name in args.file]
    if missing := [str(f) for f in files if not f.is_file()]:
        parser.error(f"no such file: {', '.join(missing)}")
    found = mutations(files)
    chosen = sample(found, args.sample, args.seed) if args.sample else found
    if args.only:
        known = {m.id: m for m in found}
        if unknown := [i for i in args.only if i not in known]:
            parser.error(f"no such mutant: {', '.join(unknown)}")
        chosen = [known[i] for i in args.only]
    chosen = chosen[: args.limit] if args.limit else chosen
    print(f"{len(found)} mutants in {len(files)} files; checking {len(chosen)}")
    rows = run_all(chosen, args.jobs, args.timeout)
    summary = score(rows)
    document = {"tool": "cosmic-ray", "check": "drun-conformance server --strict", "ids": IDS, **summary}
    args.out.write_text(json.dumps({**document, "mutants": rows}, indent=1) + "\n", encoding="utf-8")
    print(
        f"score: {summary['score']:.1%} caught of {summary['checked']} "
        f"(killed {summary['killed']}, timeout {summary['timeout']}, stillborn {summary['stillborn']}, "
        f"survived {summary['survived']}, error {summary['error']}; "
        f"{summary['incompetent']} not Python, left out); written to {args.out}"
    )


if __name__ == "__main__":
    main()
