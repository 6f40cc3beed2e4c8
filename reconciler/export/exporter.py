"""``reconciler export``: live objects back into manifests, to adopt an existing org.

The output must plan as all no-op against the state it was read from, so every choice
here mirrors how the loader and the planner read manifests:

* a spec holds the kind's fields in the model's order, without server-managed fields,
  read-only flags (``authSecretSet``) or values equal to the default (at any depth:
  ``matchType: exact`` goes too), since an omitted field takes the default;
* a write-only field whose flag is set live becomes ``${env:NAME}`` with a generated
  variable name: the server never returns the secret, and the planner compares only
  the flag, so any value in that variable plans as no change;
* an id of another exported object inside any string becomes
  ``${ref:Kind/Name.id}``, except where that would close a reference cycle (which the
  loader rejects): there the literal id stays;
* unordered lists (``phrases``, ``tags``) and free-form maps (``headers``) are sorted, so
  a server that returns them in another order does not change the files.

Everything up to :func:`render_object` is a pure function of the live listing; the
writer refuses to overwrite files unless told to, and checks before writing anything.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from reconciler.core.errors import ConfigError, ExportError
from reconciler.kinds import KINDS, REGISTRY, Kind, unknown_kind_message
from reconciler.manifests.desired import PLACEHOLDER, REF_BODY, iter_strings
from reconciler.manifests.document import API_VERSION
from reconciler.manifests.schemas import MANIFEST
from reconciler.manifests.yamlsource import _FLOAT as YAML12_FLOAT  # the loader's own rule for numbers

LiveState = Mapping[str, Sequence[Mapping[str, Any]]]

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
SECRETS_FILE = "SECRETS.md"
SLUG_MAX = 80
VARIABLE_SLUG_MAX = 48


@dataclass(frozen=True)
class SecretVariable:
    """An environment variable the user must set: it stands for a write-only value."""

    name: str
    kind: str
    object_name: str
    field: str
    file: PurePosixPath


@dataclass(frozen=True)
class ExportedObject:
    """One live object as a manifest: ``path`` is relative to the output directory."""

    kind: str
    name: str
    path: PurePosixPath
    spec: dict[str, Any]

    @property
    def address(self) -> str:
        return f"{self.kind}/{self.name}"

    def document(self) -> dict[str, Any]:
        return {"apiVersion": API_VERSION, "kind": self.kind, "metadata": {"name": self.name}, "spec": self.spec}


@dataclass(frozen=True)
class Export:
    """What an export writes, with the variables to set and what could not be exported faithfully."""

    objects: tuple[ExportedObject, ...]
    secrets: tuple[SecretVariable, ...]
    references: int
    notes: tuple[str, ...]

    def counts(self) -> dict[str, int]:
        """Objects per kind, in the registry's order, kinds without objects left out."""
        out = {k.name: 0 for k in KINDS}
        for obj in self.objects:
            out[obj.kind] += 1
        return {k: n for k, n in out.items() if n}


# ---- selection ------------------------------------------------------------------------


def check_kinds(names: Iterable[str]) -> list[Kind]:
    """The kinds named by ``--kind`` (all when none), in the registry's order."""
    names = list(names)
    for name in names:
        if name not in REGISTRY:
            raise ConfigError(f"--kind: {unknown_kind_message(name)}")
    return [k for k in KINDS if not names or k.name in names]


def matches(name: str, patterns: Sequence[str]) -> bool:
    """``--name`` patterns: fnmatch, case-insensitive like names; no pattern matches all."""
    folded = name.casefold()
    return not patterns or any(fnmatch.fnmatchcase(folded, p.casefold()) for p in patterns)


# ---- names: files and variables --------------------------------------------------------


def kebab(kind_name: str) -> str:
    """``VoiceProfile`` -> ``voice-profile``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", kind_name).lower()


def _ascii_words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+", plain)


def slug(name: str, limit: int = SLUG_MAX) -> str:
    """A file-name-safe, lowercase form of a name (``object`` when nothing is left)."""
    text = "-".join(_ascii_words(name)).lower()[:limit].strip("-")
    return text or "object"


def variable_name(kind_name: str, name: str, field: str) -> str:
    """``Webhook``, ``CRM sync``, ``authSecret`` -> ``WEBHOOK_CRM_SYNC_AUTH_SECRET``."""
    middle = "_".join(_ascii_words(name)).upper()[:VARIABLE_SLUG_MAX].strip("_") or "OBJECT"
    head = kebab(kind_name).replace("-", "_").upper()
    tail = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", field).upper()
    return f"{head}_{middle}_{tail}"


def unique_names(wanted: Sequence[str], separator: str) -> list[str]:
    """Make ``wanted`` distinct: later duplicates get ``-2``, ``-3``… avoiding every wanted name.

    Deterministic for a given input order; the first holder of a name keeps it.
    """
    reserved = set(wanted)
    used: set[str] = set()
    out: list[str] = []
    for name in wanted:
        candidate, n = name, 1
        while candidate in used or (candidate != name and candidate in reserved):
            n += 1
            candidate = f"{name}{separator}{n}"
        used.add(candidate)
        out.append(candidate)
    return out


# ---- specs ----------------------------------------------------------------------------


def _without_defaults(value: Any) -> Any:
    """A model as JSON in field order, fields equal to their default (or None) left out; maps sorted."""
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for fname, finfo in type(value).model_fields.items():
            item = getattr(value, fname)
            if item is None:
                continue
            if not finfo.is_required() and _same(item, finfo.get_default(call_default_factory=True)):
                continue
            out[fname] = _without_defaults(item)
        return out
    if isinstance(value, Mapping):
        return {k: _without_defaults(value[k]) for k in sorted(value)}
    if isinstance(value, (list, tuple)):
        return [_without_defaults(v) for v in value]
    return value


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values, where ``True`` is not ``1``."""
    return json.dumps(_json(a), sort_keys=True) == json.dumps(_json(b), sort_keys=True) if type(a) is not type(b) else a == b


def _json(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def live_spec(kind: Kind, obj: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The spec of a live object, secrets not yet placed; plus why it may not validate.

    The object is first put in request form (``Kind.from_live``: entity references back
    to ids); the kind's own server-managed fields are left out.
    """
    fields = kind.spec_model.model_fields
    obj = kind.from_live(obj)
    raw = {k: obj[k] for k in fields if k in obj and k not in kind.write_only and k not in kind.server_managed}
    try:
        model = kind.spec_model.model_validate(raw, strict=False)
    except ValidationError as exc:
        defaults = kind.defaults()
        spec = {k: v for k, v in raw.items() if v is not None and not (k in defaults and _same(v, defaults[k]))}
        return spec, [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    spec = _without_defaults(model)
    full = model.model_dump(mode="json")
    for list_field in kind.unordered:
        items = full.get(list_field)
        if isinstance(items, list) and list_field in spec:
            # Sort by each item's full value in field order (phrase text first), defaults included.
            order = sorted(range(len(items)), key=lambda i: json.dumps(items[i], sort_keys=False))
            spec[list_field] = [spec[list_field][i] for i in order]
    return spec, []


def _rule_problems(kind: Kind, spec: Mapping[str, Any], secrets: Iterable[str]) -> list[str]:
    """The kind's rules on the exported spec, a stand-in for each secret (its value is unknown)."""
    candidate = {**spec, **{field: "(secret)" for field in secrets}}
    _, issues = kind.validate_spec(candidate)
    return [f"{issue.path}: {issue.message}" for issue in issues]


# ---- the export -----------------------------------------------------------------------


@dataclass
class _Pending:
    """An object on its way out: its spec is edited in place as references and secrets are placed."""

    kind: Kind
    name: str
    id: str | None
    spec: dict[str, Any]
    path: PurePosixPath
    secret_fields: tuple[str, ...]

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
        for obj, stem in zip(objects, stems, strict=True):
            spec, problems = live_spec(kind, obj)
            secret_fields = tuple(f for f, flag in kind.write_only.items() if obj.get(flag) is True)
            entry = _Pending(kind, _name(obj), obj.get("id"), spec, PurePosixPath(kebab(kind.name), f"{stem}.yaml"), secret_fields)
            pending.append(entry)
            problems = problems or _rule_problems(kind, spec, secret_fields)
            notes.extend(f"{entry.address}: the live object breaks a rule (fix it before planning): {p}" for p in problems)
            notes.extend(_text_notes(entry))
    unexported = {
        str(o["id"]): f"{kind.name}/{_name(o)}"
        for kind in selected
        for o in live.get(kind.name, ())
        if o.get("id") and not matches(_name(o), names)
    }
    references = _place_references(pending, unexported, notes)
    secrets = _place_secrets(pending)
    objects = tuple(ExportedObject(p.kind.name, p.name, p.path, p.spec) for p in pending)
    return Export(objects=objects, secrets=tuple(secrets), references=references, notes=tuple(notes))


def _name(obj: Mapping[str, Any]) -> str:
    return str(obj.get("name", ""))


def _text_notes(entry: _Pending) -> list[str]:
    """Live text a manifest cannot say as it is (there is no escape for ``${``)."""
    notes = []
    if "${" in entry.name:
        notes.append(f"{entry.address}: a manifest name cannot hold '${{'; rename the object or edit its file")
    notes.extend(
        f"{entry.address}: spec.{path} contains '${{', which a manifest reads as a placeholder; check it before planning"
        for path, text in iter_strings(entry.spec)
        if "${" in text
    )
    return notes


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
        def replace(path: str, match: re.Match[str], i: int = i, entry: _Pending = entry) -> str:
            nonlocal count
            found = match.group(0)
            if found in unexported:
                notes.append(f"{entry.address}: spec.{path} keeps the id of {unexported[found]}, which is not exported")
                return found
            if found not in by_id:
                return found
            j = by_id[found]
            target = pending[j]
            text = _reference_text(target)
            if j == i:
                notes.append(f"{entry.address}: spec.{path} keeps its own id (an object cannot reference itself)")
            elif text is None:
                notes.append(f"{entry.address}: spec.{path} keeps the id of {target.address}, whose name cannot be written in a reference")
            elif reaches(j, i):
                notes.append(f"{entry.address}: spec.{path} keeps the id of {target.address}: a reference would close a cycle")
            else:
                edges[i].add(j)
                count += 1
                return text
            return found

        entry.spec = _map_strings(entry.spec, lambda path, text: UUID.sub(lambda m: replace(path, m), text))
    return count


def _map_strings(value: Any, fn: Any, path: str = "") -> Any:
    """``value`` with every string ``s`` at ``path`` replaced by ``fn(path, s)`` (keys untouched)."""
    if isinstance(value, str):
        return fn(path, value)
    if isinstance(value, Mapping):
        return {k: _map_strings(v, fn, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


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


# ---- rendering ------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Safe YAML whose plain scalars read back the same under the loader's YAML 1.2 rules.

    PyYAML quotes a string only when YAML 1.1 would read it as something else; the
    loader also reads ``1e3`` (a string to 1.1) as a number, so such strings are quoted.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Unicode line breaks (NEL, LS, PS) only survive escaped: single quotes would fold them."""
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", YAML12_FLOAT, list("-+0123456789."))
_Dumper.add_representer(str, _represent_str)

MODELINE = "# yaml-language-server: $schema="


def render_object(obj: ExportedObject, schema: str) -> str:
    """One manifest file: the schema modeline, then the document (stable order and layout)."""
    body = yaml.dump(
        obj.document(),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=2**31 - 1,
    )
    return f"{MODELINE}{schema}\n{body}"


def schema_reference(out_dir: Path, file: PurePosixPath) -> str:
    """The modeline's path to ``schemas/manifest.json``, relative to the file.

    Inside a checkout (``schemas/manifest.json`` found in DIR or above it) it is the
    real relative path; elsewhere DIR is assumed to sit beside ``schemas/``.
    """
    base = out_dir.resolve()
    for ancestor in (base, *base.parents):
        candidate = ancestor / "schemas" / MANIFEST
        if candidate.is_file():
            return Path(os.path.relpath(candidate, (base / file).parent)).as_posix()
    return "../" * len(file.parts) + f"schemas/{MANIFEST}"


def render_secrets(export: Export) -> str:
    """``SECRETS.md``: the variables to set, where each is used; never a value (none is known)."""
    rows = "\n".join(
        f"| `{s.name}` | {_cell(s.kind + '/' + s.object_name)} | `{s.field}` | `{s.file.as_posix()}` |" for s in export.secrets
    )
    return (
        "# Secrets to set\n\n"
        "The API never returns write-only fields, so `reconciler export` wrote each one that is\n"
        "set live as `${env:NAME}`. Set these environment variables to the real values before\n"
        "`reconciler validate`, `plan` or `apply`. Only whether a secret is set is compared, so any\n"
        "value plans as no change; but every write of the object sends the variable's value,\n"
        "so it must be the real secret before the next apply that changes the object.\n\n"
        "| Variable | Object | Field | File |\n|---|---|---|---|\n"
        f"{rows}\n"
    )


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


# ---- writing --------------------------------------------------------------------------


def planned_files(export: Export, out_dir: Path) -> dict[Path, str]:
    """Each file the export writes under ``out_dir`` and its text."""
    files = {out_dir / obj.path: render_object(obj, schema_reference(out_dir, obj.path)) for obj in export.objects}
    if export.secrets:
        files[out_dir / SECRETS_FILE] = render_secrets(export)
    return files


def check_out_dir(out_dir: Path) -> Path:
    """Refuse an output path that cannot be a directory, before anything is read."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"--out {out_dir}: exists and is not a directory")
    return out_dir


def write_export(export: Export, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Write every file, or nothing: existing files are refused unless ``force``."""
    if not export.objects:
        raise ExportError("nothing to export: no live object matches")
    check_out_dir(out_dir)
    files = planned_files(export, out_dir)
    blocked = [p for p in files if p.exists() and not p.is_file()]
    if blocked:
        raise ExportError(f"cannot write {blocked[0]}: a directory is in the way")
    existing = [p for p in files if p.exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3]) + (f" and {len(existing) - 3} more" if len(existing) > 3 else "")
        raise ExportError(f"{len(existing)} file(s) already exist: {shown}; pass --force to overwrite them")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
    return list(files)


def other_manifests(out_dir: Path, written: Iterable[Path]) -> list[Path]:
    """YAML files already in ``out_dir`` that the export did not write: a plan reads them too."""
    from reconciler.manifests.files import discover

    ours = {p.resolve() for p in written}
    return [p for p in discover([out_dir]).files if p.resolve() not in ours]


# ---- reading --------------------------------------------------------------------------


async def read_selected(
    options: Any, kinds: Sequence[Kind], *, required: Iterable[str] | None = None, warnings: list[str] | None = None
) -> tuple[dict[str, list[dict[str, Any]]], Any]:
    """One listing per selected kind (reads only); returns the live state and the client (for counters).

    Kinds not in ``required`` (``None``: all are) that the target lacks (``404``) or does
    not let this client read (``403``) export nothing, with a line in ``warnings``: a
    real org has no seed-contract endpoints, so exporting "every kind" skips them.
    """
    from reconciler.app.engine import client_for, read_live

    async with client_for(options) as client:
        live = await read_live(
            client, kinds, required=None if required is None else set(required), warnings=warnings
        )
    return live, client
