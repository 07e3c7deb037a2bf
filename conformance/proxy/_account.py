"""The report's account of what the proxy's judge did not judge one by one: exchanges not
judged (each counted, the first few described), other operations passed through (counted
apart up to a cap), and whatever went past a cap of `Bounds`."""

from __future__ import annotations

from dataclasses import dataclass, field

from drun_conformance._secrets import KeyRing

from ._bounds import Bounds
from ._runs import RememberedRuns
from ._walks import OpenWalks

__all__ = ["NOT_JUDGED", "OTHER_CLIENTS", "Account"]

OTHER_CLIENTS = "other clients"  # the one target of every client past the cap
_OTHER_OPERATIONS = "(other operations)"
# Why an exchange was not judged, as the report says it.
NOT_JUDGED = {
    "unreachable": "the upstream could not be reached (answered 502)",
    "timeout": "the upstream did not answer in time (answered 504)",
    "broken": "the upstream broke off mid-answer",
    "client-left": "the client left before the answer was complete",
    "stopped": "the proxy stopped before the answer was complete",
    "refused": "the proxy refused the request (answered 400)",
    "over-cap": "the answer was over the judging cap",
    "encoding": "the answer was in an encoding the judge cannot read",
    "judge-failed": "judging it failed (a fault in drun-conformance, not in the upstream)",
}


@dataclass(slots=True)
class Account:
    bounds: Bounds
    passed_through: dict[str, int] = field(default_factory=dict)  # "METHOD path" -> exchanges
    not_judged: dict[str, int] = field(default_factory=dict)  # why (NOT_JUDGED) -> exchanges
    described: list[str] = field(default_factory=list)  # the first few not judged
    pooled: int = 0  # run requests judged as OTHER_CLIENTS
    read_backs_unremembered: int = 0
    walks_cut: int = 0  # walks judged as they stood after Bounds.walk_runs

    def passed(self, key: str) -> None:
        if key not in self.passed_through and len(self.passed_through) >= self.bounds.passed_through:
            key = _OTHER_OPERATIONS
        self.passed_through[key] = self.passed_through.get(key, 0) + 1

    def skipped(self, why: str, line: str) -> None:
        self.not_judged[why] = self.not_judged.get(why, 0) + 1
        if len(self.described) < self.bounds.notes:
            self.described.append(line)

    def notes(
        self, judged: int, received: int, runs: RememberedRuns, walks: OpenWalks, keys: KeyRing, left: int
    ) -> list[str]:
        """The server target's notes: the counts first (judged + passed + not judged = all)."""
        passed, skipped = sum(self.passed_through.values()), sum(self.not_judged.values())
        notes = [
            f"{judged} exchanges judged, {passed} of other operations passed through unjudged, "
            f"{skipped} not judged ({received} in all)"
        ]
        notes += [f"not judged: {n} x {NOT_JUDGED[why]}" for why, n in sorted(self.not_judged.items())]
        notes += [f"not judged: {line}" for line in self.described]
        notes += [f"passed through: {n} x {what}" for what, n in sorted(self.passed_through.items())]
        notes += self._past_caps(runs, walks, keys)
        if left:
            notes.append(f"{left} exchanges were still waiting to be judged when these results were read")
        if not judged:
            notes.append("no Run Deployment Now, read-back or listing exchange passed through the proxy")
        return notes

    def _past_caps(self, runs: RememberedRuns, walks: OpenWalks, keys: KeyRing) -> list[str]:
        """What went past a cap, said only when something did."""
        b, notes = self.bounds, []
        if self.read_backs_unremembered:
            notes.append(
                f"{self.read_backs_unremembered} read-backs of runs the proxy does not remember (answered"
                f" before it started or elsewhere, or among the {runs.forgotten} forgotten: it keeps"
                f" the last {b.runs}) judged without comparing them to the record first answered"
            )
        if walks.expired:
            notes.append(
                f"{walks.expired} listing walks judged as they stood: their next page did not come"
                f" within {b.walk_idle_s:g} s, or more than {b.walks} were open at once (or more than"
                f" {b.walks_runs} runs listed over their pages)"
            )
        if self.walks_cut:
            notes.append(f"{self.walks_cut} listing walks judged as they stood after {b.walk_runs} runs")
        if self.pooled:
            notes.append(
                f"{self.pooled} run requests from clients after the first {b.clients} User-Agents"
                f" judged together as {OTHER_CLIENTS!r}"
            )
        if keys.forgotten:
            notes.append(
                f"{keys.forgotten} credentials seen beyond the {b.keys} most recent: each was scrubbed"
                " from everything kept as its exchange was judged"
            )
        return notes
