"""A plan turned into typed steps, without side effects: what to write, in which order, after what.

:func:`build_steps` is a pure function of the plan and the kinds; the executor
(:mod:`reconciler.apply.executor`) evaluates the steps and the scheduler
(:mod:`reconciler.apply.scheduler`) orders them. Keeping the decisions here (which write a
change needs, what it must wait for, which version the ``PUT`` carries, what gets published
and which hooks may run) leaves the side-effecting code with nothing to decide but outcomes.

Ordering rules:

- a change *requires* the planned changes it references (``ResourceChange.depends_on``):
  it waits for them and is skipped when one did not succeed;
- a replace (a field the API cannot update changed) is two steps, Terraform's
  destroy-then-create: its *delete half* (:class:`ReplaceDeleteStep`, id :class:`DeleteHalf`)
  and its *create half* (:class:`ReplaceCreateStep`, which goes by the object's key, so what
  requires the object waits for its new version). The create half waits for its delete half
  and for what the change requires; a delete half that did not succeed stands for the change,
  and its create half is never sent. The plan, the audit trail and the apply result keep one
  replace per object; the result says which half did not happen. The halves write what the
  one-step replace wrote (a ``delete`` intent and outcome, then a ``create`` pair), so a run
  stopped between them is resumed as before: the next plan no longer sees the object live
  and plans its create;
- a delete half waits for the deletes (pruned objects and other delete halves) of the objects
  whose live state names its id, and is skipped if one of them did not succeed: with an
  integration and its data action both replaced, the order is delete the action, delete the
  integration, create the integration, create the action, so no action ever names a deleted
  integration (a failed create of the new integration leaves the action deleted, not
  dangling) and a platform that refuses to delete a referenced integration accepts it. It
  also needs the updates that stop naming it (their live state names its id) to succeed
  first, unless they wait for a replace themselves;
- an object replaced while a declared dependent is only *updated* to its new id (its
  reference field is not ``replace_on``): delete old, create new, then update the dependent
  (the update requires the new object's id, known only once it is created). A platform that
  refuses to delete an object still named refuses the delete half: the create half is not
  sent, the update is skipped, and live state is left consistent (the dependent still names
  the old object, which still exists). No order avoids that refusal without two objects of
  one name at once (create before destroy: a run stopped in between leaves a duplicate name
  every later plan stops on, where a re-run must finish the job) or replacing the dependent
  too; the platform kinds declare such a reference ``replace_on`` as CX as Code does
  (``genesyscloud_integration_action.integration_id`` is ``ForceNew``), so their dependents
  are replaced and the chain above applies;
- a pruned delete comes *after* every create and update, whatever their fate, so nothing still
  points at an object when it goes, and *requires* the deletes of objects whose live state names
  its id (a data action before its integration; if the action's delete fails, the integration
  stays, so no live action names a deleted one). One a replace's delete half waits for (a
  pruned data action naming a replaced integration) cannot also wait for the writes that wait
  for that replace: it waits for the other writes only. Every wait goes from a later kind to
  an earlier one (kinds are ranked referenced first) or along the plan's references, so the
  waits form no cycle;
- publish jobs and post-write hooks run once every object step has finished.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, TypeAlias

from reconciler.core.keys import ObjectKey, Revision
from reconciler.kinds import REGISTRY, Kind, PostWriteHook, Publish, kind_rank
from reconciler.plan.model import Action, Plan, ResourceChange
from reconciler.plan.undeclared import mentioned


@dataclass(frozen=True)
class DeleteHalf:
    """The id of a replace's delete half (its create half goes by the object's key)."""

    key: ObjectKey

    def __str__(self) -> str:
        return f"{self.key} (its delete)"


StepId: TypeAlias = ObjectKey | DeleteHalf
"""What steps wait for: a change's last step by the object's key, a replace's delete half by :class:`DeleteHalf`."""


@dataclass(frozen=True)
class ObjectStep:
    """One planned change of one object (the base of the typed steps below)."""

    change: ResourceChange
    kind: Kind
    #: steps that must succeed first (the changes of the objects it references; a delete half: see the module)
    requires: tuple[StepId, ...] = ()
    #: steps that must have finished first, whatever became of them
    after: tuple[StepId, ...] = ()
    #: what the step's first half did, when it is the second half of a change (for messages)
    begun: ClassVar[str] = ""

    @cached_property
    def key(self) -> ObjectKey:
        """Asked for several times per step by the scheduler and the executor: built once."""
        return ObjectKey(self.change.kind, self.change.name)

    @property
    def id(self) -> StepId:
        """The step's identity among the run's steps (the object's key, but for a replace's delete half)."""
        return self.key

    @property
    def continues(self) -> StepId | None:
        """The change's first half when this step is its second: its outcome stands for the change if not a success."""
        return None

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
    """Half of a replace (a field the API cannot update changed): the live object's delete, or the new one's create."""


@dataclass(frozen=True)
class ReplaceDeleteStep(ReplaceStep):
    """The first half of a replace: ``DELETE`` the live object (the body is checked first, nothing is sent for it)."""

    @property
    def id(self) -> StepId:
        return DeleteHalf(self.key)


@dataclass(frozen=True)
class ReplaceCreateStep(ReplaceStep):
    """The second half of a replace: ``POST`` the declared object once the live one is gone."""

    begun: ClassVar[str] = "deleted, but not created"

    @property
    def continues(self) -> StepId | None:
        return DeleteHalf(self.key)


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
    """Everything an apply does: object steps in plan order (a replace's two halves in a row), then
    publish jobs, then hooks."""

    objects: tuple[ObjectStep, ...] = ()
    publishes: tuple[PublishStep, ...] = ()
    hooks: tuple[HookStep, ...] = ()

    @property
    def per_change(self) -> tuple[ObjectStep, ...]:
        """One step per change, in plan order: the one whose outcome is the change's (a replace's create half)."""
        return tuple(s for s in self.objects if not isinstance(s, ReplaceDeleteStep))


def build_steps(plan: Plan, kinds: Mapping[str, Kind] = REGISTRY) -> Steps:
    """The steps that carry out ``plan`` (its no-ops need none)."""
    pending = plan.pending()
    planned = {ObjectKey(c.kind, c.name) for c in pending}
    writes = tuple(ObjectKey(c.kind, c.name) for c in pending if c.action != Action.DELETE)
    order = _Order(pending, writes)
    objects: list[ObjectStep] = []
    for change in pending:
        objects.extend(_object_steps(change, kinds[change.kind], planned, order))
    steps = tuple(objects)
    return Steps(objects=steps, publishes=_publish_steps(steps), hooks=_hook_steps(steps))


def _delete_id(change: ResourceChange) -> StepId:
    key = ObjectKey(change.kind, change.name)
    return DeleteHalf(key) if change.action == Action.REPLACE else key


class _Order:
    """Which deletes wait for which (see the module's ordering rules), computed once per plan."""

    def __init__(self, pending: tuple[ResourceChange, ...], writes: tuple[ObjectKey, ...]) -> None:
        self.writes = writes
        doomed = [c for c in pending if c.action in (Action.DELETE, Action.REPLACE) and c.object_id]
        #: by doomed object: the deletes of the objects whose live state names its id
        self.referrers = {ObjectKey(c.kind, c.name): _referrers(c, doomed) for c in doomed}
        replaced = [ObjectKey(c.kind, c.name) for c in pending if c.action == Action.REPLACE]
        #: pruned objects some replace's delete half waits for, directly or through other deletes
        self.early = _reached((self.referrers.get(k, ()) for k in replaced), self.referrers)
        dependent = _dependents(pending, replaced)
        #: writes that wait for no replace, directly or through what they require
        self.independent = tuple(k for k in writes if k not in dependent)
        self._naming = {ObjectKey(c.kind, c.name): c.before for c in pending
                        if c.action == Action.UPDATE and ObjectKey(c.kind, c.name) not in dependent}

    def naming(self, change: ResourceChange) -> tuple[ObjectKey, ...]:
        """The updates (waiting for no replace) whose live state names ``change``'s id: they stop naming it."""
        ids = {str(change.object_id): None}
        return tuple(k for k, before in self._naming.items() if any(mentioned(before, ids)))


def _referrers(change: ResourceChange, doomed: list[ResourceChange]) -> tuple[StepId, ...]:
    """The deletes of the doomed objects whose live object names ``change``'s id (a data action its integration):
    they go first, as Terraform destroys dependents first. Only objects of a kind ranked later (kinds are
    ranked referenced first) are waited for, so the waits form no cycle."""
    rank, ids = kind_rank(change.kind), {str(change.object_id): None}
    # the plan's own test of "names its id" (a whole string, or a word of one: a webhook filter)
    return tuple(_delete_id(c) for c in doomed if kind_rank(c.kind) > rank and any(mentioned(c.before, ids)))


def _reached(starts: Iterable[tuple[StepId, ...]], referrers: Mapping[ObjectKey, tuple[StepId, ...]]) -> set[ObjectKey]:
    """The pruned objects among the deletes in ``starts`` and, through their referrers, the deletes those wait for."""
    seen: set[StepId] = set()
    queue = deque(step for group in starts for step in group)
    while queue:
        step = queue.popleft()
        if step not in seen:
            seen.add(step)
            queue.extend(referrers.get(step.key if isinstance(step, DeleteHalf) else step, ()))
    return {step for step in seen if isinstance(step, ObjectKey)}


def _dependents(pending: tuple[ResourceChange, ...], replaced: list[ObjectKey]) -> set[ObjectKey]:
    """The replaced objects and every change that requires one of them, directly or through others."""
    users: dict[ObjectKey, list[ObjectKey]] = {}
    for c in pending:
        for dep in c.depends_on:
            users.setdefault(dep, []).append(ObjectKey(c.kind, c.name))
    found, queue = set(replaced), deque(replaced)
    while queue:
        for user in users.get(queue.popleft(), ()):
            if user not in found:
                found.add(user)
                queue.append(user)
    return found


def _object_steps(change: ResourceChange, kind: Kind, planned: set[ObjectKey], order: _Order) -> list[ObjectStep]:
    # a reference to an object this plan leaves alone has nothing to wait for
    requires: tuple[StepId, ...] = tuple(dep for dep in change.depends_on if dep in planned)
    key = ObjectKey(change.kind, change.name)
    if change.action == Action.DELETE:
        writes = order.independent if key in order.early else order.writes
        # the deletes of what names it must succeed: a failed one would leave a live object naming a deleted id
        return [DeleteStep(change, kind, (*requires, *order.referrers.get(key, ())), after=writes)]
    if change.action == Action.REPLACE:
        naming = order.naming(change) if change.object_id else ()
        first = ReplaceDeleteStep(change, kind, requires=(*order.referrers.get(key, ()), *naming))
        return [first, ReplaceCreateStep(change, kind, requires=(first.id, *requires))]
    if change.action == Action.CREATE:
        return [CreateStep(change, kind, requires)]
    if _only_publish_flag(change, kind):
        return [PublishFlagStep(change, kind, requires)]
    version = change.live_version if kind.versioned and isinstance(change.live_version, int) else 0
    return [UpdateStep(change, kind, requires, version=version)]


def _only_publish_flag(change: ResourceChange, kind: Kind) -> bool:
    if kind.publish is None or not change.field_changes:
        return False
    return all(fc.path == kind.publish.flag for fc in change.field_changes)


def _publish_steps(objects: tuple[ObjectStep, ...]) -> tuple[PublishStep, ...]:
    """One job per publishing kind, for the objects whose spec says ``<flag>: true``."""
    wanted: dict[str, list[ObjectStep]] = {}
    for step in objects:
        publish = step.kind.publish
        if publish is None or isinstance(step, (DeleteStep, ReplaceDeleteStep)):
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
    "DeleteHalf",
    "DeleteStep",
    "HookStep",
    "ObjectStep",
    "PublishFlagStep",
    "PublishStep",
    "ReplaceCreateStep",
    "ReplaceDeleteStep",
    "ReplaceStep",
    "StepId",
    "Steps",
    "UpdateStep",
    "build_steps",
]
