"""Composing YAML streams into node trees: libyaml when it can, Python for its messages, depth bounded.

Split from :mod:`.yamlsource` (which builds values and marks from the nodes): this is
how the nodes are obtained, and the depth bound for the parts no value is built from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from reconciler.core.bounded import MAX_DEPTH
from reconciler.core.jsonpath import JsonPath

CORE = "tag:yaml.org,2002:"

#: libyaml, when PyYAML was built with it, composes about eight times faster than the
#: pure-Python parser and gives the same nodes (tags, values, marks; only a plain
#: scalar's ``style`` is ``""`` instead of ``None``). Its error messages differ, so a
#: stream it rejects is parsed again in Python for the exact message and position.
_C_LOADER: Any = getattr(yaml, "CSafeLoader", None)
#: first characters for which PyYAML's 1.1 resolver may give a plain scalar another tag than ``str``
_RESOLVED_FIRST = frozenset(yaml.resolver.Resolver.yaml_implicit_resolvers)
STR, SEQ, MAP, MERGE = f"{CORE}str", f"{CORE}seq", f"{CORE}map", f"{CORE}merge"


#: bounds of the texts whose tag is remembered: short ones (long texts rarely repeat), this many at most
_KNOWN_LENGTH, _KNOWN_COUNT = 40, 4096


def _fast_loader() -> Any:
    """libyaml's loader, asking PyYAML's resolver only about plain scalars it could tag otherwise.

    Why: the composer asks for a tag for every node (275,000 calls at 10,000 manifests);
    quoted scalars and collections always get the default tag, and a plain scalar whose
    first character starts no implicit pattern is a string, so those answers are given
    without the resolver's walk. Every other scalar gets exactly PyYAML's answer.
    """
    if _C_LOADER is None:
        return None

    # PyYAML's answer for a plain scalar depends on its text alone (the implicit resolvers are
    # the class's, and no path resolver is registered), and the same short texts ("name",
    # "true", "type", "1.0") come back in every document: each is asked once.
    known: dict[str, str] = {}

    class Loader(_C_LOADER):  # type: ignore[misc]  # PyYAML's C loader is untyped (Any) and optional
        def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
            if kind is yaml.ScalarNode:
                if implicit[0] and (not value or value[0] in _RESOLVED_FIRST):
                    tag = known.get(value) if value is not None else None
                    if tag is None:
                        tag = str(super().resolve(kind, value, implicit))
                        if value is not None and len(value) <= _KNOWN_LENGTH and len(known) < _KNOWN_COUNT:
                            known[value] = tag
                    return tag
                return STR
            return SEQ if kind is yaml.SequenceNode else MAP

        def descend_resolver(self, current_node: Any, current_index: Any) -> None:
            """No path resolvers are registered: nothing to track."""

        def ascend_resolver(self) -> None:
            """No path resolvers are registered: nothing to track."""

    return Loader


FAST_LOADER: Any = _fast_loader()
@dataclass(frozen=True)
class YamlProblem:
    """A problem in the YAML itself; ``path`` is where in the document it sits."""

    line: int | None
    column: int | None
    message: str
    path: JsonPath = ()


class TooDeep(Exception):
    """The stream nests deeper than ``MAX_DEPTH``: the only problem reported for it."""

    def __init__(self, problem: YamlProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def too_deep(mark: Any) -> TooDeep:
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    return TooDeep(YamlProblem(line, column, f"nested deeper than {MAX_DEPTH} levels"))


def check_depth(node: yaml.Node, depth: int, seen: set[int]) -> None:
    """Depth of a subtree no value is built from (skipped key, tagged collection), without recursion.

    ``depth`` counts the collections around ``node``; nodes are visited in the order they
    were written, so the first one reported is the one an event pass would meet first.
    """
    stack = [(node, depth)]
    while stack:
        current, level = stack.pop()
        if isinstance(current, yaml.ScalarNode) or id(current) in seen:
            continue
        seen.add(id(current))
        if level >= MAX_DEPTH:
            raise too_deep(current.start_mark)
        children = [part for pair in current.value for part in pair] if isinstance(current, yaml.MappingNode) else [
            *current.value
        ]
        stack.extend((child, level + 1) for child in reversed(children))


def depth_problem(text: str, loader: Any = yaml.SafeLoader) -> YamlProblem | None:
    """Where the stream first nests deeper than ``MAX_DEPTH``, from the parser's events (Python's unless told).

    Run only before the Python composer, which recurses once per level (libyaml, whose
    composer is checked as the values are built, stops at its own bound of 1,000 levels
    and hands such a stream over to the Python parser). The event pass does not recurse.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    return too_deep(event.start_mark).problem
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        pass  # a syntax error: composing reports it, with the documents before it
    return None


def compose_all(text: str) -> Iterator[yaml.Node]:
    """The stream's node trees, one document at a time: libyaml while it accepts the stream, else Python.

    Streamed, not listed: holding every document's nodes at once kept about a million
    node objects alive at 10,000 manifests, and the cyclic GC rescanned them over and over
    (a third of a plan's CPU). A document's tree is garbage once its values are built.
    When libyaml rejects the stream part-way, the Python parser reads it again from the
    start for PyYAML's own message; the documents libyaml already handed out are skipped.
    """
    handed_out, last = 0, None
    if FAST_LOADER is not None:
        try:
            for node in yaml.compose_all(text, Loader=FAST_LOADER):
                handed_out, last = handed_out + 1, node
                yield node
            return
        except yaml.MarkedYAMLError as refused:
            if _too_far_to_read_again(refused, last):
                problem = depth_problem(text, _C_LOADER)  # libyaml's events: as quick as its refusal
                if problem is not None:
                    raise TooDeep(problem) from None
                raise
        except yaml.YAMLError:
            pass  # parsed again below, for PyYAML's own message and position
    if last is not None:
        _raise_from_the_rest(text, last)
    too_deep = depth_problem(text)
    if too_deep is not None:
        raise TooDeep(too_deep)
    for index, node in enumerate(yaml.compose_all(text, Loader=yaml.SafeLoader)):
        if index >= handed_out:
            yield node


#: how far (in characters) past libyaml's last good document the Python parser reads again for
#: its own message: about two seconds of its two passes (events for the depth, then nodes) at some
#: 8 µs a character. A refusal further in is reported in libyaml's words, at the same line and
#: column: a 15 MB one-line document with a typo at its end took 40 s to report in PyYAML's.
PYTHON_REREAD_LIMIT = 256 * 1024


def _too_far_to_read_again(refused: yaml.MarkedYAMLError, last: yaml.Node | None) -> bool:
    """Whether reading up to libyaml's refusal again in Python would cost more than :data:`PYTHON_REREAD_LIMIT`.

    Both parsers count ``Mark.index`` in characters; the Python parser reads a stream libyaml
    refused from the document after ``last`` (:func:`_raise_from_the_rest`), and stops at the
    same refusal, so the distance is what it would read.
    """
    mark = refused.problem_mark or refused.context_mark
    if mark is None:
        return False
    start = last.end_mark.index if last is not None else 0
    return bool(mark.index - start > PYTHON_REREAD_LIMIT)


_DOCUMENT_START = re.compile(r"^---(?=[ \t\r\n]|\Z)", re.MULTILINE)
_DIRECTIVE = re.compile(r"^%", re.MULTILINE)


def _raise_from_the_rest(text: str, last: yaml.Node) -> None:
    """PyYAML's error for the stream, from the document after ``last`` (libyaml's last good one) on.

    Why: the Python parser is about twenty times slower than libyaml, and reading the whole
    stream again for the message of a typo in its last document took 47 s for a 5.7 MB file
    of 40,000 manifests. The rest is read from its ``---`` with the lines before it left
    blank, so every line and column is the file's. Returns without raising when the
    parsers disagree about the rest (the Python parser accepts a document of it, or there
    is no ``---`` to start from, or a directive before it): the caller reads it all.
    """
    line = last.end_mark.line + (1 if last.end_mark.column else 0)
    start = 0
    if line:
        for count, found in enumerate(_LINE_BREAK.finditer(text), start=1):
            if count == line:
                start = found.end()
                break
        else:
            return
    marker = _DOCUMENT_START.search(text, start)
    if marker is None or _DIRECTIVE.search(text, start, marker.start()):
        return
    lines = sum(1 for _ in _LINE_BREAK.finditer(text, start, marker.start())) + line
    rest = "\n" * lines + text[marker.start():]
    problem = depth_problem(rest)
    if problem is not None:
        raise TooDeep(problem)
    for _ in yaml.compose_all(rest, Loader=yaml.SafeLoader):
        return  # the Python parser accepts a document libyaml refused: the caller reads the whole stream


#: values (scalars, collections, aliases) one document may hold: the largest kind's lists
#: (1,000 phrases of a few fields) stay far below it. Composing costs about 300 bytes and
#: 2 µs a value, many times more with the collector running: a 16 MB document of four
#: million one-letter items took 40 s and 2 GB before it could even be refused as a list.
MAX_DOCUMENT_VALUES = 100_000
#: a document this short (in characters) cannot hold more values than the bound (a value
#: takes at least one character but for an empty one, which an indicator beside it stands for)
_COUNTED_FROM = MAX_DOCUMENT_VALUES // 2
#: where a document starts or ends: ``---`` or ``...`` at the start of a line, as YAML forbids in content
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)


def oversized_document(text: str) -> YamlProblem | None:
    """Where the first document holding more than ``MAX_DOCUMENT_VALUES`` values passes the bound.

    Why before composing: libyaml composes a whole document's nodes before anything can
    look at them, so the bound must be checked on the parser's events, which are let go
    as they come. Only the stretches between document markers long enough to pass the
    bound are parsed for it (one ``re`` scan finds them), so ordinary files, however many
    documents they hold, pay nothing more.
    """
    start = 0
    while len(text) - start > _COUNTED_FROM:
        cut = _last_marker(text, start, start + _COUNTED_FROM)
        if cut is not None:  # the stretch from ``start`` ends within the bound: on from the last marker
            start = cut
            continue
        found = _DOCUMENT_MARKER.search(text, start + _COUNTED_FROM + 1)
        end = found.start() if found is not None else len(text)
        problem = _count_values(text, start, end)
        if problem is not None:
            return problem
        start = end
    return None


def _last_marker(text: str, start: int, end: int) -> int | None:
    """Where the last document marker after ``start`` and up to ``end`` begins; ``None`` without one.

    Why backwards with ``str.rfind``: a file of 10,000 manifests holds 10,000 markers, and
    visiting each from Python cost a fortieth of loading it; a jump of up to a bound's length
    per ``rfind`` leaves a few steps a file.
    """
    best = None
    for line_start in ("\n---", "\n..."):
        at = text.rfind(line_start, start, end + 3)  # a marker may begin at ``end``
        while at != -1 and _DOCUMENT_MARKER.match(text, at + 1) is None:
            at = text.rfind(line_start, start, at)
        if at != -1 and (best is None or at + 1 > best):
            best = at + 1
    return best


def _count_values(text: str, start: int, end: int) -> YamlProblem | None:
    """The place where a document of ``text[start:end]`` passes the bound, from the parser's events."""
    count = 0
    try:
        for event in yaml.parse(text[start:end], Loader=_C_LOADER or yaml.SafeLoader):
            if isinstance(event, yaml.DocumentStartEvent):
                count = 0  # the bound is a document's: a stretch may hold several (a marker not at a line start)
            elif isinstance(event, yaml.NodeEvent):
                count += 1
                if count > MAX_DOCUMENT_VALUES:
                    mark = event.start_mark
                    line, column = (mark.line, mark.column) if mark is not None else (0, 0)  # both parsers mark
                    line += sum(1 for _ in _LINE_BREAK.finditer(text, 0, start)) + 1
                    return YamlProblem(line, column + 1, f"the document holds more than {MAX_DOCUMENT_VALUES:,} "
                                       "values; split it into several documents")
    except yaml.YAMLError:
        pass  # a syntax error before the bound: composing reports it
    return None


def syntax_problem(exc: yaml.MarkedYAMLError) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "syntax error"
    if exc.context:
        what = f"{exc.context}: {what}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            what += f" (started at line {exc.context_mark.line + 1})"
    if mark is None:  # pragma: no cover - PyYAML marks its syntax errors
        return YamlProblem(None, None, f"invalid YAML: {what}")
    return YamlProblem(mark.line + 1, mark.column + 1, f"invalid YAML: {what}")


#: what YAML (and both PyYAML's readers) count as a line break; ``\r\n`` is one
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def reader_problem(exc: yaml.reader.ReaderError, text: str) -> YamlProblem:
    """A character YAML forbids (a control character, U+FFFE, ...), named and placed at its line and column.

    Why: PyYAML's reader has no mark, only an offset, and its message ends in
    ``in "<unicode string>", position 64``: parser internals, on a line of its own, and
    no line for the editor, the JSON report or SARIF. The offset is a character index
    from the Python reader but a byte index from libyaml's, so it is trusted only when
    it points at the character named; otherwise the first forbidden character is found
    the way both readers look for it (the same set of characters).
    """
    position, character = exc.position, exc.character
    if not (isinstance(position, int) and 0 <= position < len(text) and ord(text[position]) == character):
        found = yaml.reader.Reader.NON_PRINTABLE.search(text)
        if found is None:  # pragma: no cover - a str is only ever refused for a character it holds
            return YamlProblem(None, None, f"invalid YAML: {exc.reason}")
        position, character = found.start(), ord(found.group())
    line, column = _place(text, position)
    what = "control character" if unicodedata.category(chr(character)) == "Cc" else "character"
    escape = f"\\x{character:02X}" if character <= 0xFF else f"\\u{character:04X}"
    how = f"delete it, or write it as {escape} inside double quotes"
    return YamlProblem(line, column, f"invalid YAML: {what} U+{character:04X} is not allowed; {how}")


def stray_byte_order_mark(text: str) -> YamlProblem | None:
    """Where a byte-order mark (U+FEFF) stands past the start of ``text``, the only place YAML allows one.

    Why refused rather than read: YAML 1.2 (5.2) forbids one inside a document, and the two
    parsers read it differently: libyaml as a column of indentation (``spec:`` then a line
    ``<BOM>enabled: false`` put ``enabled`` under ``spec``), PyYAML as part of a key or value.
    When libyaml refuses the stream further on, the composer keeps the documents libyaml
    already gave and takes the rest from PyYAML, whose documents are counted otherwise, so
    a document read half could stand in for a whole one. It is invisible in editors and diffs.
    """
    position = text.find("\ufeff", 1)
    if position < 0:
        return None
    line, column = _place(text, position)
    return YamlProblem(line, column, "invalid YAML: a byte-order mark (U+FEFF) is allowed only at the start of "
                       "the file; delete it (it is invisible in most editors), or write it as \\uFEFF inside double "
                       "quotes")


def _place(text: str, position: int) -> tuple[int, int]:
    """The 1-based line and column of the character at ``position``, lines counted as YAML counts them."""
    line, line_start = 1, 0
    for line_break in _LINE_BREAK.finditer(text, 0, position):
        line, line_start = line + 1, line_break.end()
    return line, position - line_start + 1
