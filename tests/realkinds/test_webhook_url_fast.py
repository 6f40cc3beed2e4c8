"""The quick test for a plain https URL accepts only what ``urlsplit`` reads as https with a host."""

from __future__ import annotations

from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.kinds import REGISTRY

_PIECES = st.sampled_from(["https://", "http://", "HTTPS://", "a", "b.c", "-", ".", ":", "443", "/", "?", "#", "[", "]",
                           "@", " ", "\t", "\n", "x.example.com", "é", "%", "::1", "\u3002"])


def _issues(url: str) -> list[str]:
    kind = REGISTRY["Webhook"]
    spec = {"requestUrl": url, "eventFilters": [{"event": "voice.profile.deleted"}]}
    return [i.message for i in kind.validate_spec(spec)[1] if i.loc == ("requestUrl",)]


def _old(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme == "https" and bool(parts.hostname)
    except ValueError:
        return False


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=6).map("".join), st.sampled_from(["https://", ""]))
def test_url_rule_agrees_with_urlsplit(tail: str, head: str) -> None:
    url = head + tail
    if not url.startswith("https://"):
        return  # the model's own pattern refuses it first
    assert (not _issues(url)) == _old(url)


def test_the_rule_still_speaks() -> None:
    assert _issues("https://hooks.example.com/x") == []
    assert _issues("https://") == ["'https://' is not an absolute https:// URL"]
    assert _issues("https://[::1/x") == ["'https://[::1/x' is not an absolute https:// URL"]
