"""libyaml's composer with our resolver gives PyYAML's own tags, however often a text repeats."""

from __future__ import annotations

import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.manifests.yamlcompose import FAST_LOADER

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
