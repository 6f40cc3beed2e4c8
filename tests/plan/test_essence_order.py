"""The faster orders of unordered lists are the old ones, byte for byte (plans and revision digests show them)."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.core.canonical import canonical_json, canonically_sorted
from reconciler.kinds import REGISTRY

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([0.5, 1.0, -0.25, 1, 0, True, False, math.inf])
    | st.text(alphabet='ab"\\\u00e9\u2028\n ', max_size=4)
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(alphabet="abé", max_size=2), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_VALUES, max_size=7))
def test_canonically_sorted_is_the_old_sort(items: list[Any]) -> None:
    old = sorted(items, key=canonical_json)
    new = canonically_sorted(items)
    assert json.dumps(new) == json.dumps(old)  # NaN != NaN: compare the texts, in order
    assert [id(x) for x in new] == [id(x) for x in old]  # the same objects, stable for equal keys


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.text(alphabet="abzé", min_size=1, max_size=3), max_size=6),
    st.lists(st.fixed_dictionaries({"phrase": st.sampled_from(["x", "y", "Z", "é"]),
                                    "matchType": st.sampled_from(["exact", "fuzzy"])}), min_size=1, max_size=4),
    st.randoms(),
)
def test_an_essence_compares_alike_before_and_after_ordering(tags: list[str], phrases: list[Any], rnd: Any) -> None:
    kind = REGISTRY["SpeechRule"]
    desired = {"name": "r", "phrases": phrases, "tags": tags}
    shuffled = {"name": "r", "phrases": rnd.sample(phrases, len(phrases)), "tags": rnd.sample(tags, len(tags))}
    ordered = kind.essence(desired)
    assert kind.order(kind.essence(desired, ordered=False)) == ordered
    assert kind.essence(shuffled) == ordered
    old = {**ordered, **{f: sorted(ordered[f], key=canonical_json) for f in kind.unordered if f in ordered}}
    assert json.dumps(ordered) == json.dumps(old)
