"""The SDK harness protocol's messages, validated against spec/harness/ in both directions.

A command that does not validate is our bug (ProtocolBug); a response that does not
validate is the harness's fault, returned as a message for the caller to report.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from drun_conformance import spec

__all__ = ["CALLS", "COMMANDS", "PROTOCOL_VERSION", "ProtocolBug", "check_command", "response_problem"]

PROTOCOL_VERSION = 1
Command = Literal["start", "run", "retrieve", "list", "stop"]
COMMANDS: tuple[Command, ...] = ("start", "run", "retrieve", "list", "stop")
CALLS: tuple[Command, ...] = ("run", "retrieve", "list")  # the commands answered with an outcome
_BASE = "urn:drun-conformance:harness:"


class ProtocolBug(AssertionError):
    """The suite was about to send a command its own schema refuses."""


@cache
def _resources() -> tuple[tuple[str, Resource[Any]], ...]:
    files = [spec.HARNESS_SCHEMA_DIR / "protocol.json"]
    files += [spec.HARNESS_SCHEMA_DIR / "commands" / f"{name}.json" for name in COMMANDS]
    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    return tuple((schema["$id"], Resource.from_contents(schema)) for schema in schemas)


@cache
def _registry() -> Registry[Any]:
    return Registry().with_resources(_resources())


@cache
def _fast(command: Command, direction: Literal["command", "response"]) -> jsonschema_rs.Validator:
    """The same schema compiled in Rust: it says whether a message is valid in microseconds,
    where `_validator` takes a millisecond on a typed answer; `_validator` then says why not."""
    resources = [(uri, resource.contents) for uri, resource in _resources()]
    ref = {"$ref": f"{_BASE}commands:{command}#/$defs/{direction}"}
    registry = jsonschema_rs.Registry(resources)
    return jsonschema_rs.validator_for(ref, registry=registry, validate_formats=False)


@cache
def _validator(command: Command, direction: Literal["command", "response"]) -> Draft202012Validator:
    ref = {"$ref": f"{_BASE}commands:{command}#/$defs/{direction}"}
    return Draft202012Validator(ref, registry=_registry())


def check_command(message: dict[str, Any]) -> None:
    """Validate a command before it is sent (ProtocolBug when the suite got it wrong)."""
    name = message.get("cmd")
    if name not in COMMANDS:
        raise ProtocolBug(f"unknown command {name!r}")
    if _fast(name, "command").is_valid(message):
        return
    errors = sorted(_validator(name, "command").iter_errors(message), key=str)
    if errors:
        raise ProtocolBug(f"{name} command does not validate: {errors[0].message}")


def response_problem(command: Command, message: Any) -> str | None:
    """Why `message` is no valid response to `command` (None when it is)."""
    if _fast(command, "response").is_valid(message):
        return None
    error = next(iter(_validator(command, "response").iter_errors(message)), None)
    if error is None:
        return None
    # A oneOf's errors are about every branch: judge the answer by the branch it claims.
    branch = _claimed_branch(command, message)
    if branch is not None:
        error = next(iter(_branch_validator(command, branch).iter_errors(message)), error)
    elif command in CALLS and isinstance(message, dict) and message.get("unsupported") is not True:
        return f"outcome {message.get('outcome')!r} is none of ok, api_error, client_error, skipped"
    where = "/".join(str(p) for p in error.absolute_path)
    return f"{error.message}{f' at /{where}' if where else ''}"


_RUN_OUTCOMES = ("ok", "api_error", "client_error", "skipped")


def _claimed_branch(command: Command, message: Any) -> str | None:
    if command not in CALLS or not isinstance(message, dict):
        return None
    if message.get("unsupported") is True:
        return "unsupported"
    outcome = message.get("outcome")
    return outcome if outcome in _RUN_OUTCOMES else None


@cache
def _branch_validator(command: Command, branch: str) -> Draft202012Validator:
    # Each call answers as run does, but for unsupported (the protocol's) and list's own ok.
    where = (
        "protocol"
        if branch == "unsupported"
        else f"commands:{'list' if command == 'list' and branch == 'ok' else 'run'}"
    )
    ref = {"$ref": f"{_BASE}{where}#/$defs/{branch}"}
    return Draft202012Validator(ref, registry=_registry())
