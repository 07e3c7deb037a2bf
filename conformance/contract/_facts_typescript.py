"""The TypeScript SDK's facts (npm `@anthropic-ai/sdk`), read from its `.d.ts` declarations.

The declarations are generated and regular: `export interface X { name?: T; }` (a `?` is an optional
key, a `| null` a nullable value), `export type X = A | B;`, imports by namespace or by name. The
HTTP method and path are not in the declarations: they are read from the compiled resource module
beside them (`resources/beta/deployments.js`: `this._client.post(path`/v1/deployments/${id}/run`)`),
and the `anthropic-version` the client sends from `client.js`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath

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

__all__ = ["typescript_facts"]

_SCALARS = {
    "string": "string",
    "number": "number",
    "boolean": "boolean",
    "unknown": "object",
    "object": "object",
}
_HEADER_PARAMS = {"betas", "workspace_id"}  # sent as anthropic-beta and anthropic-workspace-id
_DECLARATION = re.compile(
    r"^export (?:declare )?(interface|type|class) (\w+)(?:<[^>]*>)?(.*?)(?: = (.*?);$| \{$)", re.M | re.S
)
_MEMBER = re.compile(r"^(?:readonly )?('[^']+'|\"[^\"]+\"|\w+)(\?)?: (.+)$", re.S)
_REQUEST = re.compile(r"this\._client\.(\w+)\(\s*(?:\(0,\s*[\w.]+\)\s*|path\s*)?([`'\"])(.*?)\2", re.S)
_VERBS = {
    "get": "GET",
    "getAPIList": "GET",
    "post": "POST",
    "put": "PUT",
    "patch": "PATCH",
    "delete": "DELETE",
}


@dataclass(slots=True)
class _Declaration:
    kind: str
    header: str  # what follows the name: ` extends A, B` or ` extends X implements Y`
    body: str  # the interface's members, or the alias's type


@dataclass(slots=True)
class _File:
    path: str  # inside the package: resources/beta/deployment-runs.d.ts
    declarations: dict[str, _Declaration] = field(default_factory=dict)
    imports: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # local -> (file, name)


class _Package:
    def __init__(self, root: Path) -> None:
        self.root = root

    @cache  # noqa: B019 (one package per extraction)
    def file(self, path: str) -> _File:
        try:
            text = (self.root / path).read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"typescript SDK: cannot read {self.root / path}: {exc.strerror}") from None
        parsed = _File(path)
        folder = PurePosixPath(path).parent
        for match in re.finditer(r'^import (?:type )?(.+?) from "(\..+?)";$', text, re.M):
            target = _declaration_file(folder, match.group(2))
            what = match.group(1)
            if what.startswith("* as "):
                parsed.imports[what[5:].strip()] = (target, None)
            for item in re.findall(
                r"(?:type )?(\w+)(?: as (\w+))?", what.strip("{} ") if "{" in what else ""
            ):
                parsed.imports[item[1] or item[0]] = (target, item[0])
        for match in _DECLARATION.finditer(text):
            kind, name, header, alias = match.groups()
            body = (
                alias
                if alias is not None
                else text[match.end() : closing_brace(text, match.end() - 1, "typescript")]
            )
            parsed.declarations.setdefault(name, _Declaration(kind, header, body))
        return parsed

    def resolve(self, file: _File, name: str) -> tuple[_File, _Declaration]:
        namespace, _, member = name.rpartition(".")
        if namespace:
            target, _ = file.imports.get(namespace, (None, None))
            if target is None:
                raise InputError(f"typescript SDK: {namespace} is not imported in {file.path}")
            return self.resolve(self.file(target), member)
        if name in file.declarations:
            return file, file.declarations[name]
        if name in file.imports and file.imports[name][1] is not None:
            target, original = file.imports[name]
            return self.resolve(self.file(target), original or name)
        raise InputError(f"typescript SDK: {name} is not declared in {file.path}")

    def shape(self, file: _File, text: str) -> tuple[Shape, bool]:
        """The shape a type expression stands for, and whether it admits null."""
        parts = [p.strip() for p in _split(text.strip(), "|") if p.strip()]
        nullable = "null" in parts
        parts = [p for p in parts if p not in ("null", "undefined")]
        literals = tuple(p[1:-1] for p in parts if p[:1] in "'\"")
        if literals:  # 'a' | 'b', or (string & {}) | 'a' | ...: an enumeration, open or closed
            return (Const(literals[0]) if len(parts) == 1 else Choice(literals, file.path)), nullable
        if len(parts) > 1:
            variants = tuple(s for s in (self.shape(file, p)[0] for p in parts) if isinstance(s, Obj))
            return Variants(file.path, variants), nullable
        one = parts[0] if parts else "unknown"
        if one in _SCALARS:
            return Scalar(_SCALARS[one]), nullable
        if one.startswith("Array<") or one.endswith("[]"):
            return Scalar("array"), nullable
        where, declaration = self.resolve(file, one.partition("<")[0])
        if declaration.kind == "type":
            shape, inner = self.shape(where, declaration.body)
            return shape, nullable or inner
        return self.model(where, declaration), nullable

    def model(self, file: _File, declaration: _Declaration) -> Obj:
        fields = []
        for name, optional, type_text, _, where in self.members(file, declaration):
            shape, nullable = self.shape(where, type_text)
            fields.append(Field(name, shape, not optional, nullable))
        return Obj(file.path, tuple(fields))

    def members(self, file: _File, declaration: _Declaration) -> list[tuple[str, bool, str, str, _File]]:
        """(name, optional, type, documentation, file declaring it) of each property, `extends` and
        `implements` included."""
        found = []
        for chunk in _split(declaration.body, ";"):
            doc = " ".join(re.findall(r"^\s*\*\s?(.*)$", chunk.partition("*/")[0], re.M)).strip()
            member = _MEMBER.match(chunk.rpartition("*/")[2].strip())
            if member:
                name, optional, type_text = member.groups()
                found.append((name.strip("'\""), bool(optional), type_text, " ".join(doc.split()), file))
        for base in re.findall(r"(?:extends|implements) ([\w.]+)", declaration.header):
            try:
                where, parent = self.resolve(file, base)
            except InputError:
                continue  # a base class from elsewhere (APIResource, AbstractPage): no properties of ours
            if parent.kind == "interface":
                own = {f[0] for f in found}
                found += [f for f in self.members(where, parent) if f[0] not in own]
        return found


def _declaration_file(folder: PurePosixPath, specifier: str) -> str:
    target = PurePosixPath(*[p for p in (folder / specifier).parts])
    parts: list[str] = []
    for part in target.parts:
        if part == "..":
            parts.pop()
        elif part != ".":
            parts.append(part)
    return str(PurePosixPath(*parts)).removesuffix(".js").removesuffix(".mjs") + ".d.ts"


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets and comments."""
    parts, depth, current, index = [], 0, [], 0
    while index < len(text):
        if text.startswith("/*", index):
            found = text.find("*/", index)
            end = len(text) if found < 0 else found + 2
            current.append(text[index:end])
            index = end
            continue
        char = text[index]
        depth += {"{": 1, "(": 1, "<": 1, "}": -1, ")": -1, ">": -1}.get(char, 0)
        if char == ">" and text[index - 1 : index] == "=":
            depth += 1  # an arrow, not a bracket
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    parts.append("".join(current))
    return parts


def typescript_facts(root: Path) -> Extracted:
    """The facts of the `@anthropic-ai/sdk` package folder `root`."""
    package = _Package(root)
    deployments = package.file("resources/beta/deployments.d.ts")
    operations, returns = [], {}
    for file, cls, method, sdk_method in (
        (deployments, "Deployments", "run", "client.beta.deployments.run"),
        (
            "resources/beta/deployment-runs.d.ts",
            "DeploymentRuns",
            "retrieve",
            "client.beta.deploymentRuns.retrieve",
        ),
        ("resources/beta/deployment-runs.d.ts", "DeploymentRuns", "list", "client.beta.deploymentRuns.list"),
    ):
        if isinstance(file, str):
            if not (root / file).is_file():
                continue
            file = package.file(file)
        operation, params, result = _operation(package, file, cls, method, sdk_method)
        operations.append(operation)
        returns[method] = (file, result, params)
    run_file, run_type, run_params = returns["run"]
    run, _ = package.shape(run_file, _generic_argument(run_type))
    if not isinstance(run, Obj):
        raise InputError(f"typescript SDK: Deployments.run in {run_file.path} returns no model")
    page = None
    if "list" in returns:
        list_file, list_type, _ = returns["list"]
        page_shape, _ = package.shape(list_file, _generic_argument(list_type).split(",")[0])
        page = page_shape if isinstance(page_shape, Obj) else None
    return Extracted(
        run=run,
        operations=tuple(operations),
        headers=_headers(root, run_file),
        page=page,
        webhook=_model(package, "resources/beta/webhooks.d.ts", ("BetaWebhookEvent", "UnwrapWebhookEvent")),
        betas=_betas(package, run_file, run_params),
        api_errors=_api_errors(package),
    )


def _operation(
    package: _Package, file: _File, cls: str, method: str, sdk_method: str
) -> tuple[Operation, str | None, str]:
    """The operation, its params type, and its declared result type."""
    body = file.declarations[cls].body if cls in file.declarations else ""
    signature = re.search(rf"^\s*{method}\((.*?)\): (.+?);$", body, re.M | re.S)
    if signature is None:
        raise InputError(f"typescript SDK: no {cls}.{method} in {file.path}")
    params = re.search(r"params\??: (\w+)", signature.group(1))
    compiled = _compiled_method(package.root, file.path, method)
    request = _REQUEST.search(compiled)
    if request is None:
        raise InputError(
            f"typescript SDK: {cls}.{method} in {file.path.replace('.d.ts', '.js')} makes no request"
        )
    path = re.sub(r"\$\{(\w+)\}", lambda m: "{" + snake(m.group(1)) + "}", request.group(3)).partition("?")[0]
    parameters = []
    if params is not None and request.group(1) in ("get", "getAPIList"):
        where, declaration = package.resolve(file, params.group(1))
        for name, _, type_text, doc, declared in package.members(where, declaration):
            if name not in _HEADER_PARAMS:
                shape = package.shape(declared, type_text)[0]
                doc = doc.removeprefix("Query param: ")
                parameters.append(Parameter(name, "query", shape, doc, declared.path))
    operation = Operation(sdk_method, _VERBS[request.group(1)], path, file.path, tuple(parameters))
    return operation, params.group(1) if params else None, signature.group(2)


def _compiled_method(root: Path, declaration_path: str, method: str) -> str:
    path = root / declaration_path.replace(".d.ts", ".js")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"typescript SDK: cannot read {path}: {exc.strerror}") from None
    start = re.search(rf"^(\s+){method}\([^)]*\) \{{$", text, re.M)
    if start is None:
        return ""
    end = re.compile(rf"^{start.group(1)}\}}$", re.M).search(text, start.end())
    return text[start.end() : end.start() if end else len(text)]


def _generic_argument(type_text: str) -> str:
    """`APIPromise<X>` -> `X`; `PagePromise<A, B>` -> `A, B`."""
    return type_text[type_text.index("<") + 1 : type_text.rindex(">")] if "<" in type_text else type_text


def _headers(root: Path, run_file: _File) -> dict[str, tuple[str | None, str]]:
    compiled = _compiled_method(root, run_file.path, "run")
    js = run_file.path.replace(".d.ts", ".js")
    headers: dict[str, tuple[str | None, str]] = {}
    beta = re.search(r"'anthropic-beta':.*?'([a-z0-9-]+)'\]", compiled)
    if beta:
        headers["anthropic-beta"] = (beta.group(1), js)
    if "'anthropic-workspace-id'" in compiled:
        headers["anthropic-workspace-id"] = (None, js)
    client = (root / "client.js").read_text(encoding="utf-8") if (root / "client.js").is_file() else ""
    version = re.search(r"'anthropic-version':\s*'([^']+)'", client)
    if version:
        headers["anthropic-version"] = (version.group(1), "client.js")
    return headers


def _betas(package: _Package, file: _File, params: str | None) -> Choice | None:
    if params is None:
        return None
    where, declaration = package.resolve(file, params)
    for name, _, type_text, _, declared in package.members(where, declaration):
        if name == "betas":
            shape = package.shape(declared, _generic_argument(type_text))[0]
            return shape if isinstance(shape, Choice) else None
    return None


def _model(package: _Package, path: str, names: tuple[str, ...]) -> Obj | None:
    if not (package.root / path).is_file():
        return None
    file = package.file(path)
    for name in names:
        if name in file.declarations:
            return package.model(file, file.declarations[name])
    return None


def _api_errors(package: _Package) -> Choice | None:
    envelope = _model(package, "resources/shared.d.ts", ("ErrorResponse",))
    error = envelope.get("error") if envelope else None
    if error is None or not isinstance(error.shape, Variants):
        return None
    tags = [
        f.shape.value for v in error.shape.variants if (f := v.get("type")) and isinstance(f.shape, Const)
    ]
    return Choice(tuple(tags), error.shape.file)
