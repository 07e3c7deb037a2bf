"""Write reports/results.schema.json from the pydantic model (tests fail when it is stale).

python scripts/build_results_schema.py
"""

from __future__ import annotations

from drun_conformance.reports._schema import RESULTS_SCHEMA_PATH, build_results_schema

if __name__ == "__main__":
    RESULTS_SCHEMA_PATH.write_text(build_results_schema(), encoding="utf-8")
    print(f"wrote {RESULTS_SCHEMA_PATH}")
