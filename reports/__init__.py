"""Rendering a run's results: report.html, junit.xml, results.json, run-to-run diffs, progress.

The public API is what `__all__` lists; everything in an underscored module is private.

    write_reports(results, report_dir, secrets=())   the three report files, atomically
    load_results(path)                               a results.json, checked against its schema
    diff_results(old, new)                           regressions, fixes, new and removed
    merge_results([(name, results), ...])            one run from its shards (same seed, spec)
    render_summary(results)                          the run as Markdown, for a CI job summary
    progress(total, label)                           live progress for runners
"""

from ._diff import ResultsDiff, diff_results
from ._html import render_html
from ._junit import render_junit
from ._merge import merge_results
from ._progress import Progress, progress
from ._schema import RESULTS_SCHEMA_PATH, load_results, results_schema
from ._summary import render_summary
from ._write import REPORT_FILES, redact_results, write_reports

__all__ = [
    "REPORT_FILES",
    "RESULTS_SCHEMA_PATH",
    "Progress",
    "ResultsDiff",
    "diff_results",
    "load_results",
    "merge_results",
    "progress",
    "redact_results",
    "render_html",
    "render_junit",
    "render_summary",
    "results_schema",
    "write_reports",
]
