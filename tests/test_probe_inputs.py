"""What the sharper probes send: wrong credentials in both forms the SDKs use, near misses of
the real key among them, and unknown ids that a lax router folds back onto a given one."""

from __future__ import annotations

import posixpath
import unicodedata
from urllib.parse import unquote

from drun_conformance.server._credentials import credential_probes, secrets_of
from drun_conformance.server._lookalikes import lookalike_ids
from drun_conformance.server.reference import run_path

KEY = "sk-drun-reference-key"


def test_every_near_miss_is_sent_in_both_forms_and_none_is_the_key() -> None:
    probes = credential_probes(KEY)
    keys = [p.headers.get("x-api-key") for p in probes if "x-api-key" in p.headers]
    tokens = [p.headers["authorization"].partition(" ")[2] for p in probes if "authorization" in p.headers]
    misses = secrets_of(KEY)[1:]
    assert misses and KEY not in keys + tokens and secrets_of(KEY)[0] == KEY
    assert set(misses) <= set(keys) and set(misses) <= set(tokens)
    assert {KEY.swapcase(), KEY[:-1], KEY + "x"} <= set(misses)
    empty = [p for p in probes if p.headers in ({"x-api-key": ""}, {"authorization": "Bearer"})]
    assert len(empty) == 2 and not any(p.key_wrong for p in empty)


def test_without_a_key_only_made_up_and_empty_credentials_are_sent() -> None:
    probes = credential_probes(None)
    assert secrets_of(None) == [] and len(probes) == 3
    assert all(KEY not in value for p in probes for value in p.headers.values())


def test_each_lookalike_is_another_id_that_some_fold_maps_back_onto_the_given_one() -> None:
    given = "depl_ok"
    folds = (
        str.swapcase,
        unquote,
        lambda i: posixpath.normpath("/" + i).lstrip("/"),
        lambda i: i.strip().split(";")[0].split("\x00")[0].rstrip("/"),
        lambda i: unicodedata.normalize("NFKC", i),
        lambda i: i[:-1],
    )
    made = lookalike_ids(given)
    assert len({ident for _, ident in made}) == len(made) >= 8
    for what, ident in made:
        assert ident != given, what
        assert any(fold(ident) == given for fold in folds), what
        assert given.encode() not in run_path(ident).encode().split(b"/")[3:4], what  # sent encoded
