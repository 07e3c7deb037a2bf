"""An HTTP archive entry the reader cannot rely on stops the reading with where and why (exit 2
from `validate`), never a judgement of a made-up status and never a Python exception's repr."""

from __future__ import annotations

import json
from typing import Any

import pytest

from drun_conformance._errors import InputError
from drun_conformance.recorded._har import har_exchanges

URL = "https://api.example.test/v1/deployments/depl_1/run"


def _archive(**response: Any) -> bytes:
    entry = {
        "request": {"method": "POST", "url": URL, "headers": [{"name": "x-api-key", "value": "k"}]},
        "response": {"status": 200, "headers": [], "content": {"text": "{}"}, **response},
    }
    return json.dumps({"log": {"entries": [entry]}}).encode()


@pytest.mark.parametrize(
    ("response", "says"),
    [
        ({"status": True}, "response/status: True is not of type 'integer'"),
        ({"status": -1}, "response/status: -1 is less than the minimum of 100"),
        ({"status": 0}, "response/status: 0 is less than the minimum of 100"),
        ({"status": 200.5}, "response/status: 200.5 is not of type 'integer'"),
        ({"status": "200"}, "response/status: '200' is not of type 'integer'"),
        ({"status": 10**5000}, "response/status: 100000000000000000000000… (an integer of 5001 digits)"),
        ({"content": {"text": None}}, "response/content/text: None is not of type 'string'"),
        ({"headers": [{"name": "a"}]}, "response/headers/0: 'value' is a required property"),
        ({"content": {"text": "!", "encoding": "base64"}}, "Only base64 data is allowed"),
    ],
)
def test_an_entry_the_reader_cannot_rely_on_says_where(response: dict[str, Any], says: str) -> None:
    if response.get("status") == 10**5000:  # json.dumps cannot write it: spliced in as text
        data = _archive().replace(b'"status": 200', b'"status": 1' + b"0" * 5000)
    else:
        data = _archive(**response)
    with pytest.raises(InputError) as caught:
        list(har_exchanges("s.har", data))
    assert str(caught.value).startswith("s.har: entry 1 is not a HAR entry: ")
    assert says in str(caught.value)
    assert len(str(caught.value)) < 300


def test_a_sound_entry_is_read_as_its_exchange() -> None:
    [(source, exchange)] = har_exchanges("s.har", _archive(status=201))
    assert source == "s.har:1" and exchange.status == 201 and exchange.deployment_id == "depl_1"
    assert exchange.request_headers == {"x-api-key": "k"} and exchange.body == b"{}"
