"""Our own test of Run Deployment Now, judged by the suite's oracle as well as by our asserts."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from drun_conformance import assert_conforms


def test_running_a_deployment_starts_a_session(api: httpx.Client, deployment_id: str) -> None:
    response = api.post(f"/v1/deployments/{quote(deployment_id, safe='')}/run")
    run = assert_conforms(response)  # every MUST of the contract, or an AssertionError naming them
    assert run is not None and run.session_id is not None  # what our product promises on top
