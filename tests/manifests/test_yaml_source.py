"""YAML with positions: values as JSON, marks for every part, YAML 1.2 scalars, strictness."""

from __future__ import annotations

import math

import pytest
import yaml

from reconciler.manifests import yamlcompose
from reconciler.manifests.yamlcompose import FAST_LOADER, reader_problem
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

    def test_plain_merge_and_value_indicators_as_values_are_strings(self) -> None:
        """YAML 1.1 tags a plain ``<<`` and ``=`` as merge and value: 'name: <<' was an unsupported tag."""
        docs, problems = load_documents("a: <<\nb: =\nc: [<<, =]\n=: d\n")
        assert (docs[0].value, problems) == ({"a": "<<", "b": "=", "c": ["<<", "="], "=": "d"}, [])
        _, problems = load_documents("a: !!merge x\n")
        assert [p.message for p in problems] == [
            "unsupported YAML tag 'tag:yaml.org,2002:merge': tags are not allowed in manifests"]

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


class TestForbiddenCharacters:
    """A character YAML forbids is named and placed at its line and column, whichever parser read the text.

    PyYAML's reader error has no mark, only an offset, and its message ends in parser
    internals (``in "<unicode string>", position 64``) on a second line.
    """

    @pytest.fixture(params=["libyaml", "python"])
    def parser(self, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
        """Both composing paths: libyaml (which hands the stream over to Python on an error), and Python alone."""
        if request.param == "python":
            monkeypatch.setattr(yamlcompose, "FAST_LOADER", None)
        else:
            assert FAST_LOADER is not None  # PyYAML here is built with libyaml, as the wheels are
        return str(request.param)

    @pytest.mark.parametrize(
        ("character", "named"),
        [
            ("\x00", "control character U+0000 is not allowed; delete it, or write it as \\x00 inside double quotes"),
            ("\x07", "control character U+0007 is not allowed; delete it, or write it as \\x07 inside double quotes"),
            ("\x1b", "control character U+001B is not allowed; delete it, or write it as \\x1B inside double quotes"),
            ("\x7f", "control character U+007F is not allowed; delete it, or write it as \\x7F inside double quotes"),
            ("\x9b", "control character U+009B is not allowed; delete it, or write it as \\x9B inside double quotes"),
            ("\ufffe", "character U+FFFE is not allowed; delete it, or write it as \\uFFFE inside double quotes"),
        ],
        ids=["NUL", "BEL", "ESC", "DEL", "CSI", "U+FFFE"],
    )
    def test_character_is_named_at_its_line_and_column(self, parser: str, character: str, named: str) -> None:
        docs, problems = load_documents(f"apiVersion: reconciler/v1\nmetadata:\n  name: x{character}y\n")
        assert docs == []
        assert [(p.line, p.column, p.message) for p in problems] == [(3, 10, f"invalid YAML: {named}")]

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            ("a: 1\r\nb: 2\r\nc: \x07\r\n", (3, 4)),  # CRLF is one line break
            ("a: 1\rb: \x07\n", (2, 4)),  # so is a lone CR
            ("a: \"\u2028\"\nb: \x07\n", (3, 4)),  # and a line separator, as YAML counts lines
            ("a: \"éé€😀\"\x07\n", (1, 10)),  # columns count characters, not UTF-8 bytes
            ("a: 1\n---\nb: 2\n---\nc: x\x07\n", (5, 5)),  # a line of the file, not of its document
        ],
        ids=["crlf", "cr", "line-separator", "multibyte", "third-document"],
    )
    def test_lines_and_columns_are_the_editors(self, parser: str, text: str, where: tuple[int, int]) -> None:
        _, problems = load_documents(text)
        assert [(p.line, p.column) for p in problems] == [where]

    @pytest.mark.parametrize(
        ("text", "where"),
        [
            ("spec:\n  a: 1\n\ufeffb: 2\n", (3, 1)),  # libyaml took it for indentation: b went under spec
            ("a: 1\n---\n\ufeffapiVersion: v\nkind: K\n", (3, 1)),  # two files concatenated, each saved with a BOM
            ("a: 1\n\ufeff\n", (2, 1)),  # libyaml: {a: 1}, no error; Python: an error
            ("a: \"x\ufeffy\"\n", (1, 6)),  # inside a scalar too: invisible in every editor and diff
        ],
        ids=["as-indentation", "second-document", "own-line", "in-a-scalar"],
    )
    def test_a_byte_order_mark_past_the_start_is_named_at_its_place(
        self, parser: str, text: str, where: tuple[int, int]
    ) -> None:
        """A BOM is allowed only at the start of the stream (YAML 1.2, 5.2: "must not appear inside a document").

        libyaml and PyYAML read one past the start differently (libyaml as a column of
        indentation, PyYAML as part of a key), and the composer mixes their documents when
        libyaml refuses the stream; an invisible character must not decide where a field goes.
        """
        docs, problems = load_documents(text)
        assert docs == []
        assert [(p.line, p.column) for p in problems] == [where]
        assert problems[0].message == (
            "invalid YAML: a byte-order mark (U+FEFF) is allowed only at the start of the file; "
            "delete it (it is invisible in most editors), or write it as \\uFEFF inside double quotes"
        )

    def test_a_byte_order_mark_at_the_start_is_read_as_before(self, parser: str) -> None:
        docs, problems = load_documents("\ufeffa: 1\nb: 2\n")
        assert problems == []
        assert [d.value for d in docs] == [{"a": 1, "b": 2}]

    def test_libyaml_byte_offset_is_not_taken_for_a_character_index(self) -> None:
        """libyaml's reader error counts UTF-8 bytes; the character is found where it really is."""
        text = "a: éé€😀\nb: x\x07\n"
        with pytest.raises(yaml.reader.ReaderError) as raised:
            list(yaml.compose_all(text, Loader=FAST_LOADER))
        assert raised.value.position != text.index("\x07")  # the shape this guards against
        problem = reader_problem(raised.value, text)
        assert (problem.line, problem.column) == (2, 5)
        assert problem.message.startswith("invalid YAML: control character U+0007 is not allowed")


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


class TestSyntaxErrorFarIn:
    """A refusal far into a document is reported in libyaml's words, not read again in Python.

    Why: the Python parser reads a stream libyaml refused again for PyYAML's message, about
    twenty times slower; a 15 MB one-line document with a typo at its end took 40 s. Past
    ``PYTHON_REREAD_LIMIT`` characters the refusal is libyaml's own, at the same place.
    """

    TEXT = "ok: 1\n---\na: 1\nb: {k: " + "x " * 200 + "]]] }\n"

    @pytest.fixture
    def no_python_parser(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(yamlcompose, "PYTHON_REREAD_LIMIT", 100, raising=False)

        def refuse(*_: object, **__: object) -> None:
            raise AssertionError("the Python parser read the stream again")

        monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)

    def test_near_refusal_is_in_pythons_words(self) -> None:
        docs, problems = load_documents(self.TEXT)
        assert [d.value for d in docs] == [{"ok": 1}]
        assert [(p.line, p.column) for p in problems] == [(4, 408)]
        assert "expected ',' or '}', but got ']'" in problems[0].message

    def test_far_refusal_is_libyamls_at_the_same_place(self, no_python_parser: None) -> None:
        docs, problems = load_documents(self.TEXT)
        assert [d.value for d in docs] == [{"ok": 1}]
        assert [(p.line, p.column) for p in problems] == [(4, 408)]
        assert "did not find expected ',' or '}'" in problems[0].message

    def test_depth_is_still_checked_first(self, no_python_parser: None) -> None:
        deep = "[" * 70 + "]" * 70
        _, problems = load_documents("a: " + "x " * 200 + "\nb: " + deep + "\nc: {k: ]]] }\n")
        assert [p.message for p in problems] == ["nested deeper than 64 levels"]
        assert (problems[0].line, problems[0].column) == (2, 67)
