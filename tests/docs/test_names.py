"""Every module, name and file the README and docs/ name exists under that name.

The code moves (modules split, classes renamed, helpers folded into others) and prose does
not follow by itself: a newcomer who reads ``plan.builder.build_plan`` or
``reconciler/plan/livechecks.py`` and finds nothing there stops trusting the rest. Checked,
in every page, in prose and code blocks alike:

- dotted Python names: ``reconciler.x.y`` anywhere, and code spans that start with one of the
  package's folders (``plan.builder.build_plan``, ``app.live.read_live``), are imported and
  looked up attribute by attribute;
- attributes of the kinds' data as the guides write them (``listing.owned_prefix``,
  ``kind.validate_body``, ``Kind.shown_with_feature``, ``SandboxOptions.features_off``);
- file paths in code spans under one of the repository's folders (``reconciler/kinds/kind.py``,
  ``tests/docs/test_readme.py``, ``sandbox/app.py`` under ``reconciler/``) and bare test or
  module file names (``corpus_cases.py``), which must be somewhere in the repository.

Names that are examples rather than files (``<Kind>``, ``*``, ``…``) are skipped.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import re
from functools import cache
from pathlib import Path

import pytest

from reconciler.kinds import Kind
from reconciler.kinds.conventions import ChildCollection, Listing, Permissions, SubResource

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "reconciler"
FOLDERS = tuple(sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()))
#: the repository's own top folders: not what a run leaves in a checkout (.reconciler/, .venv/, caches), which
#: a clean clone lacks and the docs name as what a run makes
TOP = tuple(sorted(p.name for p in REPO.iterdir() if p.is_dir() and not p.name.startswith("__")
                   and (not p.name.startswith(".") or p.name in (".github", ".ci"))))
_FILE_SUFFIX = r"\.(?:yaml|yml|json|jsonl|md|db|py|toml|txt|torn|delivered|backlog|lock)\b"

_SPAN = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"\breconciler(?:\.\w+)+")
_FOLDER_DOTTED = re.compile(rf"^(?:{'|'.join(FOLDERS)})(?:\.\w+)+")
_ATTR = re.compile(r"^(kind|listing|sub_resource|children|permissions|[A-Z]\w+)\.([a-z_]\w*)")
_PATH = re.compile(r"^\.?[\w.-]+(?:/[\w.-]+)+/?$")
_BARE_FILE = re.compile(r"^[a-z_][\w]*\.py$")

#: the objects the guides name by their lower-case role
_ROLES: dict[str, type] = {
    "kind": Kind, "listing": Listing, "sub_resource": SubResource, "children": ChildCollection,
    "permissions": Permissions,
}


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def spans(page: Path) -> set[str]:
    return {s.strip() for s in _SPAN.findall(page.read_text(encoding="utf-8"))}


def resolves(dotted: str) -> bool:
    """``a.b.c`` names a module, or an attribute of the longest module prefix."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for part in parts[i:]:
            if not has(obj, part):
                return False
            obj = getattr(obj, part, None)
        return True
    return False


def has(obj: object, name: str) -> bool:
    """An attribute, a dataclass field or a pydantic field (the kinds' data are both)."""
    if hasattr(obj, name):
        return True
    if isinstance(obj, type) and dataclasses.is_dataclass(obj):
        return name in {f.name for f in dataclasses.fields(obj)}
    return name in getattr(obj, "model_fields", {})


@cache
def classes() -> dict[str, list[type]]:
    """Every class the package defines, by name."""
    out: dict[str, list[type]] = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef):
                out.setdefault(node.name, []).append(getattr(importlib.import_module(module), node.name))
    return out


def python_names(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    found = {m for m in _DOTTED.findall(text) if not re.search(_FILE_SUFFIX, m + " ")}
    for span in spans(page):
        if (m := _FOLDER_DOTTED.match(span)) and not re.search(_FILE_SUFFIX, span):
            found.add("reconciler." + m.group(0))
    return found


def attributes(page: Path) -> set[tuple[str, str]]:
    """``owner.attribute`` spans, but not the official SDK's (``SDK `IntegrationConfiguration.name```)."""
    text = page.read_text(encoding="utf-8")
    out = set()
    own = {m[1].strip() for m in _SPAN.finditer(text) if not re.search(r"SDK\s+$", text[: m.start()])}
    for span in own:
        m = _ATTR.match(span)
        if m and not re.search(_FILE_SUFFIX, span) and (m[1] in _ROLES or m[1] in classes()):
            out.add((m[1], m[2]))
    return out


def paths(page: Path) -> set[str]:
    out = set()
    for span in spans(page):
        if any(c in span for c in "<>*…{}$") or "..." in span:
            continue
        if _PATH.match(span) and span.split("/")[0] in (*TOP, *FOLDERS) or _BARE_FILE.match(span):
            out.add(span)
    return out


def exists(path: str) -> bool:
    if "/" not in path:
        return any(REPO.glob(f"[!.]*/**/{path}"))
    return (REPO / path).exists() or (PACKAGE / path).exists()


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_dotted_python_name_resolves(page: Path) -> None:
    dead = sorted(n for n in python_names(page) if not resolves(n))
    assert not dead, f"{page.relative_to(REPO).as_posix()} names what the package does not have: {dead}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_attribute_of_the_kinds_data_exists(page: Path) -> None:
    dead = []
    for owner, name in sorted(attributes(page)):
        candidates = [_ROLES[owner]] if owner in _ROLES else classes()[owner]
        if not any(has(c, name) for c in candidates):
            dead.append(f"{owner}.{name}")
    assert not dead, f"{page.relative_to(REPO).as_posix()} names attributes that do not exist: {dead}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_file_path_exists(page: Path) -> None:
    dead = sorted(p for p in paths(page) if not exists(p))
    assert not dead, f"{page.relative_to(REPO).as_posix()} names files that are not there: {dead}"


def test_the_checks_see_what_they_check() -> None:
    guide = REPO / "docs" / "adding-a-kind.md"
    assert "reconciler.sandbox.openapi" in python_names(guide)
    assert ("listing", "owned_prefix") in attributes(guide)
    assert {"reconciler/kinds/kind.py", "tests/realkinds/test_validation.py"} <= paths(guide)
    assert not resolves("reconciler.plan.builder.no_such_name") and not exists("reconciler/no_such.py")
    assert "reconciler.plan.builder.build_plan" in python_names(REPO / "docs" / "architecture.md")
