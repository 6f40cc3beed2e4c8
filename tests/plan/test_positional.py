"""Property: the planner's positional diff reports exactly what DeepDiff reports.

Plans show these differences and saved plans store them, so replacing DeepDiff (for
speed, ``reconciler/plan/positional.py``) must not change one: DeepDiff stays the oracle.
Values are drawn from small alphabets so lists share items (SequenceMatcher runs,
replaced runs, removals meeting additions) and dicts share keys.
"""

from __future__ import annotations

from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import notpresent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.plan import positional
from reconciler.plan.positional import positional_differences

SCALARS = st.one_of(
    st.sampled_from(["a", "b", "c", "d", ""]),
    st.integers(min_value=0, max_value=3),
    st.sampled_from([0.5, 1.0, 2.0]),
    st.booleans(),
    st.none(),
)
KEYS = st.sampled_from(["x", "y", "z", "__private", "name"])
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(KEYS, inner, max_size=4),
    ),
    max_leaves=14,
)
SCALAR_LISTS = st.lists(st.sampled_from(["a", "b", "c", "d", 1, 2.0]), max_size=8)


def oracle(before: Any, after: Any) -> list[str]:
    tree = DeepDiff(before, after, ignore_order=False, ignore_numeric_type_changes=True, view="tree", verbose_level=2)
    out = []
    for report in tree.values():
        for level in report:
            old = None if level.t1 is notpresent else level.t1
            new = None if level.t2 is notpresent else level.t2
            out.append(repr((tuple(level.path(output_format="list", use_t2=level.t1 is notpresent)), old, new)))
    return sorted(out)


def ours(before: Any, after: Any) -> list[str]:
    return sorted(repr(d) for d in positional_differences(before, after))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(KEYS, VALUES, max_size=4), st.dictionaries(KEYS, VALUES, max_size=4))
def test_documents_diff_as_deepdiff_does(before: dict[str, Any], after: dict[str, Any]) -> None:
    assert ours(before, after) == oracle(before, after)


@settings(max_examples=200, deadline=None)
@given(SCALAR_LISTS, SCALAR_LISTS)
def test_scalar_lists_match_as_deepdiff_matches_them(before: list[Any], after: list[Any]) -> None:
    assert ours({"tags": before}, {"tags": after}) == oracle({"tags": before}, {"tags": after})


def test_a_removal_inside_a_list_is_one_removal() -> None:
    assert positional_differences({"t": ["a", "b", "c"]}, {"t": ["b", "c"]}) == [(("t", 0), "a", None)]


def test_plain_json_never_needs_deepdiff(monkeypatch: Any) -> None:
    """The common case does not pay for DeepDiff (nor import it: the fallback is the only importer)."""

    def refuse(*args: Any) -> Any:
        raise AssertionError("DeepDiff was used for plain JSON")

    monkeypatch.setattr(positional, "_deepdiff", refuse)
    before = {"name": "A", "rate": 1, "tags": ["a", "b"], "items": [{"phrase": "x"}], "headers": {"X": "1"}}
    after = {"name": "A", "rate": 1.5, "tags": ["b"], "items": [{"phrase": "y"}, {"phrase": "z"}], "url": "u"}
    assert sorted(repr(d) for d in positional_differences(before, after)) == oracle(before, after)


def test_a_removal_and_an_addition_at_one_index_are_one_change() -> None:
    """DeepDiff's merge, found by the property above: kept, since saved plans hold what it showed."""
    before, after = ["b", "a", "c", "b", "a"], ["a", "b", "a", "a", "a", "b"]
    assert ours({"t": before}, {"t": after}) == oracle({"t": before}, {"t": after})
    assert (("t", 4), "a", "a") in positional_differences({"t": before}, {"t": after})


def test_mappings_with_little_in_common_differ_as_a_whole() -> None:
    before, after = {"name": "A", "x": 1}, {"name": "A", "y": 1, "z": 2}
    assert positional_differences(before, after) == [((), before, after)]
