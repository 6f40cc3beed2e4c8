"""The GC pause around bulk data: what survives is frozen, what was garbage is not kept."""

from __future__ import annotations

import gc
import weakref

from reconciler.app.memory import bulk_build


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_cyclic_garbage_made_inside_is_collected_not_frozen() -> None:
    with bulk_build():
        garbage = _Node()
        gone = weakref.ref(garbage)
        del garbage
        assert gone() is not None  # the collector is paused inside
    assert gone() is None


def _tracked(objects: list[_Node]) -> list[bool]:
    """Whether each object is still in a collected generation (a frozen one is in none of them).

    Why not ``gc.get_freeze_count()`` before and after: objects frozen earlier in the process
    (another test's plan) are still freed by reference counting, so the count may fall meanwhile.
    """
    ids = {id(o) for o in gc.get_objects()}
    return [id(o) in ids for o in objects]


def test_what_survives_is_frozen_and_the_collector_resumes() -> None:
    try:
        outside = [_Node()]
        with bulk_build():
            kept = [_Node() for _ in range(10)]
        assert _tracked(kept) == [False] * len(kept)
        assert _tracked(outside) == [False]  # gc.freeze() takes every tracked object, as documented
        after = [_Node()]
        assert _tracked(after) == [True]  # made since: collected as usual
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_without_collect_survivors_and_garbage_alike_are_frozen() -> None:
    try:
        with bulk_build(collect=False):
            garbage = _Node()
            gone = weakref.ref(garbage)
            del garbage
        assert gone() is not None  # not collected: frozen with the rest, freed with the process
        assert _tracked([gone()]) == [False]  # type: ignore[list-item]
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.collect()
    assert gone() is None
