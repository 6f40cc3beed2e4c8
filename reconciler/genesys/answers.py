"""Reading a server's answer as data, refusing what no honest Genesys Cloud answer looks like.

Everything the client reads goes through here before anything else looks at it: a body
that is not JSON, JSON nested absurdly deep (Python's decoder would overflow its stack,
and every recursive walk after it too), an object where an object is due but a string,
a number or ``null`` arrived. Each refusal is a :class:`~reconciler.core.errors.ServerError`
naming the request and the field, never a traceback.

The depth bound is a private pre-scan of the raw text (strings skipped, brackets
counted), so the decoder never sees what it cannot handle. Genesys objects nest a dozen
levels at most (a queue's ``mediaSettings.*.serviceLevel``); 64 leaves ample room.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from pydantic_core import from_json

from reconciler.core.errors import ServerError
from reconciler.core.http import CORRELATION_HEADER, bounded_correlation_id

#: the deepest nesting of arrays and objects an answer may have
MAX_JSON_DEPTH = 64

_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
#: half a UTF-16 surrogate pair: what json.loads makes of a lone ``\ud800`` escape
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class TooDeep(ValueError):
    """The JSON text nests deeper than :data:`MAX_JSON_DEPTH`."""


def correlation_id(response: httpx.Response) -> str | None:
    """The platform's name for this exchange in its own logs (for errors and the audit trail), bounded.

    Bounded by :func:`~reconciler.core.http.bounded_correlation_id`: it is the server's text.
    """
    return bounded_correlation_id(response.headers.get(CORRELATION_HEADER))


def json_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text`` (strings, and brackets inside them, skipped)."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    depth = deepest = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def nests_deeper(value: Any, levels: int) -> bool:
    """Whether the decoded ``value`` nests more than ``levels`` arrays and objects deep (``json_depth`` of its text).

    Why on the value: the text pre-scan (a regex over every string of a 50 KB page) cost
    three times the decoding itself; walking the containers that came out, one level at a
    time (no recursion, no call per container), costs a fraction of it.
    """
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > levels:
            return True
        inner: list[Any] = []
        for container in level:
            for item in container.values() if type(container) is dict else container:
                if type(item) is dict or type(item) is list:
                    inner.append(item)
        level = inner
    return False


def loads_bounded(text: str) -> Any:
    """``json.loads`` of ``text``, refused (:class:`TooDeep`) past :data:`MAX_JSON_DEPTH`; ValueError if not JSON.

    The decoder goes first (its C scanner raises ``RecursionError`` rather than overflow the
    stack), the depth is then read off the value; only text it refuses is scanned, so that
    text nested too deep is :class:`TooDeep` whether or not it is JSON, as before.
    """
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        if json_depth(text) > MAX_JSON_DEPTH:
            raise TooDeep(f"the answer nests deeper than {MAX_JSON_DEPTH} levels") from None
        raise
    if nests_deeper(data, MAX_JSON_DEPTH):
        raise TooDeep(f"the answer nests deeper than {MAX_JSON_DEPTH} levels")
    return _whole_characters(data) if _LONE_SURROGATE.search(text) or "\\u" in text else data


def _whole_characters(value: Any) -> Any:
    """``value`` with each half of a surrogate pair (a lone ``\\ud800`` escape) as U+FFFD.

    Why: json.loads keeps it, and no output can encode it: a live name holding one made plan and
    drift (text, JSON, Markdown) end in a UnicodeEncodeError traceback. Depth is bounded above.
    """
    if type(value) is str:
        return _LONE_SURROGATE.sub("\ufffd", value)
    if type(value) is dict:
        return {_whole_characters(key): _whole_characters(item) for key, item in value.items()}
    if type(value) is list:
        return [_whole_characters(item) for item in value]
    return value


def loads_answer(response: httpx.Response) -> Any:
    """The answer's JSON value, as :func:`loads_bounded` of its text would give it, for less memory.

    Why not ``json.loads``: a listing's pages are most of a plan's memory, and pydantic's
    decoder (jiter) with ``cache_strings`` shares each repeated key and short value (every
    entity's ``"id"``, ``"name"``, ``"state"``...) instead of one copy per entity: at 50,000
    objects 87 -> 69 MiB held, in two thirds of the time. It reads the UTF-8 bytes, so the
    text copy of the body is never made either. Its values are those of ``json.loads``
    (NaN/Infinity, big integers, floats, the last of duplicate keys); whatever it refuses (a
    lone surrogate escape, a body that is not UTF-8 JSON, nesting past its own limit) goes
    to :func:`loads_bounded` of the text as before, so every refusal and its message are
    unchanged. A body in another declared charset goes there first.
    """
    charset = charset_of(response)
    if charset is None or charset.lower().replace("_", "-") in ("utf-8", "utf8"):
        try:
            data = from_json(response.content, cache_strings="all")
        except ValueError:
            pass
        else:
            if nests_deeper(data, MAX_JSON_DEPTH):
                raise TooDeep(f"the answer nests deeper than {MAX_JSON_DEPTH} levels")
            return data
    return loads_bounded(response.text)


def charset_of(response: httpx.Response) -> str | None:
    """``response.charset_encoding``, without its parse of the header where the answer is plain.

    httpx reads the charset with the e-mail package's header parser (some 8 us an answer, more
    than the rest of reading a write's answer). A ``Content-Type`` without parameters has no
    charset; ``application/json; charset=utf-8`` is what every answer that has one says.
    """
    content_type = response.headers.get("Content-Type")
    if content_type is None or ";" not in content_type:
        return None
    if content_type.replace(" ", "").lower() == "application/json;charset=utf-8":
        return "utf-8"
    return response.charset_encoding


MIB = 1024 * 1024

#: the content codings the client asks for (``Accept-Encoding``) and reads: those httpx
#: decodes with zlib, whose inflation of one read is bounded (about a thousandfold at
#: gzip's best ratio, see :func:`read_body`). Not ``br`` nor ``zstd``, which httpx offers
#: whenever the ``brotli`` or ``zstandard`` package happens to be installed: their decoders
#: turn one read into all it encodes in one step (four bytes of zstd, an RLE block, are
#: 128 KiB), so a 64 KiB read could take gigabytes before its size could be counted.
CODINGS = ("gzip", "deflate")
ACCEPT_ENCODING = ", ".join(CODINGS)


async def read_body(response: httpx.Response, cap: int, method: str, path: str) -> None:
    """Read a streamed answer's body, decoded, refusing it once it passes ``cap`` bytes.

    Why streaming: httpx inflates a whole gzip body before anyone can look at its size, so
    2 MB of gzip could take 2 GiB (or all the memory there is) before it was refused. Read a
    chunk at a time, the decoded size is summed as it comes, and reading stops at the first
    chunk past the cap: what is held is at most the cap and one chunk's worth of inflation
    (a 64 KiB read inflates to some 64 MB at gzip's best ratio). Nothing else is done per chunk.
    Codings stacked on one another (``gzip, gzip``) would inflate one read into gigabytes
    before it could be counted: no API answer needs them, and they are refused unread. So
    is a coding the client did not ask for (:data:`CODINGS`): httpx would decode ``br`` or
    ``zstd`` unbounded if it could, and pass any coding it cannot decode through as the body.

    The body is kept on the answer as httpx's own ``aread`` keeps it, so that ``content`` and
    ``text`` work as after a plain request. A refusal closes the answer (its connection is not
    reused) and is not retried: the server would send the same again.
    """
    encoding = response.headers.get("Content-Encoding")
    problem = coding_problem(encoding) if encoding is not None else None
    if problem is not None:
        await response.aclose()
        raise unretried(invalid(response, method, path, problem))
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise unretried(invalid(response, method, path, f"the answer is larger than {amount(cap)} decoded "
                                                                "(ClientLimits.max_body_bytes)"))
            chunks.append(chunk)
    except httpx.DecodingError:
        await response.aclose()
        raise unretried(invalid(response, method, path, f"the answer's {encoding} encoding is corrupt")) from None
    except BaseException:
        await response.aclose()
        raise
    response._content = b"".join(chunks)  # as httpx's aread keeps it


def coding_problem(encoding: str) -> str | None:
    """Why an answer in ``Content-Encoding: encoding`` is refused unread (None: it is read, see :func:`read_body`)."""
    shown = "".join(c if c.isprintable() else "?" for c in encoding[:60])
    if "," in encoding:
        return f"the answer's Content-Encoding stacks codings ({shown})"
    if encoding.strip().lower() not in ("", "identity", *CODINGS):
        return f"the answer's Content-Encoding is {shown}, which was not asked for (Accept-Encoding: {ACCEPT_ENCODING})"
    return None


def unretried(error: ServerError) -> ServerError:
    """``error``, marked so that no retry loop sends the request again for it."""
    error.retries_exhausted = True
    return error


def amount(size: int) -> str:
    """A byte count in words: whole MiB as such (``64 MiB``), bytes otherwise."""
    return f"{size // MIB} MiB" if size % MIB == 0 else f"{size} bytes"


def unlinked(response: httpx.Response) -> httpx.Response:
    """``response`` with its read, closed stream let go; the same response, for chaining.

    Why: httpx's client wraps each answer's stream in one that points back at the answer
    (``BoundAsyncStream``, for ``elapsed``), a reference cycle that only the cyclic GC frees,
    and it is paused while a listing is built (:mod:`reconciler.app.memory`): every page's
    body, a quarter of the size of the decoded listing, stayed in memory until the whole
    listing was read. Once the body is read and the stream closed, nothing reads the stream
    again (``content`` is kept on the answer), so an empty one takes its place.
    """
    if response.is_closed and response.is_stream_consumed:
        response.stream = _READ
    return response


_READ = httpx.ByteStream(b"")


def parsed_json(response: httpx.Response) -> Any:
    """The answer's JSON, or None if it has none (not JSON, not text, too deep): for error bodies."""
    try:
        return loads_bounded(response.text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def json_answer(response: httpx.Response, method: str, path: str) -> Any:
    """The answer's JSON value, whatever it is; not JSON is the server's fault (a proxy page, a cut body)."""
    try:
        return loads_answer(unlinked(response))
    except TooDeep as exc:
        raise invalid(response, method, path, str(exc)) from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise invalid(response, method, path, "the answer is not JSON") from None


def json_object(response: httpx.Response, method: str, path: str) -> dict[str, Any]:
    """The answer's JSON object; anything else is the server's fault (a proxy page, a cut body)."""
    data = json_answer(response, method, path)
    if not isinstance(data, dict):
        raise invalid(response, method, path, f"the answer is {describe(data)}, not a JSON object")
    return data


def check_identity(
    obj: dict[str, Any],
    response: httpx.Response,
    method: str,
    path: str,
    *,
    where: str,
    named: bool = True,
    name_field: str = "name",
    revision_field: str | None = None,
) -> None:
    """Refuse an object without a usable ``id`` (later written to ``{collection}/{id}``) or a string ``name``."""
    problem = identity_problem(obj, named=named, name_field=name_field, revision_field=revision_field)
    if problem is not None:
        raise invalid(response, method, path, where + problem)


def identity_problem(
    obj: dict[str, Any], *, named: bool = True, name_field: str = "name", revision_field: str | None = None
) -> str | None:
    """What :func:`check_identity` refuses ``obj`` for, worded to follow where it is (``None``: nothing).

    Apart so that a listing checks thousands of entities without wording a place for each.
    ``revision_field`` (the kind's ``version`` or ``dateModified``) must be an integer or a
    string if present (``Revision``): a ``NaN``, ``1e308`` or an object there crashed the plan
    with a pydantic traceback, and is what the stale check and the audit trail record.
    """
    object_id = obj.get("id")
    if not isinstance(object_id, str) or not object_id.strip():
        shown = "no id" if object_id is None else f"an id that is {describe(object_id)}"
        shown = "an empty id" if isinstance(object_id, str) else shown
        return f" has {shown}"
    # The id is quoted into the path (Kind.item_path), but "." and ".." would still walk out of it.
    if object_id.strip() in (".", "..") or not object_id.isprintable():
        return f" has an id that cannot name one object ({object_id!r})"
    name = obj.get(name_field)
    if named and not isinstance(name, str):
        shown = f"no {name_field}" if name is None else f"a {name_field} that is {describe(name)}"
        return f" ({object_id}) has {shown}"
    if revision_field is not None:
        revision = obj.get(revision_field)
        if revision is not None and type(revision) is not int and type(revision) is not str:
            shown = "a number that is not an integer" if type(revision) is float else describe(revision)
            return f" ({object_id}) has a {revision_field} that is {shown}"
    return None


def invalid(response: httpx.Response, method: str, path: str, message: str) -> ServerError:
    """The error for an answer that breaks the API's contract (code ``invalid.response``)."""
    return ServerError(
        response.status_code, "invalid.response", message,
        method=method, path=path, correlation_id=correlation_id(response),
    )  # fmt: skip


def describe(value: Any) -> str:
    """A JSON value's type in words, for messages (never the value: it may be anything)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
