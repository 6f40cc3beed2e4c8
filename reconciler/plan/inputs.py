"""Refusals of the planner's inputs, before anything is compared.

These are the user's own mistakes (a variable not set, a prune option naming an unknown
kind, a ``rotate`` entry that is not ``Kind/Name``), so they raise
:class:`~reconciler.core.errors.ConfigError` with the whole list at once rather than
producing a plan that is wrong in a way nobody would notice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence

from reconciler.core.errors import ConfigError
from reconciler.core.keys import ObjectKey
from reconciler.kinds import REGISTRY, unknown_kind_message
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.prune import PrunePolicy


def check_prune_kinds(prune: PrunePolicy) -> None:
    """Every kind the policy prunes exists and is not a singleton (the org's settings are never deleted)."""
    for kind_name in sorted(prune.kinds):
        if kind_name not in REGISTRY:
            raise ConfigError(f"prune: {unknown_kind_message(kind_name)}")
        if REGISTRY[kind_name].singleton is not None:
            raise ConfigError(f"prune: {kind_name} is the org's single settings object; it is never deleted")


def check_env(desired: Sequence[DesiredObject], env: Mapping[str, str]) -> None:
    """All unset variables at once, each with the objects that need it (never a value)."""
    missing: dict[str, list[str]] = defaultdict(list)
    for obj in desired:
        for name in obj.env_names:
            if name not in env:
                missing[name].append(str(obj.key))
    if missing:
        lines = [f"  {name} (used by {', '.join(users)})" for name, users in sorted(missing.items())]
        raise ConfigError("environment variables not set:\n" + "\n".join(lines))


def object_key(address: str) -> ObjectKey:
    """``Kind/Name`` as the user writes it (``rotate``) to an :class:`ObjectKey`."""
    kind, sep, name = address.partition("/")
    if not sep or not name:
        raise ConfigError(f"{address!r} is not an object address; expected Kind/Name")
    return ObjectKey(kind, name)


def rotate_keys(rotate: Collection[str]) -> frozenset[tuple[str, str]]:
    """The folded identities named by ``rotate`` (each checked to be an address)."""
    return frozenset(object_key(a).folded for a in rotate)
