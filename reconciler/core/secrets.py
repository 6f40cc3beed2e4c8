"""The one way a secret is cut out of text, in every form a server or a tool may echo it.

A server that echoes what it was sent does not echo it as written: the token request's
``Authorization: Basic`` header carries ``base64(client_id:secret)``, a request body
carries the value JSON-escaped (``\\"``, ``\\\\``, ``\\u00e9``), a query or form carries it
URL-encoded (``%2F`` or ``+`` for a space). Masking only the exact text lets all of those
through, so every place that masks (API errors, the audit trail, the command line's error
path) asks this module for the forms and replaces them all, longest first so that a form
containing another is removed whole.

The secrets are the OAuth client secret (and its Basic credential), every access token
the login server issues, and every value the manifests take from ``${env:…}``: each is
:func:`remember`-ed as soon as the process has it, so that every masker (API errors, the
audit trail, the command's output and saved plan) knows all of them, whatever phase echoes them.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

#: what a masked secret becomes in an API error message
REDACTED = "***"
#: a secret shorter than this is not searched for: it would mangle ordinary text
MIN_SECRET_LENGTH = 4


def secret_forms(value: str, *, client_id: str | None = None) -> tuple[str, ...]:
    """``value`` as it may come back: as is, JSON-escaped (ASCII or not), URL-encoded, Basic credential.

    With ``client_id``, the base64 of ``client_id:value`` (RFC 7617, as httpx sends it on
    the token request) and its URL-encoded form are included too.
    """
    if not value:
        return ()
    forms = [
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        quote(value, safe=""),
        quote_plus(value, safe=""),
        quote(value),
    ]
    # base64 of the value alone (standard and URL-safe, with and without padding): a server that
    # encodes what it echoes (a debug field, a JWT-like blob) must not carry it out either
    encoded = base64.b64encode(value.encode()).decode()
    urlsafe = base64.urlsafe_b64encode(value.encode()).decode()
    forms += [encoded, encoded.rstrip("="), urlsafe.rstrip("="), *base64_cores(value)]
    if client_id is not None:
        forms += basic_forms(value, client_id)
    return tuple(dict.fromkeys(form for form in forms if form))


def basic_forms(value: str, client_id: str) -> list[str]:
    """The Basic credential of ``client_id:value`` (RFC 7617), as sent and URL-encoded."""
    basic = base64.b64encode(f"{client_id}:{value}".encode()).decode()
    return [basic, quote(basic, safe="")]


#: a base64 core shorter than this is not searched for: a few characters of base64 are any text's
MIN_BASE64_FORM = 6
_URLSAFE = str.maketrans("+/", "-_")


def base64_cores(value: str) -> list[str]:
    """The characters of any base64 (and base64url) text that only ``value``'s bytes decide.

    Why: a server that encodes a whole text holding the secret (a request body,
    ``{"name":"x","authSecret":"…"}``, in a debug field or a ``contextId``) shows none of the
    secret's own forms: base64 turns 3 bytes into 4 characters, so what the secret becomes
    depends on how many bytes stand before it (0, 1 or 2 modulo 3). For each of the three
    alignments, the characters whose 6 bits all come from the secret are the same in every
    text holding it there; the one or two characters at each end that mix in a neighbour's
    bits are not searched for (they carry at most 4 bits of the secret each). The value as a
    JSON body carries it (escaped, as :mod:`json` does with or without ``ensure_ascii``) too.
    Cores under :data:`MIN_BASE64_FORM` characters (from a secret of 4 bytes) are left out.
    """
    cores: list[str] = []
    for text in dict.fromkeys((value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1])):
        data = text.encode()
        for shift in (0, 1, 2):
            # bit 8*shift starts the secret: its first whole character is the next multiple of 6,
            # its last whole one ends at or before bit 8*(shift + len)
            first, end = -(-8 * shift // 6), 8 * (shift + len(data)) // 6
            if end - first >= MIN_BASE64_FORM:
                core = base64.b64encode(bytes(shift) + data).decode()[first:end]
                cores += [core, core.translate(_URLSAFE)]
    return cores


def all_forms(secrets: Iterable[str], *, min_length: int = 1) -> Forms:
    """Every form of every secret at least ``min_length`` long, longest first (the order :func:`scrub` needs)."""
    forms = {form for secret in secrets if secret and len(secret) >= min_length for form in secret_forms(secret)}
    return Forms(sorted(forms, key=lambda form: (-len(form), form)))


def scrub(text: str, secrets: Iterable[str], *, replacement: str = REDACTED, min_length: int = 1) -> str:
    """``text`` with every form of every secret replaced by ``replacement``.

    ``secrets`` are raw values; pass the Basic credential's forms (``secret_forms(secret,
    client_id=...)``) among them where a client id is known.
    """
    return replace_forms(text, all_forms(secrets, min_length=min_length), replacement=replacement)


#: a run of a secret's form at least this long is masked wherever it stands in a server's text
MIN_FRAGMENT = 8
#: what a text cut short ends with: a head of a form before one of these is masked (:func:`replace_forms`)
ELLIPSES = ("...", "\u2026")


def replace_forms(text: str, forms: Iterable[str], *, replacement: str = REDACTED) -> str:
    """``text`` with each of ``forms`` (from :func:`all_forms`, computed once by a caller that masks often) replaced.

    A form cut short is replaced too, from its first :data:`MIN_FRAGMENT` characters on,
    where it ends the text or an ellipsis follows (``Adv3rsar...``): a server, or a renderer,
    that shortens a long value it echoes left that much of the secret. Elsewhere a head is
    ordinary text (a secret's first word), and it is left, as is a head shorter than that.
    Why the cut is looked for this way: this runs for every string of every audit record,
    and a search for each form's head would double that; a piece cut from a form ends with
    one of the form's windows of :data:`MIN_FRAGMENT` characters, so one set look-up at the
    end of the text (and before each ellipsis) tells whether any head need be searched for.
    """
    known = forms if type(forms) is Forms else Forms(forms)
    for form in known:
        if form in text:
            text = text.replace(form, replacement)
    if len(text) >= MIN_FRAGMENT and (
        text[-MIN_FRAGMENT:] in known.windows
        or (("..." in text or "\u2026" in text) and _window_before_an_ellipsis(text, known.windows))
    ):
        for form in known:
            if len(form) > MIN_FRAGMENT and form[:MIN_FRAGMENT] in text:
                text = _replace_cut_heads(text, form, form[:MIN_FRAGMENT], replacement)
    return text


class Forms(tuple[str, ...]):
    """Forms of secrets, longest first (what :func:`all_forms` returns), with what :func:`replace_forms` looks up.

    Why a tuple of its own: a masker computes its forms once and masks many strings with
    them, so what follows from the forms alone is computed once, with them.
    """

    @functools.cached_property
    def windows(self) -> frozenset[str]:
        """Every run of :data:`MIN_FRAGMENT` characters of the forms longer than that: the ends a cut piece may have."""
        return frozenset(
            form[start : start + MIN_FRAGMENT]
            for form in self
            if len(form) > MIN_FRAGMENT
            for start in range(len(form) - MIN_FRAGMENT)
        )


def _window_before_an_ellipsis(text: str, windows: frozenset[str]) -> bool:
    """Whether an ellipsis of ``text`` follows one of ``windows``."""
    for ellipsis in ELLIPSES:
        at = text.find(ellipsis, MIN_FRAGMENT)
        while at != -1:
            if text[at - MIN_FRAGMENT : at] in windows:
                return True
            at = text.find(ellipsis, at + 1)
    return False


def _replace_cut_heads(text: str, form: str, head: str, replacement: str) -> str:
    """``text`` with every head of ``form`` (``head`` and as much more of it as follows) that a cut ends."""
    at = text.find(head)
    while at != -1:
        end, limit = at + len(head), min(len(text), at + len(form))
        while end < limit and text[end] == form[end - at]:
            end += 1
        if end == len(text) or text.startswith(ELLIPSES, end):
            text = text[:at] + replacement + text[end:]
            at = text.find(head, at + len(replacement))
        else:
            at = text.find(head, at + 1)
    return text


def replace_fragments(
    text: str, forms: Iterable[str], *, replacement: str = REDACTED, min_run: int = MIN_FRAGMENT
) -> str:
    """``text`` with every run that one of ``forms`` also holds replaced, if the run is long enough.

    Why: a hostile server can split an echoed secret across its answer's fields (half in
    ``code``, half in ``message``), and no field then holds a whole form for
    :func:`replace_forms` to find. A run counts from ``min_run`` characters, or half the
    form for a shorter form (never under :data:`MIN_SECRET_LENGTH`), so that both halves
    of any secret split in two are caught; what can still get out is a smaller piece of a
    secret cut in more. Meant for a server's few short strings (an error's code, message
    and details), not for bulk output: it searches every window of every form. Adjacent
    and overlapping runs become one ``replacement``.

    A whole form is masked wherever it stands, and so is a run of a long form (``min_run``
    characters are not an ordinary word's). A run of a short form (under twice ``min_run``)
    is as short as four characters, which ordinary words hold: ``change-me`` shares
    ``change`` with "it changed since". Such a run is masked only where it is not part of a
    longer word of the text, that is, unless a letter or digit of the run touches a letter or
    digit of the text that no mask covers (:func:`_inside_a_word`). A half that a server
    echoes in a field of its own stands apart from the words around it (``bad.chan``,
    ``ge-me is not accepted``) and is still masked; a server that glues a piece of a short
    secret to other letters gets that piece out, as one that cuts it in more pieces does.
    """
    if not text:
        return text
    covered = bytearray(len(text))  # masked, whatever stands around it
    loose = bytearray(len(text))  # runs of short forms: masked unless inside a longer word
    for form in forms:
        run = min(min_run, len(form), max(MIN_SECRET_LENGTH, len(form) // 2))
        if not run:
            continue
        _cover(text, form, covered)
        if run < len(form):
            into = covered if run >= min_run else loose
            for start in range(len(form) - run + 1):
                _cover(text, form[start : start + run], into)
    for start, end in _spans(loose):
        if not _inside_a_word(text, covered, start, end):
            covered[start:end] = b"\x01" * (end - start)
    if not any(covered):
        return text
    return "".join(replacement if covered[start] else text[start:end] for start, end in _spans(covered, every=True))


def _cover(text: str, window: str, into: bytearray) -> None:
    """Mark every place of ``window`` in ``text``."""
    at = text.find(window)
    while at != -1:
        into[at : at + len(window)] = b"\x01" * len(window)
        at = text.find(window, at + 1)


def _spans(marks: bytearray, *, every: bool = False) -> list[tuple[int, int]]:
    """The maximal runs of marked places, as ``(start, end)``; with ``every``, the unmarked runs too."""
    out: list[tuple[int, int]] = []
    index = 0
    while index < len(marks):
        end = index
        while end < len(marks) and marks[end] == marks[index]:
            end += 1
        if every or marks[index]:
            out.append((index, end))
        index = end
    return out


def _inside_a_word(text: str, covered: bytearray, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` continues, at either end, into a letter or digit left unmasked."""
    before = start > 0 and text[start].isalnum() and text[start - 1].isalnum() and not covered[start - 1]
    after = end < len(text) and text[end - 1].isalnum() and text[end].isalnum() and not covered[end]
    return before or after


#: every secret this process has learned (see :func:`remember`): the raw values, and all their forms
_raw: set[str] = set()
_remembered = Forms()


def remember(values: Iterable[str], *, client_id: str | None = None) -> None:
    """Note secrets as they are resolved, so that the command line's error path can mask them.

    The error path (``error: …`` on stderr) is the last guard: it sees errors from every
    layer and cannot know which values were secret. Whoever resolves a secret (the
    settings for the OAuth client secret, the apply for ``${env:…}`` values) tells it
    here; with ``client_id``, the Basic credential's forms are noted too.
    """
    global _remembered
    raw = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
    if client_id is not None:
        # the Basic credential itself (its forms follow from it like any value's)
        raw |= {form for v in raw for form in basic_forms(v, client_id)}
    if not raw <= _raw:
        _raw.update(raw)
        _remembered = all_forms(_raw)


def forget_remembered() -> None:
    """Start a new command's memory: the secrets of one that ran before in this process are not its own.

    Why: a process that runs several commands (a test session, a program using the CLI as a
    library) would otherwise pile up every token ever issued, and every masker would search
    every one of their forms in every string it masks.
    """
    global _remembered
    _raw.clear()
    _remembered = Forms()


def remembered_values() -> frozenset[str]:
    """The raw secrets :func:`remember`-ed so far (for a masker that builds its own forms)."""
    return frozenset(_raw)


def remembered_forms() -> Forms:
    """Every form of every :func:`remember`-ed secret, longest first; a new tuple whenever one is added."""
    return _remembered


def scrub_remembered(text: str, *, replacement: str = REDACTED) -> str:
    """``text`` with every form of every :func:`remember`-ed secret replaced."""
    return replace_forms(text, _remembered, replacement=replacement)
