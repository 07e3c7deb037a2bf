"""Our fixtures: a client for the server the drun items check (drun_target / --drun-target)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from drun_conformance.pytest_plugin import DrunSettings

BETA = "managed-agents-2026-04-01"


@pytest.fixture(scope="session")
def api(drun_settings: DrunSettings) -> Iterator[httpx.Client]:
    if not drun_settings.base_urls:
        pytest.skip("no server URL to test: set drun_target or pass --drun-target URL")
    headers = {"x-api-key": drun_settings.api_key or "", "anthropic-beta": BETA}
    with httpx.Client(base_url=drun_settings.base_urls[0], headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def deployment_id(drun_settings: DrunSettings) -> str:
    if not drun_settings.deployment_ids:
        pytest.skip("no deployment to run: set drun_deployment_ids or pass --drun-deployment-id")
    return drun_settings.deployment_ids[0]
