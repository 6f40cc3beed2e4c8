"""YAML with positions: values as JSON, marks for every part, YAML 1.2 scalars, strictness."""

from __future__ import annotations

import math

import pytest

from reconciler.manifests.yamlsource import load_documents, plain_scalar


class TestMarks:
    def test_values_and_keys_are_marked_one_based(self) -> None:
        docs, problems = load_documents("a: 1\nb:\n  - x\n  - {c: d}\n")
        assert problems == []
        doc = docs[0]
        assert doc.value == {"a": 1, "b": ["x", {"c": "d"}]}
        assert doc.values[("a",)] == (1, 4)
        assert doc.keys[("b",)] == (2, 1)
        assert doc.values[("b", 1, "c")] == (4, 9)

    def test_mark_falls_back_to_the_closest_written_ancestor(self) -> None:
        doc = load_documents("spec:\n  phrases:\n    - phrase: x\n")[0][0]
        assert doc.mark(("spec", "phrases", 0, "matchType")) == (3, 7)
        assert doc.mark(("spec", "nope"), key=True) == (2, 3)

    def test_documents_keep_their_index_and_empty_ones_are_skipped(self) -> None:
        docs, problems = load_documents("---\n---\na: 1\n---\n# only a comment\n---\nb: 2\n")
        assert problems == []
        assert [(d.index, d.value) for d in docs] == [(1, {"a": 1}), (3, {"b": 2})]
        assert docs[1].start == (7, 1)


class TestScalars:
    @pytest.mark.parametrize(
        ("text", "value"),
        [
            ("yes", "yes"),
            ("no", "no"),
            ("on", "on"),
            ("2024-01-01", "2024-01-01"),
            ("true", True),
            ("False", False),
            ("~", None),
            ("", None),
            ("12", 12),
            ("-3", -3),
            ("0x1F", 31),
            ("0o17", 15),
            ("1.5", 1.5),
            ("1e3", 1000.0),
            ("-.inf", -math.inf),
            ("1_000", "1_000"),
            ("012", 12),
            ("en-US", "en-US"),
        ],
    )
    def test_plain_scalars_follow_yaml_1_2_core(self, text: str, value: object) -> None:
        assert plain_scalar(text) == value

    def test_quoted_scalars_stay_strings(self) -> None:
        doc = load_documents("a: 'true'\nb: \"1.0\"\nc: yes\nd: 1e3\n")[0][0]
        assert doc.value == {"a": "true", "b": "1.0", "c": "yes", "d": 1000.0}

    def test_anchors_and_aliases_are_expanded(self) -> None:
        doc = load_documents("a: &x {k: 1}\nb: *x\n")[0][0]
        assert doc.value == {"a": {"k": 1}, "b": {"k": 1}}


class TestProblems:
    def test_duplicate_key_names_both_lines(self) -> None:
        docs, problems = load_documents("a: 1\nb: 2\na: 3\n")
        assert docs[0].value == {"a": 1, "b": 2}
        assert [(p.line, p.column, p.path) for p in problems] == [(3, 1, ("a",))]
        assert "first at line 1" in problems[0].message

    def test_syntax_error_keeps_earlier_documents(self) -> None:
        docs, problems = load_documents("a: 1\n---\nb: [1\nc: 2\n")
        assert [d.value for d in docs] == [{"a": 1}]
        assert len(problems) == 1 and problems[0].line == 4
        assert problems[0].message.startswith("invalid YAML")

    def test_recursive_alias_is_a_problem_not_a_hang(self) -> None:
        docs, problems = load_documents("a: &x [1, *x]\n")
        assert [p.message for p in problems] == ["recursive alias"]
        assert docs[0].is_broken(("a", 1))

    def test_custom_tag_is_a_problem(self) -> None:
        _, problems = load_documents("a: !!binary aGVsbG8=\n")
        assert problems[0].path == ("a",) and "unsupported YAML tag" in problems[0].message

    def test_merge_key_is_a_problem(self) -> None:
        docs, problems = load_documents("base: &b {x: 1}\nitem:\n  <<: *b\n  y: 2\n")
        assert [(p.line, p.path) for p in problems] == [(3, ("item",))]
        assert docs[0].value["item"] == {"y": 2}

    def test_complex_key_is_a_problem(self) -> None:
        _, problems = load_documents("? [a, b]\n: 1\n")
        assert "plain string" in problems[0].message


class TestDepth:
    """The depth bound is checked on the one parse, including parts no value is built from."""

    @staticmethod
    def _deep(levels: int) -> str:
        return "[" * levels + "]" * levels

    @pytest.mark.parametrize(
        "text",
        [
            "ok: 1\n---\na: " + "[" * 65 + "]" * 65 + "\n",  # a later document: earlier ones are not returned
            "a: 1\na: " + "[" * 70 + "]" * 70 + "\n",  # the value of a duplicate key
            "? " + "[" * 70 + "]" * 70 + "\n: 1\n",  # a complex key
            "a: !custom " + "[" * 70 + "]" * 70 + "\n",  # inside a tagged collection
            "<<: " + "[" * 70 + "]" * 70 + "\n",  # the value of a merge key
            "a: " + "[" * 1500 + "]" * 1500 + "\n",  # past libyaml's own bound: the Python parser's events
        ],
        ids=["later-document", "duplicate-key", "complex-key", "tagged", "merge-key", "past-libyaml"],
    )
    def test_too_deep_is_the_only_problem(self, text: str) -> None:
        docs, problems = load_documents(text)
        assert docs == []
        assert [p.message for p in problems] == ["nested deeper than 64 levels"]
        assert problems[0].line is not None

    def test_the_bound_itself_is_accepted(self) -> None:
        docs, problems = load_documents("a: " + "[" * 63 + "]" * 63 + "\n")
        assert problems == []
        assert len(docs) == 1

    def test_mark_is_the_first_collection_past_the_bound(self) -> None:
        _, problems = load_documents("a:\n  b: " + "[" * 70 + "]" * 70 + "\n")
        # two mappings, then the 63rd bracket is the 65th level
        assert (problems[0].line, problems[0].column) == (2, 6 + 62)
