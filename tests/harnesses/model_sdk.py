"""A model SDK harness for the client mutant catalog: a faithful client of Run Deployment Now,
of retrieve and of the listing walk, written with httpx and the standard library, plus one
fault at a time (`--fault NAME`).

The faithful client escapes the id as one path segment, sends POST with the key, the
version header and the betas, no body; reads the run as the JSON it was served (integers
exact, strings as they are) and reports HTTP errors from their envelope. It answers with the
types a typed SDK would expose (`types`: a class per object and per known variant, a generic
one for an unknown variant, `datetime` for a timestamp) and the exception class a status
raises (`exception`). Each fault below is that behaviour plus exactly one lie, so the gate must
name exactly its requirement.
"""

from __future__ import annotations

import copy
import json
import re
import sys
import time
from typing import Any
from urllib.parse import quote, urlencode

import httpx

KNOWN_ERRORS = {
    "environment_archived_error",
    "agent_archived_error",
    "environment_not_found_error",
    "vault_not_found_error",
    "vault_archived_error",
    "file_not_found_error",
    "memory_store_archived_error",
    "skill_not_found_error",
    "session_resource_not_found_error",
    "workspace_archived_error",
    "organization_disabled_error",
    "session_rate_limited_error",
    "session_creation_rejected_error",
    "unknown_error",
    "self_hosted_resources_unsupported_error",
    "mcp_egress_blocked_error",
}
KNOWN_TRIGGERS = {"schedule", "manual"}
KNOWN_FIELDS = {
    (): {"id", "agent", "created_at", "deployment_id", "error", "session_id", "trigger_context", "type"},
    ("agent",): {"id", "type", "version"},
    ("error",): {"type", "message"},
    ("trigger_context",): {"type", "scheduled_at"},
}
TIMESTAMPS = {("created_at",), ("trigger_context", "scheduled_at")}
EXCEPTIONS = {
    400: "BadRequestError",
    401: "AuthenticationError",
    403: "PermissionDeniedError",
    404: "NotFoundError",
    409: "ConflictError",
    413: "ContentTooLargeError",
    422: "UnprocessableEntityError",
    429: "RateLimitError",
    529: "OverloadedError",
}
MANAGED_BETA = "managed-agents-2026-04-01"
FAULT = sys.argv[sys.argv.index("--fault") + 1] if "--fault" in sys.argv else None
_client = httpx.Client(timeout=10.0)


class Refused(Exception):
    """The model SDK refuses a payload (a crash fault)."""


# --- the request ------------------------------------------------------------------------------


def build_request(command: dict[str, Any]) -> tuple[str, str, dict[str, str], bytes]:
    unescaped = FAULT in ("no-percent-encoding", "unescaped-id-strict-url")
    segment = command["deployment_id"] if unescaped else quote(command["deployment_id"], safe="")
    url = f"{command['base_url']}/v1/deployments/{segment}/run"
    if FAULT == "unescaped-id-strict-url" and re.search("%(?![0-9A-Fa-f]{2})", url):
        raise ValueError(f"invalid URL escape in {url!r}")  # as Go's net/url refuses it, unsent
    method = "GET" if FAULT == "get-instead-of-post" else "POST"
    return method, url, build_headers(command), b"{}" if FAULT == "body-sent" else b""


def build_headers(command: dict[str, Any]) -> dict[str, str]:
    betas = command["betas"]
    version = "2024-10-22" if FAULT == "other-version-header" else "2023-06-01"
    headers = {"x-api-key": command["api_key"], "anthropic-version": version}
    sent_betas = [*(betas or []), MANAGED_BETA]
    if FAULT == "user-betas-dropped":
        sent_betas = [MANAGED_BETA]
    if FAULT == "managed-beta-dropped":
        sent_betas = [b for b in sent_betas if b != MANAGED_BETA]
    if sent_betas and FAULT != "no-beta-header":
        headers["anthropic-beta"] = ",".join(sent_betas)
    if FAULT == "no-api-key":
        del headers["x-api-key"]
    if FAULT == "no-version-header":
        del headers["anthropic-version"]
    return headers


def retrieve_url(command: dict[str, Any]) -> str:
    run_id = command["run_id"]
    segment = run_id if FAULT == "retrieve-unescaped" else quote(run_id, safe="")
    return f"{command['base_url']}/v1/deployment_runs/{segment}"


def list_url(command: dict[str, Any], cursor: str | None) -> str:
    """A page of the walk: the filters as the API spells them, then the cursor."""
    query = [(name, _spelled(value)) for name, value in command["filters"].items()]
    if FAULT == "list-filters-flattened":  # created_at[gte] sent as created_at_gte
        query = [(name.replace("[", "_").rstrip("]"), value) for name, value in query]
    url = f"{command['base_url']}/v1/deployment_runs"
    if cursor is not None and FAULT == "list-cursor-unescaped":
        return f"{url}?{urlencode([*query, ('page', '')])}{cursor}"
    if cursor is not None:
        query.append(("page", cursor))
    return f"{url}?{urlencode(query)}" if query else url


def _spelled(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- reading a run ----------------------------------------------------------------------------

_OFFSET = re.compile(r"([zZ]|[+-]\d\d:\d\d)$")
_FRACTION = re.compile(r"\.(\d+)")
_OFFSET_MINUTES = re.compile(r"[+-](\d\d):(\d\d)$")


def read_run(run: dict[str, Any]) -> dict[str, Any]:
    error, trigger = run.get("error"), run.get("trigger_context") or {}
    if FAULT == "crash-on-unknown-error-type" and error and error.get("type") not in KNOWN_ERRORS:
        raise Refused(f"unknown error type {error.get('type')!r}")
    if FAULT == "crash-on-unknown-trigger-type" and trigger.get("type") not in KNOWN_TRIGGERS:
        raise Refused(f"unknown trigger type {trigger.get('type')!r}")
    if FAULT == "crash-on-unknown-fields" and _unknown_fields(run):
        raise Refused("unexpected field")
    if FAULT == "crash-on-unknown-fields-in-errors" and _unknown_fields(error, ("error",)):
        raise Refused("unexpected field in the run error")
    if FAULT == "crash-on-failed-runs" and error:
        raise Refused("a run with an error")
    for text in _timestamps(run):
        if FAULT == "crash-on-leap-second" and ":60" in text:
            raise Refused(f"second out of range in {text}")
        if FAULT == "crash-on-lowercase" and text != text.upper():
            raise Refused(f"bad date-time {text}")
        if FAULT == "crash-on-unknown-offset" and text.endswith("-00:00"):
            raise Refused(f"unknown offset in {text}")
        beyond = (m := _OFFSET_MINUTES.search(text)) is not None and int(m[1]) * 60 + int(m[2]) > 18 * 60
        if FAULT == "crash-on-offset-beyond-18h" and beyond:
            raise Refused(f"offset beyond 18:00 in {text}")
    if FAULT == "offset-dropped":
        _map_timestamps(run, lambda t: _OFFSET.sub("", t))
    if FAULT == "micros-to-millis":
        _map_timestamps(run, lambda t: _FRACTION.sub(lambda m: "." + m[1][:3], t, count=1))
    if FAULT == "nanos-truncated":
        _map_timestamps(run, lambda t: _FRACTION.sub(lambda m: "." + m[1][:6], t, count=1))
    if FAULT == "version-through-float":
        run["agent"]["version"] = float(run["agent"]["version"])
    if FAULT == "version-as-double":  # as JSON.parse reads it: exact only to 2^53, still an integer
        run["agent"]["version"] = int(float(run["agent"]["version"]))
    if FAULT == "version-int32":  # a 32-bit int: wraps past 2^31 - 1, still an int
        run["agent"]["version"] = (run["agent"]["version"] + 2**31) % 2**32 - 2**31
    if FAULT == "null-session-id-as-empty" and run.get("session_id") is None:
        run["session_id"] = ""
    if FAULT == "schedule-read-as-manual" and trigger.get("type") == "schedule":
        run["trigger_context"] = {"type": "manual"}
    if FAULT == "error-types-confused" and error:
        swap = {
            "vault_archived_error": "vault_not_found_error",
            "vault_not_found_error": "vault_archived_error",
        }
        error["type"] = swap.get(error["type"], error["type"])
    if FAULT == "error-message-cut" and error and len(error.get("message") or "") > 500:
        error["message"] = error["message"][:497] + "..."  # a log-friendly cut, as a client might make
    if FAULT == "deployment-id-dropped":
        run.pop("deployment_id", None)
    if FAULT == "long-strings-truncated":
        _map_strings(run, lambda s: s[:1000])
    if FAULT == "non-ascii-mangled":
        _map_strings(run, lambda s: s.encode("ascii", "replace").decode())
    if FAULT == "unknown-variant-as-dict" and error and error.get("type") not in KNOWN_ERRORS:
        unreadable = "<unreadable: AttributeError: 'dict' object has no attribute '{}'>"
        run["error"] = {name: unreadable.format(name) for name in ("type", "message")}
    return run


def variants(run: dict[str, Any]) -> dict[str, str | None]:
    held: dict[str, str | None] = {}
    for pointer, member, known in (
        ("/error", "error", KNOWN_ERRORS),
        ("/trigger_context", "trigger_context", KNOWN_TRIGGERS),
    ):
        value = run.get(member)
        if isinstance(value, dict):
            tag = value.get("type")
            held[pointer] = tag if tag in known else None
            if FAULT == "unknown-variant-as-first-class" and tag not in known:
                held[pointer] = sorted(known)[0]
            if FAULT == "known-variant-as-other-class" and tag in known:
                held[pointer] = next(other for other in sorted(known) if other != tag)
    return held


def types(served: dict[str, Any], run: dict[str, Any]) -> dict[str, str | None]:
    """The type of each value read, by pointer: what a typed SDK holding `run` would expose."""
    named: dict[str, str | None] = {}

    def walk(node: Any, path: tuple[str, ...]) -> None:
        pointer = "".join("/" + part for part in path)
        if isinstance(node, str) and node.startswith("<unreadable: "):
            named[pointer] = "<unreadable>"
        elif node is None:  # null-as-undefined: a null run error held as a dropped key
            named[pointer] = "undefined" if FAULT == "null-as-undefined" and path == ("error",) else None
        elif isinstance(node, dict) and path in KNOWN_FIELDS:
            named[pointer] = _class(path, node, served)
            fields = KNOWN_FIELDS[path] if path == () else KNOWN_FIELDS[path] & node.keys()
            for key in sorted(fields):
                walk(node.get(key), (*path, key))
        elif path in TIMESTAMPS and isinstance(node, str) and FAULT != "timestamp-as-string":
            named[pointer] = "datetime"
        elif path == ("agent", "version") and FAULT == "version-as-decimal":
            named[pointer] = "Decimal"  # held exactly, as a decimal.Decimal
        else:
            named[pointer] = type(node).__name__

    walk(run, ())
    return named


def _class(path: tuple[str, ...], node: dict[str, Any], served: dict[str, Any]) -> str:
    """A class per object; a variant's own class for a known tag, a generic one otherwise."""
    if path == ():
        return "DeploymentRun"
    if path == ("agent",):
        return "AgentReference"
    tag = (served.get(path[0]) or {}).get("type")
    camel = "".join(word.title() for word in str(tag).split("_"))
    if path == ("error",):
        if FAULT == "unknown-variant-as-dict" and tag not in KNOWN_ERRORS:
            return "dict"
        return camel if tag in KNOWN_ERRORS else "RunError"
    return f"{camel}Trigger" if tag in KNOWN_TRIGGERS else "TriggerContext"


def _unknown_fields(node: Any, path: tuple[str, ...] = ()) -> bool:
    if not isinstance(node, dict):
        return False
    allowed = KNOWN_FIELDS.get(path)
    if allowed is None:
        return False
    return any(key not in allowed or _unknown_fields(value, (*path, key)) for key, value in node.items())


def _timestamps(run: dict[str, Any]) -> list[str]:
    found = [run.get("created_at")]
    found.append((run.get("trigger_context") or {}).get("scheduled_at"))
    return [t for t in found if isinstance(t, str)]


def _map_timestamps(run: dict[str, Any], change: Any) -> None:
    if isinstance(run.get("created_at"), str):
        run["created_at"] = change(run["created_at"])
    trigger = run.get("trigger_context") or {}
    if isinstance(trigger.get("scheduled_at"), str):
        trigger["scheduled_at"] = change(trigger["scheduled_at"])


def _map_strings(node: Any, change: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            node[key] = _map_strings(value, change)
    elif isinstance(node, str):
        return change(node)
    return node


# --- the loop -------------------------------------------------------------------------------


def cmd_start(command: dict[str, Any]) -> dict[str, Any]:
    version = f"1.0.0+{FAULT}" if FAULT else "1.0.0"
    return {"ok": True, "implementation": {"name": "model-sdk", "version": version, "language": "python"}}


def cmd_run(command: dict[str, Any]) -> dict[str, Any]:
    try:
        request = build_request(command)
    except ValueError as exc:  # refused before sending
        return client_error(command["seq"], exc)
    return call(command["seq"], *request)


def cmd_retrieve(command: dict[str, Any]) -> dict[str, Any]:
    return call(command["seq"], "GET", retrieve_url(command), build_headers(command), b"")


def cmd_list(command: dict[str, Any]) -> dict[str, Any]:
    """Walk every page, following next_page until it is null; each run read as run reads it."""
    seq, headers = command["seq"], build_headers(command)
    cursor: str | None = None
    read: list[dict[str, Any]] = []
    try:
        while True:
            response = _client.get(list_url(command, cursor), headers=headers)
            page = json.loads(response.content)
            if response.status_code >= 400:
                return api_error(seq, response, page)
            for item in page["data"]:
                run = read_run(copy.deepcopy(item))
                read.append({"run": run, "types": types(item, run), "variants": variants(run)})
            cursor = page["next_page"]
            if cursor is None or FAULT == "list-first-page-only" or not page["data"]:
                break
    except Exception as exc:
        return client_error(seq, exc)
    if FAULT == "list-last-run-dropped":
        read = read[:-1]
    return {"seq": seq, "outcome": "ok", "runs": read}


def call(seq: int, method: str, url: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    try:
        response = _client.request(method, url, headers=headers, content=body)
        if FAULT == "retried":
            response = _client.request(method, url, headers=headers, content=body)
        if FAULT == "retried-after-wait" and "retry-after" in response.headers:
            time.sleep(float(response.headers["retry-after"]))  # as the server asked, then again
            response = _client.request(method, url, headers=headers, content=body)
        data = json.loads(response.content)
        if response.status_code >= 400 and FAULT != "http-error-as-ok":
            return api_error(seq, response, data)
        run = read_run(copy.deepcopy(data))
    except Exception as exc:
        return client_error(seq, exc)
    return {"seq": seq, "outcome": "ok", "run": run, "types": types(data, run), "variants": variants(run)}


def client_error(seq: int, exc: Exception) -> dict[str, Any]:
    return {"seq": seq, "outcome": "client_error", "message": f"{type(exc).__name__}: {exc}"}


def api_error(seq: int, response: httpx.Response, body: Any) -> dict[str, Any]:
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    status = response.status_code
    error_type = error.get("type")
    if FAULT == "wrong-error-type":
        error_type = "invalid_request_error" if error_type != "invalid_request_error" else "api_error"
    if FAULT == "wrong-status" and status == 529:
        status = 500
    return {
        "seq": seq,
        "outcome": "api_error",
        "status": status,
        "error_type": error_type,
        "message": None if FAULT == "error-message-dropped" else error.get("message"),
        "request_id": None if FAULT == "request-id-dropped" else response.headers.get("request-id"),
        "exception": exception(response.status_code),  # wrong-status misreports the status alone
    }


def exception(status: int) -> str:
    if FAULT == "exception-base-class":
        return "APIStatusError"
    if FAULT == "overloaded-as-generic" and status == 529:  # as releases before 0.109 raised it
        return "InternalServerError"
    return EXCEPTIONS.get(status, "InternalServerError" if status >= 500 else "APIStatusError")


COMMANDS = {"start": cmd_start, "run": cmd_run, "retrieve": cmd_retrieve, "list": cmd_list}
if FAULT == "run-only":  # an older harness: it knows run alone
    COMMANDS = {"start": cmd_start, "run": cmd_run}


def main() -> int:
    for line in sys.stdin:
        command = json.loads(line)
        if command["cmd"] == "stop":
            return 0
        handle = COMMANDS.get(command["cmd"])
        answer = handle(command) if handle else {"seq": command.get("seq"), "ok": False, "unsupported": True}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
