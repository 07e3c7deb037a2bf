"""`validate` under arbitrary input: every reader (`.json`, `.jsonl`, `.har`, standard input)
fed arbitrary bytes and structures gives a verdict (exit 0 or 1, JSON results) or exit 2 with
one clear line, never a traceback. Bounded: few examples each, no deadline."""

from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drun_conformance.cli import main

from .conftest import VALID_RUN

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
# Payloads near a DeploymentRun: the valid one with a field replaced, dropped or added.
near_runs = st.builds(
    lambda key, value, drop: {k: v for k, v in {**VALID_RUN, key: value}.items() if k != drop},
    st.sampled_from([*VALID_RUN, "extra"]),
    json_values,
    st.sampled_from([None, *VALID_RUN]),
)
# JSON text in odd encodings and with odd bytes around it.
texts = st.builds(
    lambda value, encoding, prefix: prefix + json.dumps(value, ensure_ascii=False).encode(encoding),
    json_values | near_runs,
    st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-8-sig"]),
    st.sampled_from([b"", b" ", b"\xef\xbb\xbf", b"\x00", b"\n"]),
)
documents = st.binary(max_size=300) | texts

har_leaves = json_values | st.sampled_from(
    [
        "POST",
        "https://api.example.test/v1/deployments/depl_1/run",
        "/v1/deployments/%zz/run",
        "2026-11-27T18:11:19",
        "2026-11-27T18:11:19.000Z",
        "base64",
        "!!notbase64",
        -1,
        1e308,
        10**400,
    ]
)


@st.composite
def har_entries(draw: st.DrawFn) -> Any:
    """A HAR entry shape with arbitrary leaves, so the reader gets past its first lookups."""

    def maybe(value: Any) -> Any:
        return draw(st.one_of(st.just(value), har_leaves))

    return {
        "startedDateTime": maybe("2026-11-27T18:11:19.000Z"),
        "time": maybe(120.5),
        "request": maybe(
            {
                "method": maybe("POST"),
                "url": maybe("https://api.example.test/v1/deployments/depl_1/run"),
                "headers": maybe([{"name": maybe("x-api-key"), "value": maybe("k")}]),
            }
        ),
        "response": maybe(
            {
                "status": maybe(200),
                "headers": maybe([{"name": "content-type", "value": "application/json"}]),
                "content": maybe({"text": maybe(json.dumps(VALID_RUN)), "encoding": maybe(None)}),
            }
        ),
    }


archives = st.one_of(
    json_values,
    st.builds(lambda entries: {"log": {"entries": entries}}, st.lists(har_entries(), max_size=3)),
    st.builds(lambda log: {"log": log}, json_values),
)


def _validate(*args: str, stdin: bytes = b"") -> tuple[int, bytes, str]:
    out, err = io.TextIOWrapper(io.BytesIO()), io.StringIO()
    fake_stdin = io.TextIOWrapper(io.BytesIO(stdin))
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        mock.patch.object(sys, "stdin", fake_stdin),
    ):
        status = main(["validate", "--json", *args])
    out.flush()
    return status, out.buffer.getvalue(), err.getvalue()  # type: ignore[attr-defined]


def _assert_verdict_or_clear_error(status: int, stdout: bytes, stderr: str) -> None:
    assert "Traceback" not in stderr
    if status == 2:
        assert stdout == b""
        assert stderr.startswith("drun-conformance: ") and stderr.count("\n") == 1, stderr
        return
    assert status in (0, 1), (status, stderr)
    out = json.loads(stdout)
    assert out["summary"]["payloads"] == len(out["results"]) >= 1
    assert status == (0 if all(r["conforms"] for r in out["results"]) else 1)


def _validate_file(suffix: str, data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        _assert_verdict_or_clear_error(*_validate(str(path)))


@FUZZ
@given(documents)
def test_fuzz_json_file(data: bytes) -> None:
    _validate_file(".json", data)


@FUZZ
@given(st.lists(documents | st.just(b""), max_size=5).map(b"\n".join))
def test_fuzz_jsonl_file(data: bytes) -> None:
    _validate_file(".jsonl", data)


@FUZZ
@given(st.binary(max_size=300) | archives.map(lambda a: json.dumps(a).encode()))
def test_fuzz_har_file(data: bytes) -> None:
    _validate_file(".har", data)


@FUZZ
@given(st.lists(documents | st.just(b""), max_size=5).map(b"\n".join))
def test_fuzz_standard_input(data: bytes) -> None:
    _assert_verdict_or_clear_error(*_validate("-", stdin=data))
