"""Which operation an exchange through the proxy is, and its answer's body as judged."""

from __future__ import annotations

import zlib

from ._forward import Seen

__all__ = ["decoded", "operation"]


def operation(method: str, path: str) -> tuple[str, str]:
    """(run-now | read-back | listing | other, the id in the path)."""
    parts = path.split("/")
    if len(parts) == 5 and parts[1:3] == ["v1", "deployments"] and parts[4] == "run":
        return "run-now", parts[3]
    if method == "GET" and parts[1:3] == ["v1", "deployment_runs"]:
        if len(parts) == 3:
            return "listing", ""
        if len(parts) == 4:
            return "read-back", parts[3]
    return "other", ""


def decoded(seen: Seen) -> bytes | None:
    """The answer's body without its content-encoding; None when it cannot be judged."""
    if seen.response_truncated:
        return None
    encoding = seen.response_headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return seen.response_body
    if encoding not in ("gzip", "deflate"):
        return None
    try:
        inflate = zlib.decompressobj(wbits=47)  # 47: gzip or zlib, by the header
        return inflate.decompress(seen.response_body, 16 * 1024 * 1024)
    except zlib.error:
        return None
