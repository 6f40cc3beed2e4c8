"""The official SDK's models and operations, read from its source without importing it.

``PureCloudPlatformClientV2`` takes seconds to import (thousands of model modules); the
fidelity test needs a few dozen models, so it parses them: each model's ``__init__``
holds ``swagger_types`` (python type per attribute) and ``attribute_map`` (attribute to
JSON name) as dict literals, and each enum property's setter holds ``allowed_values``.
Each api method carries its body and answer model in its annotations (or, when the body
is a keyword argument, in its docstring's ``:param Model body:`` line), its path in
``resource_path`` and its query parameters in ``query_params['name'] = ...`` lines.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

_SPEC = importlib.util.find_spec("PureCloudPlatformClientV2")  # finds the package without running it
assert _SPEC is not None and _SPEC.submodule_search_locations, "the SDK PureCloudPlatformClientV2 is not installed"
SDK_ROOT = Path(next(iter(_SPEC.submodule_search_locations)))

_SCALARS = {"str": "string", "int": "integer", "bool": "boolean", "float": "number", "datetime": "string",
            "date": "string", "object": None}


@dataclass(frozen=True)
class SdkField:
    json_name: str
    python_type: str  # as in swagger_types: 'str', 'list[Phrase]', 'dict(str, object)', 'DomainEntityRef'
    allowed: tuple[str, ...] | None  # the setter's allowed_values, None when not an enum

    @property
    def json_type(self) -> str | None:
        """The JSON type of the value (None for the SDK's untyped ``object``)."""
        if self.python_type.startswith("list["):
            return "array"
        if self.python_type.startswith("dict("):
            return "object"
        return _SCALARS.get(self.python_type, "object")

    @property
    def model(self) -> str | None:
        """The SDK model of the value, or of its items for a list/dict of models."""
        inner = self.python_type
        if inner.startswith("list["):
            inner = inner[5:-1]
        elif inner.startswith("dict("):
            inner = inner.split(",", 1)[1].strip()[:-1]
        return None if inner in _SCALARS or inner.startswith(("list[", "dict(")) else inner


@dataclass(frozen=True)
class SdkModel:
    name: str
    fields: dict[str, SdkField]  # by JSON name


@dataclass(frozen=True)
class SdkOperation:
    method: str  # the SDK api method, e.g. post_speechandtextanalytics_topics
    http: str  # GET, POST, ...
    path: str  # /api/v2/speechandtextanalytics/topics/{topicId}
    body: str | None  # the request model
    answer: str | None  # the response model


@lru_cache(maxsize=1)
def _model_modules() -> dict[str, str]:
    text = (SDK_ROOT / "models" / "__init__.py").read_text()
    return {cls: module for module, cls in re.findall(r"^from \.(\w+) import (\w+)$", text, re.M)}


@cache
def model(name: str) -> SdkModel:
    """The SDK model ``name``: its fields by JSON name with their types and enum values."""
    source = (SDK_ROOT / "models" / f"{_model_modules()[name]}.py").read_text()
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name)
    literals: dict[str, dict[str, str]] = {}
    allowed: dict[str, tuple[str, ...]] = {}
    for node in cls.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for stmt in ast.walk(node):
            if not isinstance(stmt, ast.Assign) or len(stmt.targets) != 1:
                continue
            target = stmt.targets[0]
            if node.name == "__init__" and isinstance(target, ast.Attribute) and target.attr in (
                    "swagger_types", "attribute_map"):
                literals[target.attr] = ast.literal_eval(stmt.value)
            elif isinstance(target, ast.Name) and target.id == "allowed_values" and _is_setter(node):
                allowed[node.name] = tuple(ast.literal_eval(stmt.value))
    types, names = literals["swagger_types"], literals["attribute_map"]
    return SdkModel(name, {names[a]: SdkField(names[a], t, allowed.get(a)) for a, t in types.items()})


def _is_setter(node: ast.FunctionDef) -> bool:
    return any(isinstance(d, ast.Attribute) and d.attr == "setter" for d in node.decorator_list)


@cache
def _api(module: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse((SDK_ROOT / "apis" / f"{module}.py").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef))
    return {n.name: n for n in cls.body if isinstance(n, ast.FunctionDef)}


def operation(module: str, method: str) -> SdkOperation:
    """The SDK api method ``module.method``: its HTTP method, path, body model and answer model."""
    fn = _api(module)[method]
    source = ast.unparse(fn)
    path = re.search(r"resource_path = '([^']+)'", source)
    http = re.search(r"call_api\(resource_path, '(\w+)'", source)
    assert path and http, f"{module}.{method}: no resource_path/call_api"
    body = next((_annotation(a.annotation) for a in fn.args.args if a.arg == "body"), None)
    if body is None:
        documented = re.search(r":param (\w+) body:", ast.get_docstring(fn) or "")
        body = documented.group(1) if documented else None
    return SdkOperation(method, http.group(1), path.group(1), body, _annotation(fn.returns))


@lru_cache(maxsize=1)
def _queries() -> dict[tuple[str, str], list[tuple[str, frozenset[str]]]]:
    """``(HTTP method, path with {} for each path parameter)`` -> ``[(api.method, its query parameters)]``.

    Read with regular expressions, not parsed: every api module is scanned, and each method's
    ``resource_path``, ``call_api`` verb and ``query_params['name'] =`` lines are all it needs.
    """
    out: dict[tuple[str, str], list[tuple[str, frozenset[str]]]] = {}
    for module in sorted((SDK_ROOT / "apis").glob("*_api.py")):
        for chunk in module.read_text().split("\n    def ")[1:]:
            path = re.search(r"resource_path = '([^']+)'", chunk)
            http = re.search(r"call_api\(resource_path, '(\w+)'", chunk)
            if path and http:
                key = (http.group(1), re.sub(r"\{[^}]+\}", "{}", path.group(1)))
                params = frozenset(re.findall(r"query_params\['(\w+)'\] =", chunk))
                out.setdefault(key, []).append((f"{module.stem}.{chunk.split('(', 1)[0]}", params))
    return out


def query_params(http: str, path: str) -> tuple[str, frozenset[str]]:
    """The SDK method at ``http path`` (path parameters named anyhow) and the query parameters it sends."""
    found = _queries().get((http.upper(), re.sub(r"\{[^}]+\}", "{}", path)), [])
    assert len(found) == 1, f"{http} {path}: SDK methods {found or 'none'}"
    return found[0]


def _annotation(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


__all__ = ["SDK_ROOT", "SdkField", "SdkModel", "SdkOperation", "model", "operation", "query_params"]
