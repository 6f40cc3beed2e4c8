"""Warnings for ``$${env:…}``/``$${ref:…}``, whose meaning changed when ``$${`` became an escape.

Before the escape, ``$${env:X}`` read as ``$`` followed by X's value; now it is the literal
text ``${env:X}`` (:mod:`reconciler.manifests.desired`). A manifest written for the old
reading would now send the placeholder's text where it meant the value, quietly: the plan
shows it as ordinary text. So ``validate`` and ``plan`` name each one, with where it is
written and what to write to read the variable. An export writes such text on purpose
(live text that looks like a placeholder); the warning then points at live text worth a
look (anyone who can edit the org could have set it to fish for a secret).
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.core.errors import ManifestWarning
from reconciler.core.jsonpath import format_path, strings_containing
from reconciler.manifests.desired import DesiredObject, escaped_placeholders


def escape_warnings(objects: Sequence[DesiredObject]) -> list[ManifestWarning]:
    """One per ``$${env:…}``/``$${ref:…}`` of the specs: where it is written, object, field, and both readings.

    Located (not a line of text) so that ``validate --format sarif`` and ``plan --format sarif`` put
    each at its line, and each names its object's key.
    """
    out: list[ManifestWarning] = []
    for obj in objects:
        if obj.placeholder_free:  # no ``${`` at all: the walk below would find nothing
            continue
        for path, text in strings_containing(obj.spec, "$${"):
            shown = format_path(path)
            where = obj.locations.get(shown, obj.source)
            out.extend(
                ManifestWarning(where, (
                    f"{obj.kind}/{obj.name} spec.{shown}: {meant!r} is now the literal text {meant[1:]!r} "
                    f"('$${{' escapes '${{'), no longer '$' and the placeholder's value; to read it write {meant[1:]}"
                ), obj.key)
                for meant in escaped_placeholders(text)
            )
    return out
