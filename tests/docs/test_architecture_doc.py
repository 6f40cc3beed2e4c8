"""docs/architecture.md is the package's map: its folder map names every module where it lives and
no module that is gone, and its import diagram is the layers contract ``lint-imports`` enforces.

The map is where a newcomer looks for "where does X live"; modules added in a split
(``sandbox/store.py``, ``manifests/elsewhere.py``) were missing from it, so the reader could not
find them, and a module renamed or folded away would have been sent for in vain.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"
PACKAGE = REPO / "reconciler"
#: the words of the map that describe rather than name a module
_PROSE = {"the", "a", "and", "one", "module", "per", "command", "kind", "use", "cases", "each", "returning",
          "result", "object", "embedded", "served", "fake", "Genesys", "py", "__init__"}


def folder_map() -> dict[str, str]:
    """Each folder's entry in the map, its continuation lines joined."""
    block = DOC.read_text(encoding="utf-8").split("## The folder map", 1)[1].split("```", 2)[1]
    out: dict[str, str] = {}
    folder = None
    for line in block.splitlines():
        if match := re.match(r"^  (\w+)/\s+(.*)", line):
            folder = match[1]
            out[folder] = match[2]
        elif folder and line.startswith("    "):
            out[folder] += " " + line.strip()
    return out


def outside_parentheses(text: str) -> str:
    while (shorter := re.sub(r"\([^()]*\)", "", text)) != text:
        text = shorter
    return text


def modules(folder: str) -> set[str]:
    return {p.stem for p in (PACKAGE / folder).glob("*.py") if p.stem != "__init__"}


def kind_modules() -> set[str]:
    """The kinds' own modules: the map says "one module per kind" instead of naming twelve."""
    return {p.stem for p in (PACKAGE / "kinds").glob("*.py") if re.search(r"^KIND\b", p.read_text(), re.M)}


def folders() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())


def test_the_map_has_every_folder() -> None:
    assert sorted(folder_map()) == folders()


@pytest.mark.parametrize("folder", folders())
def test_the_map_names_every_module_of_the_folder(folder: str) -> None:
    entry = folder_map()[folder]
    words = set(re.findall(r"\w+\*?", entry))
    wildcards = [w[:-1] for w in words if w.endswith("*")]
    exempt = kind_modules() if folder == "kinds" else set()
    missing = sorted(m for m in modules(folder) - words - exempt if not m.startswith(tuple(wildcards)))
    assert not missing, f"docs/architecture.md's map of {folder}/ never names {missing}"


@pytest.mark.parametrize("folder", folders())
def test_the_map_names_no_module_that_is_not_there(folder: str) -> None:
    named = set(re.findall(r"\w+", outside_parentheses(folder_map()[folder]).replace(".py", " ")))
    gone = sorted(named - modules(folder) - _PROSE)
    assert not gone, f"docs/architecture.md's map of {folder}/ names modules that are not there: {gone}"


def test_the_import_diagram_is_the_layers_contract() -> None:
    text = DOC.read_text(encoding="utf-8").split("## Dependency rules", 1)[1]
    diagram = text.split("```", 2)[1].strip()
    drawn = [set(layer.split(" | ")) for layer in (s.strip() for s in diagram.split("──▶"))]
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    contract = [{m.strip().removeprefix("reconciler.") for m in layer.split("|")} for layer in layers]
    assert drawn == contract


def test_every_forbidden_contract_is_stated() -> None:
    """Each forbidden contract's source and forbidden folders appear together in one rule's bullet."""
    text = DOC.read_text(encoding="utf-8").split("## Dependency rules", 1)[1].split("\n## ", 1)[0]
    bullets = [b for b in re.split(r"\n- ", text)[1:]]
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    for contract in (c for c in config["contracts"] if c["type"] == "forbidden"):
        names = [f"`{m.removeprefix('reconciler.')}`" for m in contract["source_modules"] + contract["forbidden_modules"]]
        assert any(all(n in b for n in names) for b in bullets), f"no rule in docs/architecture.md says: {contract['name']}"
