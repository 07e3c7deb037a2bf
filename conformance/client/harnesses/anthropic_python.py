"""drun-conformance harness for the Python SDK (PyPI `anthropic`), protocol 1 (spec/harness/):
run, retrieve (`client.beta.deployment_runs.retrieve`) and list (iterating
`client.beta.deployment_runs.list(...)`, which fetches the next page as the loop needs it).

One small loop: read a command line from stdin, dispatch cmd_<name>, write one answer line,
flush. Runs inside the SDK's own virtual environment (`python -I`), so it imports nothing of
drun-conformance and only the standard library besides the SDK. Retries are off.

The run is read as the SDK's documentation shows users reading it, attribute by attribute
(`run.agent.version`, `run.error.message`), never through a serialiser; each value is written
back as JSON with the name of its type (`types`), and an attribute that raises is written as
"<unreadable: ...>". An HTTP error names the exception class raised (`exception`).
"""

from __future__ import annotations

import datetime
import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable
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
    run_call = _client(command["base_url"], command["api_key"]).beta.deployments.run
    return _call(command, "deployments.run", run_call, command["deployment_id"])


def cmd_retrieve(command: Message) -> Message:
    runs = getattr(_client(command["base_url"], command["api_key"]).beta, "deployment_runs", None)
    if runs is None:
        return {"seq": command["seq"], "ok": False, "unsupported": True, "message": "no deployment_runs"}
    return _call(command, "deployment_runs.retrieve", runs.retrieve, command["run_id"])


def cmd_list(command: Message) -> Message:
    """Every run of the walk, read as run's are: the SDK's iterator fetches each next page."""
    runs = getattr(_client(command["base_url"], command["api_key"]).beta, "deployment_runs", None)
    if runs is None:
        return {"seq": command["seq"], "ok": False, "unsupported": True, "message": "no deployment_runs"}
    kwargs = {_argument(name): _filter(name, value) for name, value in command["filters"].items()}
    walk = functools.wraps(runs.list)(lambda **given: list(runs.list(**given)))  # its signature, for betas
    return _call(command, "deployment_runs.list", walk, **kwargs)


def _argument(name: str) -> str:
    """A filter's keyword argument: created_at[gte] is created_at_gte."""
    return name.replace("[", "_").removesuffix("]")


def _filter(name: str, value: Any) -> Any:
    """A filter's value as the SDK documents it: a timestamp as a datetime."""
    return datetime.datetime.fromisoformat(value) if name.startswith("created_at[") else value


def _call(command: Message, name: str, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Message:
    """One SDK call, answered: the run(s) read as users read them, or what the SDK raised."""
    seq = command["seq"]
    if command["betas"] is not None:
        if "betas" not in inspect.signature(method).parameters:
            message = f"this release's {name} takes no betas"
            return {"seq": seq, "outcome": "skipped", "message": message}
        kwargs["betas"] = command["betas"]
    try:
        result = method(*args, **kwargs)
    except sdk.APIStatusError as exc:
        return {
            "seq": seq,
            "outcome": "api_error",
            "status": exc.status_code,
            "error_type": _envelope(exc, "type"),
            "message": _envelope(exc, "message"),
            "request_id": exc.request_id,
            "exception": type(exc).__name__,
        }
    except Exception as exc:  # the SDK raised anything else: that is the answer
        return {"seq": seq, "outcome": "client_error", "message": f"{type(exc).__name__}: {exc}"}
    if isinstance(result, list):
        return {"seq": seq, "outcome": "ok", "runs": [_read(run) for run in result]}
    return {"seq": seq, "outcome": "ok", **_read(result)}


def _read(run: Any) -> Message:
    reading = _Reading()
    written = reading.run(run)
    return {"run": written, "types": reading.types, "variants": _variants(run)}


def _envelope(exc: Any, field: str) -> str | None:
    """The envelope's error field as the SDK exposes it: its attribute (`type`, and
    `api_message` since 2.x), else the decoded body it keeps."""
    attribute = getattr(exc, "api_message" if field == "message" else field, None)
    if isinstance(attribute, str):
        return attribute
    error = exc.body.get("error") if isinstance(exc.body, dict) else None
    value = error.get(field) if isinstance(error, dict) else None
    return value if isinstance(value, str) else None


# --- the run, read as users read it -----------------------------------------------------------

# The attributes read on each object: the run's, then its members' (the error's and the
# trigger's only where the object the SDK holds has them: a manual trigger has no scheduled_at).
_FIELDS = ("id", "type", "agent", "created_at", "deployment_id", "session_id", "error", "trigger_context")
_MEMBERS = {
    "agent": ("id", "type", "version"),
    "error": ("type", "message"),
    "trigger_context": ("type", "scheduled_at"),
}
_OPTIONAL = {"scheduled_at"}
_UNREADABLE = "<unreadable>"


class _Reading:
    """One run read attribute by attribute: the values as JSON, and each one's type by pointer."""

    def __init__(self) -> None:
        self.types: dict[str, str | None] = {}

    def run(self, run: Any) -> Any:
        self.types[""] = _type_name(run)
        return self._object(run, "", _FIELDS)

    def _object(self, holder: Any, pointer: str, names: tuple[str, ...]) -> dict[str, Any]:
        written = {}
        for name in names:
            if name in _OPTIONAL and not _has(holder, name):
                continue
            at = f"{pointer}/{name}"
            value = self._read(at, functools.partial(getattr, holder, name))
            if name in _MEMBERS and self.types[at] not in (None, _UNREADABLE):
                value = self._object(value, at, _MEMBERS[name])
            written[name] = _json(value)
        return written

    def _read(self, pointer: str, read: Callable[[], Any]) -> Any:
        try:
            value = read()
        except Exception as exc:  # what a user's `run.error.message` would meet
            self.types[pointer] = _UNREADABLE
            return f"<unreadable: {type(exc).__name__}: {exc}>"
        self.types[pointer] = _type_name(value)
        return value


def _has(holder: Any, name: str) -> bool:
    try:
        getattr(holder, name)
    except AttributeError:
        return False
    except Exception:  # there, but reading it raises: _read writes it as unreadable
        return True
    return True


def _type_name(value: Any) -> str | None:
    return None if value is None else type(value).__name__


def _json(value: Any) -> Any:
    """A value read from the SDK as JSON: a datetime as RFC 3339 (every digit it holds)."""
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): _json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


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


COMMANDS = {"start": cmd_start, "run": cmd_run, "retrieve": cmd_retrieve, "list": cmd_list}


def main() -> int:
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "stop":
            return 0
        handle = COMMANDS.get(command["cmd"])
        unsupported = {"seq": command.get("seq", 0), "ok": False, "unsupported": True}
        answer = handle(command) if handle else unsupported
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
