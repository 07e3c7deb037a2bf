"""`validate`: recorded payloads and HTTP archives in, one verdict per payload out."""

from __future__ import annotations

import gc
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from drun_conformance._errors import InputError, UsageError
from drun_conformance._files import not_regular, read_regular, shown, why_unreadable
from drun_conformance._interrupt import interrupts_deferred
from drun_conformance.oracle import Evaluation, Exchange, Finding, Oracle, parse_body

from ._har import har_exchanges
from ._prefilter import PreFilter

__all__ = [
    "MAX_PAYLOAD",
    "WEBHOOK_EVENT",
    "PayloadResult",
    "Recorded",
    "ValidationReport",
    "describe",
    "evaluate",
    "is_webhook_event",
    "judged",
    "judges",
    "no_cycle_collection",
    "output",
    "output_piece",
    "read_inputs",
    "validate_inputs",
    "validate_stream",
]

WEBHOOK_EVENT = "webhook_event"  # `judged_as` of a payload judged as a webhook event
SUFFIXES = (".json", ".jsonl", ".ndjson", ".har")
# The most one payload (a .json file, a line) may hold: twice the API's own request limit (32 MB);
# a Run Deployment Now answer is a few hundred bytes. It bounds what an endless stdin line costs.
MAX_PAYLOAD = 64 * 1024 * 1024
_CHUNK = 1024 * 1024  # standard input is read at most this much at a time: a stop is seen between
_SPOOL = 8 * 1024 * 1024  # --json entries of standard input kept in memory before a temporary file


@dataclass(slots=True)  # not frozen: one per payload, and a frozen one costs 4x to make
class Recorded:
    """One payload as read from the input, with its exchange when the input had one."""

    source: str
    body: bytes
    exchange: Exchange | None = None


@dataclass(slots=True)  # not frozen: as Recorded
class PayloadResult:
    source: str
    evaluation: Evaluation
    webhook_event: bool = False  # judged as a webhook event of the family, not as a run

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "source": self.source,
            "conforms": self.evaluation.conforms,
            "violations": [f.to_json() for f in self.evaluation.violations],
        }
        if self.evaluation.edges:
            result["edges"] = [f.to_json() for f in self.evaluation.edges]
        if self.webhook_event:
            result["judged_as"] = WEBHOOK_EVENT
        return result


@dataclass(slots=True)
class ValidationReport:
    results: list[PayloadResult] = field(default_factory=list)

    @property
    def conforming(self) -> int:
        return sum(r.evaluation.conforms for r in self.results)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": {
                "payloads": len(self.results),
                "conforming": self.conforming,
                "violating": len(self.results) - self.conforming,
            },
            "results": [r.to_json() for r in self.results],
        }

    def to_json_bytes(self) -> bytes:
        """`to_json()` as JSON text, fast: orjson writes each Finding from its fields."""
        entries, conforming = output_piece(self.results, as_json=True)
        return _json_document([entries], len(self.results), conforming)


def output_piece(results: Sequence[PayloadResult], *, as_json: bool) -> tuple[bytes, int]:
    """The output `results` stand for, and how many conform: their `--json` entries, comma
    separated, or their text lines. Pieces of consecutive results join into the whole output
    (see `output`), so a worker process writes its part of it."""
    conforming = 0
    with no_cycle_collection():
        if as_json:
            entries: list[dict[str, Any]] = []
            for result in results:
                evaluation = result.evaluation
                violations: list[Finding] = []
                edges: list[Finding] = []
                for finding in evaluation.findings:
                    (edges if finding.level == "EDGE" else violations).append(finding)
                conforms = evaluation.conforms
                conforming += conforms
                entry = {"source": result.source, "conforms": conforms, "violations": violations}
                if edges:
                    entry["edges"] = edges
                if result.webhook_event:
                    entry["judged_as"] = WEBHOOK_EVENT
                entries.append(entry)
            return orjson.dumps(entries)[1:-1], conforming  # the list's items, without [ and ]
        lines: list[str] = []
        for result in results:
            conforms = result.evaluation.conforms
            conforming += conforms
            judged_as = f" (as a {WEBHOOK_EVENT})" if result.webhook_event else ""
            verdict = "conforms" if conforms else "VIOLATES"
            lines.append(f"{shown(result.source)}: {verdict}{judged_as}\n")  # a name cannot fake a line
            lines += [describe(finding) + "\n" for finding in result.evaluation.violations]
        return "".join(lines).encode("utf-8", "surrogateescape"), conforming


def output(pieces: Sequence[bytes], payloads: int, conforming: int, *, as_json: bool) -> bytes:
    """What `validate` writes: the pieces of `output_piece`, in order, as one document."""
    if as_json:
        return _json_document(pieces, payloads, conforming, end=b"\n")
    counts = f"{conforming} conforming, {payloads - conforming} violating"
    noun = "payload" if payloads == 1 else "payloads"
    return b"".join([*pieces, f"{payloads} {noun}: {counts}\n".encode()])


def _json_document(pieces: Sequence[bytes], payloads: int, conforming: int, end: bytes = b"") -> bytes:
    """What orjson writes for `ValidationReport.to_json()`, from the entries' pieces (copied once)."""
    summary = {"payloads": payloads, "conforming": conforming, "violating": payloads - conforming}
    parts = [b'{"summary":', orjson.dumps(summary), b',"results":[']
    for piece in pieces:
        if piece:
            parts += [piece, b","]
    if parts[-1] == b",":
        parts.pop()
    return b"".join([*parts, b"]}", end])


def read_inputs(paths: Iterable[str]) -> Iterator[Recorded]:
    """Every payload of every input, in order. A usage error before anything is read when an
    input is a folder or of an unknown kind, an input error when one is missing or no regular
    file; an input error when one holds nothing to validate (an empty file, a HAR without a Run
    Deployment Now exchange) or a payload past MAX_PAYLOAD. Standard input is read as it comes."""
    paths = list(paths)
    for name in paths:
        if name != "-":
            _check(name)
    for name in paths:
        empty = True
        for recorded in _read(name):
            empty = False
            yield recorded
        if empty:
            raise InputError(f"{'standard input' if name == '-' else shown(name)}: {_NOTHING[_kind(name)]}")


def _check(name: str) -> None:
    """A usage or input error unless `name` is a regular file of a kind validate reads."""
    try:
        mode: int | None = os.stat(name).st_mode
    except OSError as exc:
        mode, problem = None, exc
    if mode is not None and stat.S_ISDIR(mode):
        folder = shown(name)
        raise UsageError(f"{folder} is a folder: name the files in it (for example {folder}/*.jsonl)")
    if Path(name).suffix.lower() not in SUFFIXES:
        raise UsageError(
            f"{shown(name)}: expected a .json, .jsonl, .ndjson or .har file, or - for standard input"
        )
    if mode is None:
        raise InputError(f"cannot read {shown(name)}: {why_unreadable(problem)}")
    if not stat.S_ISREG(mode):
        raise InputError(not_regular(name, mode, _STREAM_HINT))


_STREAM_HINT = "a stream goes on standard input: validate - < NAME"
_NOTHING = {
    ".json": "an empty file, nothing to validate",
    ".lines": "no payload line, nothing to validate",
    ".har": "no Run Deployment Now exchange (POST /v1/deployments/{id}/run), nothing to validate",
}


def _kind(name: str) -> str:
    suffix = ".lines" if name == "-" else Path(name).suffix.lower()
    return ".lines" if suffix in (".jsonl", ".ndjson") else suffix


def _read(name: str) -> Iterator[Recorded]:
    if name == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            raise InputError("cannot read standard input: it is closed")
        yield from _stream_lines(stream)
        return
    data = read_regular(name, hint=_STREAM_HINT)
    kind = _kind(name)
    if kind == ".json":
        if len(data) > MAX_PAYLOAD:
            raise InputError(_too_long(name))
        if data.strip():
            yield Recorded(name, data)
    elif kind == ".har":
        for source, exchange in har_exchanges(name, data):
            yield Recorded(source, exchange.body, exchange)
    else:
        yield from _lines(name, data)


def _lines(name: str, data: bytes) -> Iterator[Recorded]:
    # JSON text may hold U+2028 and friends: split on newline bytes only.
    for number, line in enumerate(data.split(b"\n"), start=1):
        if len(line) > MAX_PAYLOAD:
            raise InputError(_too_long(f"{name}:{number}"))
        if line and not line.isspace():  # not strip(): that copies every line
            yield Recorded(f"{name}:{number}", line)


def _stream_lines(stream: BinaryIO) -> Iterator[Recorded]:
    """As `_lines`, each line as it arrives: a line is never held past MAX_PAYLOAD, and a read
    never blocks a stop for longer than one chunk takes."""
    number = 0
    while True:
        parts: list[bytes] = []
        size = 0
        while not parts or not parts[-1].endswith(b"\n"):
            part = stream.readline(_CHUNK)
            if not part:
                break
            size += len(part)
            if size > MAX_PAYLOAD + 1:  # + 1: its newline
                raise InputError(_too_long(f"stdin:{number + 1}"))
            parts.append(part)
        if not parts:
            return
        number += 1
        parts[-1] = parts[-1].removesuffix(b"\n")  # the last part, not the whole line: copied once
        line = b"".join(parts)
        if len(line) > MAX_PAYLOAD:
            raise InputError(_too_long(f"stdin:{number}"))
        if line and not line.isspace():
            yield Recorded(f"stdin:{number}", line)


def _too_long(source: str) -> str:
    return (
        f"{shown(source)}: a payload of more than {MAX_PAYLOAD:,} bytes, more than validate reads"
        " (a Run Deployment Now answer is a few hundred bytes): not judged"
    )


def validate_inputs(paths: Iterable[str], oracle: Oracle | None = None) -> ValidationReport:
    """Every payload of `paths` judged, in order (`oracle`: another spec's; default the shipped one)."""
    oracle, prefilter = judges(oracle)
    return ValidationReport(evaluate(read_inputs(paths), oracle, prefilter))


def judges(oracle: Oracle | None) -> tuple[Oracle, PreFilter | None]:
    """The oracle, and the pre-filter in front of it: the shipped spec's both, or for another
    oracle none (the pre-filter is the shipped schema's)."""
    return (oracle, None) if oracle is not None else (Oracle.default(), PreFilter.default())


def evaluate(records: Iterable[Recorded], oracle: Oracle, prefilter: PreFilter | None) -> list[PayloadResult]:
    """One result per payload, in order (see `judged`)."""
    with no_cycle_collection():
        return list(judged(records, oracle, prefilter))


def judged(
    records: Iterable[Recorded], oracle: Oracle, prefilter: PreFilter | None
) -> Iterator[PayloadResult]:
    """One result per payload, in order, each as soon as its payload is read. The exchanges' run
    ids are remembered from one payload to the next (`run.id.unique`): payloads with an exchange
    are judged in one sequence. The `prefilter` says which requirements cannot fire on a body;
    the oracle runs the rest."""
    seen: set[str] = set()
    none: frozenset[str] = frozenset()
    for recorded in records:
        run = parse_body(recorded.body)
        exchange = recorded.exchange
        if exchange is None and is_webhook_event(run):
            yield PayloadResult(recorded.source, oracle.judge_webhook_event(run), True)
            continue
        ruled_out = prefilter.cannot_fire(run) if prefilter is not None else none
        evaluation = oracle.judge_recorded(
            run, body=recorded.body, exchange=exchange, seen_run_ids=seen, ruled_out=ruled_out
        )
        if exchange is not None and isinstance(run, dict) and isinstance(run.get("id"), str):
            seen.add(run["id"])
        yield PayloadResult(recorded.source, evaluation)


def validate_stream(
    paths: Sequence[str], out: BinaryIO, *, as_json: bool, oracle: Oracle | None = None
) -> bool:
    """`validate` for inputs that include standard input, judged in turn as they are read, with
    memory bounded however long the stream: each text line is written as its payload is judged;
    `--json` entries wait in a temporary file past _SPOOL, since the document's summary comes
    first. Ctrl-C or SIGTERM (KeyboardInterrupt) writes what was judged so far, then goes on up.
    Whether every payload conforms; the bytes are those of `validate_output`."""
    payloads = conforming = 0
    with tempfile.SpooledTemporaryFile(_SPOOL) as spool:
        try:
            for result in judged(read_inputs(paths), *judges(oracle)):
                piece, conforms = output_piece([result], as_json=as_json)
                # A payload counted is one written, so the summary agrees with the lines: a stop
                # is taken after both (a reader that stops reading for good closes the pipe: EPIPE).
                with interrupts_deferred():
                    if as_json:
                        spool.write(b"," + piece if payloads else piece)  # a file: it never waits on a reader
                    else:
                        out.write(piece)
                        out.flush()
                    payloads, conforming = payloads + 1, conforming + conforms
        except KeyboardInterrupt:
            _stream_end(out, spool, payloads, conforming, as_json=as_json)
            raise
        _stream_end(out, spool, payloads, conforming, as_json=as_json)
    return conforming == payloads


def _stream_end(out: BinaryIO, spool: IO[bytes], payloads: int, conforming: int, *, as_json: bool) -> None:
    if not as_json:
        out.write(output([], payloads, conforming, as_json=False))
        out.flush()
        return
    head, tail = output([b"\0"], payloads, conforming, as_json=True).split(b"\0")  # around the entries
    out.write(head)
    spool.seek(0)
    while chunk := spool.read(_CHUNK):
        out.write(chunk)
    out.write(tail)
    out.flush()


def is_webhook_event(payload: Any) -> bool:
    """A payload is a webhook event of the family by its `type` (`event`), or, where that is
    missing or wrong, by its data's (`deployment_run.started`...). A run is never one: its
    `type` is `deployment_run` and it has a `deployment_id` (a run whose `type` is broken into
    another literal of the catalog stays a run)."""
    if not isinstance(payload, dict) or "deployment_id" in payload or payload.get("type") == "deployment_run":
        return False
    data = payload.get("data")
    inner = data.get("type") if isinstance(data, dict) else None
    return payload.get("type") == "event" or (isinstance(inner, str) and inner.startswith("deployment_run."))


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """For code that makes no reference cycles but keeps many objects: the collector would
    rescan every one kept so far each time it runs (a quarter of validate's loop on 40,000
    payloads)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def describe(finding: Finding) -> str:
    where = finding.pointer or "(payload)"
    return f"  {finding.level:6} {finding.requirement}  at {where}: {finding.message}"
