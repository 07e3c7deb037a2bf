"""The load generator of the proxy benches: HTTP/1.1 written and read by hand on asyncio
streams (tens of microseconds an exchange, so the generator is never what limits), and the
processes under test started as a user starts them, their console to a file."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import TextIO

from drun_conformance.server.reference import DEFAULT_API_KEY, REQUIRED_BETA

__all__ = [
    "HEADERS",
    "Connection",
    "cpu_seconds",
    "request",
    "rss_mib",
    "started",
    "stopped",
]

HEADERS = {"x-api-key": DEFAULT_API_KEY, "anthropic-beta": REQUIRED_BETA, "anthropic-version": "2023-06-01"}
_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")
_CHUNKED = re.compile(rb"(?i)\r\ntransfer-encoding:\s*chunked")


def request(method: str, target: str, *, body: bytes = b"", agent: str = "bench-proxy/1") -> bytes:
    """A request's bytes (keep-alive; host filled in by the connection)."""
    lines = [f"{method} {target} HTTP/1.1", "host: {host}"]
    lines += [f"{name}: {value}" for name, value in HEADERS.items()]
    lines += [f"user-agent: {agent}", f"content-length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Connection:
    """One keep-alive connection to `url` (http://host:port)."""

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").rsplit(":", 1)
        self.port = int(port)
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        """Send `raw` (from `request`), read the whole answer: (status, body)."""
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(raw.replace(b"{host}", f"{self.host}:{self.port}".encode(), 1))
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = _LENGTH.search(head)
            if length is not None:
                body = await reader.readexactly(int(length.group(1)))
            elif _CHUNKED.search(head):
                body = await _chunks(reader)
            else:
                body = await reader.read()
                self.close()
        except BaseException:
            self.close()
            raise
        if b"\r\nconnection: close" in head.lower():
            self.close()
        return status, body

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append((await reader.readexactly(size + 2))[:-2])
    await reader.readuntil(b"\r\n")  # the end (no trailers)
    return b"".join(parts)


def started(argv: list[str], marker: str, console: TextIO) -> tuple[subprocess.Popen[str], str]:
    """A command started, and the URL on the first line of its output holding `marker`; the
    rest of its output drains into `console` (a file, as a console would take it)."""
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        console.write(line)
        if marker in line:
            url = next(word for word in line.split() if word.startswith("http://"))
            break
    else:
        raise SystemExit(f"{argv[:4]} did not start: no {marker!r} line")
    threading.Thread(target=shutil.copyfileobj, args=(process.stdout, console), daemon=True).start()
    return process, url


def stopped(process: subprocess.Popen[str], *, wait: float = 120.0) -> int:
    """Stop a command as Ctrl-C would, and wait until it has written all it had to."""
    process.send_signal(signal.SIGINT)
    status = process.wait(wait)
    time.sleep(0.2)  # its last output drains into the console file
    return status


def rss_mib(pid: int) -> float:
    """The resident memory of a process (Linux /proc), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for {pid}")


def cpu_seconds(*pids: int) -> float:
    """User + system CPU seconds used so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick
