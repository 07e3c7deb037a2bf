"""What one SDK gate run is asked to do: the options `client`, `run` and the pytest plugin pass."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_EXAMPLES", "ClientOptions"]

DEFAULT_EXAMPLES = 100


@dataclass(frozen=True, slots=True)
class ClientOptions:
    sdk: str | None = None  # "python", "python@2.10.0", "typescript"
    harness: str | None = None  # any command speaking the protocol (shell words)
    examples: int = DEFAULT_EXAMPLES
    seed: int | None = None
    strict: bool = False
    call_timeout: float = 20.0
    start_timeout: float = 120.0
    coverage: bool = True  # run the coverage cases first
    shrink_calls: int = 150  # per failed requirement
    shrink_seconds: float = 60.0  # for all of them
    expectations: bool = True  # apply an expectations file: the shipped SDK's, or expectations_file
    expectations_file: str | None = None  # --expectations FILE: in place of the shipped SDK's
    record_expectations: bool = False  # --record-expectations: write what failed into that file
    baseline: str | None = None  # --baseline NAME@SPEC: the release the candidate is compared with
    # (check_client runs it first unless given its result)
