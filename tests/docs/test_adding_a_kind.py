"""docs/adding-a-kind.md explains every field a kind can set: a field added to ``Kind`` (or to the
conventions it holds) without a word in the guide is a convention a newcomer cannot find.

A field counts as documented when the guide names it in a code span (``unique_names``,
``listing.owned_prefix``, ``unique_names=False``) or sets it in the walk-through's ``KIND = Kind(…)``.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from reconciler.kinds import Kind
from reconciler.kinds.conventions import ChildCollection, Listing, SubResource

DOC = Path(__file__).resolve().parents[2] / "docs" / "adding-a-kind.md"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_NAME = re.compile(r"[A-Za-z_][\w.]*")


def _example_kwargs() -> dict[str, set[str]]:
    """The keyword arguments of each call in the guide's ``KIND = Kind(…)`` example, by callee."""
    blocks = [code for lang, code in _FENCE.findall(DOC.read_text()) if lang == "python" and "KIND = Kind(" in code]
    assert len(blocks) == 1, "the guide walks through one KIND = Kind(...)"
    out: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(blocks[0])):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            out.setdefault(node.func.id, set()).update(k.arg for k in node.keywords if k.arg)
    return out


def _named() -> set[str]:
    """Each code span's leading (dotted) name, outside fenced blocks."""
    prose = _FENCE.sub("", DOC.read_text())
    return {m.group(0) for span in _SPAN.findall(prose) if (m := _NAME.match(span))}


def _fields(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.mark.parametrize("name", _fields(Kind))
def test_every_kind_field_is_explained(name: str) -> None:
    assert name in _named() | _example_kwargs()["Kind"], f"docs/adding-a-kind.md never explains Kind.{name}"


@pytest.mark.parametrize("name", _fields(Listing))
def test_every_listing_field_is_explained(name: str) -> None:
    documented = {n.removeprefix("listing.") for n in _named() if n.startswith("listing.")}
    assert name in documented | _example_kwargs()["Listing"], f"docs/adding-a-kind.md never explains listing.{name}"


def _parts() -> list[tuple[str, dataclasses.Field[object]]]:
    return [("sub_resource", f) for f in dataclasses.fields(SubResource)] + [
        ("children", f) for f in dataclasses.fields(ChildCollection)
    ]


@pytest.mark.parametrize(("prefix", "part"), _parts(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_every_field_of_a_written_part_is_explained(prefix: str, part: dataclasses.Field[object]) -> None:
    """A sub-resource's and a child collection's fields. The optional ones (what a kind opts into,
    ``name_inner``, ``delete_param``) under their qualified name; the others, the shape every such
    part has, at least named in the convention's row."""
    named = _named()
    qualified = f"{prefix}.{part.name}"
    optional = part.default is not dataclasses.MISSING
    assert qualified in named or (not optional and part.name in named), (
        f"docs/adding-a-kind.md never explains {qualified}"
    )
