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


def test_what_survives_is_frozen_and_the_collector_resumes() -> None:
    before = gc.get_freeze_count()
    try:
        with bulk_build():
            kept = [_Node() for _ in range(10)]
        assert gc.get_freeze_count() >= before + len(kept)
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_without_collect_survivors_and_garbage_alike_are_frozen() -> None:
    before = gc.get_freeze_count()
    try:
        with bulk_build(collect=False):
            garbage = _Node()
            gone = weakref.ref(garbage)
            del garbage
        assert gone() is not None  # not collected: frozen with the rest, freed with the process
        assert gc.get_freeze_count() >= before + 1
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.collect()
    assert gone() is None
