"""The client mutant catalog: faulty SDK harnesses, one requirement each.

Each mutant is tests/harnesses/model_sdk.py (a faithful client of Run Deployment Now, of
retrieve and of the listing walk) with one fault switched on (`--fault NAME`). `requirement`
is the id the gate must report as failed; `also` lists what the same lie unavoidably breaks
too (kept short and explained).
An EDGE mutant must be reported at EDGE and gate on nothing. The misbehaving harnesses of
tests/harnesses/misbehaving.py must each be a client.harness.protocol finding.
"""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

HARNESSES = Path(__file__).resolve().parent / "harnesses"
MODEL_SDK = HARNESSES / "model_sdk.py"
MISBEHAVING = HARNESSES / "misbehaving.py"


@dataclass(frozen=True, slots=True)
class ClientMutant:
    name: str  # the --fault of model_sdk.py
    requirement: str
    also: frozenset[str] = frozenset()
    note: str = ""
    baseline: bool = False  # gated against the faithful model SDK as its baseline release

    @property
    def command(self) -> str:
        return shlex.join([sys.executable, str(MODEL_SDK), "--fault", self.name])


def faithful_command() -> str:
    return shlex.join([sys.executable, str(MODEL_SDK)])


def misbehaving_command(mode: str) -> str:
    return shlex.join([sys.executable, str(MISBEHAVING), "--mode", mode])


CLIENT_MUTANTS: tuple[ClientMutant, ...] = (
    # the request
    ClientMutant(
        "no-beta-header",
        "client.request.beta.managed",
        frozenset({"client.request.beta.requested"}),
        "no header at all: the betas passed are missing too",
    ),
    ClientMutant("user-betas-dropped", "client.request.beta.requested"),
    ClientMutant(
        "managed-beta-dropped",
        "client.request.beta.managed",
        frozenset({"client.request.beta.requested"}),
        "a caller who passes managed-agents-2026-04-01 itself loses it too",
    ),
    ClientMutant("no-percent-encoding", "client.request.path"),
    ClientMutant(
        "unescaped-id-strict-url",
        "client.request.path",
        frozenset({"client.request.once"}),
        "the id put in raw, the URL parsed as Go's net/url does: an invalid escape is refused unsent",
    ),
    ClientMutant("get-instead-of-post", "client.request.method"),
    ClientMutant("no-api-key", "client.request.api-key"),
    ClientMutant("no-version-header", "client.request.version-header"),
    ClientMutant("body-sent", "client.request.no-body"),
    ClientMutant("retried", "client.request.once"),
    ClientMutant(
        "retried-after-wait", "client.request.once", note="waits the retry-after served, then retries"
    ),
    # retrieve and the listing walk
    ClientMutant("retrieve-unescaped", "client.retrieve.path"),
    ClientMutant(
        "list-filters-flattened", "client.list.query", note="created_at[gte] sent as created_at_gte"
    ),
    ClientMutant("list-cursor-unescaped", "client.list.cursor", note="a cursor with + or & read otherwise"),
    ClientMutant(
        "list-first-page-only",
        "client.list.cursor",
        frozenset({"client.error.api-error"}),
        "a walk whose second page is an HTTP error answers ok: it never asked for that page",
    ),
    ClientMutant("list-last-run-dropped", "client.list.items"),
    # reading a run
    ClientMutant("offset-dropped", "client.parse.timestamp"),
    ClientMutant("micros-to-millis", "client.parse.timestamp"),
    ClientMutant(
        "version-through-float",
        "client.parse.int64",
        frozenset({"client.parse.version-type"}),
        "a float is no integer type either",
    ),
    ClientMutant("version-as-double", "client.parse.int64"),
    ClientMutant("version-int32", "client.parse.int64"),
    ClientMutant("crash-on-unknown-error-type", "client.parse.unknown-error-type"),
    ClientMutant("crash-on-unknown-fields", "client.parse.unknown-fields"),
    ClientMutant("crash-on-unknown-fields-in-errors", "client.parse.unknown-fields"),
    ClientMutant(
        "crash-on-failed-runs",
        "client.parse.ok",
        frozenset({"client.parse.unknown-error-type", "client.parse.unknown-fields"}),
        "failed runs come with unknown error types and unknown fields too",
    ),
    ClientMutant("null-session-id-as-empty", "client.parse.session-id"),
    ClientMutant(
        "schedule-read-as-manual",
        "client.parse.trigger",
        frozenset({"client.parse.variant-known"}),
        "it holds the schedule trigger as the manual variant, and says so",
    ),
    ClientMutant(
        "error-types-confused",
        "client.parse.error",
        frozenset({"client.parse.variant-known"}),
        "it holds each vault error as the other variant, and says so",
    ),
    ClientMutant("error-message-cut", "client.parse.error"),  # a 1,000-character message, cut at 500
    ClientMutant("null-as-undefined", "client.parse.error"),  # TypeScript's `undefined` for a null error
    ClientMutant("deployment-id-dropped", "client.parse.fields"),
    ClientMutant("unknown-variant-as-first-class", "client.parse.variant-class"),
    ClientMutant("known-variant-as-other-class", "client.parse.variant-known"),
    ClientMutant("unknown-variant-as-dict", "client.parse.unknown-variant-readable"),
    # typed reads: the values exact, the types not what the SDK declares
    ClientMutant("timestamp-as-string", "client.parse.timestamp-type"),
    ClientMutant("version-as-decimal", "client.parse.version-type"),
    # reporting an HTTP error
    ClientMutant("http-error-as-ok", "client.error.api-error"),
    ClientMutant("wrong-error-type", "client.error.type"),
    ClientMutant("wrong-status", "client.error.status"),
    ClientMutant("error-message-dropped", "client.error.message"),
    ClientMutant("request-id-dropped", "client.error.request-id"),
    ClientMutant("exception-base-class", "client.error.exception"),
    # the generic class for a status this release's client maps to a class of its own
    ClientMutant("overloaded-as-generic", "client.error.exception"),
    # against a baseline release: a change no requirement of the contract forbids
    ClientMutant("other-version-header", "client.baseline.same", baseline=True),
    # EDGE classes: reported, never gating
    ClientMutant("crash-on-leap-second", "edge.timestamp.leap-second"),
    ClientMutant("nanos-truncated", "edge.timestamp.sub-microsecond"),
    ClientMutant("crash-on-lowercase", "edge.timestamp.lowercase"),
    ClientMutant("crash-on-unknown-offset", "edge.timestamp.unknown-offset"),
    ClientMutant("crash-on-offset-beyond-18h", "edge.timestamp.offset-beyond-18h"),
    ClientMutant("long-strings-truncated", "edge.string.long"),
    ClientMutant("non-ascii-mangled", "edge.string.non-ascii"),
    ClientMutant("crash-on-unknown-trigger-type", "edge.variant.unknown-trigger-type"),
)

# crash-on-unknown-error-type breaks edge.variant.unknown-error-type too (that EDGE label is
# the same class), so that EDGE requirement is backed by it.
EDGE_ALSO = {"crash-on-unknown-error-type": "edge.variant.unknown-error-type"}

MISBEHAVIOURS = ("garbage", "off-schema", "wrong-seq", "hang", "die", "chatty")
