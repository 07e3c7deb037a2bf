"""The Java SDK's facts (Maven `com.anthropic:anthropic-java-core`), read from its sources jar: the
Kotlin model classes under `com/anthropic/models/...` and services under `com/anthropic/services/...`.

The generated classes are regular: the `@JsonCreator` constructor names each field
(`@JsonProperty("created_at") createdAt: JsonField<OffsetDateTime>`: `Long` is int64, `Int` int32);
the builder's `build()` lists the required keys (`checkRequired("sessionId", sessionId)`) and a
setter taking `T?` marks a nullable one; a constant is the builder's `JsonValue.from("agent")`; a
union is a class with a `Visitor`; an enum a class implementing `Enum` with `@JvmField` members.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from drun_conformance._errors import InputError

from ._sdk_facts import (
    Choice,
    Const,
    Extracted,
    Field,
    Obj,
    Operation,
    Parameter,
    Scalar,
    Shape,
    Variants,
    closing_brace,
    snake,
)

__all__ = ["java_facts"]

_SCALARS = {
    "String": "string",
    "Long": "int64",
    "Int": "int32",
    "Double": "number",
    "Float": "number",
    "Boolean": "boolean",
    "OffsetDateTime": "date-time",
    "LocalDate": "date",
    "JsonValue": "object",
}
_JSON_FIELD = re.compile(
    r'@JsonProperty\("([^"]+)"\)(?:\s*@\w+(?:\([^)]*\))?)*\s*(\w+):\s*(JsonField<.+?>|JsonValue)\s*=\s*JsonMissing'
)
_ENUM_MEMBER = re.compile(r'@JvmField\s+val \w+ =\s*(?:of|\w+)\((?:JsonField\.of\()?"([^"]+)"')
_SERVICES = "com/anthropic/services/blocking/beta"


@dataclass(frozen=True, slots=True)
class _Class:
    file: str  # inside the jar: com/anthropic/models/beta/agents/BetaManagedAgentsAgentReference.kt
    header: str  # from the name to the body's brace: constructor, supertypes
    body: str


class _Sources:
    def __init__(self, root: Path) -> None:
        self.root = root  # the folder holding com/

    @cache  # noqa: B019 (one package per extraction)
    def text(self, file: str) -> str:
        try:
            return (self.root / file).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"java SDK: cannot read {self.root / file}: {exc.strerror}") from None

    def find(self, name: str, near: _Class) -> _Class:
        """Class `name` as seen from `near`: nested in its file, imported, or in its package."""
        text = self.text(near.file)
        if re.search(rf"\bclass {name}\b", text):
            return _class(near.file, text, name)
        imported = re.search(rf"^import ([\w.]+)\.{name}$", text, re.M)
        folder = near.file.rpartition("/")[0]
        file = imported.group(1).replace(".", "/") + f"/{name}.kt" if imported else f"{folder}/{name}.kt"
        return _class(file, self.text(file), name)

    def shape(self, type_text: str, near: _Class) -> Shape:
        type_text = type_text.strip().removesuffix("?")
        inner = re.fullmatch(r"(?:JsonField|Optional)<(.+)>", type_text)
        if inner:
            return self.shape(inner.group(1), near)
        if type_text.startswith("List<"):
            return Scalar("array")
        if type_text in _SCALARS:
            return Scalar(_SCALARS[type_text])
        cls = self.find(type_text.rpartition(".")[2], near)
        if "interface Visitor<" in cls.body:
            constructor = re.search(r"private constructor\((.*)\)", cls.header, re.S)
            names = re.findall(r"private val \w+:\s*(\w+)\?", constructor.group(1) if constructor else "")
            variants = tuple(v for v in (self.shape(n, cls) for n in names) if isinstance(v, Obj))
            return Variants(cls.file, variants)
        if re.search(r":\s*Enum\b", cls.header):
            return Choice(tuple(_ENUM_MEMBER.findall(cls.body)), cls.file)
        return self.model(cls)

    def model(self, cls: _Class) -> Obj:
        creator = re.search(r"@JsonCreator\s+private constructor\((.*?)\) : this", cls.body, re.S)
        builder = _class(cls.file, cls.body, "Builder").body if "class Builder" in cls.body else ""
        required = set(re.findall(r'checkRequired\("(\w+)"', builder))
        fields = []
        for wire, name, type_text in _JSON_FIELD.findall(creator.group(1) if creator else ""):
            if type_text == "JsonValue":
                value = re.search(rf'private var {name}: JsonValue = JsonValue\.from\("([^"]*)"\)', builder)
                shape: Shape = Const(value.group(1)) if value else Scalar("object")
                fields.append(Field(wire, shape, None if value else name in required, None))
                continue
            nullable = re.search(rf"fun {name}\({name}: [^)]*\?\)", builder) is not None
            fields.append(Field(wire, self.shape(type_text, cls), name in required, nullable))
        return Obj(cls.file, tuple(fields))


def _class(file: str, text: str, name: str) -> _Class:
    start = re.search(rf"\b(?:class|object) {name}\b", text)
    if start is None:
        raise InputError(f"java SDK: no class {name} in {file}")
    brace = _body_start(text, start.end())
    return _Class(file, text[start.end() : brace], text[brace + 1 : closing_brace(text, brace, "java")])


def _body_start(text: str, index: int) -> int:
    """The class body's opening brace: the first `{` outside the constructor's parentheses."""
    depth = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "{" and depth == 0:
            return index
        index += 1
    raise InputError("java SDK: a class without a body")


def java_facts(root: Path) -> Extracted:
    """The facts of the sources of `anthropic-java-core` in `root` (the folder holding com/)."""
    sources = _Sources(root)
    operations, results = [], {}
    for service, method, sdk_method in (
        ("DeploymentServiceImpl", "run", "client.beta().deployments().run"),
        ("DeploymentRunServiceImpl", "retrieve", "client.beta().deploymentRuns().retrieve"),
        ("DeploymentRunServiceImpl", "list", "client.beta().deploymentRuns().list"),
    ):
        file = f"{_SERVICES}/{service}.kt"
        if (root / file).is_file():
            operation, params, result = _operation(sources, file, method, sdk_method)
            operations.append(operation)
            results[method] = (params, result)
    if "run" not in results:
        raise InputError(f"java SDK: no {_SERVICES}/DeploymentServiceImpl.kt under {root}")
    run_params, run_class = results["run"]
    run = sources.model(run_class)
    page = sources.model(results["list"][1]) if "list" in results else None
    return Extracted(
        run=run,
        operations=tuple(operations),
        headers=_headers(sources, run_params),
        page=page,
        webhook=_first_model(
            sources, "com/anthropic/models/beta/webhooks", ("BetaWebhookEvent", "UnwrapWebhookEvent")
        ),
        betas=_betas(sources, run_params),
        api_errors=_api_errors(sources),
    )


def _operation(
    sources: _Sources, file: str, method: str, sdk_method: str
) -> tuple[Operation, _Class, _Class]:
    """The operation, its params class, and the class its response is read into."""
    impl = _class(file, sources.text(file), "WithRawResponseImpl")
    start = re.search(rf"override fun {method}\(\s*params: (\w+),", impl.body)
    handler = re.search(rf"private val {method}Handler: Handler<(\w+)>", impl.body)
    if start is None or handler is None:
        raise InputError(f"java SDK: no {method} in {file}")
    body = impl.body[start.end() : closing_brace(impl.body, impl.body.index("{", start.end()), "java")]
    verb = re.search(r"HttpMethod\.(\w+)", body)
    path_param = re.search(r'checkRequired\("(\w+)"', body)
    segments = []
    for literal, param in re.findall(r'\.addPathSegments\(([^)]*)\)|\.addPathParam\("(\w+)"', body):
        for part in [p.strip() for p in literal.split(",") if p.strip()] or [param]:
            quoted = part.startswith('"')
            name = snake(part if not literal else path_param.group(1) if path_param else "id")
            segments.append(part.strip('"') if quoted else "{" + name + "}")
    anchor = _Class(file, "", sources.text(file))
    params = sources.find(start.group(1), anchor)
    result = sources.find(handler.group(1), anchor)
    query = re.search(r"override fun _queryParams\(\)(.*?)(?=\n    (?:override )?fun |\Z)", params.body, re.S)
    parameters = []
    for name, wire in re.findall(r'(\w+)\?\.let \{\s*put\("([^"]+)"', query.group(1) if query else ""):
        type_text, doc = _getter(params.body, name)
        parameters.append(Parameter(wire, "query", sources.shape(type_text, params), doc, params.file))
    path = "/" + "/".join(segments)
    operation = Operation(sdk_method, verb.group(1) if verb else "", path, file, tuple(parameters))
    return operation, params, result


def _getter(body: str, name: str) -> tuple[str, str]:
    """The type a params class's getter returns, and the documentation above it."""
    getter = re.search(rf"^    fun {name}\(\): ([^=\n]+?) =", body, re.M)
    if getter is None:
        return "String", ""
    before = body[: getter.start()].rstrip()
    doc = ""
    if before.endswith("*/"):
        comment = before[before.rindex("/**") :]
        text = comment.removeprefix("/**").removesuffix("*/")
        doc = " ".join(re.sub(r"^\s*\*\s?", "", line) for line in text.splitlines())
    return getter.group(1), " ".join(doc.split())


def _headers(sources: _Sources, params: _Class) -> dict[str, tuple[str | None, str]]:
    headers: dict[str, tuple[str | None, str]] = {}
    if '"anthropic-workspace-id"' in params.body:
        headers["anthropic-workspace-id"] = (None, params.file)
    service = f"{_SERVICES}/DeploymentServiceImpl.kt"
    beta = re.search(r'put\("anthropic-beta", "([^"]+)"\)', sources.text(service))
    if beta:
        headers["anthropic-beta"] = (beta.group(1), service)
    for path in sorted((sources.root / "com/anthropic/core").glob("*.kt")):
        version = re.search(r'"anthropic-version"\s*(?:to|,)\s*"([^"]+)"', path.read_text(encoding="utf-8"))
        if version:
            headers["anthropic-version"] = (version.group(1), path.relative_to(sources.root).as_posix())
            break
    return headers


def _betas(sources: _Sources, params: _Class) -> Choice | None:
    getter = re.search(r"fun betas\(\): Optional<List<(\w+)>>", params.body)
    if getter is None:
        return None
    shape = sources.shape(getter.group(1), params)
    return shape if isinstance(shape, Choice) else None


def _first_model(sources: _Sources, folder: str, names: tuple[str, ...]) -> Obj | None:
    for name in names:
        file = f"{folder}/{name}.kt"
        if (sources.root / file).is_file():
            return sources.model(_class(file, sources.text(file), name))
    return None


def _api_errors(sources: _Sources) -> Choice | None:
    envelope = _first_model(sources, "com/anthropic/models", ("ErrorResponse",))
    error = envelope.get("error") if envelope else None
    if error is None or not isinstance(error.shape, Variants):
        return None
    tags = [
        f.shape.value for v in error.shape.variants if (f := v.get("type")) and isinstance(f.shape, Const)
    ]
    return Choice(tuple(tags), error.shape.file)
