"""The envelope of one manifest document: ``apiVersion``, ``kind``, ``metadata.name``, ``spec``.

``metadata.id`` (optional) pins the document to one live object by id, for kinds whose
names the platform lets several objects share (process-automation triggers: CX as Code
keys them by id too). Export writes it when names collide.

Checked before the spec, so that a mistyped ``kind`` or ``metdata`` is reported as
such (with the closest valid word) instead of as a confusing spec error. A document
keeps going as far as it can: a bad name does not stop its spec from being checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reconciler.core.errors import ManifestIssue
from reconciler.core.jsonpath import JsonPath, format_path
from reconciler.core.suggest import closest
from reconciler.kinds import REGISTRY, Kind, unknown_kind_message
from reconciler.kinds.spec import type_name, validate_name
from reconciler.manifests.yamlsource import SourceDocument

API_VERSION = "reconciler/v1"
TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec")
METADATA = ("name", "id")


#: a problem of the envelope, not yet placed: (path, message, at the key, the path as shown)
Problem = tuple[JsonPath, str, bool, str | None]


@dataclass(slots=True)  # one per document, all alive until every spec is checked
class ParsedDocument:
    """A document whose envelope was read; ``kind``/``name``/``spec`` are None when unusable."""

    file: str
    doc: SourceDocument
    kind: Kind | None = None
    name: str | None = None
    pinned_id: str | None = None
    spec: dict[str, Any] | None = None
    #: what :meth:`issues` places; counted unplaced when the load keeps no more issues
    problems: list[Problem] = field(default_factory=list)

    def issue(self, path: JsonPath, message: str, *, at_key: bool = False, shown: str | None = None) -> None:
        """Record a problem at ``path`` of the document (its key with ``at_key``), placed when listed.

        A problem with the value at a part already reported as bad YAML (a tag, an escape of half
        a surrogate pair) is left out: the YAML's problem is the true one, and the ``None`` it left
        there would be reported a second time at the same place ("is required", "expected a
        string, got null"), as the spec's rules already are not (:meth:`SourceDocument.is_broken`).
        A problem with the key itself (an unknown field) is another problem, and stays.
        """
        if not at_key and self.doc.is_broken(path):
            return
        self.problems.append((path, message, at_key, shown))

    def issues(self) -> list[ManifestIssue]:
        """The problems, each at its file:line:column.

        Placed only when asked: a place may re-derive the document's marks from its file,
        which a load that already holds its bound of issues skips (see :mod:`.issues`).
        """
        out: list[ManifestIssue] = []
        for path, message, at_key, shown in self.problems:
            line, column = self.doc.mark(path, key=at_key)
            text = shown if shown is not None else format_path(path)
            out.append(ManifestIssue(self.file, line, column, text, message))
        return out


def _unknown_key(parsed: ParsedDocument, path: JsonPath, allowed: tuple[str, ...]) -> None:
    key = str(path[-1])
    close = closest(key, allowed)
    hint = f" (did you mean {close!r}?)" if close else f" (allowed: {', '.join(allowed)})"
    parsed.issue(path, "unknown field" + hint, at_key=True)


def parse_document(file: str, doc: SourceDocument) -> ParsedDocument:
    """Read and check the envelope of ``doc``."""
    parsed = ParsedDocument(file=file, doc=doc)
    value = doc.value
    if not isinstance(value, dict):
        parsed.issue((), f"a manifest document must be a mapping with {', '.join(TOP_LEVEL)}; got {type_name(value)}")
        return parsed
    for key in value:
        if key not in TOP_LEVEL:
            _unknown_key(parsed, (key,), TOP_LEVEL)
    _check_api_version(parsed, value)
    parsed.kind = _read_kind(parsed, value)
    parsed.name = _read_name(parsed, value)
    parsed.pinned_id = _read_pinned_id(parsed, value)
    _check_singleton_name(parsed)
    spec = value.get("spec")
    if "spec" not in value:
        parsed.issue((), "is required", shown="spec")
    elif not isinstance(spec, dict):
        parsed.issue(("spec",), f"expected a mapping, got {type_name(spec)}")
    else:
        parsed.spec = spec
    return parsed


def _check_api_version(parsed: ParsedDocument, value: dict[str, Any]) -> None:
    if "apiVersion" not in value:
        parsed.issue((), f"is required (apiVersion: {API_VERSION})", shown="apiVersion")
    elif value["apiVersion"] != API_VERSION:
        parsed.issue(("apiVersion",), f"{value['apiVersion']!r} is not supported; use {API_VERSION}")


def _read_kind(parsed: ParsedDocument, value: dict[str, Any]) -> Kind | None:
    if "kind" not in value:
        parsed.issue((), f"is required (one of {', '.join(REGISTRY)})", shown="kind")
        return None
    kind = value["kind"]
    if not isinstance(kind, str):
        parsed.issue(("kind",), f"expected a string, got {type_name(kind)}")
        return None
    if kind not in REGISTRY:
        parsed.issue(("kind",), unknown_kind_message(kind))
        return None
    return REGISTRY[kind]


def _check_singleton_name(parsed: ParsedDocument) -> None:
    """The org's one object of a singleton kind has a fixed identity, which the manifest must use."""
    kind, name = parsed.kind, parsed.name
    if kind is None or kind.singleton is None or name is None or name == kind.singleton.name:
        return
    parsed.issue(
        ("metadata", "name"),
        f"{kind.name} is the org's single settings object: its name is always {kind.singleton.name!r}, not {name!r}",
    )
    parsed.name = None


def _read_name(parsed: ParsedDocument, value: dict[str, Any]) -> str | None:
    if "metadata" not in value:
        parsed.issue((), "is required (metadata: {name: ...})", shown="metadata")
        return None
    metadata = value["metadata"]
    if not isinstance(metadata, dict):
        parsed.issue(("metadata",), f"expected a mapping, got {type_name(metadata)}")
        return None
    for key in metadata:
        if key not in METADATA:
            _unknown_key(parsed, ("metadata", key), METADATA)
    path: JsonPath = ("metadata", "name")
    if "name" not in metadata:
        parsed.issue(("metadata",), "is required", shown="metadata.name")
        return None
    # the kind's own cap (the platform's differ by kind); a kind unknown or missing, reported apart,
    # gets the longest any kind allows, so its name is flagged only when no kind would take it
    kind = parsed.kind
    name_max = kind.name_max if kind is not None else max(k.name_max for k in REGISTRY.values())
    problems = validate_name(metadata["name"], name_max)
    for problem in problems:
        parsed.issue(path, problem.message)
    if problems:
        return None
    name: str = metadata["name"]
    if "${" in name:
        parsed.issue(path, f"a name is the object's identity and cannot hold a placeholder{_NO_ESCAPE}")
        return None
    return name


#: why a name or id holding ``$${`` is refused too (docs/manifests.md, "Escaping"): identity is compared
#: as written, never read for escapes, and said "cannot hold a placeholder" of a value that held none
_NO_ESCAPE = " or any '${', escaped as '$${' or not: identity is compared as written, never read for escapes"


def _read_pinned_id(parsed: ParsedDocument, value: dict[str, Any]) -> str | None:
    """``metadata.id``: a non-empty string without placeholders, or absent."""
    metadata = value.get("metadata")
    if not isinstance(metadata, dict) or "id" not in metadata:
        return None
    pinned = metadata["id"]
    path: JsonPath = ("metadata", "id")
    if not isinstance(pinned, str):
        parsed.issue(path, f"expected a string, got {type_name(pinned)}")
        return None
    if not pinned.strip():
        parsed.issue(path, "must not be empty")
        return None
    if "${" in pinned:
        parsed.issue(path, f"an id pins the object's identity and cannot hold a placeholder{_NO_ESCAPE}")
        return None
    return pinned
