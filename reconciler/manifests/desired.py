"""Desired state as the manifest loader hands it to the planner, and its placeholders.

A spec keeps its ``${env:NAME}`` and ``${ref:Kind/Name.field}`` placeholders as written:
they are resolved late (``resolve``), so that a plan file never holds a value read from
the environment and a reference can be shown as ``(known after apply)``.

Any string that contains ``${env:…}`` is *sensitive*: its resolved value is compared but
never displayed or stored, whatever field it sits in. So is any string that takes text,
through a chain of ``${ref:…}`` of any length, from a field that holds ``${env:…}``: a
lookup hands such a field over as :class:`Unresolved`, and :func:`resolve` resolves it
in turn, carrying both its sensitivity and its being unknown to the referring string.

``$${`` is Terraform's escape: the literal text ``${``, never a placeholder, never an
environment or reference name, never sensitive. Read left to right as Terraform 1.11 reads
``"$$${var.x}"`` (the literal ``$${var.x}``): each ``$${`` is ``${``, any other ``$`` is
itself, so a ``${`` right after a ``$`` is never a placeholder. In a ``Kind.templated`` field
(Velocity's ``${input.x}``, where only ``${env:…}``/``${ref:…}`` are ours) only ``$${env:`` and
``$${ref:`` are escapes: any other ``$${`` is the platform's text, as it always was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.core.jsonpath import JsonPath, format_path, map_strings, strings_containing
from reconciler.core.keys import Location, ObjectKey

#: a placeholder, unless escaped (a ``${`` right after ``$`` never is one)
PLACEHOLDER = re.compile(r"(?<!\$)\$\{(?P<scheme>env|ref):(?P<body>[^}]*)\}")
#: what a string is read as, left to right: an escape (no ``scheme``) or a placeholder
_TOKENS = re.compile(r"\$\$\{|\$\{(?P<scheme>env|ref):(?P<body>[^}]*)\}")
_TEMPLATED_TOKENS = re.compile(r"\$\$\{(?=env:|ref:)|\$\{(?P<scheme>env|ref):(?P<body>[^}]*)\}")
_BARE = re.compile(r"\$\{(?P<scheme>env|ref):(?P<body>[^}]*)\}")
_TEMPLATED_ESCAPED = re.compile(r"\$\{(?=env:|ref:)")
ESCAPE = "$${"
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: ``Kind/Name.field``: the name may contain dots and spaces, the field is the last segment
REF_BODY = re.compile(r"^(?P<kind>[A-Za-z][A-Za-z0-9]*)/(?P<name>.+)\.(?P<field>[A-Za-z][A-Za-z0-9]*)$")

KNOWN_AFTER_APPLY = "(known after apply)"
SENSITIVE = "(sensitive)"


def tokens(templated: bool) -> re.Pattern[str]:
    """The pattern a string is read with: an escape or a placeholder at each match."""
    return _TEMPLATED_TOKENS if templated else _TOKENS


def literal(text: str, *, templated: bool = False) -> str:
    """What ``text``, holding no placeholder, means: each escape read as ``${``."""
    if "${" not in text:
        return text
    return tokens(templated).sub(lambda m: "${" if m["scheme"] is None else m.group(0), text)


def known_text(text: str, *, templated: bool = False) -> str | None:
    """What ``text`` means before apply: its escapes read, or None when it holds a placeholder.

    Why not ``"${" in text``: ``$${x}`` is the literal ``${x}``, known now and compared as
    text; only a placeholder's value waits for apply.
    """
    return None if PLACEHOLDER.search(text) else literal(text, templated=templated)


def escape(text: str, *, templated: bool = False) -> str:
    """``text`` as a manifest string that means exactly ``text``: every ``${`` escaped.

    Why every one, not only ``${env:``/``${ref:``: outside a templated field a ``${`` is ours
    alone, and left bare it is read as a placeholder (or refused as a malformed one).
    """
    if "${" not in text:
        return text
    return _TEMPLATED_ESCAPED.sub(ESCAPE, text) if templated else text.replace("${", ESCAPE)


def escaped_placeholders(text: str) -> list[str]:
    """Each ``$${env:…}``/``$${ref:…}`` of ``text``: literal text now, but a ``$`` and a placeholder before the escape.

    Why look for them: a manifest written when ``$${env:X}`` read as ``$`` followed by X's value
    now sends the text ``${env:X}`` instead (almost surely not what it meant), so validate and
    plan point at each one (:mod:`reconciler.manifests.escapes`).
    """
    found = []
    for m in _TEMPLATED_TOKENS.finditer(text):
        meant = None if m["scheme"] is not None else _BARE.match(text, m.start() + 1)
        if meant is not None:
            found.append("$" + meant.group(0))
    return found


@dataclass(frozen=True, slots=True)
class Reference:
    """``${ref:Kind/Name.field}`` found at ``path`` (a spec path such as ``eventFilters[0].filter``).

    Slotted: every declared reference is kept for the whole command, and an instance dict
    per reference weighed more than the reference itself.
    """

    target: ObjectKey
    field: str
    path: str


@dataclass(frozen=True, slots=True)
class DesiredObject:
    """One declared object, with its placeholders still in place.

    Slotted, with its identity and placeholders worked out once at construction: the
    loader, the reference graph and the planner ask for them several times per object
    (``key`` about seven times, each ask building and case-folding a new key), and
    cached properties gave each of 10,000 objects its own instance dict (4 MB).
    """

    kind: str
    name: str
    spec: Mapping[str, Any]
    source: Location
    #: spec path (``phrases[1].phrase``) -> where it was written, for late errors
    locations: Mapping[str, Location] = field(default_factory=dict)
    #: ``metadata.id``: the live object this declares, matched by id rather than by name
    pinned_id: str | None = None
    #: where ``metadata.id`` was written, for the planner's errors about it
    pinned_at: Location | None = None
    #: True when no string of the spec holds ``${``: nothing to resolve. The loader may say so
    #: from the document's text (the walk below is then skipped); otherwise the walk finds out.
    placeholder_free: bool = field(default=False, compare=False, repr=False)
    key: ObjectKey = field(init=False, compare=False, repr=False)
    references: tuple[Reference, ...] = field(init=False, compare=False, repr=False)
    #: names of the environment variables the spec's strings take text from
    env_names: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # The spec's strings that hold ``${`` (the only ones a placeholder can be in), walked once.
        texts = () if self.placeholder_free else strings_containing(self.spec, "${")
        if not texts:
            object.__setattr__(self, "placeholder_free", True)
        object.__setattr__(self, "key", ObjectKey(self.kind, self.name))
        object.__setattr__(self, "references", tuple(_references_in(texts)) if texts else ())
        object.__setattr__(self, "env_names", _env_names_in(texts) if texts else ())


def env_names_in(value: Any) -> tuple[str, ...]:
    """Names of the environment variables that ``value``'s strings take text from."""
    return _env_names_in(strings_containing(value, "${"))


def _env_names_in(texts: Iterable[tuple[JsonPath, str]]) -> tuple[str, ...]:
    return tuple(sorted({m.group("body") for _, s in texts for m in _env_matches(s)}))


def _env_matches(text: str) -> Iterator[re.Match[str]]:
    return (m for m in PLACEHOLDER.finditer(text) if m.group("scheme") == "env")


def find_references(spec: Any) -> Iterator[Reference]:
    """The well-formed ``${ref:…}`` placeholders of ``spec``, in the order they were written."""
    return _references_in(strings_containing(spec, "${"))


def _references_in(texts: Iterable[tuple[JsonPath, str]]) -> Iterator[Reference]:
    for path, text in texts:
        for m in PLACEHOLDER.finditer(text):
            if m.group("scheme") == "ref":
                parsed = REF_BODY.match(m.group("body"))
                if parsed:
                    yield Reference(ObjectKey(parsed["kind"], parsed["name"]), parsed["field"], format_path(path))


RefLookup = Callable[[ObjectKey, str], Any]
"""Returns a referenced object's field value, or ``None`` when not known yet, or an
:class:`Unresolved` declared value that itself holds placeholders."""

#: a chain of references longer than this is treated as unknown (cycles are refused by validate)
MAX_REFERENCE_CHAIN = 32


@dataclass(frozen=True)
class Unresolved:
    """A declared field's text that still holds placeholders or escapes, for :func:`resolve` to resolve in turn."""

    text: str
    #: the text is in a ``Kind.templated`` field (its escapes are only ``$${env:``/``$${ref:``)
    templated: bool = False


@dataclass
class Resolution:
    value: Any
    unknown: bool = False  # some reference is not known until apply
    sensitive: bool = False  # some text came from the environment, directly or through references
    #: the paths of the strings that took text from the environment
    sensitive_paths: list[JsonPath] = field(default_factory=list)


def resolve(
    value: Any,
    env: Mapping[str, str],
    lookup: RefLookup,
    *,
    templated: Collection[str] = (),
    _whole_templated: bool = False,
    _chain: int = 0,
) -> Resolution:
    """Substitute placeholders and read escapes. Unset variables raise ``KeyError(name)``; unknown refs: ``unknown``.

    ``templated``: the top-level fields in the platform's template language (``Kind.templated``).
    One pass reads both, so that a value substituted in is never read again (an environment
    value holding ``$${`` stays as it is).
    """
    state = Resolution(None)

    def sub(path: JsonPath, text: str) -> str:
        if "${" not in text:  # most strings of a spec that holds a placeholder hold none
            return text
        tainted = False

        def one(m: re.Match[str]) -> str:
            nonlocal tainted
            if m.group("scheme") is None:
                return "${"
            if m.group("scheme") == "env":
                name = m.group("body")
                if name not in env:
                    raise KeyError(name)
                tainted = True
                return env[name]
            parsed = REF_BODY.match(m.group("body"))
            found = lookup(ObjectKey(parsed["kind"], parsed["name"]), parsed["field"]) if parsed else None
            if isinstance(found, Unresolved):
                inner = (
                    resolve(found.text, env, lookup, _whole_templated=found.templated, _chain=_chain + 1)
                    if _chain < MAX_REFERENCE_CHAIN
                    else None
                )
                tainted = tainted or (inner is not None and inner.sensitive)
                found = None if inner is None or inner.unknown else inner.value
            if found is None:
                state.unknown = True
                return KNOWN_AFTER_APPLY
            if isinstance(found, bool):  # JSON's spelling, as the API shows it: str() wrote "True"
                return "true" if found else "false"
            return str(found)

        in_template = path[0] in templated if path else _whole_templated
        out = tokens(in_template).sub(one, text)
        if tainted:
            state.sensitive = True
            state.sensitive_paths.append(path)
        return out

    state.value = map_strings(value, sub)
    return state
