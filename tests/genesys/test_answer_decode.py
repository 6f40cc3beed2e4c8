"""Answers decoded by pydantic's decoder give what ``json.loads`` of their text gave, refusals included."""

from __future__ import annotations

import gc
import json
import weakref
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.app.live import UNREAD_SERVER_FIELDS, unread_fields
from reconciler.core.errors import ServerError
from reconciler.core.http import CORRELATION_HEADER
from reconciler.genesys.answers import json_object, loads_answer, loads_bounded
from reconciler.kinds import KINDS

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**80), max_value=10**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()  # lone surrogates included: escaped by json.dumps
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=25,
)


def _outcome(decode: Any, response: httpx.Response) -> str:
    """A value or a refusal, in a form where NaN equals NaN and 1 differs from 1.0."""
    try:
        return "value " + repr(decode(response))
    except (ValueError, RecursionError) as exc:
        return f"refused {type(exc).__name__}"


def _same_as_json_loads(body: bytes, headers: dict[str, str] | None = None) -> None:
    response = httpx.Response(200, content=body, headers=headers)
    assert _outcome(loads_answer, response) == _outcome(lambda r: loads_bounded(r.text), response)


@settings(max_examples=300, deadline=None)
@given(_VALUES, st.booleans())
def test_values_are_those_of_json_loads(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    _same_as_json_loads(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='{}[]",:0123456789.eE+-\\u dNaIfinytrlsx\x00\t\ud800é', max_size=24))
def test_any_text_gives_the_same_value_or_refusal(text: str) -> None:
    _same_as_json_loads(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "body",
    [
        b'{"a": 1, "a": 2}',  # the last duplicate wins
        b"[NaN, Infinity, -Infinity, 1e400, -0.0, 0.1]",
        b"1" * 4300,  # the longest integer json.loads accepts
        b"1" * 4301,  # and one digit more, refused by both
        b'"\\ud800"',  # a lone surrogate escape: pydantic refuses, json.loads keeps it
        b'"\\udc00\\ud800"',
        b'"\xff"',  # not UTF-8: the text has a replacement character
        b'\xef\xbb\xbf{"a": 1}',  # a byte order mark: refused, as json.loads of the text refuses it
        b"[" * 300 + b"]" * 300,  # past pydantic's own nesting limit
        b"",
        b"{} x",
    ],
)
def test_edge_cases_decode_as_before(body: bytes) -> None:
    _same_as_json_loads(body)


def test_a_declared_charset_other_than_utf8_is_decoded_as_before() -> None:
    _same_as_json_loads('{"name": "café"}'.encode("latin-1"), {"Content-Type": "application/json; charset=latin-1"})


@pytest.mark.parametrize("body", [b"<html>proxy</html>", b'"\\ud800', b"[" * 100 + b"]" * 100])
def test_a_bad_body_is_refused_with_the_same_message(body: bytes) -> None:
    response = httpx.Response(502, content=body, headers={CORRELATION_HEADER: "corr-1"})
    with pytest.raises(ServerError) as caught:
        json_object(response, "GET", "/api/v2/x")
    error = caught.value
    assert (error.status, error.code, error.correlation_id) == (502, "invalid.response", "corr-1")
    try:
        data = loads_bounded(response.text)
        expected = "not a JSON object" if not isinstance(data, dict) else ""
    except ValueError as exc:
        expected = str(exc) if "nests deeper" in str(exc) else "the answer is not JSON"
    assert expected in str(error)


@pytest.mark.anyio
async def test_a_read_answer_is_freed_without_the_cyclic_gc() -> None:
    """httpx's client links an answer's stream back to the answer: once read, the body must not wait for the GC."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"entities": [{"id": "1"}]}))
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            response = await client.get("/api/v2/x")
            assert json_object(response, "GET", "/api/v2/x") == {"entities": [{"id": "1"}]}
            gone = weakref.ref(response)
            del response
            assert gone() is None
    finally:
        if was_enabled:
            gc.enable()


def test_fields_dropped_from_live_objects_are_server_fields_no_one_reads() -> None:
    for kind in KINDS:
        dropped = set(unread_fields(kind))
        assert dropped <= set(UNREAD_SERVER_FIELDS) & kind.server_managed
        assert not dropped & {"id", "version", kind.revision_field, kind.name_field, *kind.unmanaged_when_absent}


def test_a_lone_surrogate_escape_becomes_the_replacement_character() -> None:
    """A name listed as ``"VP \\ud800"`` reached the outputs as half a surrogate pair, which UTF-8 cannot encode:
    plan and drift (text, JSON, Markdown) ended in a UnicodeEncodeError traceback."""
    body = b'{"entities": [{"name": "VP \\ud800 x", "\\udc00key": ["\\ud83d\\ude00", "\\ude00\\ud83d"]}]}'
    expected = {"entities": [{"name": "VP \ufffd x", "\ufffdkey": ["\U0001f600", "\ufffd\ufffd"]}]}
    assert loads_bounded(body.decode()) == expected
    assert loads_answer(httpx.Response(200, content=body)) == expected
    json.dumps(expected, ensure_ascii=False).encode("utf-8")  # every string can be written
