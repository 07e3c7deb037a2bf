"""A server's own answers as each official SDK reads them: every run-now answer the runner got
(its bytes, status and headers, kept in an AnswerLog) served again, unchanged, to a shipped
SDK harness through the SDK gate's scripted mock server, and the SDK's reading judged by the
client-parse requirements. No request reaches the server: the answers are the ones it gave
(all but those to a near miss of the key, which may quote it).

    log = AnswerLog()
    server = check_server(options, answers=log)
    java = read_through_sdk(log, "java@3.17.0")   # a target: "reads:java@3.17.0"

A failure names the answer and the SDK that misread it ("your answer #3 (POST
/v1/deployments/depl_ok/run -> 200) is read by anthropic-java 3.14.0 as agent.version=..."):
the server team learns which SDK releases still in use would break on its build. Each SDK
reading is a target of its own (kind "client", identity `reads`: the server), whose case
records line up in the run's differential: where two SDKs read one answer differently.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from drun_conformance import spec
from drun_conformance._differential import CaseRecord, case_record
from drun_conformance._errors import SdkUnavailable
from drun_conformance.oracle import ClientCall, Evaluation, Exchange, Finding, Oracle, cut, parse_body
from drun_conformance.results import Counterexample, TargetResult, TargetTally

from ._transport import MiB, Sent

__all__ = ["MOST_ANSWERS", "AnswerLog", "ServerAnswer", "read_through_sdk"]

MOST_ANSWERS = 1000  # run-now answers kept for reading (a run sends at most its budget)
MOST_BYTES = 64 * MiB  # their bodies together; past either, the rest are counted, not kept
REPLAY_KEY = "drun-replay-key"  # made up: the mock server takes any key
# Headers of the connection or of the body as sent, not of the answer read: the mock server
# frames the body itself (content-length), and the body kept is already decoded.
_NOT_REPLAYED = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "trailer"}
)
Note = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ServerAnswer:
    """One run-now answer as the server gave it: `number` the request's in the server check."""

    number: int
    request: str  # "POST /v1/deployments/depl_ok/run"
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def named(self) -> str:
        return f"your answer #{self.number} ({self.request} -> {self.status})"

    def fingerprint(self) -> str:
        digest = hashlib.sha256(json.dumps([self.status, sorted(self.headers)]).encode() + b"\0" + self.body)
        return f"#{self.number}:{digest.hexdigest()[:16]}"


@dataclass(slots=True)
class AnswerLog:
    """The run-now answers of one server check, bounded (see MOST_ANSWERS, MOST_BYTES)."""

    most: int = MOST_ANSWERS
    most_bytes: int = MOST_BYTES
    server: str = ""  # the server's target id, once the check has begun
    answers: list[ServerAnswer] = field(default_factory=list)
    kept_bytes: int = 0
    left_out: int = 0

    def keep(self, number: int, sent: Sent, exchange: Exchange) -> None:
        if len(self.answers) >= self.most or self.kept_bytes + len(exchange.body) > self.most_bytes:
            self.left_out += 1
            return
        headers = tuple((k, v) for k, v in exchange.response_headers.items() if k not in _NOT_REPLAYED)
        self.answers.append(
            ServerAnswer(number, f"{sent.method} {sent.path}", exchange.status, headers, exchange.body)
        )
        self.kept_bytes += len(exchange.body)


def read_through_sdk(
    log: AnswerLog, sdk: str, *, strict: bool = False, note: Note | None = None
) -> TargetResult:
    """Each answer in `log` read by the SDK release `sdk` ("java", "python@2.10.0"), judged."""
    from drun_conformance.client._sdks import parse_sdk, prepare_sdk

    shipped, release = parse_sdk(sdk)
    if not log.answers:
        return _Reading(log, sdk, strict).unreached("no answer to read: the server gave no run-now answer")
    try:
        command = prepare_sdk(shipped, release, note=note)
    except SdkUnavailable as exc:  # cannot run here: an unreached target, with the reason
        return _Reading(log, sdk, strict).unreached(str(exc))
    return _Reading(log, command.label, strict).run(command.argv, command.env)


@dataclass(slots=True)
class _Reading:
    log: AnswerLog
    label: str  # the SDK as asked: "java", "python@2.10.0"
    strict: bool
    oracle: Oracle = field(default_factory=Oracle.default)
    tally: TargetTally = field(init=False)
    records: list[CaseRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sdk: str = ""  # as the harness names it: "anthropic-java 3.14.0"

    def __post_init__(self) -> None:
        self.tally = TargetTally(spec.load_catalog(), sides={"client-parse"})

    def run(self, argv: tuple[str, ...], env: dict[str, str]) -> TargetResult:
        from drun_conformance.client._harness import Harness, HarnessFault
        from drun_conformance.client._mock import Scripted, ScriptedServer

        from .reference import serve_in_thread

        started = time.monotonic()
        mock = ScriptedServer()
        with Harness(argv, env=env) as harness, serve_in_thread(mock) as base_url:
            implementation = harness.start()
            if isinstance(implementation, HarnessFault):
                return self.unreached(f"the harness did not start: {implementation.message}")
            self.sdk = f"{implementation.name} {implementation.version}"
            for seq, answer in enumerate(self.log.answers, 1):
                deployment_id = f"depl_replay_{answer.number}"
                mock.arm(deployment_id, Scripted(answer.status, answer.headers, answer.body))
                said = harness.run(
                    seq=seq, base_url=base_url, api_key=REPLAY_KEY, deployment_id=deployment_id, betas=None
                )
                requests = mock.take(deployment_id)
                fault = said if isinstance(said, HarnessFault) else None
                call = ClientCall(
                    deployment_id=deployment_id,
                    betas=None,
                    api_key=REPLAY_KEY,
                    status=answer.status,
                    served_headers=dict(answer.headers),
                    served=parse_body(answer.body),
                    requests=requests,
                    answer=None if fault is not None else said,  # type: ignore[arg-type]
                    fault=None if fault is None else fault.message,
                )
                self._judge(answer, call, fault)
            identity = {**implementation.as_dict()}
        self.notes.append(
            f"read {len(self.log.answers)} answers of {self.log.server or 'the server'} in"
            f" {time.monotonic() - started:.1f} s (the harness's start included); no request to the server"
        )
        return self._result(identity, reached=True)

    def _judge(self, answer: ServerAnswer, call: ClientCall, fault: Any) -> None:
        evaluation = self.oracle.judge_client_parse(call)
        named = Evaluation(
            [replace(f, message=self._misread(answer, call, f)) for f in evaluation.findings],
            evaluation.exercised,
            evaluation.skipped,
        )
        example = self._example(answer, call, fault)
        self.tally.record(named, example)
        for finding in named.edges:  # in a client's reading an EDGE finding is a value mishandled
            self.tally.fail(finding, example)
        said = example.answer or {}
        self.records.append(
            case_record(
                key=answer.fingerprint(),
                served=f"your answer #{answer.number}: {answer.request} -> {answer.status}",
                body=answer.body,
                answer=said,
                findings=evaluation.findings,
                known=self.oracle.facts.known_paths,
            )
        )

    def _misread(self, answer: ServerAnswer, call: ClientCall, finding: Finding) -> str:
        """The finding as a server team reads it: which answer, which SDK, what it read."""
        said = call.answer or {}
        if call.fault is not None:
            reading = f"no valid answer ({call.fault})"
        elif call.outcome == "ok" and finding.pointer:
            value = _at(said.get("run"), finding.pointer)
            reading = f"{finding.pointer[1:].replace('/', '.')}={_shown(value, 60)}"
        elif call.outcome == "ok":
            reading = "a run"
        else:
            detail = said.get("message") or said.get("error_type")
            reading = str(call.outcome) + (f" ({_shown(detail, 80)})" if detail else "")
        return f"{answer.named} is read by {self.sdk} as {reading}: {finding.message}"

    def _example(self, answer: ServerAnswer, call: ClientCall, fault: Any) -> Counterexample:
        said: dict[str, Any] = (
            {"fault": fault.kind, "message": fault.message} if fault is not None else dict(call.answer or {})
        )
        text = answer.body.decode("utf-8", "replace")
        served = call.served if isinstance(call.served, dict | list) else None
        read = said.get("run")
        return Counterexample(
            summary=f"{answer.named}, read by {self.sdk}",
            payload=served,
            payload_text=None if served is not None else text[:65536],
            request={"method": answer.request.split(" ", 1)[0], "url": answer.request.split(" ", 1)[1]},
            response={"status": answer.status, "headers": dict(answer.headers), "body": text[:65536]},
            answer=said,
            expected=_pretty(served) if isinstance(read, dict) else "",
            observed=_pretty(read) if isinstance(read, dict) else "",
        )

    def unreached(self, reason: str) -> TargetResult:
        self.notes.append(reason)
        return self._result({"sdk": self.label}, reached=False, skip=reason)

    def _result(self, identity: dict[str, Any], *, reached: bool, skip: str | None = None) -> TargetResult:
        if reached:
            for requirement in spec.load_catalog().on("client-parse"):
                if not self.tally.exercised(requirement.id):
                    self.tally.not_applicable(requirement.id, "no answer the server gave exercises it")
        if self.log.left_out:
            self.notes.append(f"{self.log.left_out} answers past the log's bounds were not read")
        result = self.tally.result(
            target_id=f"reads:{self.label}",
            kind="client",
            identity={
                **identity,
                "reads": self.log.server,
                "answers": len(self.log.answers),
                "reached": reached,
            },
            strict=self.strict,
            requests=0,
            notes=self.notes,
            default_skip=skip or "no answer to read (the server gave no run-now answer)",
        )
        return result.model_copy(update={"case_records": self.records})


def _at(node: Any, pointer: str) -> Any:
    """The value at an RFC 6901 pointer, None where a step is missing."""
    for part in pointer.split("/")[1:]:
        node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


def _shown(value: Any, limit: int) -> str:
    return cut(json.dumps(value, ensure_ascii=False, default=str), limit)


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)
