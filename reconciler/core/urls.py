"""Checking a URL the user gives (the API base, the audit endpoint) before anything is sent to it.

One check for every URL setting, so that each refuses the same things with the same
one-line :class:`~reconciler.core.errors.ConfigError`: a URL that does not parse (port
``99999`` or ``abc``, ``http://[::1``), no scheme or another than http(s), plain http off
this machine, and credentials in the URL. ``https://user:pass@host`` is refused rather
than cleaned: httpx would send the pair as Basic auth in place of the token, and every
line naming the URL would print it; a message shows such a URL as ``https://***@host``.

And one way to put a value (an id, often one a server gave) into a request path:
:func:`path_segment`, as ``Kind.item_path`` and ``reconciler doctor`` do.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from reconciler.core.errors import ConfigError

#: Plain http is only acceptable where nothing leaves the machine.
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "sandbox.local"})
_USERINFO = re.compile(r"^((?:[A-Za-z][A-Za-z0-9+.-]*:)?//)?[^/?#]*@")
_HOST = re.compile(r"[A-Za-z0-9_.-]+|[0-9A-Fa-f:.]+")
_IPV4 = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}")


def check_url(url: str, *, source: str, example: str, allow_query: bool = False,
              instead: str = " (the OAuth client's id and secret have settings of their own)") -> str:
    """``url`` stripped, if it is an absolute https URL (or http on loopback) without credentials.

    Every refusal is one :class:`~reconciler.core.errors.ConfigError` that shows the URL
    with any ``user:password@`` blanked out. Shared with the audit forwarding URL;
    ``instead`` ends the credentials refusal with where such a secret belongs.
    """
    text = url.strip()
    shown = repr(hide_query(hide_userinfo(text)))
    try:
        parts = urlsplit(text)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise ConfigError(f"{source} {shown} is not a valid URL: {_parse_problem(exc)}") from None
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"{source} {shown} carries credentials (user:password@): they would be printed, and sent as Basic "
            f"auth; remove them{instead}"
        )
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{source} {shown} is not an absolute http(s) URL such as {example}")
    if not _HOST.fullmatch(host) or port == 0:
        raise ConfigError(f"{source} {shown} does not name a valid host and port")
    if (parts.query and not allow_query) or parts.fragment:
        what = "a fragment" if allow_query else "a query or fragment"
        raise ConfigError(f"{source} {shown} must not carry {what}")
    if any(not c.isprintable() or c.isspace() for c in text):
        raise ConfigError(f"{source} {shown} contains spaces or control characters")
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigError(
            f"{source} {shown} uses plain http off this machine; credentials would travel unencrypted (use https)"
        )
    return text


#: urllib's words for what does not parse (``urlsplit`` and its ``.port``), in ours
_PARSE_PROBLEMS = (
    ("Port out of range", "its port is not between 1 and 65535"),
    ("Port could not be cast", "its port is not a number"),
    ("Invalid IPv6 URL", "its [IPv6 address] is not closed or not well formed"),
)


def _parse_problem(exc: ValueError) -> str:
    """What is wrong with a URL that does not parse, in the wording of our other messages."""
    text = str(exc)
    for start, words in _PARSE_PROBLEMS:
        if text.startswith(start):
            return words
    return text[:1].lower() + text[1:]  # a problem a later Python words otherwise: its own words, in our case


def hide_query(url: str) -> str:
    """``url`` with its query blanked out (for messages): ``?token=...`` may carry a secret."""
    head, mark, _ = url.partition("?")
    return f"{head}?***" if mark else url


def hide_userinfo(url: str) -> str:
    """``url`` with whatever precedes an ``@`` in its authority blanked out (for messages)."""
    return _USERINFO.sub(r"\1***@", url)


def is_loopback(host: str) -> bool:
    """True for this machine's names and addresses (127.0.0.0/8, ::1, localhost, the sandbox)."""
    return host in _LOOPBACK_HOSTS or host.startswith("127.") and _IPV4.fullmatch(host) is not None


def path_segment(value: object) -> str:
    """``value`` as exactly one segment of a request path, whatever it holds.

    Everything but unreserved characters is percent-encoded (``/``, ``?``, ``#``, ``%``), and
    a value of ``.`` or ``..`` is encoded whole: the URL would otherwise drop it or climb a level.
    """
    text = str(value)
    return text.replace(".", "%2E") if text in (".", "..") else quote(text, safe="")
