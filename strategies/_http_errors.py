"""http_errors(): the API's error answers, as a mock server sends them."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st

from ._contract import contract
from ._validation import check_subset
from ._values import messages, prefixed_ids

__all__ = ["HttpError", "http_errors"]


@dataclass(frozen=True, slots=True)
class HttpError:
    """One error answer: status, the API's error type for it, message, and the optional
    `request-id` and `retry-after` headers."""

    status: int
    error_type: str
    message: str
    request_id: str | None = None
    retry_after: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.request_id is not None:
            headers["request-id"] = self.request_id
        if self.retry_after is not None:
            headers["retry-after"] = self.retry_after
        return headers

    @property
    def body(self) -> dict[str, Any]:
        """The API's error envelope (`request_id` in the body too when the header has it)."""
        body: dict[str, Any] = {
            "type": "error",
            "error": {"type": self.error_type, "message": self.message},
        }
        if self.request_id is not None:
            body["request_id"] = self.request_id
        return body

    @property
    def content(self) -> bytes:
        return json.dumps(self.body).encode()


def _error(status: int, message: str, request_id: str | None, retry_after: str | None) -> HttpError:
    return HttpError(status, contract().http_error_types[status], message, request_id, retry_after)


@cache
def _http_errors(statuses: tuple[int, ...]) -> st.SearchStrategy[HttpError]:
    return st.builds(
        _error,
        st.sampled_from(statuses),
        messages(),
        st.one_of(st.none(), prefixed_ids("req_")),
        st.one_of(st.none(), st.integers(0, 120).map(str)),
    )


def http_errors(*, statuses: Collection[int] | None = None) -> st.SearchStrategy[HttpError]:
    """Error answers in the API's envelope, as `HttpError(status, error_type, message,
    request_id, retry_after)`, for 400, 401, 403, 404, 413, 429, 500 and 529 (the statuses
    and their error types come from the catalog's conventions; `statuses` narrows them).

    `.headers` has `content-type: application/json`, and `request-id` and `retry-after`
    each present or not; `.body` is `{"type": "error", "error": {"type", "message"},
    "request_id"}`; `.content` its JSON bytes.

    >>> http_errors(statuses=[429]).example()
    HttpError(status=429, error_type='rate_limit_error', message='Slow down',
              request_id='req_0000000000000000000003Xb', retry_after='30')

    Compiled once per `statuses` and cached. Shrinks towards the first status (400), a
    one-character message, and neither header.
    """
    chosen = check_subset(statuses, contract().http_error_types, "statuses")
    return _http_errors(chosen)
