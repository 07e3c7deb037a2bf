"""drun-conformance harness for the Python SDK (PyPI `anthropic`), protocol 1 (spec/harness/).

One small loop: read a command line from stdin, dispatch cmd_<name>, write one answer line,
flush. Runs inside the SDK's own virtual environment (`python -I`), so it imports nothing of
drun-conformance and only the standard library besides the SDK. Retries are off.
"""

from __future__ import annotations

import inspect
import json
import sys
import typing
from typing import Any

Message = dict[str, Any]
sdk: Any = None  # the anthropic module, imported by cmd_start
_clients: dict[tuple[str, str], Any] = {}


def cmd_start(command: Message) -> Message:
    global sdk
    try:
        import anthropic  # type: ignore[import-not-found, unused-ignore]
    except ImportError as exc:
        return {"ok": False, "message": f"cannot import anthropic: {exc}"}
    sdk = anthropic
    probe = sdk.Anthropic(api_key="probe", base_url="http://127.0.0.1:9")
    deployments = getattr(probe.beta, "deployments", None)
    if deployments is None or not hasattr(deployments, "run"):
        return {"ok": False, "message": f"anthropic {sdk.__version__} has no client.beta.deployments.run"}
    return {
        "ok": True,
        "implementation": {"name": "anthropic", "version": sdk.__version__, "language": "python"},
    }


def _client(base_url: str, api_key: str) -> Any:
    key = (base_url, api_key)
    if key not in _clients:
        _clients[key] = sdk.Anthropic(api_key=api_key, base_url=base_url, max_retries=0)
    return _clients[key]


def cmd_run(command: Message) -> Message:
    seq = command["seq"]
    run_call = _client(command["base_url"], command["api_key"]).beta.deployments.run
    kwargs = {}
    if command["betas"] is not None:
        if "betas" not in inspect.signature(run_call).parameters:
            message = "this release's deployments.run takes no betas"
            return {"seq": seq, "outcome": "skipped", "message": message}
        kwargs["betas"] = command["betas"]
    try:
        run = run_call(command["deployment_id"], **kwargs)
        written = run.to_dict(mode="json", warnings=False)
    except sdk.APIStatusError as exc:
        return {
            "seq": seq,
            "outcome": "api_error",
            "status": exc.status_code,
            "error_type": _envelope(exc, "type"),
            "message": _envelope(exc, "message"),
            "request_id": exc.request_id,
        }
    except Exception as exc:  # the SDK raised anything else: that is the answer
        return {"seq": seq, "outcome": "client_error", "message": f"{type(exc).__name__}: {exc}"}
    return {"seq": seq, "outcome": "ok", "run": written, "variants": _variants(run)}


def _envelope(exc: Any, field: str) -> str | None:
    """The envelope's error field as the SDK exposes it: its attribute (`type`, and
    `api_message` since 2.x), else the decoded body it keeps."""
    attribute = getattr(exc, "api_message" if field == "message" else field, None)
    if isinstance(attribute, str):
        return attribute
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    value = error.get(field) if isinstance(error, dict) else None
    return value if isinstance(value, str) else None


def _variants(run: Any) -> dict[str, str | None]:
    """The type tag of the class the SDK built for each union member (None: no known one)."""
    held = {}
    for pointer, attribute in (("/error", "error"), ("/trigger_context", "trigger_context")):
        value = getattr(run, attribute, None)
        if value is not None:
            held[pointer] = _tag(value)
    return held


def _tag(value: Any) -> str | None:
    fields = getattr(type(value), "model_fields", None) or {}
    annotation = fields["type"].annotation if "type" in fields else None
    tags = typing.get_args(annotation) if typing.get_origin(annotation) is typing.Literal else ()
    return tags[0] if len(tags) == 1 and isinstance(tags[0], str) else None


COMMANDS = {"start": cmd_start, "run": cmd_run}


def main() -> int:
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "stop":
            return 0
        answer = COMMANDS[command["cmd"]](command)
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
