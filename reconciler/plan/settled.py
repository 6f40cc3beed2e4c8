"""The stub a live object becomes when it is settled at read (see :mod:`~reconciler.plan.readtime`).

A type of its own, below the comparison: :func:`~reconciler.plan.compare.compare`
recognises it and returns the no-op found when the object's page was read, without
comparing again.
"""

from __future__ import annotations

from typing import Any

from reconciler.manifests.desired import DesiredObject


class SettledLive(dict[str, Any]):
    """A live object already found equal to ``declared``: only the fields a no-op's readers read.

    A ``dict``, so every reader of live objects reads it as before (``id``, ``name``,
    the revision, referenced fields); ``declared`` is the one declaration it may stand for.
    """

    __slots__ = ("declared",)
    #: set right after the fields are (no ``__init__`` of its own: made once per unchanged object)
    declared: DesiredObject


__all__ = ["SettledLive"]
