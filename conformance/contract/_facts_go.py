"""The Go SDK's facts (`github.com/anthropics/anthropic-sdk-go/v2`), read from the module's source.

The generated code is regular, so a careful reader of its declarations is enough (no Go toolchain):
structs with one field a line and their tags (`json:"session_id" api:"required"`; `api:"nullable"`
marks an optional key that may be null; a required key's nullability is not expressed), constants
(`constant.DeploymentRun` with `default:"deployment_run"`), unions (`...Union` structs whose `AsAny`
switches on `type`), string types with their constants, and the service methods
(`BetaDeploymentService.Run`: `path := fmt.Sprintf("v1/deployments/%s/run", ...)`, `http.MethodPost`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
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

__all__ = ["go_facts"]

_SCALARS = {
    "string": "string",
    "int64": "int64",
    "int": "int64",
    "int32": "int32",
    "float64": "number",
    "bool": "boolean",
    "time.Time": "date-time",
    "any": "object",
}
_MODULE = re.compile(r'"github\.com/anthropics/anthropic-sdk-go(?:/v\d+)?/([\w/]+)"')
_FIELD = re.compile(r"^\s*(\w+)\s+(\S+)\s+`([^`]*)`")
_METHOD = re.compile(r"^func \((\w+) \*?(\w+)\) (\w+)\((.*?)\) (.*?) \{$", re.M)


@dataclass(slots=True)
class _Package:
    folder: str  # inside the module: "" for the root, "shared", "packages/pagination"
    structs: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (file, body)
    aliases: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (file, target)
    strings: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # type -> (file, constants)
    methods: dict[tuple[str, str], tuple[str, str, str, str]] = field(default_factory=dict)
    imports: dict[str, dict[str, str]] = field(default_factory=dict)  # file -> alias -> folder


class _Module:
    def __init__(self, root: Path) -> None:
        self.root = root

    @cache  # noqa: B019 (one module per extraction)
    def package(self, folder: str) -> _Package:
        package = _Package(folder)
        for path in sorted((self.root / folder).glob("*.go")):
            if not path.name.endswith("_test.go"):
                _index(package, path.relative_to(self.root).as_posix(), path.read_text(encoding="utf-8"))
        return package

    def lookup(self, package: _Package, file: str, name: str) -> tuple[_Package, str, str]:
        """(package, file, bare name) of a possibly qualified type name used in `file`."""
        qualifier, _, bare = name.rpartition(".")
        if qualifier:
            folder = package.imports.get(file, {}).get(qualifier)
            if folder is None:
                raise InputError(f"go SDK: {qualifier} is not imported in {file}")
            package = self.package(folder)
        if bare in package.aliases:
            target_file, target = package.aliases[bare]
            return self.lookup(package, target_file, target)
        return package, file, bare

    def shape(self, package: _Package, file: str, type_text: str, tag: str = "") -> Shape:
        type_text = type_text.removeprefix("*")
        opt = re.fullmatch(r"param\.Opt\[(.+)\]", type_text)
        if opt:
            return self.shape(package, file, opt.group(1))
        if type_text.startswith("[]"):
            return Scalar("array")
        if type_text.startswith("map["):
            return Scalar("object")
        if type_text in _SCALARS:
            return Scalar(_SCALARS[type_text])
        if type_text.startswith("constant."):
            default = re.search(r'default:"([^"]*)"', tag)
            return Const(default.group(1)) if default else Scalar("string")
        where, _, bare = self.lookup(package, file, type_text)
        if bare in where.strings:
            values_file, values = where.strings[bare]
            return Choice(tuple(values), values_file)
        if (bare, "AsAny") in where.methods:
            return self.union(where, bare)
        if bare not in where.structs:
            raise InputError(f"go SDK: no type {type_text} in {where.folder or 'the module root'}")
        return self.model(where, bare)

    def model(self, package: _Package, name: str) -> Obj:
        file, body = package.structs[name]
        fields = []
        for type_name, type_text, tag in _fields(body):
            wire = re.search(r'json:"([^",]*)', tag)
            if wire is None or wire.group(1) in ("", "-") or type_name == "JSON":
                continue
            shape = self.shape(package, file, type_text, tag)
            if isinstance(shape, Const):
                fields.append(Field(wire.group(1), shape, None, None))  # a constant with a default
                continue
            required = 'api:"required' in tag
            nullable = True if 'api:"nullable' in tag else None if required else False
            fields.append(Field(wire.group(1), shape, required, nullable))
        return Obj(file, tuple(fields))

    def union(self, package: _Package, name: str) -> Variants:
        file, _, _, body = package.methods[(name, "AsAny")]
        variants = []
        for method in re.findall(r'case "[^"]+":\s*return \w+\.(\w+)\(\)', body):
            results = package.methods[(name, method)][2]
            variant = re.search(r"\(\w+ ([\w.]+)\)", results)
            if variant:
                shape = self.shape(package, file, variant.group(1))
                if isinstance(shape, Obj):
                    variants.append(shape)
        return Variants(file, tuple(variants))


def _index(package: _Package, file: str, text: str) -> None:
    package.imports[file] = {m.group(1).rpartition("/")[2]: m.group(1) for m in _MODULE.finditer(text)}
    for match in re.finditer(r"^type (\w+)(?:\[[^\]]*\])? struct \{", text, re.M):
        package.structs.setdefault(
            match.group(1), (file, text[match.end() : closing_brace(text, match.end() - 1, "go")])
        )
    for match in re.finditer(r"^type (\w+) = ([\w.]+)$", text, re.M):
        if match.group(2) != "string":
            package.aliases[match.group(1)] = (file, match.group(2))
    for match in re.finditer(r"^type (\w+) (?:= )?string$", text, re.M):
        package.strings.setdefault(match.group(1), (file, []))
    for block in re.finditer(r"^const \((.*?)^\)", text, re.M | re.S):
        for name, value in re.findall(r'^\s*\w+\s+(\w+)\s*=\s*"([^"]*)"', block.group(1), re.M):
            package.strings.setdefault(name, (file, []))[1].append(value)
    for match in _METHOD.finditer(text):
        body = text[match.end() : closing_brace(text, match.end() - 1, "go")]
        package.methods[(match.group(2), match.group(3))] = (file, match.group(4), match.group(5), body)


def _fields(body: str) -> list[tuple[str, str, str]]:
    """(name, type, tag) of each field at the struct's own level (nested structs skipped)."""
    found: list[tuple[str, str, str]] = []
    depth = 0
    for line in body.splitlines():
        code = line.split("//")[0]
        if depth == 0 and (match := _FIELD.match(code)):
            found.append((match.group(1), match.group(2), match.group(3)))
        depth += code.count("{") - code.count("}")
    return found


def go_facts(root: Path) -> Extracted:
    """The facts of the `anthropic-sdk-go` module source in `root`."""
    module = _Module(root)
    package = module.package("")
    operations, results = [], {}
    for service, method, sdk_method in (
        ("BetaDeploymentService", "Run", "client.Beta.Deployments.Run"),
        ("BetaDeploymentRunService", "Get", "client.Beta.DeploymentRuns.Get"),
        ("BetaDeploymentRunService", "List", "client.Beta.DeploymentRuns.List"),
    ):
        if (service, method) in package.methods:
            operation, params, result = _operation(module, package, service, method, sdk_method)
            operations.append(operation)
            results[method] = (params, result)
    if "Run" not in results:
        raise InputError(f"go SDK: no BetaDeploymentService.Run under {root}")
    run = module.shape(package, package.methods[("BetaDeploymentService", "Run")][0], results["Run"][1])
    if not isinstance(run, Obj):
        raise InputError("go SDK: BetaDeploymentService.Run returns no struct")
    page = None
    if "List" in results:
        list_file = package.methods[("BetaDeploymentRunService", "List")][0]
        page_shape = module.shape(package, list_file, results["List"][1].partition("[")[0])
        page = page_shape if isinstance(page_shape, Obj) else None
    run_params = results["Run"][0]
    return Extracted(
        run=run,
        operations=tuple(operations),
        headers=_headers(module, package, run_params),
        page=page,
        webhook=next(
            (
                module.model(package, n)
                for n in ("BetaWebhookEvent", "UnwrapWebhookEvent")
                if n in package.structs
            ),
            None,
        ),
        betas=_betas(module, package, run_params),
        api_errors=_api_errors(module, package),
    )


def _operation(
    module: _Module, package: _Package, service: str, method: str, sdk_method: str
) -> tuple[Operation, str, str]:
    """The operation, its params struct, and the type its response is read into."""
    file, params_text, results, body = package.methods[(service, method)]
    sprintf = re.search(r'path := fmt\.Sprintf\("([^"]*)",(.*)\)$', body, re.M)
    plain = re.search(r'path := "([^"]*)"', body)
    path = sprintf.group(1) if sprintf else plain.group(1) if plain else ""
    for argument in re.findall(r"\((\w+)\)", sprintf.group(2)) if sprintf else []:
        path = path.replace("%s", "{" + snake(argument) + "}", 1)
    verb = re.search(r"http\.Method(\w+)", body)
    result = re.search(r"res \*([\w.\[\]]+)", results)
    params = re.search(r"(?:params|query|body) (\w+)", params_text)
    parameters = []
    if params is not None and params.group(1) in package.structs:
        params_file, params_body = package.structs[params.group(1)]
        for doc, (_, type_text, tag) in _documented_fields(params_body):
            query = re.search(r'query:"([^",]+)', tag)
            if query:
                shape = module.shape(package, params_file, type_text)
                parameters.append(Parameter(query.group(1), "query", shape, doc, params_file))
    http_method = verb.group(1).upper() if verb else ""
    operation = Operation(sdk_method, http_method, "/" + path.partition("?")[0], file, tuple(parameters))
    return operation, params.group(1) if params else "", result.group(1) if result else ""


def _documented_fields(body: str) -> list[tuple[str, tuple[str, str, str]]]:
    found: list[tuple[str, tuple[str, str, str]]] = []
    comment: list[str] = []
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("//"):
            comment.append(stripped[2:].strip())
            continue
        match = _FIELD.match(line)
        if match:
            found.append(
                (" ".join(" ".join(comment).split()), (match.group(1), match.group(2), match.group(3)))
            )
        comment = []
    return found


def _headers(module: _Module, package: _Package, params: str) -> dict[str, tuple[str | None, str]]:
    file, _, _, body = package.methods[("BetaDeploymentService", "Run")]
    headers: dict[str, tuple[str | None, str]] = {}
    beta = re.search(r'WithHeader\("anthropic-beta", "([^"]+)"\)', body)
    if beta:
        headers["anthropic-beta"] = (beta.group(1), file)
    params_file, params_body = package.structs.get(params, (file, ""))
    if "anthropic-workspace-id" in params_body:
        headers["anthropic-workspace-id"] = (None, params_file)
    config = "internal/requestconfig/requestconfig.go"
    text = (module.root / config).read_text(encoding="utf-8") if (module.root / config).is_file() else ""
    version = re.search(r'"anthropic-version",\s*"([^"]+)"', text)
    if version:
        headers["anthropic-version"] = (version.group(1), config)
    return headers


def _betas(module: _Module, package: _Package, params: str) -> Choice | None:
    params_file, body = package.structs.get(params, ("", ""))
    betas = next((t for n, t, _ in _fields(body) if n == "Betas"), None)
    if betas is None:
        return None
    shape = module.shape(package, params_file, betas.removeprefix("[]"))
    return shape if isinstance(shape, Choice) else None


def _api_errors(module: _Module, package: _Package) -> Choice | None:
    shared = module.package("shared")
    if "ErrorResponse" not in shared.structs:
        return None
    error = module.model(shared, "ErrorResponse").get("error")
    if error is None or not isinstance(error.shape, Variants):
        return None
    tags = [
        f.shape.value for v in error.shape.variants if (f := v.get("type")) and isinstance(f.shape, Const)
    ]
    return Choice(tuple(tags), error.shape.file)
