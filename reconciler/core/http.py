"""HTTP names both ends of the wire must spell alike.

The client reads the correlation id of every answer to put it in errors and in the
audit trail; the sandbox writes it on every answer it gives. One constant in the bottom
layer keeps the two from drifting apart, without the client importing the sandbox or
the sandbox importing the client. The bound on what is kept of an id a server sends is
here too, the one definition for the client, the error tree and the audit trail, and
the words of an HTTP library's refusal that may be shown (:func:`library_reason`).
"""

from __future__ import annotations

import re

#: The header Genesys Cloud sets on every answer, naming the request in its own logs
#: (the platform SDK's ``ININ-Correlation-Id``; an ``ErrorBody``'s ``contextId`` repeats it).
CORRELATION_HEADER = "ININ-Correlation-Id"

#: the longest correlation id kept; the platform's are UUIDs (36 characters)
CORRELATION_MAX = 128
#: ends a correlation id that was cut to :data:`CORRELATION_MAX` (ASCII, so cutting again changes nothing)
CORRELATION_CUT = "...(cut)"

_NOT_PRINTABLE_ASCII = re.compile(r"[^\x20-\x7e]")


def bounded_correlation_id(value: str | None) -> str | None:
    """A server's correlation id as kept: printable ASCII, :data:`CORRELATION_MAX` characters at most; None if blank.

    Why: the id is the server's text, quoted as is in error messages, JSON output, audit
    records and logs. A hostile or broken server could send a megabyte, or line breaks and
    escape sequences, and have them repeated everywhere. Any other character is shown as
    ``?``, and a longer id is cut, ending in :data:`CORRELATION_CUT` so nobody takes it for the
    whole id. Every path that keeps an id asks here (the client's reading of an answer's header
    or, without one, of an error body's ``contextId``, every :class:`~reconciler.core.errors.ApiError`,
    every audit outcome), and no other bound is set anywhere; asking twice changes nothing.
    """
    if value is None:
        return None
    cut = len(value) > CORRELATION_MAX
    kept = _NOT_PRINTABLE_ASCII.sub("?", value[: CORRELATION_MAX - len(CORRELATION_CUT)] if cut else value).strip()
    if not kept:
        return None
    return kept + CORRELATION_CUT if cut else kept


#: a word of an HTTP library's reason: ``b'Bearer …`` (the quoted value of a header) is none
_REASON_WORD = re.compile(r"[A-Za-z]+(?:'t)?(?:-[A-Za-z]+)*")


def library_reason(text: str) -> str:
    """The leading words of an HTTP library's refusal (``Illegal header value``), never the value it quotes.

    Why cut: h11 refuses a request it will not send in words that quote the offending value
    (``Illegal header value b'Bearer …'``), and that header may be the token. Only the words
    before the first that is not a plain word are kept, twelve at most.
    """
    words: list[str] = []
    for word in text.split()[:12]:
        if not _REASON_WORD.fullmatch(word):
            break
        words.append(word)
    return " ".join(words) or "refused by the HTTP library"
