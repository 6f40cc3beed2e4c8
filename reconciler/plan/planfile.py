"""Saved plans (``reconciler plan --out FILE``): a plan as JSON, sealed with a checksum.

The file is the plan's JSON (``format_version`` 1, see ``docs/json-format.md``) plus a
``checksum``: ``sha256:<hex>`` over the canonical JSON (sorted keys, no spaces, UTF-8)
of everything else. It guards against edits and truncation, not against an attacker
who can recompute it: it proves the file is the plan that was reviewed, as the CI job
that saved it produced it.

A plan file holds no environment values: changes store the spec with ``${env:…}``
unresolved and show only masked values; apply reads the environment again.

A plan file names the org it was made for (``org``): the target is only the API URL, which
the orgs of a region share, so apply checks the org too, and refuses a file without one.
A key written twice in one object is refused as corruption: the checksum vouches for one
reading of the file, and readers differ in which of the two values they keep.

A plan file holds exactly what was shown: it is written without NaN or Infinity (JSON
has neither; ``json`` would write ``NaN``, which another reader turns into ``null``),
and read back within bounds (:mod:`reconciler.core.bounded`): at most
``PLAN_MAX_DEPTH`` levels deep, no NaN/Infinity, every breach named with its line.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reconciler import __version__
from reconciler.core.bounded import MAX_DEPTH, BoundedJsonError, DuplicateKeyError, loads_json
from reconciler.core.canonical import canonical_bytes
from reconciler.core.errors import PlanFileError
from reconciler.core.jsonpath import format_path
from reconciler.core.jsontext import dumps_indented, plain_dumps_indented, rust_dumps_indented, tree_building
from reconciler.core.paths import not_regular, reason, status
from reconciler.core.secrets import remembered_forms, replace_forms
from reconciler.kinds import REGISTRY, Kind, unknown_kind_message
from reconciler.manifests.placeholders import UnsetAllowed, substitute
from reconciler.manifests.reading import Unreadable, read_bounded
from reconciler.manifests.spec import check_spec
from reconciler.plan.document import pydantic_document, shared_document
from reconciler.plan.model import PLAN_FORMAT_VERSION, Action, Plan, ResourceChange, plan_from_document

CHECKSUM_KEY = "checksum"
#: a change's spec sits four levels below the top of the plan and a manifest may nest
#: ``MAX_DEPTH`` levels, so a plan the reconciler wrote never comes near this
PLAN_MAX_DEPTH = MAX_DEPTH + 16
#: a plan where each of 50,000 objects changes is 84 MB; a file past this is refused unread
#: (reading a JSON file costs many times its size: a 200 MB one took 24 GB and a minute)
PLAN_MAX_BYTES = 256 * 1024 * 1024


def checksum(document: dict[str, Any]) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``document`` without its checksum."""
    body = {k: v for k, v in document.items() if k != CHECKSUM_KEY}
    return _checksum_of(canonical_bytes(body))


def _checksum_of(canonical: bytes) -> str:
    return "sha256:" + hashlib.sha256(canonical).hexdigest()


def plan_document(plan: Plan) -> dict[str, Any]:
    """The JSON object written to a plan file, checksum included."""
    document = pydantic_document(plan)
    document[CHECKSUM_KEY] = checksum(document)
    return document


def plan_text(plan: Plan) -> str:
    """The plan file's text: ``plan_document`` written as ``json.dumps(indent=2, ensure_ascii=False)`` would.

    The document is made once, sharing the plan's values (:mod:`reconciler.plan.document`),
    and its canonical JSON, the checksum's input, also vouches for it being written the
    same way by the fast writers (:func:`_shared_text`). Anything unusual, NaN included,
    takes the reference path (which refuses NaN).
    """
    with tree_building():
        document = shared_document(plan)
        text = _shared_text(document)
        # freed while the collector is paused (its first pass afterwards would walk it all)
        del document
        if text is None:
            text = dumps_indented(plan_document(plan), ensure_ascii=False) + "\n"
    return text


def _shared_text(document: dict[str, Any]) -> str | None:
    try:
        canonical = canonical_bytes(document)
    except (TypeError, ValueError):
        return None  # not JSON as it stands (a date, say): model_dump converts it
    document[CHECKSUM_KEY] = _checksum_of(canonical)
    text = rust_dumps_indented(document, canonical) or plain_dumps_indented(document, ensure_ascii=False)
    return None if text is None else text + "\n"


def save_plan(plan: Plan, path: str | os.PathLike[str]) -> Path:
    """Write ``plan`` to ``path`` atomically (a reader never sees half a plan)."""
    target = Path(path)
    try:
        text = plan_text(plan)
    except ValueError:
        # not reachable from manifests (the loader refuses NaN/Infinity); a live value could hold one
        raise PlanFileError(
            f"cannot write plan file {target}: the plan holds NaN or Infinity, which JSON cannot hold"
        ) from None
    text = _without_remembered_secrets(text, target)
    if len(text) * 4 > PLAN_MAX_BYTES and len(text.encode("utf-8")) > PLAN_MAX_BYTES:  # a char is 1 to 4 bytes
        raise PlanFileError(f"cannot write plan file {target}: the plan is larger than "
                            f"{PLAN_MAX_BYTES // (1024 * 1024)} MB, more than apply reads; plan a part at a time")
    _refuse_special(target)
    _refuse_other_content(target)
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise PlanFileError(f"cannot write plan file {target}: {reason(exc)}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PlanFileError(f"cannot write plan file {target}: {reason(exc)}") from None
    return target


def _refuse_special(target: Path) -> None:
    """Refuse a ``target`` that is a device, a FIFO or a socket (or leads to one).

    Why: the plan is written beside the target and moved over it. Run as root (a CI
    container), ``--out /dev/stdout`` or ``--out /dev/null`` replaced the device itself
    with a regular file holding the plan, for every later process on the machine.
    """
    try:
        found = status(target)
    except OSError:
        return  # cannot be looked at: writing it says why
    kind = None if found is None else not_regular(found.st_mode)
    if kind is not None:
        raise PlanFileError(f"cannot write plan file {target}: it {kind}; a plan file is written whole, "
                            "then moved into place (for the plan on standard output, use --format json)")


def _refuse_other_content(target: Path) -> None:
    """Refuse a ``target`` that holds something other than a saved plan (a JSON object) or nothing.

    Why: ``plan --out manifests/webhooks.yaml`` replaced the manifest with the plan; the next
    plan saw its objects undeclared and, with pruning on, deleted them. ``export`` never
    overwrites without ``--force`` either; a plan file of an earlier plan is replaced as before.
    """
    try:
        with target.open("rb") as handle:
            head = handle.read(64).lstrip()
    except OSError:
        return  # absent, or cannot be read: writing it says why
    if head and not head.startswith(b"{"):
        raise PlanFileError(f"cannot write plan file {target}: it holds something other than a saved plan "
                            "(a manifest?); remove it first or choose another path")


def _without_remembered_secrets(text: str, target: Path) -> str:
    """``text`` with every secret the process knows masked, re-sealed when that changed it.

    Why: a live value is saved as the server answered it, and a hostile or careless server may
    echo the client secret, a token or an ``${env:…}`` value in an ordinary field. The check is
    one substring scan per form of a known secret (:func:`replace_forms`, which also masks a
    form cut short before an ellipsis); only a plan that holds one is parsed and re-sealed
    (its checksum covers what is written). The masked values are live ``before`` values,
    which apply never writes.
    """
    forms = remembered_forms()
    masked = replace_forms(text, forms) if forms else text
    if masked == text:
        return text
    try:
        document = loads_json(masked, max_depth=MAX_DEPTH)
    except (BoundedJsonError, ValueError):
        raise PlanFileError(
            f"cannot write plan file {target}: a live value echoes a secret in a way that cannot be masked"
        ) from None
    document.pop(CHECKSUM_KEY, None)
    document[CHECKSUM_KEY] = checksum(document)
    return dumps_indented(document, ensure_ascii=False) + "\n"


def is_plan_file(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` names a saved plan rather than manifests: a file holding a JSON object.

    Deliberately loose (a damaged plan file still counts), so that :func:`load_plan`
    gets to refuse it with a precise message instead of the manifest loader failing
    on it with a confusing one.
    """
    candidate = Path(path)
    try:
        found = status(candidate)
    except OSError:
        # Cannot be looked at (a directory above without permission, a name too long): a
        # ``.json`` is meant as a plan, and load_plan names why it cannot be read; anything
        # else goes to the manifest loader, which names it too. Never a traceback.
        return candidate.suffix.lower() == ".json"
    if found is None:
        return False
    if candidate.suffix.lower() == ".json":
        # A directory or FIFO named like a plan is meant as one (actions/download-artifact makes a
        # directory named after the artifact): load_plan names what it is. As manifests, a
        # directory of no YAML was "No changes", exit 0, and nothing applied.
        return True
    if not stat.S_ISREG(found.st_mode):
        return False
    try:
        with candidate.open("rb") as handle:
            head = handle.read(64).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def load_plan(path: str | os.PathLike[str], *, expected_target: str) -> Plan:
    """Read a plan file, refusing one that was edited, is unreadable, was made for another target or records no org.

    Which org it was made for is checked by apply, which asks the org (``Plan.org``).
    """
    source = Path(path)
    try:
        raw = read_bounded(source, PLAN_MAX_BYTES, f"is larger than {PLAN_MAX_BYTES // (1024 * 1024)} MB, "
                           "far more than any plan the reconciler writes")
    except Unreadable as exc:
        raise PlanFileError(f"cannot read plan file {source}: {exc.reason}") from None
    return parse_plan(raw, expected_target=expected_target, name=str(source))


def parse_plan(raw: bytes | str, *, expected_target: str, name: str = "plan file") -> Plan:
    """The checks of :func:`load_plan` on the file's contents."""
    try:
        document = loads_json(raw, max_depth=PLAN_MAX_DEPTH, what=name, unique_keys=True)
    except DuplicateKeyError as exc:
        # the checksum is over one reading of the file; json keeps the last of two values, another reader the first
        raise PlanFileError(f"{name} is corrupted: {exc.problem}; a plan file never repeats a key; make the plan again"
                            ) from None
    except BoundedJsonError as exc:
        if exc.line:
            raise PlanFileError(f"{name}:{exc.line}:{exc.column}: not a plan file ({exc.problem})") from None
        raise PlanFileError(f"{name} is not a plan file ({exc.problem})") from None
    if not isinstance(document, dict):
        raise PlanFileError(f"{name} is not a plan file (expected a JSON object)")
    version = document.get("format_version")
    if version is None or "changes" not in document:
        raise PlanFileError(f"{name} is not a plan file (no format_version or changes); make one with plan --out")
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"{name} has plan format_version {version!r}; this reconciler reads format_version "
            f"{PLAN_FORMAT_VERSION} (make the plan again with this version)"
        )
    recorded = document.get(CHECKSUM_KEY)
    if not isinstance(recorded, str):
        raise PlanFileError(f"{name} has no checksum; it was not written by reconciler plan --out")
    if recorded != checksum(document):
        raise PlanFileError(
            f"{name} was edited or corrupted since it was saved (checksum mismatch); make the plan again"
        )
    body = {k: v for k, v in document.items() if k != CHECKSUM_KEY}
    try:
        plan = plan_from_document(body)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"]) or "top level"
        raise PlanFileError(f"{name} is not a valid plan: {exc.error_count()} problem(s), first at {where}") from None
    if plan.target != expected_target:
        raise PlanFileError(
            f"{name} was made for another target ({plan.target}); "
            f"it cannot be applied to {expected_target}"
        )
    if plan.org is None:
        # the org is checked when apply has a client (reconciler.app.connect.refuse_other_org); without one
        # recorded, a plan made for another org of the same region would be carried out here
        raise PlanFileError(
            f"{name} records no org (made by reconciler {plan.tool_version}, before plans recorded the org they "
            "were made for), so apply cannot tell it was made for this org; make the plan again"
        )
    _check_changes(plan, name)
    return plan


#: what a change that writes must carry; a delete needs only the live object's id
_WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.REPLACE})


def _check_changes(plan: Plan, name: str) -> None:
    """Refuse a plan whose changes name a kind this reconciler lacks, or whose specs break their kind's rules.

    Why: the checksum proves the file is what was saved, not that it is sound. A file edited
    and sealed again (``checksum`` is public), or made by a reconciler with other kinds or
    rules, would otherwise fail half-way through apply: a ``KeyError`` from the steps, or
    an "internal error" from the first write whose spec the kind refuses, after the writes
    before it were made. Only the specs of changes that write are checked (no-ops and
    deletes carry none), so a large unchanged plan loads as fast as before. Placeholders
    are stood in for as ``validate`` does without ``--check-env``: no environment value is
    read here, and apply resolves them afresh.
    """
    problems: list[str] = []
    for change in plan.changes:
        kind = REGISTRY.get(change.kind)
        if kind is None:
            problems.append(f"{change.address}: {unknown_kind_message(change.kind)}")
        elif change.action in _WRITES:
            problem = _spec_problem(kind, change)
            if problem is not None:
                problems.append(f"{change.address}: {problem}")
    if not problems:
        return
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    made_by = ""
    if plan.tool_version != __version__:  # other kinds or rules, rather than an edit
        made_by = f"it was made by reconciler {plan.tool_version}, this is {__version__}; "
    raise PlanFileError(f"{name} is not a valid plan: {problems[0]}{more}; {made_by}make the plan again")


def _spec_problem(kind: Kind, change: ResourceChange) -> str | None:
    """The first rule of ``kind`` the change's spec breaks, as a manifest error would word it; ``None`` if none."""
    if change.spec is None:
        return f"a {change.action.value} without a spec"
    substitution = substitute(kind, change.spec, UnsetAllowed(), lambda target, field: None)
    found = [(p.path, p.message) for p in substitution.issues] or [
        (i.path, i.message) for i in check_spec(kind, substitution)
    ]
    # "required" of a write-only field an update leaves to the server is no problem
    kept = kind.left_to_server(change.spec, update=change.action == Action.UPDATE)
    found = [(path, message) for path, message in found if not (path and path[0] in kept)]
    if not found:
        return None
    path, message = found[0]
    return f"{format_path(('spec', *path))}: {message}"
