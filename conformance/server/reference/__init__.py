"""The embedded reference server: Run Deployment Now over a state model, runs kept in SQLite.

In-process:   httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app()), base_url=...)
On loopback:  with serve_in_thread(create_app()) as base_url: ...
Expected:     expected_outcomes() -> ((deployment id, error type or None), ...)
Webhooks:     create_app(webhooks=WebhookSender(url, new_secret())): each run's events, signed
"""

from ._app import (
    ANY_RUN_DEPLOYMENT,
    CURSOR_HEADER,
    MAX_LIMIT,
    REQUIRED_BETA,
    START_OF_LISTING,
    create_app,
    run_path,
)
from ._scenario import DEFAULT_API_KEY, Scenario, default_scenario, load_scenario, parse_scenario
from ._serve import serve_in_thread
from ._webhooks import WebhookSender, new_secret, sign
from ._world import PRECEDENCE, ExpectedRun, expected_outcomes, run_error_types

__all__ = [
    "ANY_RUN_DEPLOYMENT",
    "CURSOR_HEADER",
    "DEFAULT_API_KEY",
    "MAX_LIMIT",
    "PRECEDENCE",
    "REQUIRED_BETA",
    "START_OF_LISTING",
    "ExpectedRun",
    "Scenario",
    "WebhookSender",
    "create_app",
    "default_scenario",
    "expected_outcomes",
    "load_scenario",
    "new_secret",
    "parse_scenario",
    "run_error_types",
    "run_path",
    "serve_in_thread",
    "sign",
]
