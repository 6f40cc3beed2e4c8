"""Refusals of the planner's inputs, before anything is compared.

These are the user's own mistakes (a variable not set, a prune option naming an unknown
kind, a ``rotate`` entry that is not ``Kind/Name``), so they raise
:class:`~reconciler.core.errors.ConfigError` with the whole list at once rather than
producing a plan that is wrong in a way nobody would notice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum

from reconciler.core.errors import ConfigError
from reconciler.core.keys import ObjectKey
from reconciler.core.suggest import closest
from reconciler.kinds import REGISTRY, unknown_kind_message
from reconciler.manifests.desired import DesiredObject, env_names_in
from reconciler.plan.prune import PrunePolicy


def check_prune_kinds(prune: PrunePolicy) -> None:
    """Every kind the policy prunes exists and is not a singleton (the org's settings are never deleted)."""
    for kind_name in sorted(prune.kinds):
        if kind_name not in REGISTRY:
            raise ConfigError(f"prune: {unknown_kind_message(kind_name)}")
        if REGISTRY[kind_name].singleton is not None:
            raise ConfigError(f"prune: {kind_name} is the org's single settings object; it is never deleted")


class EnvMode(StrEnum):
    """Which ``${env:…}`` variables a command needs set.

    ``all`` (plan, apply): every one, since a write sends them. ``compared`` (drift): only those
    a comparison reads; a variable used only in write-only fields (secrets, which the API never
    returns and the essence drops: ``Kind.essence``) may be unset, so drift needs no secret values.
    """

    ALL = "all"
    COMPARED = "compared"


#: what an unset write-only variable resolves to under ``EnvMode.COMPARED``; never compared or sent
UNSET_STAND_IN = "(unset)"


def check_env(desired: Sequence[DesiredObject], env: Mapping[str, str], mode: EnvMode = EnvMode.ALL) -> None:
    """All unset variables at once, each with the objects that need it (never a value)."""
    missing: dict[str, list[str]] = defaultdict(list)
    for obj in desired:
        for name in obj.env_names if mode is EnvMode.ALL else _compared_env_names(obj):
            if name not in env:
                missing[name].append(str(obj.key))
    if missing:
        lines = [f"  {name} (used by {', '.join(users)})" for name, users in sorted(missing.items())]
        raise ConfigError("environment variables not set:\n" + "\n".join(lines))


def env_for(desired: Sequence[DesiredObject], env: Mapping[str, str], mode: EnvMode) -> Mapping[str, str]:
    """``env`` checked for ``mode``; under ``compared`` its unset write-only variables get a stand-in.

    Why a stand-in rather than skipping: resolution needs a value everywhere, and a write-only
    field's value only decides its "is set" flag, which a declared secret sets whatever its value.
    """
    check_env(desired, env, mode)
    if mode is EnvMode.ALL:
        return env
    unset = {name for obj in desired for name in obj.env_names if name not in env}
    return {**env, **dict.fromkeys(unset, UNSET_STAND_IN)} if unset else env


def _compared_env_names(obj: DesiredObject) -> tuple[str, ...]:
    """The variables ``obj``'s compared fields read: all but its kind's write-only fields'."""
    if not obj.env_names:
        return ()
    write_only = REGISTRY[obj.kind].write_only if obj.kind in REGISTRY else {}
    return env_names_in({k: v for k, v in obj.spec.items() if k not in write_only})


def object_key(address: str) -> ObjectKey:
    """``Kind/Name`` as the user writes it (``rotate``) to an :class:`ObjectKey`."""
    try:
        return ObjectKey.parse(address)
    except ValueError as exc:  # the same rule, as a user's configuration error
        raise ConfigError(str(exc)) from None


def rotate_keys(rotate: Collection[str], desired: Sequence[DesiredObject]) -> frozenset[tuple[str, str]]:
    """The folded identities named by ``rotate``, each an address of a known kind that ``desired`` declares.

    A mistyped kind or name was only the warning "not declared" and exit 0, though the rotation
    asked for never happened (as ``--prune`` refuses an unknown kind); each is a
    :class:`~reconciler.core.errors.ConfigError` now, an undeclared name with the closest declared
    address of its kind as a suggestion.
    """
    kinds = {name.casefold() for name in REGISTRY}
    keys = [object_key(a) for a in rotate]
    for key in keys:
        if key.kind.casefold() not in kinds:
            raise ConfigError(f"rotate: {key}: {unknown_kind_message(key.kind)}")
    declared = {d.key.folded: d.key for d in desired}
    problems = [_undeclared_rotation(key, declared) for key in keys if key.folded not in declared]
    if problems:
        raise ConfigError("; ".join(problems))
    return frozenset(key.folded for key in keys)


def _undeclared_rotation(key: ObjectKey, declared: Mapping[tuple[str, str], ObjectKey]) -> str:
    # the kind compared as the kind check above compares it: ``webhook/CRM Sync`` suggests ``Webhook/CRM Sync``
    same_kind = {k.name: k for k in declared.values() if k.kind.casefold() == key.kind.casefold()}
    near = closest(key.name, same_kind)
    hint = f" (did you mean '{same_kind[near]}'?)" if near is not None else ""
    return f"rotate: {key} is not declared in the manifests, so there is nothing to re-send{hint}"
