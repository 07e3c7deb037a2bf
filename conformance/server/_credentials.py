"""Wrong credentials in every form the official SDKs send them: `x-api-key: KEY` and
`Authorization: Bearer KEY`, each with a made-up key, with near misses of the real key (its
case changed, one character changed, a prefix of it, it with more after it, with a word after a
space), and with the header sent empty. None may create a run; each is a request that creates
none on a conformant server.

The near misses are derived from the real key: they are secrets too (a server that quotes the
key it was sent would quote most of the real one), so `secrets_of` names them for the reports'
final pass, and the runner scrubs what it keeps of their answers.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

__all__ = ["CredentialProbe", "credential_probes", "secrets_of"]


@dataclass(frozen=True, slots=True)
class CredentialProbe:
    """One wrong credential: what it is, in words, and the headers that carry it. `key_wrong`:
    a key is presented (http.auth.wrong-key.*); else the header is there, empty (http.auth.*)."""

    what: str
    headers: dict[str, str]
    key_wrong: bool = True


def _near_misses(key: str) -> list[tuple[str, str]]:
    """(what, key) for each near miss of `key` that differs from it, in the order probed: the
    faults real servers have (a comparison that folds case or reads a prefix) first."""
    last = key[-1:]
    changed = "b" if last == "a" else "a"
    misses = [
        ("the key with its case changed", key.swapcase()),
        ("the key with more after it", key + "x"),
        ("the key with a word after a space", key + " x"),
        ("the key with its last character changed", key[:-1] + changed),
        ("a prefix of the key", key[:-1]),
    ]
    kept: dict[str, str] = {}
    for what, miss in misses:
        if miss.strip() and miss != key and miss not in kept.values():
            kept[what] = miss
    return list(kept.items())


def credential_probes(key: str | None) -> list[CredentialProbe]:
    """The wrong credentials to send beside the one made-up `x-api-key` the plan opens with:
    a made-up key as a Bearer token, each near miss of `key` in both forms (none when no key is
    known), then each form sent empty."""
    made_up = f"drun-conformance-wrong-key-{secrets.token_hex(8)}"
    probes = [CredentialProbe("a made-up key as a Bearer token", {"authorization": f"Bearer {made_up}"})]
    for what, miss in _near_misses(key) if key else ():
        probes.append(CredentialProbe(f"x-api-key: {what}", {"x-api-key": miss}))
        probes.append(CredentialProbe(f"Authorization: Bearer {what}", {"authorization": f"Bearer {miss}"}))
    probes.append(CredentialProbe("Authorization: Bearer, no token", {"authorization": "Bearer"}, False))
    probes.append(CredentialProbe("x-api-key sent empty", {"x-api-key": ""}, False))
    return probes


def secrets_of(key: str | None) -> list[str]:
    """Every key a run with `key` may send that tells something of it: it and its near misses."""
    return [key, *(miss for _, miss in _near_misses(key))] if key else []
