"""Rules that span documents: unique identities, references that resolve, no cycles.

A reference names an object declared in the manifests; an object managed elsewhere is
pointed at by writing its id. So a reference to anything undeclared is an error now,
not a surprise at apply time.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from reconciler.core.errors import ManifestIssue
from reconciler.core.graph import ReferenceGraph, describe_cycle
from reconciler.core.keys import Location, ObjectKey
from reconciler.core.suggest import closest
from reconciler.kinds import REGISTRY, unknown_kind_message
from reconciler.manifests.desired import PLACEHOLDER, DesiredObject, Reference, literal
from reconciler.manifests.issues import Issues


def identity_issues(objects: Sequence[DesiredObject]) -> list[ManifestIssue]:
    """Two documents declaring the same (kind, name), names compared case-insensitively."""
    first: dict[ObjectKey, DesiredObject] = {}
    issues: list[ManifestIssue] = []
    for obj in objects:
        earlier = first.setdefault(obj.key, obj)
        if earlier is obj:
            continue
        same = "" if earlier.name == obj.name else f" as {earlier.name!r} (names compare case-insensitively)"
        message = f"{obj.kind} {obj.name!r} is already declared{same} at {earlier.source}"
        message += _other_scope(earlier, obj)
        if obj.pinned_id is not None and earlier.pinned_id is not None:
            # plans and apply address objects by kind and name, so a pin cannot make a name declarable twice
            message += "; a name is declared once even with metadata.id: keep one document (the other stays unmanaged)"
        issues.append(_issue(obj.source, "metadata.name", message))
    return issues


def _other_scope(earlier: DesiredObject, obj: DesiredObject) -> str:
    """Why one name in two dialects is still one identity, when the documents differ by a field that scopes names.

    The platform keeps topics of one name apart by dialect (``Kind.name_scoped_by``); this tool does not.
    """
    for field in REGISTRY[obj.kind].name_scoped_by:
        if earlier.spec.get(field) != obj.spec.get(field):
            return (
                f"; in another {field}, it is still the same {obj.kind}: this tool identifies {obj.kind} objects by "
                f"name alone, so give each {field}'s {obj.kind} its own name"
            )
    return ""


def allowed_fields(kind_name: str) -> tuple[str, ...]:
    """What a reference may read from an object of ``kind_name``: its id and non-secret scalar fields."""
    kind = REGISTRY[kind_name]
    structured = structured_fields(kind_name)
    return ("id", *(f for f in kind.spec_fields if f not in kind.write_only and f not in structured))


@functools.cache
def structured_fields(kind_name: str) -> dict[str, str]:
    """The fields of ``kind_name`` that hold a mapping or a list, each with the word for what it holds.

    Why they cannot be referenced: a reference becomes text inside a string, and a mapping
    has no text form the platform would take (it became a Python repr), nor a way to keep an
    ``${env:…}`` value inside it from being copied, unmasked, into the referencing object.
    """
    schema = REGISTRY[kind_name].spec_model.model_json_schema()
    out: dict[str, str] = {}
    for name, prop in schema.get("properties", {}).items():
        types = _json_types(prop, schema.get("$defs", {}))
        if "object" in types:
            out[name] = "mapping"
        elif "array" in types:
            out[name] = "list"
    return out


def _json_types(prop: Mapping[str, Any], defs: Mapping[str, Any]) -> set[str]:
    """Every JSON type a schema property admits, through ``$ref`` and ``anyOf``/``oneOf``/``allOf``."""
    if "$ref" in prop:
        return _json_types(defs.get(prop["$ref"].rsplit("/", 1)[-1], {"type": "object"}), defs)
    declared = prop.get("type")
    types = {declared} if isinstance(declared, str) else set(declared or ())
    for key in ("anyOf", "oneOf", "allOf"):
        for member in prop.get(key, ()):
            types |= _json_types(member, defs)
    if not types and "properties" in prop:
        types.add("object")
    return types


def declared_value(objects: Mapping[ObjectKey, DesiredObject], key: ObjectKey, field: str) -> str | None:
    """The text a reference to a declared, literal field will become; ``None`` if not known offline."""
    obj = objects.get(key)
    if obj is None or obj.kind not in REGISTRY or field not in allowed_fields(obj.kind) or field == "id":
        return None
    value = obj.spec.get(field, REGISTRY[obj.kind].defaults().get(field))
    if isinstance(value, str):
        return None if PLACEHOLDER.search(value) else literal(value)
    if isinstance(value, (bool, int, float)):
        return json.dumps(value)
    return None


def reference_issues(objects: Sequence[DesiredObject], graph: ReferenceGraph, issues: Issues,
                     why: Callable[[DesiredObject], str] | None = None) -> None:
    """Dangling references, unreferenceable fields, and the cycles of ``graph`` (walked once by the loader).

    ``why(obj)`` is said after each problem placed at ``obj``: for an object pulled in from a file
    not given (:meth:`~.included.Included.why`), the reason that file is checked at all.

    Kept in ``issues``, each placed only while ``issues`` may list it: placing one works out
    its object's locations from the file (a dict per value, kept with the object); for a file
    of 70,000 webhooks with a dangling reference each, that was 59 MiB of the peak (320 MiB
    against 261 MiB with the references resolving), for issues never listed.
    """
    why = why or (lambda obj: "")
    declared = {obj.key: obj for obj in reversed(objects)}  # the first declaration wins
    for obj, floor in _floors(objects):
        for ref in obj.references:
            problem = _reference_problem(ref, declared)
            if problem:
                _add(issues, obj, floor, ref.path, problem + why(obj))
    if not graph.cycles:
        return
    floors = {id(obj): floor for obj, floor in _floors(objects)}
    for cycle in graph.cycles:
        head = declared[cycle[0]]
        follows = cycle[1] if len(cycle) > 1 else cycle[0]
        closing = next((r for r in head.references if r.target == follows), None)
        problem = f"reference cycle: {describe_cycle(cycle)}; no object in it can be created first"
        _add(issues, head, floors[id(head)], closing.path if closing else None, problem + why(head))


def _floors(objects: Sequence[DesiredObject]) -> Iterator[tuple[DesiredObject, int]]:
    """Each object, with a line its document cannot start before: where the previous object of its file is named.

    Objects come in the order they were written, so a document starts after the name of the
    one before it in the same file; the first of a file may start anywhere (0).
    """
    previous: Location | None = None
    for obj in objects:
        floor = 0
        if previous is not None and previous.file == obj.source.file:
            floor = previous.line or 0
        yield obj, floor
        previous = obj.source


def _add(issues: Issues, obj: DesiredObject, floor: int, path: str | None, message: str) -> None:
    """Keep the issue at spec ``path`` of ``obj`` (its name when None); count it unplaced past the bound."""
    if issues.passed(obj.source.file, floor):
        issues.skip(1)
    elif path is None:
        issues.add(_issue(obj.source, "metadata.name", message))
    else:
        issues.add(_issue(obj.locations.get(path, obj.source), f"spec.{path}", message))


def _text(ref: Reference) -> str:
    return f"${{ref:{ref.target.kind}/{ref.target.name}.{ref.field}}}"


def _reference_problem(ref: Reference, declared: Mapping[ObjectKey, DesiredObject]) -> str | None:
    if ref.target.kind not in REGISTRY:
        return f"{_text(ref)}: {unknown_kind_message(ref.target.kind)}"
    if ref.target not in declared:
        return (
            f"dangling reference {_text(ref)}: no {ref.target.kind} named {ref.target.name!r} is declared "
            "in the manifests (to point at an object managed elsewhere, write its id)"
        )
    allowed = allowed_fields(ref.target.kind)
    held = structured_fields(ref.target.kind).get(ref.field)
    if held is not None:
        return (
            f"{_text(ref)}: {ref.field} holds a {held}, and a reference stands for a string, number or boolean; "
            f"use one of {', '.join(allowed)}"
        )
    if ref.field in REGISTRY[ref.target.kind].write_only:
        return f"{_text(ref)}: {ref.field} is write-only and cannot be referenced; use one of {', '.join(allowed)}"
    if ref.field not in allowed:
        close = closest(ref.field, allowed)
        hint = f"did you mean {close!r}? " if close else ""
        return (
            f"{_text(ref)}: {ref.target.kind} has no field {ref.field!r} to reference; "
            f"{hint}use one of {', '.join(allowed)}"
        )
    return None


def _issue(where: Location, path: str, message: str) -> ManifestIssue:
    return ManifestIssue(where.file, where.line, where.column, path, message)
