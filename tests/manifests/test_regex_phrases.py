"""Regex phrases: the quick grammar accepts only what ``re`` compiles, and every error is ``re``'s own."""

from __future__ import annotations

import itertools
import re

import pytest

from reconciler.kinds.speech_rule import plainly_valid, regex_problem

TOKENS = ["a", "(", ")", "|", "*", "+", "?", "^", "$", ".", "\\b", "\\d", "\\.", "\\A", " ", "\\"]


def _re_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def test_every_short_pattern_the_grammar_accepts_compiles() -> None:
    # exhaustive to three tokens (checked to five while writing it): the grammar never accepts a bad pattern
    for size in range(4):
        for parts in itertools.product(TOKENS, repeat=size):
            pattern = "".join(parts)
            if plainly_valid(pattern):
                assert _re_problem(pattern) is None, pattern


@pytest.mark.parametrize(
    "pattern",
    [r"\b(refund|return) 0\b", "a**", "(", "a)", "[a-", r"\1", "(?<=a+)b", "*a", r"a{2,1}", "^*", r"\q", "a\\"],
)
def test_the_problem_is_re_s_own(pattern: str) -> None:
    assert regex_problem(pattern) == _re_problem(pattern)


def test_simple_phrases_need_no_compiling() -> None:
    assert plainly_valid(r"\b(refund|return) 0\b")
    assert plainly_valid(r"order #\d+ (shipped|delivered)\.?")
    assert not plainly_valid("[0-9]+")  # classes are left to re
