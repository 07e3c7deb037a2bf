"""write_reports: results.json, junit.xml and report.html, redacted, each written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from drun_conformance._errors import InputError
from drun_conformance._secrets import Redactor
from drun_conformance.results import RunResults

from ._html import render_html
from ._junit import render_junit

__all__ = ["REPORT_FILES", "redact_results", "write_reports"]

REPORT_FILES = ("results.json", "junit.xml", "report.html")


def redact_results(results: RunResults, secrets: Iterable[str] = ()) -> RunResults:
    """A copy of `results` with every credential replaced (headers, argv, any known key)."""
    redactor = Redactor(secrets)
    data = results.model_dump(mode="json")
    data["command"] = redactor.argv(data["command"])
    return RunResults.model_validate(redactor.data(data))


def write_reports(results: RunResults, report_dir: Path, *, secrets: Iterable[str] = ()) -> None:
    """Write report_dir/results.json, junit.xml and report.html for `results`.

    `secrets` are API keys the run used: no file will contain them (nor x-api-key or
    authorization values, nor `$ANTHROPIC_API_KEY`'s value), even if a runner forgot to
    redact. Each file is written to a temporary name and renamed, so an interrupted run
    leaves the previous file or the new one, never half of one. All three are rendered
    before any is written, so a rendering fault leaves the previous set untouched.
    """
    redactor = Redactor(secrets)
    safe = redact_results(results, redactor.secrets)
    texts = {
        "results.json": redactor.scrub(safe.model_dump_json(indent=2) + "\n"),
        "junit.xml": redactor.scrub(render_junit(safe), markup=True),
        "report.html": redactor.scrub(render_html(safe), markup=True),
    }
    report_dir = Path(report_dir)
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            _atomic_write(report_dir / name, texts[name])
    except OSError as exc:
        raise InputError(f"cannot write the report to {report_dir}: {exc.strerror or exc}") from exc


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; CI artifact uploaders run as other users
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
