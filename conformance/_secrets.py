"""Credentials: where a request carries a key, and how every output is kept free of one.

The one place that names them. The runners redact the headers they record
(`redact_headers`), the oracle reads the key a request presents (`presented_keys`), the proxy
collects every credential a request carries wherever it is (`credentials_in_request`), and
the report writer and every console line pass through a `Redactor`, the last line of
defence: one missed spot (a curl line, an argv, a server's error message quoting the key, a
key in a query string) would leak a key into a CI artifact anyone with read access can fetch.
A process that sees keys for days (the proxy) keeps the most recent ones in a `KeyRing`.
"""

from __future__ import annotations

import base64
import binascii
import html
import json
import os
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote

__all__ = [
    "CREDENTIAL_HEADERS",
    "MARK",
    "SECRET_FLAGS",
    "KeyRing",
    "Redactor",
    "credentials_in_request",
    "presented_keys",
    "redact_headers",
]

MARK = "<redacted>"
# Headers whose whole value is a credential: the API's two key forms, and a proxy's.
CREDENTIAL_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization"})
# Command-line flags whose value is a key (the CLI's and the pytest plugin's).
SECRET_FLAGS = ("--api-key", "--drun-api-key")
# Names (lower-case, without "-" and "_") under which a query, a form or a JSON body carries a key.
_KEY_NAMES = frozenset(
    {"apikey", "xapikey", "key", "token", "accesstoken", "authorization", "auth", "secret", "password"}
)
# Names that are secret wherever they appear as a key of JSON-like data (headers, HAR pairs).
_SECRET_NAMES = CREDENTIAL_HEADERS | {"api_key", "api-key", "apikey"}
# "x-api-key: abc", "authorization: Bearer abc", '"x-api-key": "abc"', "x-api-key=abc".
_INLINE = re.compile(
    r"(?i)\b(x-api-key|proxy-authorization|authorization)"
    r"([\"']?\s*[:=]\s*[\"']?)((?:bearer|basic)\s+)?([^\s'\",;}\]]+)"
)
# "?api_key=abc", "&token=abc" in a URL or a query string.
_IN_QUERY = re.compile(r"(?i)([?&;](?:x[-_]?)?(?:api[-_]?key|key|token|access[-_]?token)=)([^&#\s'\"<>]+)")
# Anthropic API keys by their shape: redacted wherever they appear, known or not.
_SHAPED = re.compile(r"sk-ant-[A-Za-z0-9_-]{6,}")
# Shorter keys are only redacted where a whole string equals them: replacing every "k" or
# "test" inside a report would destroy it and protect nothing real.
_MIN_SUBSTRING = 6


def presented_keys(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The API keys a request presents, as the API reads them (`headers` with lower-case
    names): `x-api-key`, then the token of `Authorization: Bearer`."""
    keys = []
    if key := headers.get("x-api-key", "").strip():
        keys.append(key)
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        keys.append(token.strip())
    return tuple(keys)


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers safe to write anywhere: every credential header's value replaced by the mark."""
    return {k: (MARK if k.lower() in CREDENTIAL_HEADERS else v) for k, v in headers.items()}


def credentials_in_request(target: str, headers: Mapping[str, str], body: bytes = b"") -> set[str]:
    """Every credential a request carries, wherever it put it: the credential headers (the
    token after a scheme; Basic's password decoded), and values named like a key in the query
    string, a cookie, a form or a JSON body. `target` is the path and query as sent."""
    found: set[str] = set()
    for name, value in headers.items():
        if name.lower() in CREDENTIAL_HEADERS:
            found.update(_header_credentials(value))
        elif name.lower() == "cookie":
            found.update(v for n, v in _cookie_pairs(value) if _named_like_a_key(n))
    _, _, query = target.partition("?")
    found.update(v for n, v in parse_qsl(query, keep_blank_values=False) if _named_like_a_key(n))
    if body:
        found.update(_body_credentials(body))
    return {f for f in found if f.strip()}


def _header_credentials(value: str) -> Iterator[str]:
    value = value.strip()
    yield value
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if not token:
        return
    yield token
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(token, validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return
        yield from (user, password) if password else (user,)


def _cookie_pairs(value: str) -> Iterator[tuple[str, str]]:
    for part in value.split(";"):
        name, sep, cookie = part.strip().partition("=")
        if sep:
            yield name, cookie


def _body_credentials(body: bytes) -> Iterator[str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        data = json.loads(text)
    except ValueError:
        yield from (v for n, v in parse_qsl(text) if _named_like_a_key(n))
        return
    yield from _named_values(data)


def _named_values(data: Any) -> Iterator[str]:
    """Strings held under a key-like name anywhere in JSON data."""
    if isinstance(data, dict):
        for name, value in data.items():
            if isinstance(value, str) and _named_like_a_key(name):
                yield value
            else:
                yield from _named_values(value)
    elif isinstance(data, list):
        for item in data:
            yield from _named_values(item)


def _named_like_a_key(name: str) -> bool:
    return name.lower().replace("-", "").replace("_", "") in _KEY_NAMES


class Redactor:
    """Replaces credentials in JSON-like data and in rendered text.

    `secrets` are the keys known to the caller; the value of `$ANTHROPIC_API_KEY` is always
    added, since that is where the CLI and the plugin take their default key from. Inline
    credentials (a credential header written out, a key in a query string) and strings shaped
    like an Anthropic API key (`sk-ant-...`) are replaced even when their value is unknown.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        found = {s for s in secrets if s}
        env = os.environ.get("ANTHROPIC_API_KEY", "")
        if env:
            found.add(env)
        self.secrets = frozenset(found)
        # Every written form of every key long enough, longest first, so a key that contains
        # another is replaced whole.
        forms = {form for s in found if len(s) >= _MIN_SUBSTRING for form in _written_forms(s)}
        self._forms = sorted(forms, key=len, reverse=True)

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        """This redactor, knowing `secrets` as well (itself when they add nothing)."""
        more = {s for s in secrets if s} - self.secrets
        return Redactor(self.secrets | more) if more else self

    def data(self, value: Any) -> Any:
        """A copy of `value` (dicts, lists, strings, scalars) with every credential replaced."""
        if isinstance(value, dict):
            return {
                (self.text(k) if isinstance(k, str) else k): (
                    MARK if _is_secret_name(k) and isinstance(v, str) and v else self.data(v)
                )
                for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            if len(value) == 2 and _is_secret_name(value[0]) and isinstance(value[1], str):
                return [value[0], MARK]  # a header as a [name, value] pair (HAR, ASGI)
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def argv(self, argv: Iterable[str]) -> list[str]:
        """A command line with the value of every `--api-key` flag replaced."""
        out: list[str] = []
        hide_next = False
        for arg in argv:
            if hide_next:
                out.append(MARK)
                hide_next = False
            elif arg in SECRET_FLAGS:
                out.append(arg)
                hide_next = True
            elif arg.startswith(tuple(f"{flag}=" for flag in SECRET_FLAGS)):
                out.append(arg.split("=", 1)[0] + "=" + MARK)
            else:
                out.append(self.text(arg))
        return out

    def text(self, text: str) -> str:
        """`text` with inline credentials and every known secret (in any of its written forms)
        replaced."""
        if text in self.secrets:
            return MARK
        text = _INLINE.sub(_inline_mark, text)
        text = _IN_QUERY.sub(_query_mark, text)
        return _SHAPED.sub(MARK, self._known(text, MARK))

    def scrub(self, rendered: str, *, markup: bool = False) -> str:
        """Last line of defence on a rendered file: every known secret in any written form.

        `markup`: the file is HTML or XML, where the marker itself must be escaped.
        """
        mark = html.escape(MARK) if markup else MARK
        return _SHAPED.sub(mark, self._known(rendered, mark))

    def _known(self, text: str, mark: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, mark)
        return text


class KeyRing:
    """The credentials seen most recently (at most `most`; the oldest is forgotten first), and
    a Redactor that knows them.

    Bounded for a process that runs for days among clients that may send a new key each time.
    What it keeps is scrubbed as it is made, by a redactor that knows the keys of the very
    request it comes from (and every key still in the ring); a forgotten key only leaves the
    final pass over the rendered reports, which finds nothing left to replace.
    """

    def __init__(self, most: int = 256) -> None:
        self.most = most
        self.forgotten = 0  # keys dropped to stay within `most`
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._redactor = Redactor()

    @property
    def secrets(self) -> frozenset[str]:
        return self._redactor.secrets

    @property
    def redactor(self) -> Redactor:
        return self._redactor

    def saw(self, keys: Iterable[str]) -> Redactor:
        """Remember `keys` as the most recent; a redactor knowing them and the ring's keys."""
        keys = [k for k in keys if k]
        added = False
        for key in keys:
            if key in self._keys:
                self._keys.move_to_end(key)
            else:
                self._keys[key] = None
                added = True
        while len(self._keys) > self.most:
            self._keys.popitem(last=False)
            self.forgotten += 1
        if added:
            self._redactor = Redactor(self._keys)
        # More keys in one request than the ring holds: this request's redactor knows them all.
        return self._redactor.with_secrets(keys) if len(keys) > self.most else self._redactor


def _written_forms(secret: str) -> tuple[str, ...]:
    """A secret as text can hold it: raw, JSON-escaped (also every character as `\\uXXXX`, as a
    target may write it), HTML-escaped, percent-encoded."""
    escaped = json.dumps(secret)[1:-1]
    forms = [secret, escaped, html.escape(secret), html.escape(escaped), quote(secret, safe="")]
    forms.append(quote(secret))
    for hex_digits in ("{:04x}", "{:04X}"):
        forms.append("".join("\\u" + hex_digits.format(ord(c)) for c in secret))
    return tuple(dict.fromkeys(forms))


def _is_secret_name(name: Any) -> bool:
    return isinstance(name, str) and name.lower() in _SECRET_NAMES


def _inline_mark(match: re.Match[str]) -> str:
    value = match.group(4)
    if value.startswith(("$", "<")):  # "$ANTHROPIC_API_KEY" in a curl line, or already redacted
        return match.group(0)
    return f"{match.group(1)}{match.group(2)}{match.group(3) or ''}{MARK}"


def _query_mark(match: re.Match[str]) -> str:
    value = match.group(2)
    if value.startswith(("$", "<", "%3C")):
        return match.group(0)
    return f"{match.group(1)}{MARK}"
