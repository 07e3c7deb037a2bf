"""The scenario: the reference server's state (who exists, in what state), read from YAML or JSON.

Every id a deployment names must be declared, so a typo is an input error, never a
silent "not found"; a thing that "no longer exists" is declared with `state: deleted`.
The only exception is a resource of a kind the server does not know: it cannot be
declared, and resolving it fails with session_resource_not_found_error.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from drun_conformance._errors import InputError
from drun_conformance._values import MAX_ID_LENGTH  # a request with a longer id is a 400
from drun_conformance.oracle import parse_rfc3339

__all__ = [
    "DEFAULT_API_KEY",
    "MAX_ID_LENGTH",
    "Agent",
    "AgentPin",
    "Archivable",
    "Deployment",
    "Environment",
    "Organization",
    "RateLimit",
    "Removable",
    "ResourceRef",
    "RunFixture",
    "Scenario",
    "Schedule",
    "Workspace",
    "default_scenario",
    "load_scenario",
    "parse_scenario",
]

DEFAULT_API_KEY = "sk-drun-reference"
_DEFAULT_FILE = "default_scenario.yaml"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Identified(_Model):
    id: str = Field(min_length=1)


class Archivable(_Identified):
    """A vault or memory store: it can be archived, or deleted (no longer exists)."""

    state: Literal["active", "archived", "deleted"] = "active"


class Removable(_Identified):
    """A file or skill: it exists or was deleted (the API has no archived error for them)."""

    state: Literal["active", "deleted"] = "active"


class Organization(_Identified):
    state: Literal["active", "disabled"] = "active"


class Workspace(_Identified):
    organization: str
    state: Literal["active", "archived"] = "active"


class Agent(_Identified):
    version: int = Field(ge=1, le=2**63 - 1, description="the latest version")
    state: Literal["active", "archived"] = "active"
    skills: tuple[str, ...] = ()
    mcp_hosts: tuple[str, ...] = ()


class Environment(_Identified):
    state: Literal["active", "archived", "deleted"] = "active"
    hosting: Literal["cloud", "self_hosted"] = "cloud"
    allowed_hosts: tuple[str, ...] | None = Field(
        default=None, description="the network policy: None lets every host through"
    )


class AgentPin(_Model):
    id: str
    version: int | None = Field(default=None, ge=1, description="None pins the latest")


class ResourceRef(_Model):
    type: str = Field(min_length=1, description="file, memory_store, or a kind the server does not know")
    id: str = Field(min_length=1)


# A schedule fires at most once a second (its firings a run's distinct `scheduled_at`, cron's
# grain a minute) and at least once a year; 1000 firings of history then reach back 1,000 years,
# well within the dates a run can carry (a second finer, or a year coarser, breaks the server).
_SECOND, _YEAR = 1.0, 366 * 24 * 3600.0
_EVERY = "from 1 to 31,622,400 seconds (a year)"


class RateLimit(_Model):
    sessions: int = Field(ge=0, description="sessions a deployment may create per window")
    window_seconds: float = Field(gt=0, le=_YEAR, description="up to a year (31,622,400 s)")


class Schedule(_Model):
    """The deployment's cron schedule, as the history of firings the server has on record."""

    every_seconds: float = Field(description=f"how often it fires: {_EVERY}")
    history: int = Field(default=0, ge=0, le=1000, description="past firings on record at start")
    latency_ms: float = Field(
        default=150, ge=0, le=_YEAR * 1000, description="from firing to the run record, up to a year"
    )

    @field_validator("every_seconds")
    @classmethod
    def _every_in_range(cls, value: float) -> float:
        if not _SECOND <= value <= _YEAR:  # NaN too
            raise PydanticCustomError("every_seconds", f"expected {_EVERY}, got {{value}}", {"value": value})
        return value


class Deployment(_Identified):
    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)  # longer, no request could reach it
    agent: AgentPin
    environment: str
    workspace: str | None = None
    vaults: tuple[str, ...] = ()
    resources: tuple[ResourceRef, ...] = ()
    session_rate_limit: RateLimit | None = None
    reject_session_creation: bool = Field(
        default=False, description="the session create request fails validation"
    )
    inject_unexpected_failure: bool = Field(default=False, description="session creation crashes")
    schedule: Schedule | None = None


class RunFixture(_Model):
    """A run on record from the start, with the id a test names (an SDK's own tests read
    `deployment_run_id`): its deployment runs once, as Run Deployment Now would run it."""

    id: str = Field(min_length=1, max_length=MAX_ID_LENGTH)
    deployment: str
    scheduled_at: str | None = Field(
        default=None, description="an RFC 3339 firing: a scheduled run (default: a manual one)"
    )


class Scenario(_Model):
    api_keys: tuple[Annotated[str, Field(min_length=1, pattern=r"^[\x21-\x7e]+$")], ...] = Field(
        default=(DEFAULT_API_KEY,), min_length=1
    )
    runs: tuple[RunFixture, ...] = ()
    # Cursors answered as the start of the listing (an SDK's own tests send `page="page"`), with
    # the `drun-cursor: start-of-listing` header saying so; any other cursor never issued is 400.
    listing_start_cursors: tuple[Annotated[str, Field(min_length=1)], ...] = ()
    organizations: tuple[Organization, ...] = ()
    workspaces: tuple[Workspace, ...] = ()
    agents: tuple[Agent, ...] = ()
    environments: tuple[Environment, ...] = ()
    vaults: tuple[Archivable, ...] = ()
    files: tuple[Removable, ...] = ()
    memory_stores: tuple[Archivable, ...] = ()
    skills: tuple[Removable, ...] = ()
    deployments: tuple[Deployment, ...] = ()

    @model_validator(mode="after")
    def _references_resolve(self) -> Scenario:
        problems = [*self._duplicates(), *self._dangling()]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _duplicates(self) -> Iterable[str]:
        for name in type(self).model_fields:
            seen: set[str] = set()
            for index, item in enumerate(getattr(self, name)):
                if isinstance(item, _Identified | RunFixture):
                    if item.id in seen:
                        yield f"{name}[{index}].id: {item.id!r} is declared twice"
                    seen.add(item.id)

    def _dangling(self) -> Iterable[str]:
        ids = {name: {item.id for item in getattr(self, name)} for name in _TABLES}
        for i, ws in enumerate(self.workspaces):
            if ws.organization not in ids["organizations"]:
                yield f"workspaces[{i}].organization: {ws.organization!r} is not declared in organizations"
        agents = {a.id: a for a in self.agents}
        for i, agent in enumerate(self.agents):
            for j, skill in enumerate(agent.skills):
                if skill not in ids["skills"]:
                    yield f"agents[{i}].skills[{j}]: {skill!r} is not declared in skills"
        deployments = {d.id for d in self.deployments}
        for i, run in enumerate(self.runs):
            if run.deployment not in deployments:
                yield f"runs[{i}].deployment: {run.deployment!r} is not declared in deployments"
            if run.scheduled_at is not None and parse_rfc3339(run.scheduled_at) is None:
                yield f"runs[{i}].scheduled_at: {run.scheduled_at!r} is not an RFC 3339 date-time"
        for i, dep in enumerate(self.deployments):
            where = f"deployments[{i}]"
            pinned = agents.get(dep.agent.id)
            if pinned is None:
                yield f"{where}.agent.id: {dep.agent.id!r} is not declared in agents"
            elif dep.agent.version is not None and dep.agent.version > pinned.version:
                yield f"{where}.agent.version: {dep.agent.version} is above the latest, {pinned.version}"
            if dep.environment not in ids["environments"]:
                yield f"{where}.environment: {dep.environment!r} is not declared in environments"
            if dep.workspace is not None and dep.workspace not in ids["workspaces"]:
                yield f"{where}.workspace: {dep.workspace!r} is not declared in workspaces"
            for j, vault in enumerate(dep.vaults):
                if vault not in ids["vaults"]:
                    yield f"{where}.vaults[{j}]: {vault!r} is not declared in vaults"
            for j, ref in enumerate(dep.resources):
                table = _RESOURCE_TABLES.get(ref.type)
                if table is not None and ref.id not in ids[table]:
                    yield f"{where}.resources[{j}].id: {ref.id!r} is not declared in {table}"


_TABLES = ("organizations", "workspaces", "environments", "vaults", "files", "memory_stores", "skills")
# The resource kinds the server knows, and where they are declared.
_RESOURCE_TABLES = {"file": "files", "memory_store": "memory_stores"}


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    """A Scenario from parsed YAML/JSON; InputError names each bad field."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [line for e in exc.errors(include_url=False) for line in _describe(e)]
        raise InputError(f"{source} is not a valid scenario:\n  " + "\n  ".join(lines)) from None


def _describe(error: Any) -> list[str]:
    if not error["loc"] and error["type"] == "value_error":  # ours: already "field: problem" lines
        return str(error["ctx"]["error"]).splitlines()
    return [f"{_location(error['loc'])}: {error['msg']}"]


def _location(loc: tuple[int | str, ...]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    return text.lstrip(".") or "(top level)"


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file: `.json` as JSON, anything else as YAML (a superset of JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(f"cannot read scenario {path}: {reason}") from exc
    return parse_scenario(_parse_text(text, path), source=str(path))


def _parse_text(text: str, path: Path) -> Any:
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: not JSON: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise InputError(f"{path}: {where}not YAML: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:
        raise InputError(f"{path}: nested too deeply to be a scenario") from None
    except ValueError as exc:  # a number too long to convert, a date YAML cannot make (2026-13-45)
        raise InputError(f"{path}: not a scenario: {exc}") from None


@cache
def default_scenario() -> Scenario:
    """The shipped scenario: one deployment that succeeds and one per run error type."""
    text = files(__package__).joinpath(_DEFAULT_FILE).read_text(encoding="utf-8")
    return parse_scenario(yaml.safe_load(text), source=_DEFAULT_FILE)
