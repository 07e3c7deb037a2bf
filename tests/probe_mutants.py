"""Server mutants that only sharper probes catch (credentials in near-miss forms, ids a lax
router folds onto a real one, a beta header without the operation's own, JSON as clients read
it, records that change over time, the listing read as the SDKs read it): one requirement each,
built from tests/mutant_kit.py like tests/mutants.py, and caught as they are
(tests/test_server_mutants.py gathers every catalog).
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import unicodedata
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote

from drun_conformance.server.reference._app import _CURSOR_TAG
from tests.mutant_kit import Body, Fault, Mutant, Reply, on_listing_items, on_run_body

__all__ = ["MUTANTS", "ONLY_AN_SDK_MISREADS"]


def _no_fault(reply: Reply) -> None:
    """The answer as the server made it: the mutant's lie is in how it read the request."""


# --- time: a record read back later ------------------------------------------------------------


def _read_back_later(change: Callable[[Reply], None]) -> Fault:
    """`change` each read-back of a run after its first: the first read-back is as answered."""
    served: set[str] = set()

    def fault(reply: Reply) -> None:
        if reply.is_read_back and reply.status == 200:
            run_id = reply.json()["id"]
            if run_id in served:
                change(reply)
            served.add(run_id)

    return fault


def _gone(reply: Reply) -> None:
    reply.status = 404
    reply.set_json({"type": "error", "error": {"type": "not_found_error", "message": "No run."}})


def _version_bumped(reply: Reply) -> None:
    body = reply.json()
    body["agent"]["version"] += 1
    reply.set_json(body)


# --- JSON as clients read it -------------------------------------------------------------------


def _outcome_twice(reply: Reply) -> None:
    """The outcome written twice: first-wins readers see the session, last-wins the error."""
    if reply.is_run and reply.status == 200 and reply.json().get("session_id") is not None:
        more = b', "session_id": null, "error": {"type": "unknown_error", "message": "and yet"}}'
        reply.body = reply.body.rstrip()[:-1] + more


def _lone_surrogate(body: Body) -> None:
    body["session_id"] = "\ud800" + body["session_id"]  # json.dumps writes it as the escape \ud800


def _latin_1(reply: Reply) -> None:
    if reply.is_run and reply.status == 200:
        reply.headers["content-type"] = "application/json; charset=iso-8859-1"


# --- the listing ---------------------------------------------------------------------------


def _listing(change: Callable[[dict[str, Any]], Any]) -> Fault:
    def fault(reply: Reply) -> None:
        if reply.method == "GET" and reply.status == 200 and reply.path == "/v1/deployment_runs":
            reply.set_json(change(reply.json()))

    return fault


def _emptied_under_has_error(query: dict[str, str]) -> None:
    if "has_error" in query:
        query["deployment_id"] = "depl_none"  # a bug that drops every run the filter should keep


def _has_error_dropped(query: dict[str, str]) -> None:
    query.pop("has_error", None)


def _lte_read_as_lt(query: dict[str, str]) -> None:
    if "created_at[lte]" in query:
        query["created_at[lt]"] = query.pop("created_at[lte]")


def _succeeded(body: Body) -> bool:
    return body.get("session_id") is not None


def _past_int32(body: Body) -> None:
    body["agent"]["version"] = 2**31  # an int64 like any other; a 32-bit reader refuses it


def _stored_past_int32(reply: Reply) -> None:
    """Every run it answers, reads back and lists at version 2^31: a record it keeps as stored."""
    on_run_body(_past_int32)(reply)
    on_listing_items(_past_int32)(reply)


def _bumped(item: Body) -> None:
    item["agent"]["version"] += 1


def _renamed_data(page: dict[str, Any]) -> dict[str, Any]:
    return {"runs": page.pop("data"), **page}


def _the_real_key(key: str) -> bool:
    from drun_conformance.server.reference import DEFAULT_API_KEY

    return key.lower() == DEFAULT_API_KEY.lower()


def _starts_with_the_key(key: str) -> bool:
    from drun_conformance.server.reference import DEFAULT_API_KEY

    return key.startswith(DEFAULT_API_KEY)


def _dot_segments(ident: str) -> str:
    return posixpath.normpath("/" + ident).lstrip("/")


def _trimmed(ident: str) -> str:
    return ident.strip().split(";")[0].split("\x00")[0]


_WRONG_KEY = frozenset({"http.auth.wrong-key.401"})  # a run made with a wrong key is no 401 either
# A run made for an id folded onto another is no 404, and echoes the id it was folded onto.
_UNKNOWN = frozenset({"http.unknown-deployment.404", "run.deployment_id.echo"})


MUTANTS: tuple[Mutant, ...] = (
    # time: every run answered is read back again at the end
    Mutant("run-forgotten-after-read-back", "run.read-back.same-record", _read_back_later(_gone)),
    Mutant("record-changes-later", "run.read-back.same-record", _read_back_later(_version_bumped)),
    # credentials in every form the SDKs send, near misses of the real key among them
    Mutant(
        "bearer-token-unchecked",
        "http.auth.wrong-key.no-run",
        _no_fault,
        accepts_key=lambda form, key: form == "bearer" and bool(key),
        also=_WRONG_KEY,
    ),
    Mutant(
        "key-compared-without-case",
        "http.auth.wrong-key.no-run",
        _no_fault,
        accepts_key=lambda form, key: _the_real_key(key),
        also=_WRONG_KEY,
    ),
    Mutant(
        "key-compared-as-a-prefix",
        "http.auth.wrong-key.no-run",
        _no_fault,
        accepts_key=lambda form, key: _starts_with_the_key(key),
        also=_WRONG_KEY,
    ),
    Mutant(
        "empty-key-header-accepted",
        "http.auth.no-run",
        _no_fault,
        accepts_key=lambda form, key: not key,
        also=frozenset({"http.auth.401"}),
    ),
    # ids a lax router folds onto a given one
    Mutant(
        "router-folds-case", "http.unknown-deployment.no-run", _no_fault, folds_id=str.lower, also=_UNKNOWN
    ),
    Mutant(
        "router-decodes-twice", "http.unknown-deployment.no-run", _no_fault, folds_id=unquote, also=_UNKNOWN
    ),
    Mutant(
        "router-resolves-dot-segments",
        "http.unknown-deployment.no-run",
        _no_fault,
        folds_id=_dot_segments,
        also=_UNKNOWN,
    ),
    Mutant(
        "lookup-trims-the-id", "http.unknown-deployment.no-run", _no_fault, folds_id=_trimmed, also=_UNKNOWN
    ),
    Mutant(
        "lookup-folds-unicode",
        "http.unknown-deployment.no-run",
        _no_fault,
        folds_id=lambda ident: unicodedata.normalize("NFKC", ident),
        also=_UNKNOWN,
    ),
    # the beta header with other betas, not the operation's own
    Mutant("any-beta-accepted", "http.beta.400", _no_fault, accepts_betas=lambda betas: any(betas)),
    Mutant("lone-beta-only", "http.beta.among-others", _no_fault, lone_beta_only=True),
    Mutant(
        "beta-name-without-date",
        "http.beta.400",
        _no_fault,
        accepts_betas=lambda betas: any(b.startswith("managed-agents-") for b in betas),
    ),
    # JSON as clients read it
    Mutant("outcome-written-twice", "payload.json.unique-names", _outcome_twice),
    Mutant(
        "lone-surrogate-in-session-id",
        "payload.json.no-lone-surrogate",
        on_run_body(_lone_surrogate, when=_succeeded),
    ),
    Mutant("latin-1-label", "http.success.charset", _latin_1),
    # the listing, every item read as a run and against its read-back, every filter asked
    Mutant("listed-runs-differ", "listing.run.same-record", on_listing_items(_bumped)),
    Mutant("listing-without-data", "listing.page.shape", _listing(_renamed_data)),
    Mutant(
        "has-error-filter-ignored",
        "listing.filter.holds",
        _no_fault,
        listing_query=_has_error_dropped,
        also=frozenset({"listing.filter.invalid-400"}),  # has_error=maybe is dropped too
    ),
    Mutant(
        "filter-drops-its-matches", "listing.walk.no-skip", _no_fault, listing_query=_emptied_under_has_error
    ),
    Mutant("lte-read-as-lt", "listing.walk.no-skip", _no_fault, listing_query=_lte_read_as_lt),
)
# Servers the runner passes, whose answers an official SDK misreads (server --through-sdk).
ONLY_AN_SDK_MISREADS: tuple[Mutant, ...] = (
    Mutant("version-past-int32", "client.parse.int64", _stored_past_int32),
)


# --- found by the mutation bench (bench/bench_mutation.py, bench/mutation_survivors.md) ---------


def _every_cursor_unknown(query: dict[str, str]) -> None:
    """The store looks a cursor's run up the wrong way round: each one it issued reads as unknown."""
    if "page" in query:
        query["page"] = "not-a-cursor-of-ours"


def _one_session(run: Body) -> None:
    if run.get("session_id") is not None:
        run["session_id"] = "sesn_011CZkYqphY8vELVzwCUpqiQ"


def _every_run_one_session(reply: Reply) -> None:
    """Its session id generator returns one id: every run it answers, reads back and lists names it."""
    on_run_body(_one_session)(reply)
    on_listing_items(_one_session)(reply)


MUTANTS = (
    *MUTANTS,
    Mutant("one-session-for-every-run", "listing.session_id.distinct", _every_run_one_session),
    Mutant(
        "issued-cursors-rejected",
        "listing.cursor.issued-accepted",
        _no_fault,
        listing_query=_every_cursor_unknown,
    ),
)


# --- ids no server issued, and paths no string spells -------------------------------------------


def _made_up_on_read(reply: Reply) -> None:
    """A read of a run id it never issued answers a run made up for it, as a mock's --any-run does."""
    if reply.is_read_back and reply.status == 404:
        run_id = unquote(reply.path.rsplit("/", 1)[-1])
        reply.status = 200
        reply.headers["content-type"] = "application/json"
        reply.set_json(
            {
                "id": run_id,
                "type": "deployment_run",
                "deployment_id": "depl_ok",
                "agent": {"type": "agent", "id": "agent_011CZkYqphY8vELVzwCUpqiQ", "version": 1},
                "created_at": "2026-01-01T00:00:00Z",
                "trigger_context": {"type": "manual"},
                "session_id": "sesn_011CZkYqphY8vELVzwCUpqiQ",
                "error": None,
            }
        )


def _bytes_not_utf8_500(reply: Reply) -> None:
    """Its router decodes the path's bytes as UTF-8 unguarded: one that is not UTF-8 is a 500."""
    if reply.is_run and any(raw in reply.path.upper() for raw in ("%FF", "%C0")):
        reply.status = 500
        error = {"type": "api_error", "message": "'utf-8' codec can't decode byte 0xff"}
        reply.set_json({"type": "error", "error": error, "request_id": "req_1"})


MUTANTS = (
    *MUTANTS,
    Mutant("unknown-run-made-up-on-read", "run.read-back.unknown-404", _made_up_on_read),
    Mutant("path-bytes-not-utf8-500", "http.no-server-error", _bytes_not_utf8_500),
)


def _tampered_cursor_500(reply: Reply) -> None:
    """Its cursor reader takes what follows its tag for digits unguarded: a cursor of its own
    form holding anything else is a 500 (the made-up cursor, of no form of its, still a 400)."""
    page = dict(parse_qsl(reply.query)).get("page")
    held = _cursor_text(page) if page and reply.status == 400 else None
    if held is not None and held.startswith(_CURSOR_TAG) and not held[len(_CURSOR_TAG) :].isdigit():
        reply.status = 500
        error = {"type": "api_error", "message": "invalid literal for int() with base 10"}
        reply.set_json({"type": "error", "error": error, "request_id": "req_1"})


def _cursor_text(cursor: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        return None


MUTANTS = (
    *MUTANTS,
    Mutant("tampered-cursor-500", "http.no-server-error", _tampered_cursor_500),
)


def _unknown_trigger_type_ignored(query: dict[str, str]) -> None:
    """It reads a `trigger_type` it does not know as no filter: every run is listed."""
    if query.get("trigger_type") not in (None, "schedule", "manual"):
        del query["trigger_type"]


MUTANTS = (
    *MUTANTS,
    Mutant(
        "unknown-trigger-type-lists-all",
        "listing.filter.invalid-400",
        _no_fault,
        listing_query=_unknown_trigger_type_ignored,
    ),
)
