"""How the sandbox shows a stored object: the fields the kind's API shows, nothing else.

Stored form is the object plus everything the sandbox keeps for itself (write-only
values, an internal version and dates for kinds whose API shows none). A read shows:
the spec fields (write-only values replaced by their flags), the kind's server-managed
fields, id lists as entity references where the API shows them so (``programIds`` ->
``programs``), and in a *summary* listing counts instead of the detail lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from reconciler.kinds import Kind

#: server fields shown last, in this order, as Genesys does
TRAILER = ("version", "dateCreated", "dateModified", "selfUri")


def shown_fields(kind: Kind) -> frozenset[str]:
    """Stored keys a read may show (before flags, references and counts are applied)."""
    fields = {"id", kind.name_field, *kind.spec_fields, *kind.server_managed}
    if kind.singleton is not None:
        fields -= {"id", kind.name_field}
    return frozenset(fields - set(kind.write_only))


def unshown_fields(kind: Kind, features_off: Collection[str]) -> frozenset[str]:
    """The fields of ``kind`` an org without ``features_off`` never shows (``Kind.shown_with_feature``)."""
    return frozenset(f for f, feature in kind.shown_with_feature.items() if feature in features_off)


def present(
    kind: Kind,
    stored: Mapping[str, Any],
    *,
    summary: bool = False,
    asked: Mapping[str, str] | None = None,
    unshown: Collection[str] = (),
) -> dict[str, Any]:
    """An object as a read shows it (``summary``: as a summary listing shows it).

    ``asked`` is a read's query: a field the kind shows only when asked (``listing.expand``,
    e.g. ``expand=config.current``) is left out unless the query asks for it; ``None``
    (the answer of a write) shows everything. ``unshown``: fields the org's features hide
    (:func:`unshown_fields`), left out of every answer though stored as written.
    """
    shown = shown_fields(kind)
    out = {k: v for k, v in stored.items() if k in shown and k not in unshown}
    if asked is not None:
        for detail, (param, value) in kind.listing.expand.items():
            if value not in str(asked.get(param, "")).split(","):
                out.pop(detail, None)
    sub = kind.sub_resource
    if sub is not None and sub.name_inner is not None and isinstance(out.get(sub.field), Mapping):
        # the sub-resource's name is the object's (an integration's configuration): shown as it is now
        inner = {**(out[sub.field].get(sub.inner) or {}), sub.name_inner: stored.get("name")}
        out[sub.field] = {**out[sub.field], sub.inner: inner}
    trailer = {k: out.pop(k) for k in TRAILER if k in out}
    for secret, flag in kind.write_only.items() if kind.write_only_flagged else ():
        out[flag] = stored.get(secret) is not None
    for ref in kind.id_refs:
        ids = out.pop(ref.field, None)
        if ids is not None:
            out[ref.shown_as] = [{"id": i, "selfUri": ref.uri.format(id=i)} for i in ids]
    if summary:
        for detail in kind.listing.omitted:
            out.pop(detail, None)
        for detail, count in kind.listing.counted.items():
            out.pop(detail, None)
            out.pop(next((r.shown_as for r in kind.id_refs if r.field == detail), detail), None)
            out[count] = len(stored.get(detail) or [])
    return {**out, **trailer}


__all__ = ["TRAILER", "present", "shown_fields", "unshown_fields"]
