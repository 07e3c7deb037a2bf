"""Checks of an SDK call's typed reads: the types a harness reports it met (`types` of an ok
answer, `exception` of an API error) against what each SDK's own declarations give its users.

What "as documented" means is decided per language from the SDKs' declarations, so that the
released SDKs pass where they are right: Python types timestamps `datetime`, Java
`OffsetDateTime`, Go `time.Time`, and TypeScript declares them `string` (its users parse them),
so a string they must stay there. The exception of an HTTP status is the class the SDK's
README documents for it (the Stainless table: 400, 401, 403, 404, 422, 429, 5xx), or, for a
status the table leaves out, the class its error module names: that class alone from the
release whose client first maps the status to it (read from every release the gate installs),
that class or the generic one before. A harness that reports no types, or a language with no
entry here, does not exercise these checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from drun_conformance._releases import release_numbers

from ._call import ClientCase
from ._case import Found, show
from ._client_answer import ANSWER, served_error
from ._client_parse import EDGE_EXCUSES, PARSE, UNREADABLE, served_run

__all__ = ["DATE_TIME_TYPES", "EXCEPTIONS", "INTEGER_TYPES", "Exceptions", "documented_exceptions"]

# What each SDK declares a timestamp as, by the harness's implementation.language.
DATE_TIME_TYPES: Mapping[str, frozenset[str]] = {
    "python": frozenset({"datetime"}),
    "typescript": frozenset({"string"}),  # `created_at: string` in resources/beta/*.d.ts
    "java": frozenset({"OffsetDateTime"}),
    "go": frozenset({"time.Time"}),
}
# The integer types of each language (the width is client.parse.int64's to judge).
INTEGER_TYPES: Mapping[str, frozenset[str]] = {
    "python": frozenset({"int"}),
    "typescript": frozenset({"number", "bigint"}),  # `version: number`: JavaScript's numbers
    "java": frozenset({"Long", "Integer", "Short", "Byte", "BigInteger"}),
    "go": frozenset(
        {"int64", "int", "int32", "int16", "int8", "uint64", "uint", "uint32", "uint16", "uint8"}
    ),
}


@dataclass(frozen=True, slots=True)
class Exceptions:
    """The exception classes an SDK documents by HTTP status: `documented` the README's table
    (that class and no other), `specific` the classes its error module adds for other statuses,
    `mapped_since` the release from which its client raises that class (and no other) for the
    status: before it, or for a release not known, the generic one is accepted too. `server` the
    class of any other 5xx, `other` of any other status."""

    server: str
    other: str
    documented: Mapping[int, str] = field(default_factory=dict)
    specific: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    mapped_since: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    def expected(self, status: int, release: str | None = None) -> frozenset[str]:
        if status in self.documented:
            return frozenset({self.documented[status]})
        specific = self.specific.get(status, ())
        since = self.mapped_since.get(status)
        if specific and since is not None and release_numbers(release) >= since:
            return frozenset(specific)
        generic = self.server if status >= 500 else self.other
        return frozenset({generic, *specific})


def _mapped(since: tuple[int, ...], *statuses: int) -> dict[int, tuple[int, ...]]:
    return dict.fromkeys(statuses, since)


_STAINLESS_TABLE = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
}
_STAINLESS_SPECIFIC = {
    402: ("PaymentRequiredError",),
    408: ("RequestTimeoutError",),
    409: ("ConflictError",),
    412: ("PreconditionFailedError",),
    413: ("ContentTooLargeError", "RequestTooLargeError"),  # the older name of the class
    431: ("RequestHeaderFieldsTooLargeError",),
    499: ("ClientClosedRequestError",),
    503: ("ServiceUnavailableError",),
    504: ("GatewayTimeoutError", "DeadlineExceededError"),
    529: ("OverloadedError",),
}
# The rest of the 4xx and 5xx a release's client maps to a class of their own, from when (the
# oldest release the gate installs first: every one since maps it).
_LATER_4XX_5XX = (408, 412, 431, 499, 501, 503, 504)
EXCEPTIONS: Mapping[str, Exceptions] = {
    "python": Exceptions(
        "InternalServerError",
        "APIStatusError",
        _STAINLESS_TABLE,
        {**_STAINLESS_SPECIFIC, 501: ("HTTPNotImplementedError",)},
        {**_mapped((0, 109, 0), 409, 413, 529), **_mapped((2, 5, 0), *_LATER_4XX_5XX), 402: (2, 10, 0)},
    ),
    "typescript": Exceptions(
        "InternalServerError",
        "APIError",
        _STAINLESS_TABLE,
        {**_STAINLESS_SPECIFIC, 501: ("NotImplementedError",)},
        {409: (0, 104, 0), **_mapped((1, 5, 0), 413, 529, *_LATER_4XX_5XX), 402: (1, 10, 0)},
    ),
    "java": Exceptions(
        "InternalServerException",
        "UnexpectedStatusCodeException",
        {
            400: "BadRequestException",
            401: "UnauthorizedException",
            403: "PermissionDeniedException",
            404: "NotFoundException",
            422: "UnprocessableEntityException",
            429: "RateLimitException",
        },
        {
            402: ("PaymentRequiredException",),
            408: ("RequestTimeoutException",),
            409: ("ConflictException",),
            412: ("PreconditionFailedException",),
            413: ("ContentTooLargeException",),
            431: ("RequestHeaderFieldsTooLargeException",),
            499: ("ClientClosedRequestException",),
            501: ("NotImplementedException",),
            503: ("ServiceUnavailableException",),
            504: ("GatewayTimeoutException",),
            529: ("OverloadedException",),
        },
        {**_mapped((3, 5, 0), 409, 413, 529, *_LATER_4XX_5XX), 402: (3, 10, 0)},
    ),
    # One error type for every status (`*anthropic.Error`, an alias of apierror.Error); users
    # tell statuses apart by its StatusCode, which client.error.status checks.
    "go": Exceptions("*apierror.Error", "*apierror.Error"),
}


def documented_exceptions(language: str | None) -> Exceptions | None:
    return EXCEPTIONS.get(language or "")


def _read_as(
    case: ClientCase, table: Mapping[str, frozenset[str]], pointers: list[str]
) -> list[Found] | None:
    """Each value at `pointers` the SDK read is of a type `table` allows for its language;
    None when there is nothing typed to judge (no types, no entry, no such value read)."""
    run = served_run(case)
    answer = case.call.answer
    allowed = table.get(case.call.language or "")
    if run is None or answer is None or answer.get("outcome") != "ok" or allowed is None:
        return None
    types = answer.get("types")
    if not isinstance(types, dict):
        return None
    findings: list[Found] = []
    judged = False
    for pointer in pointers:
        held = types.get(pointer)
        if held is None or held == UNREADABLE or _edge_labelled(case, pointer):
            continue  # no value, a value that could not be read (the parse's finding), or a rare one
        judged = True
        if held not in allowed:
            expected = " or ".join(sorted(allowed))
            findings.append(
                (pointer, f"Received: {show(held)} / Expected: {expected} ({case.call.language})")
            )
    return findings if judged else None


def _edge_labelled(case: ClientCase, pointer: str) -> bool:
    """The served value at `pointer` is of an EDGE class: how the SDK holds it is that class's."""
    return any(
        rid in EDGE_EXCUSES and any(p == "" or pointer == p or pointer.startswith(p + "/") for p in where)
        for rid, where in case.edge_labels.items()
    )


def _pointer(path: tuple[str, ...]) -> str:
    return "".join("/" + part for part in path)


@PARSE.register("client.parse.timestamp-type")
def check_timestamp_type(case: ClientCase) -> list[Found] | None:
    return _read_as(case, DATE_TIME_TYPES, [_pointer(p) for p in case.facts.timestamp_paths])


@PARSE.register("client.parse.version-type")
def check_version_type(case: ClientCase) -> list[Found] | None:
    return _read_as(case, INTEGER_TYPES, [_pointer(p) for p in case.facts.int64_paths])


@ANSWER.register("client.error.exception")
def check_exception_class(case: ClientCase) -> list[Found] | None:
    call = case.call
    exceptions = documented_exceptions(call.language)
    if served_error(case) is None or call.outcome != "api_error" or call.answer is None or exceptions is None:
        return None
    raised = call.answer.get("exception")
    if not isinstance(raised, str):
        return None  # an older harness: it names no exception
    expected = exceptions.expected(call.status, call.release)
    if raised in expected:
        return []
    wanted = " or ".join(sorted(expected))
    return [("", f"Received: {raised} for the HTTP {call.status} served / Expected: {wanted}")]
