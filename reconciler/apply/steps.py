"""A plan turned into typed steps, without side effects: what to write, in which order, after what.

:func:`build_steps` is a pure function of the plan and the kinds; the executor
(:mod:`reconciler.apply.executor`) evaluates the steps and the scheduler
(:mod:`reconciler.apply.scheduler`) orders them. Keeping the decisions here (which write a
change needs, what it must wait for, which version the ``PUT`` carries, what gets published
and which hooks may run) leaves the side-effecting code with nothing to decide but outcomes.

Ordering rules:

- a change *requires* the planned changes it references (``ResourceChange.depends_on``):
  it waits for them and is skipped when one did not succeed;
- a delete comes *after* every create and update, whatever their fate, so nothing still
  points at an object when it goes, and after the deletes of objects whose live state names
  its id (a data action before its integration);
- publish jobs and post-write hooks run once every object step has finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from reconciler.core.keys import ObjectKey, Revision
from reconciler.kinds import REGISTRY, Kind, PostWriteHook, Publish, kind_rank
from reconciler.plan.model import Action, Plan, ResourceChange
from reconciler.plan.undeclared import mentioned


@dataclass(frozen=True)
class ObjectStep:
    """One planned change of one object (the base of the typed steps below)."""

    change: ResourceChange
    kind: Kind
    #: planned changes that must succeed first (their objects are referenced by this one)
    requires: tuple[ObjectKey, ...] = ()
    #: planned changes that must have finished first, whatever became of them
    after: tuple[ObjectKey, ...] = ()

    @cached_property
    def key(self) -> ObjectKey:
        """Asked for several times per step by the scheduler and the executor: built once."""
        return ObjectKey(self.change.kind, self.change.name)

    @property
    def expected(self) -> Revision | None:
        """The live revision the plan was made from; the stale check compares it."""
        return self.change.live_version


@dataclass(frozen=True)
class CreateStep(ObjectStep):
    """``POST`` the declared object; the name must still be free."""


@dataclass(frozen=True)
class UpdateStep(ObjectStep):
    """``PUT`` the whole declared object, carrying the version the plan read."""

    #: what the ``PUT`` sends as ``version`` (0 for kinds without versions)
    version: int = 0


@dataclass(frozen=True)
class DeleteStep(ObjectStep):
    """``DELETE`` an undeclared object the plan prunes."""


@dataclass(frozen=True)
class ReplaceStep(ObjectStep):
    """A field the API cannot update changed: delete the live object, then create the declared one."""


@dataclass(frozen=True)
class PublishFlagStep(ObjectStep):
    """An update whose only difference is the publish flag: nothing is written but the publish job."""


@dataclass(frozen=True)
class PublishStep:
    """One publish job for the objects of one kind whose spec asks for it, once they are written."""

    kind: Kind
    publish: Publish
    #: objects to publish, in plan order, if their step succeeded
    candidates: tuple[ObjectKey, ...]


@dataclass(frozen=True)
class HookStep:
    """A post-write hook (e.g. the TTS cache refresh), called once if any of ``kinds`` was written."""

    hook: PostWriteHook
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Steps:
    """Everything an apply does: object steps in plan order, then publish jobs, then hooks."""

    objects: tuple[ObjectStep, ...] = ()
    publishes: tuple[PublishStep, ...] = ()
    hooks: tuple[HookStep, ...] = ()


def build_steps(plan: Plan, kinds: Mapping[str, Kind] = REGISTRY) -> Steps:
    """The steps that carry out ``plan`` (its no-ops need none)."""
    pending = plan.pending()
    planned = {ObjectKey(c.kind, c.name) for c in pending}
    writes = tuple(ObjectKey(c.kind, c.name) for c in pending if c.action != Action.DELETE)
    objects = tuple(_object_step(c, kinds[c.kind], planned, writes, _referrers(c, pending)) for c in pending)
    return Steps(objects=objects, publishes=_publish_steps(objects), hooks=_hook_steps(objects))


def _referrers(change: ResourceChange, pending: tuple[ResourceChange, ...]) -> tuple[ObjectKey, ...]:
    """The other deletes whose live object names ``change``'s id (a data action its integration), when
    ``change`` is a delete: they go first, as Terraform destroys dependents first. Only deletes of a
    kind ranked later (kinds are ranked referenced first) are waited for, so the waits form no cycle."""
    if change.action != Action.DELETE or not change.object_id:
        return ()
    rank, ids = kind_rank(change.kind), {change.object_id: None}
    # the plan's own test of "names its id" (a whole string, or a word of one: a webhook filter)
    return tuple(ObjectKey(c.kind, c.name) for c in pending if c.action == Action.DELETE
                 and kind_rank(c.kind) > rank and any(mentioned(c.before, ids)))


def _object_step(
    change: ResourceChange, kind: Kind, planned: set[ObjectKey], writes: tuple[ObjectKey, ...],
    referrers: tuple[ObjectKey, ...] = (),
) -> ObjectStep:
    # a reference to an object this plan leaves alone has nothing to wait for
    requires = tuple(dep for dep in change.depends_on if dep in planned)
    if change.action == Action.DELETE:
        return DeleteStep(change, kind, requires, after=(*writes, *referrers))
    if change.action == Action.REPLACE:
        return ReplaceStep(change, kind, requires)
    if change.action == Action.CREATE:
        return CreateStep(change, kind, requires)
    if _only_publish_flag(change, kind):
        return PublishFlagStep(change, kind, requires)
    version = change.live_version if kind.versioned and isinstance(change.live_version, int) else 0
    return UpdateStep(change, kind, requires, version=version)


def _only_publish_flag(change: ResourceChange, kind: Kind) -> bool:
    if kind.publish is None or not change.field_changes:
        return False
    return all(fc.path == kind.publish.flag for fc in change.field_changes)


def _publish_steps(objects: tuple[ObjectStep, ...]) -> tuple[PublishStep, ...]:
    """One job per publishing kind, for the objects whose spec says ``<flag>: true``."""
    wanted: dict[str, list[ObjectStep]] = {}
    for step in objects:
        publish = step.kind.publish
        if publish is None or isinstance(step, DeleteStep):
            continue
        if (step.change.spec or {}).get(publish.flag) is True:
            wanted.setdefault(step.kind.name, []).append(step)
    jobs = []
    for name in sorted(wanted):
        kind = wanted[name][0].kind
        assert kind.publish is not None  # selected above
        jobs.append(PublishStep(kind, kind.publish, tuple(s.key for s in wanted[name])))
    return tuple(jobs)


def _hook_steps(objects: tuple[ObjectStep, ...]) -> tuple[HookStep, ...]:
    """Each distinct hook once (kinds may share one endpoint), in the order of kind names."""
    hooks: dict[tuple[str, str], tuple[PostWriteHook, list[str]]] = {}
    for name, kind in sorted({s.kind.name: s.kind for s in objects}.items()):
        hook = kind.after_write
        if hook is not None:
            hooks.setdefault((hook.method, hook.path), (hook, []))[1].append(name)
    return tuple(HookStep(hook, tuple(names)) for hook, names in hooks.values())


__all__ = [
    "CreateStep",
    "DeleteStep",
    "HookStep",
    "ObjectStep",
    "PublishFlagStep",
    "PublishStep",
    "ReplaceStep",
    "Steps",
    "UpdateStep",
    "build_steps",
]
