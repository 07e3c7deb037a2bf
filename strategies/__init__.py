"""Hypothesis strategies for Run Deployment Now, driven by the contract in spec/.

    from hypothesis import given
    from drun_conformance.strategies import edge_runs, invalid_runs, runs

    @given(runs())
    def test_my_sdk_parses_every_valid_run(payload): ...

- `runs()`: valid DeploymentRun payloads, compiled from spec/deployment_run.schema.json.
- `edge_runs()`: valid-but-rare payloads, each labelled with its edge class (`EdgeRun`).
- `invalid_runs()`: payloads breaking exactly one MUST requirement (`InvalidRun`).
- `requests()`: the arguments of one call (`RunRequest`).
- `http_errors()`: the API's error answers (`HttpError`).
- `webhook_events()`: valid webhook events of the family (`deployment_run.started`, ...),
  compiled from spec/webhook_event.schema.json; `webhook_event_types()` lists their types.
- `from_schema()`: the schema-to-strategy compiler behind runs(), for any schema in the
  same subset of JSON Schema.

`EDGE_CLASSES`, `UNKNOWN_VARIANT_CLASSES`, `MUTATION_OPERATORS` and
`requirement_operators()` say what the edge and invalid strategies can produce.
"""

from ._compiler import from_schema
from ._edges import EDGE_CLASSES, UNKNOWN_VARIANT_CLASSES, EdgeRun, edge_runs
from ._http_errors import HttpError, http_errors
from ._mutations import MUTATION_OPERATORS, InvalidRun, invalid_runs, requirement_operators
from ._requests import RunRequest, requests
from ._runs import runs
from ._webhooks import webhook_event_types, webhook_events

__all__ = [
    "EDGE_CLASSES",
    "MUTATION_OPERATORS",
    "UNKNOWN_VARIANT_CLASSES",
    "EdgeRun",
    "HttpError",
    "InvalidRun",
    "RunRequest",
    "edge_runs",
    "from_schema",
    "http_errors",
    "invalid_runs",
    "requests",
    "requirement_operators",
    "runs",
    "webhook_event_types",
    "webhook_events",
]
