"""A deliberately misbehaving harness (as Bowtie's fauxmplementations): `--mode MODE` picks how.

garbage      answers each run with a line that is not JSON
off-schema   answers a run with JSON that breaks spec/harness (an unknown outcome)
wrong-seq    answers a run with another seq
hang         never answers a run
die          exits with status 3 on the first run, after a word on standard error
refuse       answers start with ok: false
no-start     exits before answering start
chatty       writes a log line to standard output before every answer
skip-all     answers every run with outcome skipped (the SDK can express nothing)
crash        raises before reading anything (a traceback on standard error, status 1)
exit-mid-run answers two runs, then exits with status 0 when the third arrives
out-of-order from the second run on, answers the run before first (a stale seq)
huge-line    answers a run with one line of 65 MiB (over the suite's 64 MiB cap)
endless      answers a run with lines that are not JSON, without end
bad-types    answers a run ok, with `types` a list of pointers instead of a map to type names
"""

from __future__ import annotations

import json
import sys
import time

MODE = sys.argv[sys.argv.index("--mode") + 1]


def answer(message: object) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main() -> int:
    if MODE == "crash":
        raise RuntimeError("the SDK failed to import (pretend)")
    runs = 0
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "stop":
            return 0
        if command["cmd"] == "start":
            if MODE == "no-start":
                return 1
            if MODE == "refuse":
                answer({"ok": False, "message": "this harness refuses to run"})
                continue
            answer(
                {"ok": True, "implementation": {"name": "misbehaving", "version": MODE, "language": "python"}}
            )
            continue
        seq = command["seq"]
        runs += 1
        if MODE == "garbage":
            sys.stdout.write("this is not JSON\n")
            sys.stdout.flush()
        elif MODE == "off-schema":
            answer({"seq": seq, "outcome": "maybe"})
        elif MODE == "wrong-seq":
            answer({"seq": seq + 1000, "outcome": "client_error", "message": "x"})
        elif MODE == "hang":
            time.sleep(3600)
        elif MODE == "die":
            sys.stderr.write("segmentation fault (pretend)\n")
            sys.stderr.flush()
            return 3
        elif MODE == "skip-all":
            answer({"seq": seq, "outcome": "skipped", "message": "this SDK release cannot express it"})
        elif MODE == "exit-mid-run":
            if runs == 3:
                return 0
            answer({"seq": seq, "outcome": "client_error", "message": "x"})
        elif MODE == "out-of-order":
            if runs > 1:
                answer({"seq": seq - 1, "outcome": "client_error", "message": "x"})
            answer({"seq": seq, "outcome": "client_error", "message": "x"})
        elif MODE == "huge-line":
            sys.stdout.write("x" * (65 * 1024 * 1024) + "\n")
            sys.stdout.flush()
        elif MODE == "endless":
            while True:
                sys.stdout.write("[log] still calling the SDK\n")
        elif MODE == "bad-types":
            answer({"seq": seq, "outcome": "ok", "run": {"id": "drun_1"}, "types": ["/id"]})
        elif MODE == "chatty":
            sys.stdout.write("[log] calling the SDK\n")
            answer({"seq": seq, "outcome": "client_error", "message": "x"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
