"""Project settings: the optional ``reconciler.yaml`` at the root of the manifests.

Pruning (deleting live objects that no manifest declares) is dangerous, so it is off
unless this file turns it on for named kinds, and it is bounded: at most ``maxDeletes``
objects and at most ``maxDeletePercent`` of a kind's managed live objects per plan,
replaced objects counted with pruned ones (:mod:`reconciler.plan.prune`). Objects
whose names match an ``exclude`` pattern (fnmatch, case-insensitive) are never pruned,
e.g. objects managed by hand or by another tool.

Example::

    prune:
      kinds: [Webhook]
      exclude: ["legacy-*"]
      maxDeletes: 5
      maxDeletePercent: 20

Guardrails (protected objects, change windows, bounds on changes) live under
``policy:``; their model and its rules are in :mod:`reconciler.manifests.policy`
(docs/policy.md).
"""

from __future__ import annotations

import errno
from fnmatch import fnmatchcase
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from reconciler.core.errors import ManifestIssue
from reconciler.core.jsonpath import format_path
from reconciler.core.suggest import closest, model_at
from reconciler.kinds import REGISTRY, unknown_kind_message
from reconciler.kinds.spec import issue_from_pydantic
from reconciler.manifests.policy import PolicySettings
from reconciler.manifests.reading import Unreadable, read_text
from reconciler.manifests.yamlsource import load_documents

SETTINGS_FILE = "reconciler.yaml"
#: the part pydantic adds to an error's location when a mapping key, not its value, is refused
_KEY = "[key]"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class PruneSettings(_Strict):
    """Which live objects a plan may delete, and how many at most."""

    kinds: tuple[str, ...] = Field((), description="Kinds whose undeclared live objects are deleted (none by default).")
    exclude: tuple[str, ...] = Field((), description="fnmatch patterns of names never deleted (case-insensitive).")
    maxDeletes: int = Field(10, ge=0, description="At most this many deletions per plan (pruned or replaced).")
    maxDeletePercent: float = Field(25.0, ge=0.0, le=100.0,
                                    description="At most this share of a kind's managed live objects "
                                                "(declared or pruned, not excluded).")

    @field_validator("kinds", mode="before")
    @classmethod
    def _known_kinds(cls, value: object) -> object:
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(value, tuple):
            for item in value:
                if isinstance(item, str) and item not in REGISTRY:
                    raise ValueError(unknown_kind_message(item))
                if isinstance(item, str) and REGISTRY[item].singleton is not None:  # checked again by the planner
                    raise ValueError(f"{item} is the org's single settings object; it is never deleted")
            if len(set(value)) != len(value):
                raise ValueError("lists a kind twice")
        return value

    @field_validator("exclude", mode="before")
    @classmethod
    def _list_to_tuple(cls, value: object) -> object:
        return tuple(value) if isinstance(value, list) else value

    def covers(self, kind: str, name: str) -> bool:
        """True when a live ``kind/name`` not in the manifests may be deleted."""
        if kind not in self.kinds:
            return False
        folded = name.casefold()
        return not any(fnmatchcase(folded, pattern.casefold()) for pattern in self.exclude)


class ProjectSettings(_Strict):
    """Everything ``reconciler.yaml`` may say; every field is optional."""

    prune: PruneSettings = Field(
        default_factory=PruneSettings, description="Delete undeclared live objects of some kinds (off by default)."
    )

    policy: PolicySettings = Field(
        default_factory=PolicySettings, description="Guardrails: protected objects, change windows, bounds."
    )

    def prunes(self, kind: str, name: str) -> bool:
        return self.prune.covers(kind, name)


def load_settings(path: Path, display: str) -> tuple[ProjectSettings, list[ManifestIssue]]:
    """Read ``path`` (absent: defaults). Problems are ManifestIssues located in the file."""
    if _absent(path):
        return ProjectSettings(), []
    try:
        text = read_text(path)  # a settings file that is there but unreadable is an error, never the defaults
    except Unreadable as exc:
        return ProjectSettings(), [ManifestIssue(display, exc.line, exc.column, "", f"settings file {exc}")]
    docs, problems = load_documents(text)
    issues = [ManifestIssue(display, p.line, p.column, format_path(p.path), p.message) for p in problems]
    if len(docs) > 1:
        line, column = docs[1].start
        issues.append(ManifestIssue(display, line, column, "", "settings hold a single YAML document"))
    if not docs or issues:
        return ProjectSettings(), issues
    doc = docs[0]
    if not isinstance(doc.value, dict):
        line, column = doc.start
        return ProjectSettings(), [ManifestIssue(display, line, column, "", "settings must be a mapping")]
    try:
        return ProjectSettings.model_validate(doc.value), []
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(part for part in err["loc"] if part != _KEY)  # a refused mapping key: point at the key
            issue = issue_from_pydantic({**err, "loc": loc})
            if len(loc) < len(err["loc"]):
                line, column = doc.mark(issue.loc, key=True)
                issue_msg = issue.message
            elif issue.message == "unknown field":
                close = _suggest_key(issue.loc)
                issue_msg = issue.message + (f" (did you mean {close!r}?)" if close else "")
                line, column = doc.mark(issue.loc, key=True)
            else:
                issue_msg = issue.message
                line, column = doc.mark(issue.loc)
            issues.append(ManifestIssue(display, line, column, issue.path, issue_msg))
        return ProjectSettings(), issues


def _absent(path: Path) -> bool:
    """Nothing stands at ``path``, not even a dangling symlink: then the defaults apply.

    A path that cannot be looked at (the root without search permission, a name too long)
    is not absent: reading it says why, so the defaults never stand in for settings unread.
    """
    try:
        path.lstat()
    except OSError as exc:
        return exc.errno in (errno.ENOENT, errno.ENOTDIR)
    return False


def _suggest_key(loc: tuple[str | int, ...]) -> str | None:
    """The settings key closest to the unknown one at ``loc``, as written in YAML (``from``, not ``start``)."""
    owner = model_at(ProjectSettings, loc)
    if owner is None or not loc or not isinstance(loc[-1], str):
        return None
    keys = [info.alias or name for name, info in owner.model_fields.items()]
    lowered = {key.lower(): key for key in keys}
    return lowered.get(loc[-1].lower()) or closest(loc[-1], keys)
