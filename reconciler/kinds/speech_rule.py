"""SpeechRule: phrases to detect in conversations, with scoring (contract section SpeechRule, seed 002)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Literal

from pydantic import Field

from reconciler.kinds.conventions import Permissions
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel
from reconciler.kinds.voice_profile import Language


class Phrase(SpecModel):
    """One phrase the rule looks for."""

    phrase: str = Field(min_length=1, max_length=500, description="Text to detect, 1 to 500 characters.")
    matchType: Literal["exact", "fuzzy", "regex"] = Field(
        "exact", description="How the phrase matches; a regex phrase must compile."
    )
    caseSensitive: bool = Field(False, description="Whether matching is case-sensitive.")
    enabled: bool = Field(True, description="Whether this phrase is active.")


class ScoringDirective(SpecModel):
    """How a match changes the interaction's score."""

    type: Literal["additive", "multiplicative"] = Field(description="How value is applied.")
    value: float = Field(ge=-1.0, le=1.0, description="Score change, -1.0 to 1.0.")
    condition: Literal["pass", "fail"] = Field("pass", description="Apply on pass or on fail.")


class SpeechRuleSpec(SpecModel):
    """A speech-analytics rule."""

    description: str = Field("", max_length=1000, description="At most 1000 characters.")
    enabled: bool = Field(True, description="Whether the rule is active.")
    language: Language = Field("en-US", description="Language of the phrases.")
    phrases: list[Phrase] = Field(
        min_length=1,
        max_length=100,
        description="1 to 100 phrases; texts unique (case-insensitive); no exact phrase contained in another.",
    )
    scoring: list[ScoringDirective] = Field(default_factory=list, max_length=20, description="At most 20 directives.")
    tags: list[str] = Field(
        default_factory=list, max_length=50, description="At most 50 unique tags of 1 to 50 characters."
    )

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler):  # type: ignore[no-untyped-def]
        schema = handler(core_schema)
        schema = handler.resolve_ref_schema(schema)
        tags = schema.get("properties", {}).get("tags")
        if tags is not None:
            tags["items"] = {"type": "string", "minLength": 1, "maxLength": 50}
            tags["uniqueItems"] = True
        return schema


#: escapes that stand for a character class (repeatable) or a position (not repeatable)
_CLASS_ESCAPES, _POSITION_ESCAPES = frozenset("dDsSwW"), frozenset("bBAZ")
_LITERAL_PUNCTUATION = frozenset(",'\"!@#%&:;<=>_~/- ")


def plainly_valid(pattern: str) -> bool:
    """True for a pattern in a small grammar ``re`` always accepts: literals, ``.``, ``\\d``-style
    escapes, anchors, plain groups, ``|`` and one ``*``/``+``/``?`` after a repeatable atom.

    Why: compiling each regex phrase (``re``'s parser is Python) was a tenth of loading
    10,000 manifests, and most phrases are this simple. Anything outside the grammar (a
    class, a brace, ``(?``, a back-reference, two quantifiers in a row) is compiled, so an
    error's message is always ``re``'s own.
    """
    depth, repeatable, i, end = 0, False, 0, len(pattern)
    while i < end:
        c = pattern[i]
        i += 1
        if c.isalnum() or c in _LITERAL_PUNCTUATION or c == ".":
            repeatable = True
        elif c in "*+?":
            if not repeatable:
                return False
            repeatable = False
        elif c == "\\":
            if i == end:
                return False
            e = pattern[i]
            i += 1
            if e in _CLASS_ESCAPES or (e.isascii() and not e.isalnum() and e.isprintable()):
                repeatable = True
            elif e in _POSITION_ESCAPES:
                repeatable = False
            else:
                return False
        elif c == "(" and not pattern.startswith("?", i):
            depth, repeatable = depth + 1, False
        elif c == ")" and depth:
            depth, repeatable = depth - 1, True
        elif c in "|^$":
            repeatable = False
        else:
            return False
    return depth == 0


@lru_cache(maxsize=4096)
def regex_problem(pattern: str) -> str | None:
    """Why ``re`` refuses ``pattern``, or None; cached, since rules often share their patterns."""
    if plainly_valid(pattern):
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return None


def _phrase_rules(spec: SpeechRuleSpec) -> Iterator[FieldIssue]:
    seen: dict[str, int] = {}
    for i, p in enumerate(spec.phrases):
        key = p.phrase.casefold()
        if key in seen:
            yield FieldIssue(
                ("phrases", i, "phrase"), f"{p.phrase!r} duplicates phrases[{seen[key]}] (case-insensitive)"
            )
        else:
            seen[key] = i
        if p.matchType == "regex":
            problem = regex_problem(p.phrase)
            if problem is not None:
                yield FieldIssue(("phrases", i, "phrase"), f"is not a valid regular expression: {problem}")
    exact = [(i, p.phrase.casefold()) for i, p in enumerate(spec.phrases) if p.matchType == "exact"]
    for a, (i, text_i) in enumerate(exact):
        for j, text_j in exact[a + 1 :]:
            if text_i != text_j and (text_i in text_j or text_j in text_i):
                inner, outer = (i, j) if text_i in text_j else (j, i)
                yield FieldIssue(
                    ("phrases", j, "phrase"),
                    f"exact phrases[{inner}] overlaps exact phrases[{outer}]: one contains the other",
                )


def _tag_rules(spec: SpeechRuleSpec) -> Iterator[FieldIssue]:
    seen: set[str] = set()
    for i, tag in enumerate(spec.tags):
        if not 1 <= len(tag) <= 50:
            yield FieldIssue(("tags", i), f"is {len(tag)} characters; tags are 1 to 50 characters")
        if tag in seen:
            yield FieldIssue(("tags", i), f"{tag!r} is a duplicate tag")
        seen.add(tag)


KIND = Kind(
    name="SpeechRule",
    spec_model=SpeechRuleSpec,
    collection="/api/v2/speech/rules",
    read_scope="speech:rule:read",
    write_scope="speech:rule:write",
    # the seed contract names no permissions: the platform's domain:entity:action pattern for its scopes
    permissions=Permissions.crud("speech:rule"),
    description="A speech-analytics rule of phrases and scoring.",
    unordered=("phrases", "scoring", "tags"),
    checks=(_phrase_rules, _tag_rules),
)
