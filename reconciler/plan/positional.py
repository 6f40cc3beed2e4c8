"""Positional differences of two JSON values, as DeepDiff reports them, without DeepDiff's cost.

Why: the planner diffed every changed object with ``DeepDiff(ignore_order=False,
ignore_numeric_type_changes=True)``, which builds a tree of level objects (copying
each one per step down): 1.6 ms an object, 11 of the 15 s a 50,000-change plan took
(``bench/changed_plan.py``), and 0.08 s of import for every command. Plans show
these differences and saved plans store them, so the output must not change: this walk
reproduces DeepDiff's results (path, old value or ``None``, new value or ``None``) for
plain JSON values (``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``,
``bool``, ``None``), including how it matches ordered lists:

- lists of scalars are matched with :class:`difflib.SequenceMatcher` (a removal in the
  middle is one removal, not a shifted tail), unless comparing position by position
  gives fewer reports, as DeepDiff's ``_diff_iterable_in_order`` decides;
- lists holding a container are compared position by position;
- a type change is one difference at its path; ``int`` against ``float`` is compared by
  value (``ignore_numeric_type_changes``);
- two mappings sharing under a third of their keys are one difference, the whole
  mappings (DeepDiff's ``threshold_to_diff_deeper``).

Anything else (another type, a key that is not a string or starts with ``__``, which
DeepDiff skips as private, a ``bool`` meeting a number) goes to DeepDiff itself,
imported only then. ``tests/plan/test_positional.py`` checks the equivalence.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from reconciler.core.jsonpath import JsonPath

#: (path, value before or ``None`` when absent, value after or ``None`` when absent)
Difference = tuple[JsonPath, Any, Any]

_SCALARS = frozenset({str, int, float, bool, type(None)})
_JSON = _SCALARS | {dict, list}
_NUMBERS = frozenset({int, float})
#: DeepDiff's ``threshold_to_diff_deeper`` default: mappings sharing a smaller share of their keys differ as a whole
_DIFF_DEEPER = 0.33


class _Unsupported(Exception):
    """A value this walk does not reproduce DeepDiff for: DeepDiff itself answers."""


def positional_differences(before: Any, after: Any, prefix: JsonPath = ()) -> list[Difference]:
    """The differences from ``before`` to ``after``, paths prefixed by ``prefix`` (in no particular order)."""
    out: list[Difference] = []
    try:
        _walk(before, after, prefix, out)
    except _Unsupported:
        return _deepdiff(before, after, prefix)
    return out


def _walk(a: Any, b: Any, path: JsonPath, out: list[Difference]) -> None:
    if a is b:
        return
    ta, tb = type(a), type(b)
    if ta is not tb:
        if ta not in _JSON or tb not in _JSON:
            raise _Unsupported
        if ta in _NUMBERS and tb in _NUMBERS:
            if a != b:
                out.append((path, a, b))
        elif (ta is bool and tb in _NUMBERS) or (tb is bool and ta in _NUMBERS):
            raise _Unsupported  # bool is an int to DeepDiff's numeric group: its rules, not ours
        else:
            out.append((path, a, b))  # a type change
        return
    if ta is dict:
        _dict(a, b, path, out)
    elif ta is list:
        if a != b:
            _list(a, b, path, out)
    elif ta in _SCALARS:
        if a != b:
            out.append((path, a, b))
    else:
        raise _Unsupported


def _dict(a: dict[Any, Any], b: dict[Any, Any], path: JsonPath, out: list[Difference]) -> None:
    for key in a:
        if type(key) is not str or key.startswith("__"):
            raise _Unsupported
    for key in b:
        if type(key) is not str or key.startswith("__"):
            raise _Unsupported
    common = sum(1 for key in a if key in b)
    union = len(a) + len(b) - common
    if union > 1 and common / union < _DIFF_DEEPER:
        out.append((path, a, b))  # too little in common: DeepDiff reports the whole mapping as changed
        return
    for key, new in b.items():
        if key not in a:
            out.append(((*path, key), None, new))
    for key, old in a.items():
        if key not in b:
            out.append(((*path, key), old, None))
        else:
            _walk(old, b[key], (*path, key), out)


def _list(a: list[Any], b: list[Any], path: JsonPath, out: list[Difference]) -> None:
    basic = True
    for item in (*a, *b):
        kind = type(item)
        if kind not in _JSON:
            raise _Unsupported
        if kind not in _SCALARS:
            basic = False
    if not basic:
        _pairwise(a, b, path, out)
        return
    _scalar_list(a, b, path, out)


def _scalar_list(a: list[Any], b: list[Any], path: JsonPath, out: list[Difference]) -> None:
    """Lists of scalars: matched by ``SequenceMatcher``, unless position by position reports fewer differences.

    As DeepDiff does: within a replaced run, items are paired position by position, and
    at the end an item removed from ``a`` at index ``i`` and one added to ``b`` at the
    same index become one changed value.
    """
    changed: list[Difference] = []
    removed: dict[int, Any] = {}
    added: dict[int, Any] = {}
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace":
            for k in range(max(i2 - i1, j2 - j1)):
                i, j = i1 + k, j1 + k
                if j >= j2:
                    removed[i] = a[i]
                elif i >= i2:
                    added[j] = b[j]
                elif i != j and a[i] == b[j]:
                    changed.append(((*path, i), a[i], b[j]))  # DeepDiff's "moved" report
                else:
                    _walk(a[i], b[j], (*path, i), changed)
        elif tag == "delete":
            removed.update((i, a[i]) for i in range(i1, i2))
        elif tag == "insert":
            added.update((j, b[j]) for j in range(j1, j2))
    if len(changed) + len(removed) + len(added) > 1:
        by_position: list[Difference] = []
        _pairwise(a, b, path, by_position)
        if len(changed) + len(removed) + len(added) >= len(by_position):
            out.extend(by_position)
            return
    for index in added.keys() & removed.keys():
        changed.append(((*path, index), removed.pop(index), added.pop(index)))
    out.extend(changed)
    out.extend(((*path, i), value, None) for i, value in removed.items())
    out.extend(((*path, j), None, value) for j, value in added.items())


def _pairwise(a: list[Any], b: list[Any], path: JsonPath, out: list[Difference]) -> None:
    """``a`` against ``b`` position by position (DeepDiff's ``_compare_in_order``)."""
    for i in range(max(len(a), len(b))):
        if i >= len(b):
            out.append(((*path, i), a[i], None))
        elif i >= len(a):
            out.append(((*path, i), None, b[i]))
        else:
            _walk(a[i], b[i], (*path, i), out)


def _deepdiff(before: Any, after: Any, prefix: JsonPath) -> list[Difference]:
    """DeepDiff's own answer, for the values :func:`_walk` leaves to it."""
    from deepdiff import DeepDiff  # imported here: it costs every command ~0.08 s and is rarely needed
    from deepdiff.helper import notpresent

    tree = DeepDiff(before, after, ignore_order=False, ignore_numeric_type_changes=True, view="tree", verbose_level=2)
    out: list[Difference] = []
    for report in tree.values():
        for level in report:
            old = None if level.t1 is notpresent else level.t1
            new = None if level.t2 is notpresent else level.t2
            parts = level.path(output_format="list", use_t2=level.t1 is notpresent)
            out.append(((*prefix, *parts), old, new))
    return out
