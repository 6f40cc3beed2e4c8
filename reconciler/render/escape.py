"""Live text made safe to print: the one place every renderer and error message escapes through.

Names, values and server messages come from the target and may be hostile. Printed
as they are they could:

- start a GitHub Actions workflow command (``::error ::…``, ``::stop-commands::``,
  ``::add-mask::``): the runner reads a line as a command when it starts with ``::``
  *after leading whitespace is trimmed* (actions/runner ``ActionCommand.TryParseV2``),
  so indenting a forged line does not help; the newline itself must never reach the log;
- forge output lines (a fake ``ok + create …``) or move the cursor and recolour the
  terminal (ANSI escapes), or reorder text with bidi controls;
- in Markdown (PR comments, drift issues): break out of a code span with backticks or
  a blank line, split a table row with ``|``, hide text in ``<!-- -->``, ping people with
  ``@name``, or add links.

So every control character (C0, DEL, C1, the Unicode line and paragraph separators,
bidi and zero-width format characters) is shown as a visible escape (``\\n``,
``\\x1b``, ``\\u2028``), which also keeps each object on one line. The set is defined
once, in :mod:`reconciler.core.visible`, where :class:`~reconciler.core.errors.ApiError`
also uses it: what a server says is made one line where it is received, so a message of
ours that quotes it (whose own line breaks :func:`message` keeps) holds no line break of
the server's.
"""

from __future__ import annotations

import re

from reconciler.core.visible import control, control_but_newline

#: a workflow command: ``::`` at the start of a line once leading whitespace is trimmed
_COMMAND_START = re.compile(r"^(\s*)::", re.MULTILINE)
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
#: zero-width joiner: keeps ``@name`` readable while GitHub no longer sees a mention
ZWJ = "\u200d"
#: where GFM's extended autolinks start (``https://``, ``www.``): a ZWJ there leaves plain text
_AUTOLINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)")


def _no_command(text: str) -> str:
    """A backslash before a ``::`` that would start a line, so the runner does not read a command."""
    return _COMMAND_START.sub(lambda m: f"{m.group(1)}\\::", text)


def live(text: object) -> str:
    """Live text (a name, an address, a server message) for a terminal or CI log: one safe line."""
    return _no_command(control(str(text)))


def message(text: str) -> str:
    """A message of ours that may quote live text: our line breaks kept, nothing else.

    Used where the text is already composed (error messages): control characters other
    than ``\\n`` are escaped and no line can start a workflow command. The ``\\n`` kept are
    ours: a server's text in the message was made one line where it was received
    (:class:`~reconciler.core.errors.ApiError`). Warnings and errors in a report, which may
    quote live names and ids, are shown with :func:`live` instead, one line each.
    """
    return _no_command(control_but_newline(text))


# ---- Markdown -------------------------------------------------------------------------


def md_text(text: str) -> str:
    """Text shown literally in Markdown, on one line: no markup, no HTML, no mention, no link (not even a bare URL)."""
    text = control(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(ZWJ, text)  # a bare https:// or www. is a link on GitHub (an email is one: ZWJ after @)
    return text.replace("@", "@" + ZWJ)


def md_code(text: str, *, in_table: bool = False) -> str:
    """An inline code span that ``text`` cannot leave: the fence outgrows every backtick run.

    Control characters are escaped first (a blank line would end the span). In a table
    cell ``|`` splits the row even inside a code span (GFM), so it is escaped there.
    """
    text = control(text)
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if in_table else span


def md_code_block(lines: list[str], lang: str = "") -> str:
    """A fenced block: each line escaped, the fence longer than any backtick run inside."""
    body = "\n".join(control(line) for line in lines)
    longest = max((len(m) for m in re.findall(r"`{3,}", body)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}\n"


__all__ = ["ZWJ", "control", "live", "md_code", "md_code_block", "md_text", "message"]
