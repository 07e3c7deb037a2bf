"""The state model: what running a deployment yields, given the scenario's state.

A run resolves its deployment from the outside in; the first rule that fails names the
run's error, so a deployment broken in several ways always reports the same one:

     1. organization_disabled_error              the deployment's organization is disabled
     2. workspace_archived_error                 its workspace is archived
     3. agent_archived_error                     the pinned agent is archived
     4. environment_not_found_error              its environment was deleted
     5. environment_archived_error               its environment is archived
     6. self_hosted_resources_unsupported_error  resources on a self-hosted environment
     7. vault_not_found_error                    a vault was deleted
     8. vault_archived_error                     a vault is archived
     9. file_not_found_error                     a file resource was deleted
    10. memory_store_archived_error              a memory store resource is archived
    11. session_resource_not_found_error         a resource is gone and its kind has no error
                                                 of its own (a deleted memory store, or a kind
                                                 the server does not know)
    12. skill_not_found_error                    a skill of the agent was deleted
    13. mcp_egress_blocked_error                 an MCP host of the agent is not allowed by the
                                                 environment's network policy
    14. session_rate_limited_error               the deployment created its quota of sessions
                                                 within the window
    15. session_creation_rejected_error          the session create request fails validation
    16. unknown_error                            session creation fails unexpectedly

Within a rule, the first offending item in the scenario's order is the one named.
Only a created session counts towards the rate limit.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from drun_conformance._errors import SpecError

from ._ids import tagged_id
from ._scenario import Agent, AgentPin, Deployment, Environment, Scenario

__all__ = ["PRECEDENCE", "Clock", "ExpectedRun", "Outcome", "World", "expected_outcomes", "run_error_types"]

Clock = Callable[[], datetime]
Rule = Callable[["World", Deployment, datetime], "str | None"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One run's result: a session id, or an error type with its message; never both."""

    agent_id: str
    agent_version: int
    session_id: str | None = None
    error_type: str | None = None
    message: str | None = None


class ExpectedRun(NamedTuple):
    """(deployment id, the error type its first run on a fresh server yields, or None for a session)."""

    deployment_id: str
    error_type: str | None


_RULES: list[tuple[str, Rule]] = []
# What `provision` pins an unknown deployment to: names no scenario is likely to declare.
_PROVISIONED_AGENT, _PROVISIONED_ENVIRONMENT = "agent_drun_provisioned", "env_drun_provisioned"


def _rule(error_type: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        _RULES.append((error_type, function))
        return function

    return register


def _first(items: Iterator[str]) -> str | None:
    return next(items, None)


@_rule("organization_disabled_error")
def _organization(world: World, dep: Deployment, now: datetime) -> str | None:
    ws = world.workspaces.get(dep.workspace or "")
    if ws is not None and world.organizations[ws.organization].state == "disabled":
        return f"Organization {ws.organization} is disabled; it cannot create sessions."
    return None


@_rule("workspace_archived_error")
def _workspace(world: World, dep: Deployment, now: datetime) -> str | None:
    ws = world.workspaces.get(dep.workspace or "")
    if ws is not None and ws.state == "archived":
        return f"Workspace {ws.id} was archived."
    return None


@_rule("agent_archived_error")
def _agent(world: World, dep: Deployment, now: datetime) -> str | None:
    if world.agents[dep.agent.id].state == "archived":
        return f"Agent {dep.agent.id} was archived."
    return None


@_rule("environment_not_found_error")
def _environment_gone(world: World, dep: Deployment, now: datetime) -> str | None:
    if world.environments[dep.environment].state == "deleted":
        return f"Environment {dep.environment} no longer exists."
    return None


@_rule("environment_archived_error")
def _environment_archived(world: World, dep: Deployment, now: datetime) -> str | None:
    if world.environments[dep.environment].state == "archived":
        return f"Environment {dep.environment} was archived."
    return None


@_rule("self_hosted_resources_unsupported_error")
def _self_hosted(world: World, dep: Deployment, now: datetime) -> str | None:
    if world.environments[dep.environment].hosting == "self_hosted" and dep.resources:
        return (
            f"Environment {dep.environment} is self-hosted and cannot mount the deployment's "
            f"{len(dep.resources)} resource(s)."
        )
    return None


def _vault_in(world: World, dep: Deployment, state: str) -> Iterator[str]:
    return (v for v in dep.vaults if world.vaults[v].state == state)


@_rule("vault_not_found_error")
def _vault_gone(world: World, dep: Deployment, now: datetime) -> str | None:
    vault = _first(_vault_in(world, dep, "deleted"))
    return f"Vault {vault} no longer exists." if vault else None


@_rule("vault_archived_error")
def _vault_archived(world: World, dep: Deployment, now: datetime) -> str | None:
    vault = _first(_vault_in(world, dep, "archived"))
    return f"Vault {vault} is archived." if vault else None


@_rule("file_not_found_error")
def _file_gone(world: World, dep: Deployment, now: datetime) -> str | None:
    gone = (r.id for r in dep.resources if r.type == "file" and world.files[r.id].state == "deleted")
    file = _first(gone)
    return f"File {file} no longer exists." if file else None


@_rule("memory_store_archived_error")
def _memory_store_archived(world: World, dep: Deployment, now: datetime) -> str | None:
    archived = (
        r.id
        for r in dep.resources
        if r.type == "memory_store" and world.memory_stores[r.id].state == "archived"
    )
    store = _first(archived)
    return f"Memory store {store} is archived." if store else None


@_rule("session_resource_not_found_error")
def _resource_gone(world: World, dep: Deployment, now: datetime) -> str | None:
    for ref in dep.resources:
        known = ref.type in ("file", "memory_store")
        if not known or (ref.type == "memory_store" and world.memory_stores[ref.id].state == "deleted"):
            return f"A resource referenced by the deployment ({ref.id}) no longer exists."
    return None


@_rule("skill_not_found_error")
def _skill_gone(world: World, dep: Deployment, now: datetime) -> str | None:
    skill = _first(s for s in world.agents[dep.agent.id].skills if world.skills[s].state == "deleted")
    return f"Skill {skill} of agent {dep.agent.id} no longer exists." if skill else None


@_rule("mcp_egress_blocked_error")
def _mcp_blocked(world: World, dep: Deployment, now: datetime) -> str | None:
    allowed = world.environments[dep.environment].allowed_hosts
    if allowed is None:
        return None
    permitted = {host.lower() for host in allowed}
    host = _first(h for h in world.agents[dep.agent.id].mcp_hosts if h.lower() not in permitted)
    if host is None:
        return None
    return f"MCP server host {host} is blocked by the network policy of environment {dep.environment}."


@_rule("session_rate_limited_error")
def _rate_limited(world: World, dep: Deployment, now: datetime) -> str | None:
    limit = dep.session_rate_limit
    if limit is None or world.sessions_in_window(dep, now) < limit.sessions:
        return None
    return (
        f"Deployment {dep.id} may create {limit.sessions} session(s) per {limit.window_seconds:g} s;"
        " try again later."
    )


@_rule("session_creation_rejected_error")
def _rejected(world: World, dep: Deployment, now: datetime) -> str | None:
    return "The session create request failed validation." if dep.reject_session_creation else None


@_rule("unknown_error")
def _unexpected(world: World, dep: Deployment, now: datetime) -> str | None:
    return (
        "An unexpected error occurred while creating the session." if dep.inject_unexpected_failure else None
    )


PRECEDENCE: tuple[str, ...] = tuple(error_type for error_type, _ in _RULES)


def run_error_types() -> tuple[str, ...]:
    """The run error types of the contract, in the schema's order (spec/ is the source)."""
    from drun_conformance import spec

    return tuple(spec.load_schema()["$defs"]["Error"]["properties"]["type"]["enum"])


class World:
    """The scenario's state plus what running changes (sessions created, for the rate limit)."""

    def __init__(self, scenario: Scenario, *, clock: Clock | None = None) -> None:
        missing = set(run_error_types()) - set(PRECEDENCE)
        if missing:
            raise SpecError(f"the reference server cannot produce run error types {sorted(missing)}")
        self.scenario = scenario
        self.clock: Clock = clock or (lambda: datetime.now(UTC))
        self.organizations = {o.id: o for o in scenario.organizations}
        self.workspaces = {w.id: w for w in scenario.workspaces}
        self.agents = {a.id: a for a in scenario.agents}
        self.environments = {e.id: e for e in scenario.environments}
        self.vaults = {v.id: v for v in scenario.vaults}
        self.files = {f.id: f for f in scenario.files}
        self.memory_stores = {m.id: m for m in scenario.memory_stores}
        self.skills = {s.id: s for s in scenario.skills}
        self.deployments = {d.id: d for d in scenario.deployments}
        self._sessions: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()  # rate-limit check and session count must be one step

    def provision(self, deployment_id: str) -> Deployment:
        """A healthy deployment `deployment_id`, made on first use (`--any-deployment`): it pins a
        fresh active agent in a fresh cloud environment open to every host, so it always succeeds."""
        agent = Agent(id=_PROVISIONED_AGENT, version=1)
        environment = Environment(id=_PROVISIONED_ENVIRONMENT)
        self.agents.setdefault(agent.id, agent)
        self.environments.setdefault(environment.id, environment)
        deployment = Deployment(
            id=deployment_id, agent=AgentPin(id=agent.id, version=1), environment=environment.id
        )
        return self.deployments.setdefault(deployment_id, deployment)

    def sessions_in_window(self, dep: Deployment, now: datetime) -> int:
        assert dep.session_rate_limit is not None
        created = self._sessions.setdefault(dep.id, deque())
        start = now - timedelta(seconds=dep.session_rate_limit.window_seconds)
        while created and created[0] <= start:
            created.popleft()
        return len(created)

    def run(self, dep: Deployment, now: datetime | None = None) -> Outcome:
        """Run `dep` once at `now`: the first failing rule's error, else a new session."""
        now = now or self.clock()
        version = dep.agent.version or self.agents[dep.agent.id].version
        with self._lock:
            for error_type, rule in _RULES:
                message = rule(self, dep, now)
                if message is not None:
                    return Outcome(dep.agent.id, version, error_type=error_type, message=message)
            self._sessions.setdefault(dep.id, deque()).append(now)
        return Outcome(dep.agent.id, version, session_id=tagged_id("sesn"))


def expected_outcomes(scenario: Scenario | None = None) -> tuple[ExpectedRun, ...]:
    """Each deployment of `scenario` (default: the shipped one) with its first run's outcome."""
    from ._scenario import default_scenario

    world = World(scenario or default_scenario())
    now = datetime.now(UTC)
    return tuple(ExpectedRun(d.id, world.run(d, now).error_type) for d in world.scenario.deployments)
