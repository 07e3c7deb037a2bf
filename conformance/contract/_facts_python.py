"""The Python SDK's facts (PyPI `anthropic`), read with `ast` from the package's source, never imported.

Models are pydantic classes under `anthropic/types/...` (a field without a default is a required key;
`Optional[...]` or a `None` in a union is nullable; `Literal[...]` a constant or a closed list; a
union of classes discriminated on `type` a union); operations are the resource methods
(`resources/beta/deployments.py: Deployments.run`, `deployment_runs.py: DeploymentRuns.retrieve`,
`.list`): the HTTP method from `self._post`/`self._get`, the path from its first argument, the query
parameters from the `query={...}` dict, their documentation from the docstring's `Args:`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from drun_conformance._errors import InputError

from ._sdk_facts import Choice, Const, Extracted, Field, Obj, Operation, Parameter, Scalar, Shape, Variants

__all__ = ["python_facts"]

_SCALARS = {
    "str": "string",
    "int": "integer",  # Python's int has no size limit
    "float": "number",
    "bool": "boolean",
    "datetime": "date-time",
    "object": "object",
    "Dict": "object",
    "dict": "object",
    "List": "array",
    "list": "array",
}
_NOT_VALUES = {"Omit", "NotGiven"}  # "leave it out" markers of the SDK's signatures
_VERBS = {"_get": "GET", "_get_api_list": "GET", "_post": "POST", "_put": "PUT", "_patch": "PATCH"}
_VERBS["_delete"] = "DELETE"
_ENVELOPES = (
    ("anthropic.types.beta.beta_webhook_event", "BetaWebhookEvent"),
    ("anthropic.types.beta.unwrap_webhook_event", "UnwrapWebhookEvent"),
)


@dataclass(frozen=True, slots=True)
class _Module:
    dotted: str
    file: str  # inside the package: anthropic/types/beta/x.py
    tree: ast.Module

    def top(self, name: str) -> ast.stmt | None:
        for node in self.tree.body:
            if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name:
                return node
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets
            ):
                return node
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.target.id == name:
                    return node
            if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
                return node
        return None


class _Package:
    def __init__(self, root: Path) -> None:
        self.root = root  # the folder holding anthropic/

    def exists(self, dotted: str) -> bool:
        base = self.root / Path(*dotted.split("."))
        return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()

    @cache  # noqa: B019 (one package per extraction; the cache dies with it)
    def module(self, dotted: str) -> _Module:
        base = self.root / Path(*dotted.split("."))
        path = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, SyntaxError, ValueError) as exc:
            raise InputError(f"python SDK: cannot read {path}: {exc}") from None
        return _Module(dotted, path.relative_to(self.root).as_posix(), tree)

    def find(self, module: _Module, name: str) -> tuple[_Module, ast.stmt]:
        """The definition of `name` as seen from `module`, through imports."""
        node = module.top(name)
        if isinstance(node, ast.ImportFrom):
            alias = next(a for a in node.names if (a.asname or a.name) == name)
            parts = module.dotted.split(".")
            is_package = module.file.endswith("__init__.py")
            base = parts[: len(parts) - node.level + (1 if is_package else 0)] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            if not self.exists(target):
                sub = f"{target}.{alias.name}"  # `from . import x`: a module
                return self.module(sub), ast.Pass()
            return self.find(self.module(target), alias.name)
        if node is None:
            raise InputError(f"python SDK: {name} is not defined in {module.file}")
        return module, node

    def shape(self, module: _Module, expr: ast.expr) -> tuple[Shape, bool]:
        """The shape an annotation stands for, and whether it admits None."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return self.shape(module, ast.parse(expr.value, mode="eval").body)
        parts = _union_parts(expr)
        if parts is not None:
            nullable = any(_is_none(p) for p in parts)
            kept = [p for p in parts if not _is_none(p) and _name(p) not in _NOT_VALUES]
            shapes = [self.shape(module, p) for p in kept]
            nullable = nullable or any(n for _, n in shapes)
            literals = [s for s, _ in shapes if isinstance(s, Const | Choice)]
            if len(shapes) == 1:
                return shapes[0][0], nullable
            if literals and all(isinstance(s, Const | Choice | Scalar) for s, _ in shapes):
                return _merge(literals, module.file), nullable  # Union[str, Literal[...]]: open enum
            variants = tuple(s for s, _ in shapes if isinstance(s, Obj))
            if not variants:  # Union[str, datetime]: the richest of the scalars
                types = [s.type for s, _ in shapes if isinstance(s, Scalar)]
                return Scalar("date-time" if "date-time" in types else types[0]), nullable
            return Variants(module.file, variants), nullable
        if isinstance(expr, ast.Subscript):
            head = _name(expr.value)
            args = expr.slice.elts if isinstance(expr.slice, ast.Tuple) else [expr.slice]
            if head == "Optional":
                return self.shape(module, args[0])[0], True
            if head == "Annotated":
                return self.shape(module, args[0])
            if head == "Literal":
                values = tuple(str(a.value) for a in args if isinstance(a, ast.Constant))
                return (Const(values[0]) if len(values) == 1 else Choice(values, module.file)), False
            return Scalar(_SCALARS.get(head, "object")), False
        name = _name(expr)
        if name in _SCALARS:
            return Scalar(_SCALARS[name]), False
        return self.named(module, name)

    def named(self, module: _Module, name: str) -> tuple[Shape, bool]:
        where, node = self.find(module, name)
        if isinstance(node, ast.ClassDef):
            return self.model(where, node), False
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        if value is None:
            return Scalar("object"), False
        return self.shape(where, value)

    def model(self, module: _Module, cls: ast.ClassDef) -> Obj:
        fields = []
        for node in cls.body:
            if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
                continue
            if node.target.id.startswith("_") or _name(node.annotation) == "ClassVar":
                continue
            shape, nullable = self.shape(module, node.annotation)
            fields.append(Field(_alias(node) or node.target.id, shape, node.value is None, nullable))
        return Obj(module.file, tuple(fields))


def _union_parts(expr: ast.expr) -> list[ast.expr] | None:
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
        return [*(_union_parts(expr.left) or [expr.left]), *(_union_parts(expr.right) or [expr.right])]
    if isinstance(expr, ast.Subscript) and _name(expr.value) == "Union":
        return list(expr.slice.elts) if isinstance(expr.slice, ast.Tuple) else [expr.slice]
    return None


def _merge(literals: Sequence[Shape], file: str) -> Choice:
    values: list[str] = []
    for s in literals:
        values += [s.value] if isinstance(s, Const) else list(s.values) if isinstance(s, Choice) else []
    return Choice(tuple(values), file)


def _is_none(expr: ast.expr) -> bool:
    return isinstance(expr, ast.Constant) and expr.value is None


def _name(expr: ast.expr) -> str:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript):
        return _name(expr.value)
    return ""


def _alias(node: ast.AnnAssign) -> str | None:
    if isinstance(node.value, ast.Call):
        for keyword in node.value.keywords:
            if keyword.arg == "alias" and isinstance(keyword.value, ast.Constant):
                return str(keyword.value.value)
    return None


def python_facts(root: Path) -> Extracted:
    """The facts of the `anthropic` package in `root` (the folder holding `anthropic/`)."""
    package = _Package(root)
    deployments = package.module("anthropic.resources.beta.deployments")
    run_op, run_fn = _operation(package, deployments, "Deployments", "run", "client.beta.deployments.run")
    returns = run_fn.returns
    if returns is None:
        raise InputError(f"python SDK: Deployments.run in {deployments.file} has no return annotation")
    run, _ = package.shape(deployments, returns)
    if not isinstance(run, Obj):
        raise InputError(f"python SDK: Deployments.run in {deployments.file} returns no model")
    operations = [run_op]
    page = None
    if package.exists("anthropic.resources.beta.deployment_runs"):
        runs = package.module("anthropic.resources.beta.deployment_runs")
        retrieve, _ = _operation(
            package, runs, "DeploymentRuns", "retrieve", "client.beta.deployment_runs.retrieve"
        )
        listing, list_fn = _operation(
            package, runs, "DeploymentRuns", "list", "client.beta.deployment_runs.list"
        )
        operations += [retrieve, listing]
        page_shape = package.shape(runs, _page_class(list_fn))[0]
        page = page_shape if isinstance(page_shape, Obj) else None
    betas = _betas(package, deployments, run_fn)
    return Extracted(
        run=run,
        operations=tuple(operations),
        headers=_headers(package, deployments, run_fn),
        page=page,
        webhook=_envelope(package),
        betas=betas,
        api_errors=_api_errors(package),
    )


def _function(module: _Module, cls_name: str, name: str) -> ast.FunctionDef:
    for node in module.tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == name:
                    return item
    raise InputError(f"python SDK: no {cls_name}.{name} in {module.file}")


def _operation(
    package: _Package, module: _Module, cls_name: str, name: str, sdk_method: str
) -> tuple[Operation, ast.FunctionDef]:
    fn = _function(module, cls_name, name)
    call = next(
        (
            n
            for n in ast.walk(fn)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in _VERBS
        ),
        None,
    )
    if call is None or not call.args:
        raise InputError(f"python SDK: {cls_name}.{name} in {module.file} makes no request")
    assert isinstance(call.func, ast.Attribute)
    path = _path(call.args[0]).partition("?")[0]
    docs = _arg_docs(ast.get_docstring(fn) or "")
    annotations = {a.arg: a.annotation for a in [*fn.args.args, *fn.args.kwonlyargs] if a.annotation}
    parameters = []
    for query in (n for n in ast.walk(call) if isinstance(n, ast.keyword) and n.arg == "query"):
        for mapping in (n for n in ast.walk(query.value) if isinstance(n, ast.Dict)):
            for key, value in zip(mapping.keys, mapping.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Name) and value.id in annotations:
                    shape = package.shape(module, annotations[value.id])[0]
                    parameters.append(
                        Parameter(str(key.value), "query", shape, docs.get(value.id, ""), module.file)
                    )
    operation = Operation(sdk_method, _VERBS[call.func.attr], path, module.file, tuple(parameters))
    return operation, fn


def _path(expr: ast.expr) -> str:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value
    if isinstance(expr, ast.Call) and expr.args:  # path_template("/v1/x/{id}", id=id)
        return _path(expr.args[0])
    if isinstance(expr, ast.JoinedStr):  # f"/v1/x/{id}"
        return "".join(
            str(v.value) if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
            for v in expr.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        )
    return ""


def _arg_docs(docstring: str) -> dict[str, str]:
    """`Args:` of a Google-style docstring: argument -> its text on one line."""
    docs: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in docstring.partition("Args:")[2].splitlines():
        entry = re.match(r"^\s{2}(\w+): (.*)$", line)
        if entry:
            current = docs.setdefault(entry.group(1), [entry.group(2)])
        elif current is not None and line.startswith("      "):
            current.append(line.strip())
        elif not line.strip():
            current = None
    return {name: " ".join(" ".join(text).split()) for name, text in docs.items()}


def _page_class(fn: ast.FunctionDef) -> ast.expr:
    returns = fn.returns
    if isinstance(returns, ast.Subscript):
        return returns.value  # SyncPageCursor[BetaManagedAgentsDeploymentRun] -> SyncPageCursor
    return returns if returns is not None else ast.Name("object")


def _betas(package: _Package, module: _Module, fn: ast.FunctionDef) -> Choice | None:
    for arg in fn.args.kwonlyargs:
        if arg.arg == "betas" and arg.annotation is not None:
            lists = [
                n for n in ast.walk(arg.annotation) if isinstance(n, ast.Subscript) and _name(n) == "List"
            ]
            if lists:
                shape = package.shape(module, lists[0].slice)[0]
                return shape if isinstance(shape, Choice) else None
    return None


def _headers(package: _Package, module: _Module, fn: ast.FunctionDef) -> dict[str, tuple[str | None, str]]:
    headers: dict[str, tuple[str | None, str]] = {}
    for mapping in (n for n in ast.walk(fn) if isinstance(n, ast.Dict)):
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if isinstance(key, ast.Constant) and str(key.value).startswith("anthropic-"):
                fixed = value.value if isinstance(value, ast.Constant) else None
                if key.value not in headers or fixed is not None:
                    headers[str(key.value)] = (fixed if isinstance(fixed, str) else None, module.file)
    client = package.module("anthropic._client")
    for mapping in (n for n in ast.walk(client.tree) if isinstance(n, ast.Dict)):
        for key, value in zip(mapping.keys, mapping.values, strict=True):
            if isinstance(key, ast.Constant) and key.value == "anthropic-version":
                headers["anthropic-version"] = _constant(package, client, value)
    return headers


def _constant(package: _Package, module: _Module, expr: ast.expr) -> tuple[str | None, str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return expr.value, module.file
    if isinstance(expr, ast.Name):
        where, node = package.find(module, expr.id)
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            return _constant(package, where, node.value)
    return None, module.file


def _api_errors(package: _Package) -> Choice | None:
    if not package.exists("anthropic.types.shared.error_response"):
        return None
    module = package.module("anthropic.types.shared.error_response")
    cls = module.top("ErrorResponse")
    if not isinstance(cls, ast.ClassDef):
        return None
    error = package.model(module, cls).get("error")
    if error is None or not isinstance(error.shape, Variants):
        return None
    tags = [
        f.shape.value for v in error.shape.variants if (f := v.get("type")) and isinstance(f.shape, Const)
    ]
    return Choice(tuple(tags), error.shape.file)


def _envelope(package: _Package) -> Obj | None:
    for dotted, name in _ENVELOPES:
        if package.exists(dotted):
            module = package.module(dotted)
            cls = module.top(name)
            if isinstance(cls, ast.ClassDef):
                return package.model(module, cls)
    return None
