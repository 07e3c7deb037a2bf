"""The secrets module: where a request carries a key, and how text and data are kept free of
one (every written form of a known key, inline credentials, key-shaped strings), and the
bounded ring of keys a long-running proxy remembers."""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import quote

import pytest

from drun_conformance._secrets import (
    MARK,
    KeyRing,
    Redactor,
    credentials_in_request,
    presented_keys,
    redact_headers,
)

KEY = "k3y-0123456789abcdef"
SHAPED = "sk-ant-api03-AbCdEf_GhIjKl-MnOp"


@pytest.fixture(autouse=True)
def _no_key_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)


def test_the_keys_a_request_presents_as_the_api_reads_them() -> None:
    assert presented_keys({"x-api-key": f" {KEY} "}) == (KEY,)
    assert presented_keys({"authorization": f"Bearer {KEY}"}) == (KEY,)
    assert presented_keys({"x-api-key": "a", "authorization": "bearer b"}) == ("a", "b")
    assert presented_keys({"authorization": f"Basic {KEY}", "x-api-key": " "}) == ()


def test_credential_headers_are_redacted_whatever_their_case() -> None:
    shown = redact_headers(
        {"X-Api-Key": KEY, "Authorization": "Bearer x", "proxy-authorization": "p", "a": KEY}
    )
    assert shown == {"X-Api-Key": MARK, "Authorization": MARK, "proxy-authorization": MARK, "a": KEY}


@pytest.mark.parametrize(
    ("target", "headers", "body"),
    [
        ("/run", {"x-api-key": KEY}, b""),
        ("/run", {"Authorization": f"Bearer {KEY}"}, b""),
        ("/run", {"authorization": "Basic " + base64.b64encode(f"user:{KEY}".encode()).decode()}, b""),
        ("/run", {"proxy-authorization": KEY}, b""),
        ("/run?x=1&api_key=" + KEY, {}, b""),
        ("/run?Access-Token=" + KEY, {}, b""),
        ("/run", {"cookie": f"session=1; token={KEY}"}, b""),
        ("/run", {}, f"api_key={KEY}&x=1".encode()),
        ("/run", {}, json.dumps({"outer": [{"x_api_key": KEY}]}).encode()),
    ],
    ids=["x-api-key", "bearer", "basic", "proxy", "query", "query-case", "cookie", "form", "json"],
)
def test_every_credential_a_request_carries_is_found(
    target: str, headers: dict[str, str], body: bytes
) -> None:
    assert KEY in credentials_in_request(target, headers, body)


def test_values_not_named_like_a_key_are_not_credentials() -> None:
    found = credentials_in_request("/run?note=hello", {"user-agent": KEY}, b'{"message": "hi"}')
    assert found == set()
    assert credentials_in_request("/run", {}, b"\xff not utf-8") == set()


def test_a_known_key_is_replaced_in_every_written_form() -> None:
    key = 'k"ey/with <odd> chars&1'  # a key whose written forms all differ
    forms = [key, json.dumps(key)[1:-1], html.escape(key), quote(key, safe=""), quote(key)]
    assert len(set(forms)) == 5
    redactor = Redactor([key])
    for form in forms:
        assert redactor.text(f"before {form} after") == f"before {MARK} after", form


def test_inline_credentials_and_key_shaped_strings_go_even_unknown() -> None:
    redactor = Redactor()
    assert redactor.text("curl -H 'x-api-key: abc123' url") == f"curl -H 'x-api-key: {MARK}' url"
    assert redactor.text('{"authorization": "Bearer abc123"}') == f'{{"authorization": "Bearer {MARK}"}}'
    assert redactor.text("GET /v1/runs?api_key=abc123&x=1") == f"GET /v1/runs?api_key={MARK}&x=1"
    assert redactor.text(f"user agent with {SHAPED} inside") == f"user agent with {MARK} inside"
    assert redactor.text('-H "x-api-key: $ANTHROPIC_API_KEY"') == '-H "x-api-key: $ANTHROPIC_API_KEY"'


def test_a_short_key_only_goes_where_a_whole_value_equals_it() -> None:
    redactor = Redactor(["k1"])
    assert redactor.text("k1") == MARK and redactor.text("walk1 k1") == "walk1 k1"


def test_data_is_scrubbed_in_values_names_and_header_pairs() -> None:
    redactor = Redactor([KEY])
    data = {
        "x-api-key": "anything",
        KEY: [KEY, ("authorization", "Bearer z"), 7, None],
        "n": {"m": f"a {KEY}"},
    }
    assert redactor.data(data) == {
        "x-api-key": MARK,
        MARK: [MARK, ["authorization", MARK], 7, None],
        "n": {"m": f"a {MARK}"},
    }


def test_argv_hides_key_flags_and_known_keys() -> None:
    redactor = Redactor([KEY])
    argv = ["server", "--api-key", "plain", "--drun-api-key=other", "--x", f"v{KEY}"]
    assert redactor.argv(argv) == ["server", "--api-key", MARK, f"--drun-api-key={MARK}", "--x", f"v{MARK}"]


def test_scrub_escapes_its_mark_in_markup_and_knows_the_environment_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    rendered = f"<td>{html.escape(KEY)}</td><td>{SHAPED}</td>"
    assert (
        Redactor().scrub(rendered, markup=True) == f"<td>{html.escape(MARK)}</td><td>{html.escape(MARK)}</td>"
    )


def test_a_key_that_contains_another_is_replaced_whole() -> None:
    assert Redactor(["abcdef", "abcdefghij"]).text("xabcdefghijx") == f"x{MARK}x"


def test_the_ring_keeps_the_most_recent_keys_and_counts_the_forgotten() -> None:
    ring = KeyRing(most=2)
    first = ring.saw(["key-one-111", "key-two-222"])
    assert first.secrets == {"key-one-111", "key-two-222"}
    ring.saw(["key-one-111"])  # used again: now the most recent
    ring.saw(["key-three-333"])  # the least recent, key-two, goes
    assert ring.secrets == {"key-one-111", "key-three-333"} and ring.forgotten == 1
    assert ring.saw([]) is ring.redactor  # nothing new: the same redactor, no rebuild


def test_the_ring_scrubs_all_of_one_request_even_past_its_size() -> None:
    ring = KeyRing(most=2)
    keys = [f"request-key-{n:04d}" for n in range(5)]
    redactor = ring.saw(keys)
    assert all(MARK == redactor.text(key) for key in keys)
    assert len(ring.secrets) == 2
