"""requests(): the arguments of one Run Deployment Now call, as an SDK or a prober makes it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

from hypothesis import strategies as st

from ._contract import contract
from ._validation import check_strategy
from ._values import evenly, plain_text, prefixed_ids

__all__ = ["RunRequest", "deployment_ids", "requests"]

_RESERVED = ("/", "?", "#", "%", " ", "%2F", "+", "&", "=", ";", "..")
_NON_ASCII = ("é", "ü", "中", "😀", "ß", "\u00a0", "д")
_MOST_BETAS = 5  # a header joins five as it joins sixty; each one more is a draw in every case


@dataclass(frozen=True, slots=True)
class RunRequest:
    """One call: which deployment, which betas (None: the caller passes no betas argument;
    the SDK still sends the beta the operation needs), and an optional workspace id."""

    deployment_id: str
    betas: tuple[str, ...] | None = None
    workspace_id: str | None = None

    @property
    def path(self) -> str:
        """The request path, with the id percent-encoded as one path segment."""
        return f"/v1/deployments/{quote(self.deployment_id, safe='')}/run"

    @property
    def expected_betas(self) -> frozenset[str]:
        """What the `anthropic-beta` header must carry: the operation's beta and every
        requested one."""
        return frozenset((contract().required_beta, *(self.betas or ())))


def _insert(base: str, piece: str, at: int) -> str:
    at %= len(base) + 1
    return base[:at] + piece + base[at:]


@cache
def deployment_ids() -> st.SearchStrategy[str]:
    """Deployment ids: realistic (`depl_…`), with a character a URL must escape (`/ ? # %`,
    a space, ...), with non-ASCII text, 1,000 characters long, or any printable text.
    Never empty (the path parameter has minLength 1). Shrinks to depl_ and 24 zeros."""
    realistic = prefixed_ids("depl_")
    return st.one_of(
        realistic,
        st.builds(_insert, realistic, st.sampled_from(_RESERVED), st.integers(0, 64)),
        st.builds(_insert, realistic, st.sampled_from(_NON_ASCII), st.integers(0, 64)),
        st.builds(lambda unit: (unit * 1000)[:1000], plain_text(min_size=1, max_size=4)),
        st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=30).filter(
            lambda text: text not in (".", "..")
        ),  # dot segments: no encoding keeps them
    )


@cache
def _betas() -> st.SearchStrategy[tuple[str, ...] | None]:
    known = evenly(contract().betas)
    unknown = st.builds(
        lambda word, year: f"{word}-{year}-01-01",
        st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz-"), min_size=1, max_size=12).filter(
            lambda w: not w.startswith("-")
        ),
        st.integers(2024, 2030),
    ).filter(lambda name: name not in contract().betas)
    return st.one_of(
        st.none(),
        st.just(()),
        st.lists(known, unique=True, max_size=_MOST_BETAS).map(tuple),
        st.lists(st.one_of(known, unknown), unique=True, min_size=1, max_size=5).map(tuple),
    )


@cache
def _requests(ids: st.SearchStrategy[str]) -> st.SearchStrategy[RunRequest]:
    return st.builds(
        RunRequest,
        deployment_id=ids,
        betas=_betas(),
        workspace_id=st.one_of(st.none(), prefixed_ids("wrkspc_")),
    )


def requests(*, deployment_ids: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[RunRequest]:
    """The arguments of one Run Deployment Now call, as `RunRequest(deployment_id, betas,
    workspace_id)`.

    - `deployment_id`: realistic, or with `/ ? # %` or a space (the SDK must escape them),
      non-ASCII, 1,000 characters long, or any printable text (see `deployment_ids`); pass
      `deployment_ids=st.sampled_from([...])` to call your own deployments instead;
    - `betas`: None (no betas argument), the empty list, up to five of the page's
      `anthropic-beta` values in random order (read from spec/openapi.yaml), or lists
      mixing in unknown values shaped like real ones (`feature-2027-01-01`);
    - `workspace_id`: None or a `wrkspc_…` id.

    `RunRequest.path` is the path the call must use, `expected_betas` what its
    `anthropic-beta` header must carry.

    >>> requests().example()
    RunRequest(deployment_id='depl_000000000000000000000%0c', betas=('files-api-2025-04-14',
               'managed-agents-2026-04-01'), workspace_id=None)

    Compiled once per argument and cached. Shrinks towards a realistic id of zeros, no
    betas argument and no workspace.
    """
    ids = _default_ids() if deployment_ids is None else check_strategy(deployment_ids, "deployment_ids")
    return _requests(ids)


def _default_ids() -> st.SearchStrategy[str]:
    return deployment_ids()
