"""Headless Chromium for the report's own checks and screenshot: Debian's `chromium` package.

Only the tests and `scripts/screenshot_report.py` use this; a report never needs a browser.
Each call gets a fresh profile and every background service off, so the only network
traffic a page can cause is its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["chromium_path", "dump_dom", "screenshot"]

_FLAGS = (
    "--headless",
    "--no-sandbox",  # CI runs as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--mute-audio",
    # The browser's own traffic (update checks, network time, safe browsing, sign-in), so that
    # what a page fetches is all that goes out.
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--disable-breakpad",
    "--no-pings",
    "--metrics-recording-only",
    "--safebrowsing-disable-auto-update",
    "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,Translate,MediaRouter,"
    "AutofillServerCommunication,CertificateTransparencyComponentUpdater,InterestFeedContentSuggestions",
)


def chromium_path() -> str | None:
    """The browser: `$DRUN_CHROMIUM`, else /usr/bin/chromium, else `chromium` on PATH."""
    for candidate in (os.environ.get("DRUN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    browser = chromium_path()
    if browser is None:
        raise FileNotFoundError("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="drun-chromium-") as profile:
        return subprocess.run(
            [browser, *_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
            stdin=subprocess.DEVNULL,
        )


def dump_dom(url: str, *, timeout: float = 60, extra: Sequence[str] = ()) -> str:
    """The DOM after the page's scripts ran, serialised as HTML; `extra`: more browser flags."""
    return _run([*extra, "--virtual-time-budget=2000", "--dump-dom", url], timeout=timeout).stdout


def screenshot(url: str, png: Path, *, width: int = 1280, height: int = 1600, timeout: float = 60) -> None:
    """A PNG of the page's first `height` pixels at `width`, device scale 1."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            f"--window-size={width},{height}",
            "--force-device-scale-factor=1",
            "--virtual-time-budget=2000",
            f"--screenshot={png.resolve()}",
            url,
        ],
        timeout=timeout,
    )
