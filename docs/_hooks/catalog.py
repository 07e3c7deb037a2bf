"""MkDocs hook: the requirement catalog page (`catalog.md`), generated at every build.

Every requirement of `spec/requirements.json` with its id, level, side, title, the sentence of
the page it comes from, the check the oracle registered for it (`Oracle.default().checks`) and
the mutants that prove that check (the `tests/*mutants.py` catalogs). Nothing here is written
by hand or committed: a requirement added to the catalog shows up at the next build, and one
with no check or no mutant is a warning, which fails `mkdocs build --strict`.
"""

from __future__ import annotations

import html
import importlib.util
import json
import logging
import sys
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drun_conformance.spec import Catalog, Side, Source

__all__ = [
    "PAGE",
    "CheckName",
    "Proof",
    "checks_by_requirement",
    "on_files",
    "proofs_by_requirement",
    "render",
]

PAGE = "catalog.md"
REPO = Path(__file__).resolve().parents[2]
SIDES: dict[Side, str] = {
    "server": "Server",
    "client-request": "Client: the request",
    "client-parse": "Client: the answer",
    "webhook": "Webhook events",
}
# The misbehaving harnesses (tests/harnesses/misbehaving.py) are each a finding of this one
# requirement: tests/client_mutants.py lists their modes, tests/test_client_mutants.py asserts it.
PROTOCOL = "client.harness.protocol"

log = logging.getLogger("mkdocs.hooks.catalog")


@dataclass(frozen=True, slots=True)
class Proof:
    """A faulty target the suite must catch by this requirement: `name` in catalog `source`."""

    name: str
    source: str


@dataclass(frozen=True, slots=True)
class CheckName:
    """Where a registered check function lives: its qualified name in its module."""

    qualname: str
    module: str


def checks_by_requirement() -> tuple[dict[str, CheckName], list[str]]:
    """Each requirement's registered check, and the oracle's own complaint (it refuses a catalog
    whose requirements and checks disagree) as a problem."""
    from drun_conformance import Oracle, SpecError

    try:
        checks = Oracle.default().checks
    except SpecError as error:
        return {}, [f"the oracle refuses the catalog: {error}"]
    return {c.requirement: CheckName(_made_by(c.function), c.function.__module__) for c in checks}, []


def _made_by(function: Callable[..., object]) -> str:
    """A check's name; one a factory made (one per schema node, say) is named by its factory: `f(…)`."""
    factory, made = function.__qualname__.split(".<locals>.", 1)[0], "<locals>" in function.__qualname__
    return f"{factory}(…)" if made else function.__qualname__


def _load(path: Path) -> ModuleType:
    """The catalog as the tests import it (`tests.<name>`: catalogs share tests/mutant_kit.py),
    from this repository first, so a `tests` package installed elsewhere cannot shadow it."""
    root = str(path.parent.parent)
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
    for name in [n for n in sys.modules if n == "tests" or n.startswith("tests.")]:
        if not str(getattr(sys.modules[name], "__file__", "") or "").startswith(root):
            del sys.modules[name]  # another checkout's tests (the docs tests build copies)
    return importlib.import_module(f"tests.{path.stem}")


def proofs_by_requirement(repo: Path = REPO) -> dict[str, list[Proof]]:
    """Every mutant of every `tests/*mutants.py` catalog, by the requirement it must fail: the
    tuples of mutants (`name`, `requirement`), the maps from a mutant's name to one more
    requirement it proves (`EDGE_ALSO`), and the misbehaving harnesses (`MISBEHAVIOURS`)."""
    proofs: dict[str, list[Proof]] = defaultdict(list)
    for path in sorted(p for p in (repo / "tests").glob("*mutants.py") if not p.name.startswith("test_")):
        source = path.relative_to(repo).as_posix()
        module = _load(path)
        names: set[str] = set()
        for value in vars(module).values():
            if isinstance(value, tuple) and value and all(_is_mutant(m) for m in value):
                for mutant in value:
                    proofs[mutant.requirement].append(Proof(mutant.name, source))
                    names.add(mutant.name)
        for value in vars(module).values():
            if isinstance(value, dict) and value and all(_names_more(names, k, v) for k, v in value.items()):
                for name, requirement in value.items():
                    proofs[requirement].append(Proof(name, source))
        for mode in getattr(module, "MISBEHAVIOURS", ()):
            proofs[PROTOCOL].append(Proof(f"misbehaving harness --mode {mode}", source))
    return dict(proofs)


def _is_mutant(value: object) -> bool:
    return all(isinstance(getattr(value, field, None), str) for field in ("name", "requirement"))


def _names_more(names: set[str], key: object, value: object) -> bool:
    """An entry of a map from a mutant's name to one more requirement it proves (`EDGE_ALSO`)."""
    return key in names and isinstance(value, str)


def _sentence(source: Source, repo: Path) -> str:
    """The line of the page a requirement comes from, or where it comes from when no line does."""
    page, line = source.page, source.line
    if line is not None and (repo / page).is_file():
        text = (repo / page).read_text(encoding="utf-8").splitlines()[line - 1].strip()
        return f"{text.removeprefix('- ')} <br><small>`{page}`, line {line}</small>"
    if page == "api-conventions":
        return "The API's conventions (no sentence of the page states it)"
    return page


def _dotted(name: str) -> str:
    """A dotted name as code that wraps only after its dots."""
    return "<code>" + ".<wbr>".join(html.escape(part) for part in name.split(".")) + "</code>"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    catalog: Catalog,
    checks: Mapping[str, CheckName],
    proofs: Mapping[str, Sequence[Proof]],
    repo: Path = REPO,
) -> tuple[str, list[str]]:
    """The page's Markdown, and its problems: each requirement without a check or a mutant."""
    requirements = catalog.requirements
    ids = [r.id for r in requirements]
    problems = [f"requirement {rid} has no registered check" for rid in ids if rid not in checks]
    problems += [f"requirement {rid} has no mutant in tests/*mutants.py" for rid in ids if rid not in proofs]
    levels = {level: sum(r.level == level for r in requirements) for level in ("MUST", "SHOULD", "EDGE")}
    lines = [
        "---",
        "hide: [toc]",  # the table needs the width more than the page needs its outline
        "---",
        "",
        "# Requirement catalog",
        "",
        "<!-- Generated by docs/_hooks/catalog.py at build time: edit spec/source/, not this page. -->",
        "",
        f"{len(requirements)} requirements ({levels['MUST']} MUST, {levels['SHOULD']} SHOULD, "
        f"{levels['EDGE']} EDGE), generated at build time from `spec/requirements.json` (catalog "
        f"version {catalog.version}), the checks the oracle registers, and the "
        "mutant catalogs of `tests/`. Each requirement has exactly one check, and each check a "
        "faulty server or client that it alone catches ([the contract](contract.md) says how the "
        "catalog is built and what the levels mean).",
        "",
    ]
    for side, heading in SIDES.items():
        rows = catalog.on(side)
        if not rows:
            continue
        lines += [f"## {heading}", "", "| requirement | from the page | checked by | proved by |"]
        lines += ["| --- | --- | --- | --- |"]
        for requirement in rows:
            rid = requirement.id
            named = checks.get(rid)
            check = (
                f"{_dotted(named.qualname)}<br><small>in {_dotted(named.module)}</small>"
                if named
                else "**no check**"
            )
            shown = proofs.get(rid) or ()
            proof = "<br>".join(f"`{p.name}` <small>({p.source})</small>" for p in shown) or "**no mutant**"
            cells = [
                f'<a id="{rid}"></a>`{rid}` **{requirement.level}**<br>{requirement.title}',
                _sentence(requirement.source, repo),
                check,
                proof,
            ]
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines), problems


def on_files(files: Any, config: Any) -> Any:
    """MkDocs event: add the generated page to the site's files."""
    from mkdocs.structure.files import File

    from drun_conformance.spec import Catalog

    catalog = Catalog.from_json(json.loads((REPO / "spec" / "requirements.json").read_text(encoding="utf-8")))
    checks, problems = checks_by_requirement()
    markdown, more = render(catalog, checks, proofs_by_requirement())
    for problem in (*problems, *more):
        log.warning("catalog.md: %s", problem)
    files.append(File.generated(config, PAGE, content=markdown))
    return files
