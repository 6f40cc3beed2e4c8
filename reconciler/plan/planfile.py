"""Saved plans (``reconciler plan --out FILE``): a plan as JSON, sealed with a checksum.

The file is the plan's JSON (``format_version`` 1, see ``docs/json-format.md``) plus a
``checksum``: ``sha256:<hex>`` over the canonical JSON (sorted keys, no spaces, UTF-8)
of everything else. It guards against edits and truncation, not against an attacker
who can recompute it: it proves the file is the plan that was reviewed, as the CI job
that saved it produced it.

A plan file holds no environment values: changes store the spec with ``${env:…}``
unresolved and show only masked values; apply reads the environment again.

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

from reconciler.core.bounded import MAX_DEPTH, BoundedJsonError, loads_json
from reconciler.core.canonical import canonical_bytes
from reconciler.core.errors import PlanFileError
from reconciler.core.jsontext import dumps_indented, plain_dumps_indented, rust_dumps_indented, tree_building
from reconciler.core.paths import status
from reconciler.plan.document import pydantic_document, shared_document
from reconciler.plan.model import PLAN_FORMAT_VERSION, Plan, plan_from_document

CHECKSUM_KEY = "checksum"
#: a change's spec sits four levels below the top of the plan and a manifest may nest
#: ``MAX_DEPTH`` levels, so a plan the reconciler wrote never comes near this
PLAN_MAX_DEPTH = MAX_DEPTH + 16


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
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise PlanFileError(f"cannot write plan file {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PlanFileError(f"cannot write plan file {target}: {exc.strerror or exc}") from None
    return target


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
    if found is None or not stat.S_ISREG(found.st_mode):
        return False
    if candidate.suffix.lower() == ".json":
        return True
    try:
        with candidate.open("rb") as handle:
            head = handle.read(64).lstrip()
    except OSError:
        return False
    return head.startswith(b"{")


def load_plan(path: str | os.PathLike[str], *, expected_target: str) -> Plan:
    """Read a plan file, refusing one that was edited, is unreadable or was made for another target."""
    source = Path(path)
    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise PlanFileError(f"cannot read plan file {source}: {exc.strerror or exc}") from None
    return parse_plan(raw, expected_target=expected_target, name=str(source))


def parse_plan(raw: bytes | str, *, expected_target: str, name: str = "plan file") -> Plan:
    """The checks of :func:`load_plan` on the file's contents."""
    try:
        document = loads_json(raw, max_depth=PLAN_MAX_DEPTH, what=name)
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
    return plan
