"""The fast indented writer must give ``json.dumps(indent=2)``'s bytes, for every value it accepts or hands over."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.core.jsontext import dumps_indented

CASES: list[Any] = [
    {},
    [],
    "x",
    1,
    None,
    [[["a"]]],
    {"a": {}, "b": [], "c": [{}], "d": [[]], "e": None, "f": True, "g": 1.5, "h": "é\u2028\"x"},
    {"i": [1, None, False, "s", {"k": []}, 2.5, True], "j": -0.0, "k": 10**30},
    {"nan": float("nan")},
    {"ü": 1},
    {1: 2},  # not a str key: the standard encoder takes over
    {"t": (1, 2)},  # a tuple: likewise
]


@pytest.mark.parametrize("value", CASES, ids=[str(i) for i in range(len(CASES))])
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize("allow_nan", [True, False])
def test_same_text_as_the_standard_library(value: Any, ensure_ascii: bool, allow_nan: bool) -> None:
    try:
        expected: str | None = json.dumps(value, indent=2, ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    except ValueError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            dumps_indented(value, ensure_ascii=ensure_ascii, allow_nan=allow_nan)
    else:
        assert dumps_indented(value, ensure_ascii=ensure_ascii, allow_nan=allow_nan) == expected
