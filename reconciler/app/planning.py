"""The plan use case: validate manifests (no network on failure), read live state, build the plan.

It returns a :class:`PlanRun`, not a tuple: the command needs the plan, the live listing
(an auto-approved apply reuses it), the counts for its summary line and the client's
counters, and nothing holds a closed client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.app.connect import RunOptions, connected, org_of
from reconciler.app.live import KindRead, Listed, declared_detail, read_live
from reconciler.app.memory import bulk_build
from reconciler.core.errors import ManifestError
from reconciler.core.live import LiveState
from reconciler.core.secrets import remember
from reconciler.genesys import ClientStats, GenesysClient, Target
from reconciler.kinds import KINDS
from reconciler.manifests import ManifestSet, load_manifests
from reconciler.manifests.elsewhere import Declared, declared_elsewhere
from reconciler.manifests.escapes import escape_warnings
from reconciler.manifests.placeholders import UnsetAllowed
from reconciler.plan.builder import PrunePolicy, build_plan
from reconciler.plan.identity import (
    ambiguous_identities,
    duplicate_names,
    duplicate_warnings,
    pin_issues,
    scope_issues,
)
from reconciler.plan.inputs import EnvMode, env_for, rotate_keys
from reconciler.plan.livechecks import live_check_issues
from reconciler.plan.model import Org, Plan
from reconciler.plan.readtime import settler
from reconciler.plan.warning import PlanWarning, whole_plan


@dataclass(frozen=True)
class PlanRun:
    """What planning produced. Large parts are left out of ``repr``: results cross ``anyio.run``."""

    plan: Plan = field(repr=False)
    manifests: ManifestSet = field(repr=False)
    live: Listed = field(repr=False)
    stats: ClientStats = field(repr=False)

    @property
    def live_counts(self) -> dict[str, int]:
        """Objects read per kind: the one line every log gets about the state the plan came from."""
        return {kind: len(objects) for kind, objects in self.live.items()}


def prune_policy(
    manifests: ManifestSet,
    extra_kinds: Sequence[str] = (),
    max_deletes: int | None = None,
    elsewhere: Declared | None = None,
) -> PrunePolicy:
    """``reconciler.yaml`` settings, widened by ``--prune KIND`` and ``--max-deletes``.

    ``elsewhere``: what the project's files not given declare (:func:`left_alone`), never pruned.
    """
    prune = manifests.settings.prune
    kwargs: dict[str, Any] = {
        "kinds": frozenset(prune.kinds) | frozenset(extra_kinds),
        "exclude": tuple(prune.exclude),
        "default_max_deletes": prune.maxDeletes,
        "max_delete_percent": prune.maxDeletePercent,
        "elsewhere": elsewhere,
    }
    if max_deletes is not None:
        kwargs["max_deletes"] = max_deletes
    return PrunePolicy(**kwargs)


def make_plan(
    manifests: ManifestSet,
    live: LiveState,
    target: Target,
    *,
    env: Mapping[str, str],
    prune: PrunePolicy,
    rotate: Sequence[str] = (),
    env_mode: EnvMode = EnvMode.ALL,
    org: Org | None = None,
) -> Plan:
    """The pure step: no network, so a plan is a function of the files, the listing and the org read."""
    return build_plan(
        manifests.objects,
        live,
        env=env,
        target=target.identity,
        target_description=target.describe(),
        manifests_digest=manifests.digest,
        project=manifests.project,
        org=org,
        prune=prune,
        rotate=rotate,
        graph=manifests.graph,
        policy=manifests.settings.policy,
        env_mode=env_mode,
        included=manifests.included,
    )


def left_alone(manifests: ManifestSet, extra_kinds: Sequence[str]) -> Declared | None:
    """What the project's files not given declare, when this plan prunes; ``None`` when nothing is left out.

    Read before any network, and only when a kind is pruned: a plan that deletes nothing
    needs no file it was not given, so one broken there does not stop it. When pruning, a
    file that cannot tell what it declares refuses the plan (``ManifestError``), never a guess.
    """
    pruned = {*manifests.settings.prune.kinds, *extra_kinds}
    if not pruned or not (manifests.left_out or manifests.left_out_issues):
        return None
    return declared_elsewhere(manifests)


async def plan_paths(
    paths: Sequence[str],
    options: RunOptions,
    *,
    env: Mapping[str, str] | None = None,
    prune_kinds: Sequence[str] = (),
    max_deletes: int | None = None,
    prune_all: bool = False,
    rotate: Sequence[str] = (),
    on_kind_read: KindRead | None = None,
    client: GenesysClient | None = None,
    env_mode: EnvMode = EnvMode.ALL,
    settle_at_read: bool = True,
) -> PlanRun:
    """Validate manifests (no network on failure), read live state, plan.

    ``client``: the command's open client, when it goes on to apply through it (one token
    per command); otherwise one is opened for the reads and closed after them. ``env_mode``
    ``compared`` (drift) lets write-only variables be unset: checked before any network. Loading and
    planning run under :func:`~reconciler.app.memory.bulk_build` (see there why). ``settle_at_read``:
    live objects equal to their declaration are compared as their page is read and kept as
    stubs (:mod:`~reconciler.plan.readtime`); ``PlanRun.live`` then holds those stubs.
    """
    env = os.environ if env is None else env
    with bulk_build(collect=False):  # loading leaves next to no cyclic garbage: see bulk_build
        manifests = load_manifests(paths, env=env if env_mode is EnvMode.ALL else UnsetAllowed(env))
    env = env_for(manifests.objects, env, env_mode)
    rotate_keys(rotate, manifests.objects)  # a rotation of nothing is refused before any read, as build_plan would
    kinds = [k.name for k in KINDS if k.singleton is None] if prune_all else prune_kinds
    elsewhere = left_alone(manifests, kinds)
    # before any read: a server may echo them in a listing's error as well as in a write's
    remember(env[name] for name in {n for obj in manifests.objects for n in obj.env_names} if name in env)
    required = {obj.kind for obj in manifests.objects} | set(manifests.settings.prune.kinds) | set(prune_kinds)
    warnings: list[str] = []
    async with connected(options, client) as reader:
        org = await org_of(reader)  # recorded in the plan: apply refuses it in another org
        with bulk_build():
            live = await read_live(
                reader, on_kind_read=on_kind_read, detail=declared_detail(manifests), required=required,
                warnings=warnings, settle=settler(manifests.objects, rotate, env) if settle_at_read else None,
            )
        issues = await live_check_issues(manifests.objects, reader, env)
    duplicates = duplicate_names(live)
    issues.extend(pin_issues(manifests.objects, live))
    issues.extend(ambiguous_identities(manifests.objects, duplicates))
    issues.extend(scope_issues(manifests.objects, live, duplicates))
    warnings.extend(duplicate_warnings(manifests.objects, duplicates))
    # the escapes keep their place and object (plan --format sarif puts each at its line)
    located = (*whole_plan(warnings), *map(PlanWarning.of, escape_warnings(manifests.objects)))
    if issues:
        raise ManifestError(issues)
    with bulk_build(collect=False):  # building the plan leaves no cyclic garbage: see bulk_build
        plan = make_plan(
            manifests, live, options.target, env=env, rotate=rotate,
            prune=prune_policy(manifests, kinds, max_deletes, elsewhere),
            env_mode=env_mode, org=org,
        )
    if located:
        plan = plan.model_copy(update={"warnings": (*located, *plan.warnings)})
    return PlanRun(plan=plan, manifests=manifests, live=live, stats=reader.stats)
