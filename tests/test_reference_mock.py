"""`serve --api-key KEY --any-deployment`: the reference server as an SDK's test mock, driven by
the installed `anthropic` package through its own pagination."""

from __future__ import annotations

import json
import subprocess

import pytest

from drun_conformance.client._sdks import harness_environment

from .conftest import FIXTURES, drun_command
from .test_proxy import _sdk_python

KEY = "my-anthropic-api-key"  # the key the SDK's own generated tests use


@pytest.mark.slow
def test_the_sdk_pages_through_twelve_runs_of_a_deployment_it_made_up() -> None:
    python = _sdk_python()
    serve = [*drun_command(), "serve", "--port", "0", "--any-deployment", "--api-key", KEY]
    server = subprocess.Popen(serve, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert server.stdout is not None
        banner = "".join(server.stdout.readline().decode() for _ in range(5))
        base_url = banner.split("base url: ")[1].split()[0]
        argv = [python, str(FIXTURES / "sdk_through_proxy.py"), base_url, KEY, "deployment_id", "12"]
        done = subprocess.run(argv, capture_output=True, env=harness_environment(), timeout=120, check=False)
    finally:
        server.terminate()
        server.wait(timeout=15)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "--any-deployment" in banner and KEY not in banner  # said in the banner; the key never
    seen = json.loads(done.stdout)
    made, listed = seen["sync"]["made"], seen["sync"]["listed"]
    assert len(made) == len(set(made)) == 12
    assert listed == list(reversed(made))  # list(limit=2): all 12, newest first, none repeated
    assert seen["sync"]["made_up_cursor"] == seen["async"]["made_up_cursor"] == 400
    assert seen["async"]["listed"] == list(reversed(seen["async"]["made"])) + list(reversed(made))
