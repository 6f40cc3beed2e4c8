"""Field-level differences between two essences, and the masking of sensitive values.

Only called for objects whose essences differ (the planner compares whole objects
first). Positional differences are DeepDiff's, found by :mod:`reconciler.plan.positional`
(which reproduces them without DeepDiff's per-object cost). Lists a kind declares *unordered* are matched item
by item rather than by position: ``Kind.essence`` sorts them canonically, so a position
means nothing across versions and a positional diff would report every shifted item.
Items equal on both sides are ignored; the rest are paired by a field whose value is
unique on both sides (``phrase`` for phrases, ``type`` for scoring), and a pair shows
as field changes inside the item, at the item's index in ``after``; unpaired items are
added (index in ``after``) or removed (index in ``before``).

Masking works on *paths*: a spec path whose text takes anything from the environment
(``${env:…}``, directly or through references: see :func:`~reconciler.manifests.desired.resolve`) is
sensitive, and every value at or under it is replaced by ``SENSITIVE`` on both sides,
so an old live value is hidden as well as the new one. Inside an unordered list the
index is a wildcard (sorting moves items), which may hide a little more than needed,
never less.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from reconciler.core.canonical import canonical_json
from reconciler.core.jsonpath import JsonPath, format_path
from reconciler.manifests.desired import SENSITIVE
from reconciler.plan.model import FieldChange
from reconciler.plan.positional import Difference, positional_differences

#: a path pattern: a ``JsonPath`` in which ``None`` matches any index
Pattern = tuple[str | int | None, ...]

ENV_CHANGED = "value from environment changed"


# ---- masking --------------------------------------------------------------------------


def sensitive_patterns(paths: Iterable[JsonPath], unordered: Iterable[str] = ()) -> tuple[Pattern, ...]:
    """Patterns for the spec paths whose strings take text from the environment (``Resolution.sensitive_paths``)."""
    unordered = set(unordered)
    out: list[Pattern] = []
    for path in paths:
        pattern: list[str | int | None] = list(path)
        if len(pattern) > 1 and pattern[0] in unordered and isinstance(pattern[1], int):
            pattern[1] = None
        out.append(tuple(pattern))
    return tuple(out)


def _agrees(pattern: Pattern, path: JsonPath) -> bool:
    """True when ``pattern`` and ``path`` agree as far as both go (one may continue the other)."""
    return all(p is None or p == q for p, q in zip(pattern, path, strict=False))


def mask(value: Any, patterns: Sequence[Pattern], path: JsonPath = ()) -> Any:
    """``value`` (found at ``path``) with everything at a sensitive path replaced by ``SENSITIVE``.

    Only the branches leading to a sensitive path are rebuilt; the rest of ``value`` is
    shared, not copied (a 50,000-change plan copied every essence twice for one secret each).
    """
    if not patterns:
        return value
    relevant = [p for p in patterns if _agrees(p, path)]
    if not relevant:
        return value
    depth = len(path)
    if any(len(p) <= depth for p in relevant):
        return SENSITIVE  # at or under a sensitive path
    if isinstance(value, Mapping):
        return {k: mask(v, relevant, (*path, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, relevant, (*path, i)) for i, v in enumerate(value)]
    return value


# ---- diffing --------------------------------------------------------------------------


def field_changes(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    unordered: Iterable[str] = (),
    sensitive: Sequence[Pattern] = (),
) -> tuple[FieldChange, ...]:
    """The masked differences from ``before`` (live essence) to ``after`` (desired essence)."""
    unordered = {f for f in unordered if isinstance(before.get(f), list) and isinstance(after.get(f), list)}
    raw: list[Difference] = []
    plain_before = {k: v for k, v in before.items() if k not in unordered}
    plain_after = {k: v for k, v in after.items() if k not in unordered}
    if plain_before != plain_after:
        raw.extend(positional_differences(plain_before, plain_after))
    for name in sorted(unordered):
        if before[name] != after[name]:
            raw.extend(_unordered(before[name], after[name], (name,)))
    raw.sort(key=lambda item: _sort_key(item[0]))
    return tuple(_masked_change(path, old, new, sensitive) for path, old, new in raw)


def _masked_change(path: JsonPath, before: Any, after: Any, sensitive: Sequence[Pattern]) -> FieldChange:
    shown_before = None if before is None else mask(before, sensitive, path)
    shown_after = None if after is None else mask(after, sensitive, path)
    note = None
    if before is not None and after is not None and shown_before == shown_after:
        # the difference lies entirely in masked text
        note = ENV_CHANGED
    # built without validation: the values are the essences' own JSON values (``before``/``after`` are Any)
    return FieldChange.model_construct(path=format_path(path), before=shown_before, after=shown_after, note=note)


def _unordered(before: list[Any], after: list[Any], prefix: JsonPath) -> Iterator[Difference]:
    """Item-wise differences of two lists whose order carries no meaning."""
    left = _unmatched(before, after)
    right = _unmatched(after, before)
    for i, j in _pairs(before, after, left, right):
        left.remove(i)
        right.remove(j)
        yield from positional_differences(before[i], after[j], (*prefix, j))
    for i in left:
        yield (*prefix, i), before[i], None
    for j in right:
        yield (*prefix, j), None, after[j]


def _unmatched(items: list[Any], others: list[Any]) -> list[int]:
    """Indexes of ``items`` with no equal item left in ``others`` (a multiset difference)."""
    available = Counter(_identity(o) for o in others)
    out = []
    for i, item in enumerate(items):
        key = _identity(item)
        if available[key] > 0:
            available[key] -= 1
        else:
            out.append(i)
    return out


def _identity(item: Any) -> str | tuple[str]:
    """A key equal for equal items: a string is its own (most unordered lists hold strings), anything else its
    canonical JSON in a tuple, which never equals a string."""
    return item if type(item) is str else (canonical_json(item),)


def _pairs(before: list[Any], after: list[Any], left: list[int], right: list[int]) -> list[tuple[int, int]]:
    """Pair changed mapping items by the first field whose values are unique on both sides."""
    pairs: list[tuple[int, int]] = []
    left, right = list(left), list(right)
    if not left or not right or not all(isinstance(before[i], Mapping) for i in left):
        return pairs
    if not all(isinstance(after[j], Mapping) for j in right):
        return pairs
    fields = list(dict.fromkeys(k for i in left for k in before[i]))
    for fname in fields:
        olds = _unique_by(before, left, fname)
        news = _unique_by(after, right, fname)
        for value, i in olds.items():
            j = news.get(value)
            if j is not None:
                pairs.append((i, j))
                left.remove(i)
                right.remove(j)
        if not left or not right:
            break
    return pairs


def _unique_by(items: list[Any], indexes: list[int], fname: str) -> dict[str, int]:
    seen: dict[str, list[int]] = {}
    for i in indexes:
        if fname in items[i]:
            seen.setdefault(canonical_json(items[i][fname]), []).append(i)
    return {value: found[0] for value, found in seen.items() if len(found) == 1}


def _sort_key(path: JsonPath) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in path)
