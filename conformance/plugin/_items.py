"""The plugin's collection nodes: `drun` / one collector per target / one item per requirement.

An item's outcome is read from the session's one run (`_run.Run`); imports only
pytest and the standard library at load time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from ._options import DrunTarget, ReadsTarget
from ._run import RUN, DrunRunError

if TYPE_CHECKING:
    from drun_conformance.results import RequirementResult
    from drun_conformance.spec import Requirement, Side

__all__ = ["RequirementFailed", "RequirementItem", "collect_requirements"]

_SIDES: dict[str, tuple[Side, ...]] = {"server": ("server",), "client": ("client-request", "client-parse")}


class _Suite(pytest.Collector):
    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []  # filled in by collect_requirements, not by pytest's own collection


class _TargetNode(pytest.Collector):
    requirement_items: list[RequirementItem]

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return list(getattr(self, "requirement_items", []))


def collect_requirements(session: pytest.Session) -> list[RequirementItem]:
    """One item per requirement per target, in catalog order; node ids
    `drun::<target id>::<requirement id>`, stable from run to run (so --lf finds them)."""
    run = session.config.stash[RUN]
    from drun_conformance import spec

    catalog = spec.load_catalog()
    root = _Suite.from_parent(session, name="drun", nodeid="drun")  # not "::drun" under the session
    items: list[RequirementItem] = []
    for index, target in enumerate(run.targets):
        node = _TargetNode.from_parent(root, name=target.id)
        sides = _sides(target)
        node.requirement_items = [
            RequirementItem.from_parent(node, name=r.id, index=index, requirement=r)
            for r in catalog.on(*sides)
        ]
        run.collected[index] = {item.name for item in node.requirement_items}
        items.extend(node.requirement_items)
    return items


def _sides(target: DrunTarget) -> tuple[Side, ...]:
    """What a target is judged on: a server's answers as an SDK reads them, on the parse alone."""
    return ("client-parse",) if isinstance(target, ReadsTarget) else _SIDES[target.kind]


class RequirementFailed(Exception):
    """A requirement failed on the target: repr_failure shows the counterexample."""


class RequirementItem(pytest.Item):
    """One requirement on one target; its outcome is read from the run's results.

    Marked `drun(level=..., side=..., area=...)`, so `-m "drun(level='MUST')"` selects by level.
    """

    def __init__(self, *, index: int, requirement: Requirement, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index = index
        self.level: str = requirement.level
        self.add_marker(
            pytest.mark.drun(level=requirement.level, side=requirement.side, area=requirement.area)
        )

    def _result(self) -> RequirementResult:
        return self.config.stash[RUN].requirement(self.index, self.name)

    def setup(self) -> None:
        # A failure raised in setup is reported as an error; pytrace=False: the reason is the
        # whole story, a traceback into this plugin is noise (and slow, times every item).
        try:
            result = self._result()
        except DrunRunError as exc:
            pytest.fail(str(exc), pytrace=False)
        if result.status == "errored":
            pytest.fail(
                f"{result.level} {result.id} errored: {result.reason or 'no reason recorded'}", pytrace=False
            )
        if result.status == "skipped":
            pytest.skip(f"{result.level} {result.id}: {result.reason or 'not exercised'}")

    def runtest(self) -> None:
        result = self._result()
        if result.status != "failed":
            return
        if result.expected is not None:
            pytest.xfail(f"{result.id} known failure ({result.expected}): {result.message or result.title}")
        run = self.config.stash[RUN]
        if result.level == "MUST" or (result.level == "SHOULD" and run.settings.strict):
            from drun_conformance.reports._text import counterexample_text

            raise RequirementFailed(counterexample_text(result, kind=run.target(self.index).kind))
        gate = "EDGE: never gating" if result.level == "EDGE" else "SHOULD: gating only with --drun-strict"
        pytest.xfail(f"{result.id} failed ({gate}): {result.message or result.title}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, RequirementFailed | DrunRunError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"drun {self.parent.name if self.parent else ''}::{self.name}"
