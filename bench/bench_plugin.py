"""What the idle drun plugin costs every pytest run of the project it is installed into.

Times `python -m pytest -q` on a one-test project, with the plugin (as installed) and without
it (`-p no:drun`: pytest does not import it), rounds interleaved so both see the same machine.

    python bench/bench_plugin.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _pytest_seconds(project: Path, *flags: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags],
        cwd=project,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "test_empty.py").write_text("def test_empty():\n    pass\n")
        _pytest_seconds(project)  # warm the file system caches for both
        with_plugin, without = [], []
        for _ in range(rounds):
            with_plugin.append(_pytest_seconds(project))
            without.append(_pytest_seconds(project, "-p", "no:drun"))
    a, b = statistics.median(with_plugin), statistics.median(without)
    print(f"pytest on one empty test, {rounds} interleaved rounds, medians:")
    print(f"  with the drun plugin (idle): {a * 1000:.0f} ms")
    print(f"  without it (-p no:drun):     {b * 1000:.0f} ms")
    print(f"  ratio: {a / b:.3f}x")


if __name__ == "__main__":
    main()
