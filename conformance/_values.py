"""What is wrong with a value a user gives (a base URL, an API key), in words, or None: one
rule for the command line's flags, the pytest plugin's options and the library's arguments."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["MAX_ID_LENGTH", "api_key_problem", "base_url_problem", "deployment_id_problem"]

# The longest deployment or run id the suite sends and its reference server takes, in characters
# (four times the longest its strategies draw, 1,000): a path holds it, written percent-encoded.
MAX_ID_LENGTH = 4096


def base_url_problem(text: str) -> str | None:
    """Why `text` is no http(s) base URL with a host (no user or password, query, fragment or spaces)."""
    try:
        parts = urlsplit(text)
        port_ok = parts.port is None or parts.port > 0
    except ValueError as exc:
        return f"{text!r} is not a URL: {exc}"
    if parts.username is not None or parts.password is not None:  # the URL is written into every report
        return "must not carry a user or password (the URL is not shown: it goes into reports and logs)"
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        return f"must be an http:// or https:// URL with a host, got {text!r}"
    if parts.query or parts.fragment or any(c.isspace() or ord(c) < 32 for c in text):
        return f"must be a base URL without query, fragment or spaces, got {text!r}"
    return None


def api_key_problem(key: str) -> str | None:
    """Why `key` cannot be sent as a header value (never quoting the key itself)."""
    if not key or not all("!" <= c <= "~" for c in key):
        return "must be printable ASCII without spaces (the value is not shown)"
    return None


def deployment_id_problem(deployment_id: str) -> str | None:
    """Why `deployment_id` cannot be a deployment to run (its value is not shown: it may be long)."""
    if not deployment_id:
        return "must not be empty"
    if len(deployment_id) > MAX_ID_LENGTH:
        return f"must be at most {MAX_ID_LENGTH:,} characters, got {len(deployment_id):,}"
    return None
