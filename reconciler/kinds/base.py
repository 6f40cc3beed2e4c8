"""Transitional: the names ``reconciler.kinds.base`` held, now in ``kind``, ``spec`` and ``conventions``.

Kept only until every import is rewritten (a separate commit removes this module).
"""

from __future__ import annotations

from reconciler.core.canonical import canonical_json
from reconciler.core.jsonpath import JsonPath as Loc
from reconciler.core.jsonpath import format_path as format_loc
from reconciler.kinds.conventions import (
    PAGE_ENVELOPE,
    IdRefs,
    Listing,
    LiveCheck,
    LiveCheckFn,
    PostWriteHook,
    Publish,
    ReferenceRead,
    Singleton,
)
from reconciler.kinds.kind import SERVER_MANAGED, Kind, to_json
from reconciler.kinds.spec import NAME_MAX, Check, FieldIssue, SpecModel, issue_from_pydantic, type_name, validate_name

__all__ = [
    "NAME_MAX",
    "PAGE_ENVELOPE",
    "SERVER_MANAGED",
    "Check",
    "FieldIssue",
    "IdRefs",
    "Kind",
    "Listing",
    "LiveCheck",
    "LiveCheckFn",
    "Loc",
    "PostWriteHook",
    "Publish",
    "ReferenceRead",
    "Singleton",
    "SpecModel",
    "canonical_json",
    "format_loc",
    "issue_from_pydantic",
    "to_json",
    "type_name",
    "validate_name",
]
