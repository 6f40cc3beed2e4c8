"""libyaml's composer with our resolver gives PyYAML's own tags, however often a text repeats."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifests.yamlcompose import FAST_LOADER, syntax_problem
from reconciler.manifests.yamlsource import load_documents

#: plain texts PyYAML's 1.1 resolver tags otherwise than ``str``, and near misses
TRICKY = [
    "true", "True", "yes", "no", "on", "off", "y", "n", "null", "~", "", "1", "-1", "+1", "0x1f", "0o17",
    "017", "1.0", "1e3", "1.0e3", ".5", "-.inf", ".nan", "1_000", "2024-01-01", "2024-01-01 10:00:00",
    "1:20", "<<", "=", "name", "nope", "onward", "t3", "fuzzy", "en-US", ".", "+",
]

def tags(text: str, loader: type) -> list[str]:
    """Every node's tag, in document order."""
    out: list[str] = []
    stack = list(yaml.compose_all(text, Loader=loader))
    while stack:
        node = stack.pop(0)
        if node is None:
            continue
        out.append(node.tag)
        if isinstance(node, yaml.MappingNode):
            stack[:0] = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            stack[:0] = list(node.value)
    return out


def document(texts: list[str]) -> str:
    """A mapping of each text to itself (plain where YAML allows, else double-quoted) and a list of them."""
    lines = []
    for i, text in enumerate(texts):
        plain = text if text and text.strip() == text and "\n" not in text else json.dumps(text)
        lines.append(f"k{i}: {plain}")
        lines.append(f"l{i}: [{plain}, {plain}]")
    return "\n".join(lines) + "\n"


def test_tricky_texts_get_pyyaml_tags_first_time_and_after() -> None:
    assert FAST_LOADER is not None  # PyYAML here is built with libyaml, as the wheels are
    text = document(TRICKY)
    expected = tags(text, yaml.SafeLoader)
    assert tags(text, FAST_LOADER) == expected
    assert tags(text, FAST_LOADER) == expected  # every text now asked before


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(TRICKY) | st.from_regex(r"[-+.0-9a-zA-Z~<=:_ ]{0,8}", fullmatch=True), max_size=12))
def test_any_plain_text_gets_pyyaml_tag(texts: list[str]) -> None:
    text = document(texts)
    try:
        expected = tags(text, yaml.SafeLoader)
    except yaml.YAMLError:
        return  # not a document: nothing to compare (composing it is tested elsewhere)
    assert tags(text, FAST_LOADER) == expected


GOOD = "---\na: 1\nb: [x, y]\n"
BROKEN_LAST = [
    GOOD * 3 + "---\nx: [\n",  # an unclosed flow list at the end
    GOOD * 2 + "---\n# note\nk: v\n  bad: indent\n",
    GOOD + "...\n---\nx: {a: 1\n",  # a document end marker before the broken one
    "--- {a: 1}\n--- [1, 2]\n---\nx: : y\n",  # roots that end mid-line
    GOOD.replace("\n", "\r\n") * 2 + "---\r\nx: [\r\n",
    GOOD.replace("\n", "\r") * 2 + "---\rx: [\r",  # old Mac line ends: no ``^`` for re, all read again
    GOOD + "%YAML 1.1\n---\nx: [\n",  # a directive before the broken document
    GOOD + "---\n!!python/name:os.system x: [\n",
    GOOD + "---\na: 1\n\tb: 2\n",  # a tab where indentation is
    GOOD + "--- |\n  text\n---\n- [\n",
]


def _problem(text: str) -> tuple[int | None, int | None, str]:
    problems = load_documents(text)[1]
    assert len(problems) == 1, problems
    return problems[0].line, problems[0].column, problems[0].message


@pytest.mark.parametrize("text", BROKEN_LAST, ids=range(len(BROKEN_LAST)))
def test_a_syntax_error_after_good_documents_is_placed_as_reading_the_whole_stream_places_it(text: str) -> None:
    """Only the documents from the broken one are read again in Python (47 s for 5.7 MB before)."""
    try:
        list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        expected = syntax_problem(exc)
    else:  # pragma: no cover - every case is broken
        raise AssertionError("the case parses")
    assert _problem(text) == (expected.line, expected.column, expected.message)


def test_a_syntax_error_after_good_documents_reads_only_the_rest_again(monkeypatch: pytest.MonkeyPatch) -> None:
    texts: list[int] = []
    real = yaml.compose_all

    def counting(stream: str, Loader: type) -> object:  # noqa: N803 - PyYAML's own keyword
        if Loader is yaml.SafeLoader:
            texts.append(len(stream.lstrip("\n")))
        return real(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "compose_all", counting)
    text = GOOD * 1000 + "---\nx: [\n"
    assert _problem(text)[:2] == (3003, 1)  # at the end of the stream, as PyYAML says
    assert texts == [len("---\nx: [\n")]
