"""The depth bound read off the decoded value refuses exactly what the text pre-scan refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.genesys.answers import MAX_JSON_DEPTH, TooDeep, json_depth, loads_bounded, nests_deeper

_SCALARS = st.none() | st.booleans() | st.integers() | st.text(alphabet="ab[]{}\"\\ ", max_size=6)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=30,
)


def _wrapped(value: Any, levels: int) -> Any:
    for n in range(levels):
        value = [value] if n % 2 else {"k": value}
    return value


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.integers(0, 12), st.integers(0, 14))
def test_value_depth_is_the_text_depth(value: Any, extra: int, levels: int) -> None:
    value = _wrapped(value, extra)
    text = json.dumps(value)
    assert nests_deeper(json.loads(text), levels) == (json_depth(text) > levels)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH - 1, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 500, 5000, 100_000])
def test_bound_at_every_depth(depth: int) -> None:
    text = "[" * depth + "]" * depth
    if depth > MAX_JSON_DEPTH:
        with pytest.raises(TooDeep):
            loads_bounded(text)
    else:
        assert json_depth(json.dumps(loads_bounded(text))) == depth


@pytest.mark.parametrize("text", ["[" * 65 + "1,", "{" * 100_000, '{"a": ' * 70])
def test_deep_text_that_is_not_json_is_still_too_deep(text: str) -> None:
    with pytest.raises(TooDeep):
        loads_bounded(text)


def test_shallow_text_that_is_not_json_is_not_json() -> None:
    with pytest.raises(ValueError) as caught:
        loads_bounded("[[1,")
    assert not isinstance(caught.value, TooDeep)
