"""Every faulty server of the catalogs, each caught by the server check's one requirement: the
core catalog's, the operation family's and the sharper probes'. Run as a module, it serves one
of them (or one whose answers only an SDK misreads) for a person to point a tool at:

    python -m tests.server_mutants NAME
"""

from __future__ import annotations

from tests import family_mutants, mutants, probe_mutants
from tests.mutant_kit import FaultInjector, Mutant

__all__ = ["SERVER_MUTANTS"]

SERVER_MUTANTS: tuple[Mutant, ...] = (*mutants.MUTANTS, *family_mutants.MUTANTS, *probe_mutants.MUTANTS)


def _serve(chosen: Mutant) -> None:
    """Serves `chosen` on loopback until Ctrl-C."""
    import threading

    from drun_conformance.server.reference import DEFAULT_API_KEY, create_app, serve_in_thread

    with serve_in_thread(FaultInjector(create_app(), chosen)) as url:
        print(f"{chosen.name} ({chosen.requirement}) at {url}, api key {DEFAULT_API_KEY}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    import sys

    servable = {m.name: m for m in (*SERVER_MUTANTS, *probe_mutants.ONLY_AN_SDK_MISREADS)}
    if len(sys.argv) != 2 or sys.argv[1] not in servable:
        sys.exit(f"usage: python -m tests.server_mutants NAME\nNAME: {', '.join(servable)}")
    _serve(servable[sys.argv[1]])
