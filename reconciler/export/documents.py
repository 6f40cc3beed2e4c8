"""``reconciler export``: live objects back into manifests, to adopt an existing org.

The output must plan as all no-op against the state it was read from, so every choice
here mirrors how the loader and the planner read manifests:

* a spec holds the kind's fields in the model's order, without server-managed fields,
  read-only flags (``authSecretSet``) or values equal to the default (at any depth:
  ``matchType: exact`` goes too), since an omitted field takes the default;
* a write-only field whose flag is set live becomes ``${env:NAME}`` with a generated
  variable name: the server never returns the secret, and the planner compares only
  the flag, so any value in that variable plans as no change;
* live text holding ``${`` is written with the escape ``$${`` (``Kind.templated`` fields:
  only before ``env:``/``ref:``, the rest is the platform's), so that it reads back as the
  same text: never as a placeholder that would read the environment of whoever applies
  the export (text set in the org by someone who can only edit it there);
* an id of another exported object inside any string becomes
  ``${ref:Kind/Name.id}``, except where that would close a reference cycle (which the
  loader rejects): there the literal id stays;
* unordered lists (``phrases``, ``tags``) and free-form maps (``headers``) are sorted, so
  a server that returns them in another order does not change the files;
* a name several live objects of the kind share (triggers may) does not identify one,
  so each of them is written with ``metadata.id``, which the planner matches instead.

Everything here is a pure function of the live listing; rendering and writing the
files are ``yaml_writer`` and ``files``, reading the listing is the ``app`` layer's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from reconciler.core.jsonpath import JsonPath, format_path, map_strings
from reconciler.core.live import LiveState
from reconciler.export.model import Export, ExportedObject, SecretVariable
from reconciler.export.names import kebab, slug, unique_names, variable_name
from reconciler.export.selection import check_kinds, matches
from reconciler.export.specs import live_spec, rule_problems
from reconciler.kinds import Kind
from reconciler.manifests.desired import PLACEHOLDER, REF_BODY, escape

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


@dataclass
class _Pending:
    """An object on its way out: its spec is edited in place as references and secrets are placed."""

    kind: Kind
    name: str
    id: str | None
    spec: dict[str, Any]
    path: PurePosixPath
    secret_fields: tuple[str, ...]
    pinned: bool = False

    @property
    def address(self) -> str:
        return f"{self.kind.name}/{self.name}"


def build_export(live: LiveState, *, kinds: Sequence[str] = (), names: Sequence[str] = ()) -> Export:
    """Turn the live listing into manifests: select, name files, place references and secrets."""
    selected = check_kinds(kinds)
    notes: list[str] = []
    pending: list[_Pending] = []
    for kind in selected:
        objects = sorted(
            (o for o in live.get(kind.name, ()) if matches(_name(o), names)),
            key=lambda o: (_name(o).casefold(), _name(o), str(o.get("id", ""))),
        )
        stems = unique_names([slug(_name(o)) for o in objects], "-")
        shared = _shared_names(live.get(kind.name, ()))
        for obj, stem in zip(objects, stems, strict=True):
            spec, problems = live_spec(kind, obj)
            spec = _escaped(kind, spec)
            secret_fields = tuple(f for f, flag in kind.write_only.items() if obj.get(flag) is True)
            file = PurePosixPath(kebab(kind.name), f"{stem}.yaml")
            pinned = _name(obj).casefold() in shared and bool(obj.get("id"))
            entry = _Pending(kind, _name(obj), obj.get("id"), spec, file, secret_fields, pinned)
            pending.append(entry)
            problems = problems or rule_problems(kind, spec, secret_fields)
            notes.extend(
                f"{entry.address}: the live object breaks a rule (fix it before planning): {p}" for p in problems
            )
            notes.extend(_text_notes(entry))
    unexported = {
        str(o["id"]): f"{kind.name}/{_name(o)}"
        for kind in selected
        for o in live.get(kind.name, ())
        if o.get("id") and not matches(_name(o), names)
    }
    references = _place_references(pending, unexported, notes)
    secrets = _place_secrets(pending)
    exported = tuple(
        ExportedObject(p.kind.name, p.name, p.path, p.spec, str(p.id) if p.pinned else None) for p in pending
    )
    return Export(objects=exported, secrets=tuple(secrets), references=references, notes=tuple(notes))


def _name(obj: Mapping[str, Any]) -> str:
    return str(obj.get("name", ""))


def _shared_names(objects: Sequence[Mapping[str, Any]]) -> set[str]:
    """Folded names that several live objects hold (compared as the planner does: case-insensitively)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for obj in objects:
        folded = _name(obj).casefold()
        (shared if folded in seen else seen).add(folded)
    return shared


def _text_notes(entry: _Pending) -> list[str]:
    """Live text a manifest cannot say as it is: a name holding ``${`` (a name is never read for escapes)."""
    if "${" in entry.name:
        return [f"{entry.address}: a manifest name cannot hold '${{'; rename the object or edit its file"]
    return []


def _escaped(kind: Kind, spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` with every string escaped (:func:`~reconciler.manifests.desired.escape`), keys as they are.

    Keys are never read for placeholders or escapes, so they are written as they are.
    """

    def one(path: JsonPath, text: str) -> str:
        return escape(text, templated=bool(path) and path[0] in kind.templated)

    escaped: dict[str, Any] = map_strings(spec, one)
    return escaped


def _reference_text(entry: _Pending) -> str | None:
    """``${ref:Kind/Name.id}`` for ``entry``, or None when its name cannot be written in one."""
    body = f"{entry.kind.name}/{entry.name}.id"
    parsed = REF_BODY.match(body)
    if parsed is None or parsed["name"] != entry.name or "}" in entry.name or "${" in entry.name:
        return None
    text = f"${{ref:{body}}}"
    return text if PLACEHOLDER.fullmatch(text) else None


def _place_references(pending: Sequence[_Pending], unexported: Mapping[str, str], notes: list[str]) -> int:
    """Replace ids of exported objects by references, in export order, never closing a cycle.

    Returns how many ids were replaced. A reference that would close a cycle (or point
    at its own object) keeps the literal id: the loader rejects cycles, and a literal
    id plans the same.
    """
    by_id = {p.id: i for i, p in enumerate(pending) if p.id}
    edges: dict[int, set[int]] = {i: set() for i in range(len(pending))}
    count = 0

    def reaches(start: int, goal: int) -> bool:
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == goal:
                return True
            for nxt in edges[node] - seen:
                seen.add(nxt)
                stack.append(nxt)
        return False

    for i, entry in enumerate(pending):
        def replace(at: JsonPath, match: re.Match[str], i: int = i, entry: _Pending = entry) -> str:
            nonlocal count
            found = match.group(0)
            path = format_path(at)
            if found in unexported:
                notes.append(f"{entry.address}: spec.{path} keeps the id of {unexported[found]}, which is not exported")
                return found
            if found not in by_id:
                return found
            if match.start() and match.string[match.start() - 1] == "$":
                # "$" + "${ref:…}" is the escape "$${" followed by text: the id stays as it is
                notes.append(f"{entry.address}: spec.{path} keeps an id that follows a '$' (a reference there "
                             "would read as the escape '$${{')")
                return found
            j = by_id[found]
            target = pending[j]
            text = _reference_text(target)
            if j == i:
                notes.append(f"{entry.address}: spec.{path} keeps its own id (an object cannot reference itself)")
            elif text is None:
                notes.append(
                    f"{entry.address}: spec.{path} keeps the id of {target.address}, "
                    "whose name cannot be written in a reference"
                )
            elif reaches(j, i):
                notes.append(
                    f"{entry.address}: spec.{path} keeps the id of {target.address}: a reference would close a cycle"
                )
            else:
                edges[i].add(j)
                count += 1
                return text
            return found

        entry.spec = map_strings(entry.spec, lambda at, text: UUID.sub(lambda m: replace(at, m), text))
    return count


def _place_secrets(pending: Sequence[_Pending]) -> list[SecretVariable]:
    """``authSecret: ${env:WEBHOOK_<NAME>_AUTH_SECRET}`` where the live flag says a secret is set."""
    wanted = [(entry, field) for entry in pending for field in entry.secret_fields]
    names = unique_names([variable_name(e.kind.name, e.name, f) for e, f in wanted], "_")
    out: list[SecretVariable] = []
    for (entry, field), name in zip(wanted, names, strict=True):
        placed = {**entry.spec, field: f"${{env:{name}}}"}
        # keep the model's field order: the secret sits where the kind declares it
        entry.spec = {f: placed[f] for f in entry.kind.spec_model.model_fields if f in placed}
        entry.spec.update({k: v for k, v in placed.items() if k not in entry.spec})
        out.append(SecretVariable(name, entry.kind.name, entry.name, field, entry.path))
    return out
