"""The README is the front door to docs/: every page is reachable from it, and no link is dead.

A page nothing links is a page nobody finds (``docs/json-format.md`` was one); a link to a
moved file or a renamed heading sends the reader nowhere. Relative links are checked
down to the heading (``page.md#anchor``), with GitHub's rules for heading anchors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = REPO / "docs"

_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def pages() -> list[Path]:
    return [README, *sorted(DOCS.rglob("*.md"))]


def prose(path: Path) -> str:
    """The text outside code blocks and code spans: links shown as code are not links."""
    return _CODE.sub("", _FENCE.sub("", path.read_text(encoding="utf-8")))


def links(path: Path) -> Iterator[str]:
    yield from _LINK.findall(prose(path))


def anchors(path: Path) -> set[str]:
    return slugs(_FENCE.sub("", path.read_text(encoding="utf-8")))


def slugs(text: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to ``-``, repeats numbered."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for heading in _HEADING.findall(text):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(README.parent / link.split("#")[0]).resolve() for link in links(README) if not _external(link)}
    unlinked = [p.relative_to(REPO).as_posix() for p in DOCS.rglob("*") if p.is_file() and p.resolve() not in linked]
    assert not unlinked, f"docs pages the README does not link: {unlinked}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    dead = []
    for link in links(page):
        if _external(link):
            continue
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        if not path.exists():
            dead.append(f"{link} (no such file)")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            dead.append(f"{link} (no such heading in {path.relative_to(REPO).as_posix()})")
    assert not dead, f"{page.relative_to(REPO).as_posix()}: dead links: {dead}"


def test_the_anchor_rules_match_githubs() -> None:
    assert slugs("## Forwarding: `apply --audit-url URL`") == {"forwarding-apply---audit-url-url"}
    assert slugs("# A\n## A") == {"a", "a-1"}


def _external(link: str) -> bool:
    return bool(re.match(r"^[a-z][a-z0-9+.-]*:", link))
