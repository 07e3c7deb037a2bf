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
        elif MODE == "chatty":
            sys.stdout.write("[log] calling the SDK\n")
            answer({"seq": seq, "outcome": "client_error", "message": "x"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
