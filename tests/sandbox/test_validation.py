"""Server-side validation: every rule of each kind answers 400 bad.request naming the field.

Each case is (body change, fieldName expected). ``...`` removes a field. The same rules
are checked on create and on update, and the boundaries themselves are accepted.
"""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_data import assert_error, fields, valid

from reconciler.kinds import REGISTRY

pytestmark = pytest.mark.anyio

P = {"phrase": "hello there"}


def phrases(*texts: str, match: str = "exact") -> list[dict[str, Any]]:
    return [{"phrase": t, "matchType": match} for t in texts]


def events(*names: str) -> list[dict[str, Any]]:
    return [{"event": n} for n in names]


COMMON: list[tuple[str, dict[str, Any], str]] = [
    ("name-missing", {"name": ...}, "name"),
    ("name-empty", {"name": ""}, "name"),
    ("name-blank", {"name": "   "}, "name"),
    ("name-too-long", {"name": "n" * 201}, "name"),
    ("name-not-string", {"name": 7}, "name"),
    ("unknown-field", {"colour": "blue"}, "colour"),
]

RULES: dict[str, list[tuple[str, dict[str, Any], str]]] = {
    "VoiceProfile": [
        ("language-missing", {"language": ...}, "language"),
        ("language-unknown", {"language": "en-AU"}, "language"),
        ("voice-missing", {"voice": ...}, "voice"),
        ("voice-bad-prefix", {"voice": "ivona-joanna"}, "voice"),
        ("voice-not-string", {"voice": 3}, "voice"),
        ("engine-missing", {"engine": ...}, "engine"),
        ("engine-unknown", {"engine": "espeak"}, "engine"),
        ("engine-mismatch-polly", {"voice": "polly-joanna", "engine": "azure_tts"}, "engine"),
        ("engine-mismatch-azure", {"voice": "azure-jenny", "engine": "google_tts"}, "engine"),
        ("engine-mismatch-google", {"voice": "google-wavenet", "engine": "amazon_polly"}, "engine"),
        ("pitch-below", {"pitch": -10.01}, "pitch"),
        ("pitch-above", {"pitch": 10.01}, "pitch"),
        ("pitch-not-number", {"pitch": "high"}, "pitch"),
        ("pitch-boolean", {"pitch": True}, "pitch"),
        ("rate-below", {"rate": 0.24}, "rate"),
        ("rate-above", {"rate": 4.01}, "rate"),
        ("volume-below", {"volume": -0.01}, "volume"),
        ("volume-above", {"volume": 2.01}, "volume"),
        ("custom-params-too-many", {"customParams": {f"k{i}": i for i in range(6)}}, "customParams"),
        ("custom-params-list-value", {"customParams": {"k": [1]}}, "customParams.k"),
        ("custom-params-object-value", {"customParams": {"k": {"a": 1}}}, "customParams.k"),
        ("custom-params-null-value", {"customParams": {"k": None}}, "customParams.k"),
        ("custom-params-not-object", {"customParams": ["a"]}, "customParams"),
    ],
    "SpeechRule": [
        ("description-too-long", {"description": "d" * 1001}, "description"),
        ("enabled-not-boolean", {"enabled": "yes"}, "enabled"),
        ("language-unknown", {"language": "xx-XX"}, "language"),
        ("phrases-missing", {"phrases": ...}, "phrases"),
        ("phrases-empty", {"phrases": []}, "phrases"),
        ("phrases-too-many",
         {"phrases": phrases(*(f"phrase number {i:03d}x" for i in range(101)), match="fuzzy")}, "phrases"),
        ("phrase-empty", {"phrases": [{"phrase": ""}]}, "phrases[0].phrase"),
        ("phrase-too-long", {"phrases": [{"phrase": "p" * 501}]}, "phrases[0].phrase"),
        ("phrase-missing-text", {"phrases": [{"matchType": "fuzzy"}]}, "phrases[0].phrase"),
        ("phrase-match-type", {"phrases": [{"phrase": "hi", "matchType": "glob"}]}, "phrases[0].matchType"),
        ("phrase-case-sensitive-type", {"phrases": [{"phrase": "hi", "caseSensitive": "no"}]},
         "phrases[0].caseSensitive"),
        ("phrase-enabled-type", {"phrases": [{"phrase": "hi", "enabled": 1}]}, "phrases[0].enabled"),
        ("phrase-unknown-field", {"phrases": [{"phrase": "hi", "weight": 2}]}, "phrases[0].weight"),
        ("phrase-regex-invalid", {"phrases": [P, {"phrase": "([a-z", "matchType": "regex"}]}, "phrases[1].phrase"),
        ("phrase-duplicate-case-insensitive", {"phrases": phrases("Cancel order", "cancel ORDER", match="fuzzy")},
         "phrases[1].phrase"),
        ("phrase-exact-contains-exact", {"phrases": phrases("cancel", "please cancel now")}, "phrases[1].phrase"),
        ("phrase-exact-contained-case-insensitive", {"phrases": phrases("PLEASE CANCEL NOW", "cancel")},
         "phrases[1].phrase"),
        ("scoring-too-many", {"scoring": [{"type": "additive", "value": 0.1}] * 21}, "scoring"),
        ("scoring-type-missing", {"scoring": [{"value": 0.1}]}, "scoring[0].type"),
        ("scoring-type-unknown", {"scoring": [{"type": "subtractive", "value": 0.1}]}, "scoring[0].type"),
        ("scoring-value-missing", {"scoring": [{"type": "additive"}]}, "scoring[0].value"),
        ("scoring-value-below", {"scoring": [{"type": "additive", "value": -1.01}]}, "scoring[0].value"),
        ("scoring-value-above", {"scoring": [{"type": "multiplicative", "value": 1.01}]}, "scoring[0].value"),
        ("scoring-condition", {"scoring": [{"type": "additive", "value": 0.1, "condition": "maybe"}]},
         "scoring[0].condition"),
        ("tags-too-many", {"tags": [f"t{i}" for i in range(51)]}, "tags"),
        ("tag-empty", {"tags": [""]}, "tags[0]"),
        ("tag-too-long", {"tags": ["ok", "t" * 51]}, "tags[1]"),
        ("tag-duplicate", {"tags": ["billing", "billing"]}, "tags[1]"),
        ("tag-not-string", {"tags": [5]}, "tags[0]"),
    ],
    "Webhook": [
        ("description-too-long", {"description": "d" * 1001}, "description"),
        ("enabled-not-boolean", {"enabled": "true"}, "enabled"),
        ("url-missing", {"requestUrl": ...}, "requestUrl"),
        ("url-http", {"requestUrl": "http://hooks.example.com/x"}, "requestUrl"),
        ("url-relative", {"requestUrl": "/hooks/x"}, "requestUrl"),
        ("url-no-host", {"requestUrl": "https://"}, "requestUrl"),
        ("url-other-scheme", {"requestUrl": "ftp://hooks.example.com"}, "requestUrl"),
        ("method-get", {"method": "GET"}, "method"),
        ("method-lowercase", {"method": "post"}, "method"),
        ("headers-too-many", {"headers": {f"X-H{i}": "v" for i in range(21)}}, "headers"),
        ("headers-authorization", {"headers": {"Authorization": "Bearer x"}}, "headers.Authorization"),
        ("headers-authorization-any-case", {"headers": {"authorization": "x"}}, "headers.authorization"),
        ("headers-value-not-string", {"headers": {"X-Count": 3}}, "headers.X-Count"),
        ("event-filters-missing", {"eventFilters": ...}, "eventFilters"),
        ("event-filters-empty", {"eventFilters": []}, "eventFilters"),
        ("event-filters-too-many",
         {"eventFilters": [{"event": "rules.updated", "filter": f"ruleId eq {i}"} for i in range(21)]},
         "eventFilters"),
        ("event-filters-duplicate", {"eventFilters": events("rules.updated", "rules.deleted", "rules.updated")},
         "eventFilters[2]"),
        ("event-unknown", {"eventFilters": events("rules.created")}, "eventFilters[0].event"),
        ("event-missing", {"eventFilters": [{"filter": "x"}]}, "eventFilters[0].event"),
        ("event-filter-not-string", {"eventFilters": [{"event": "rules.updated", "filter": 3}]},
         "eventFilters[0].filter"),
        ("auth-scheme-unknown", {"authScheme": "digest"}, "authScheme"),
        ("basic-needs-username", {"authScheme": "basic", "authSecret": "pw"}, "authUsername"),
        ("basic-needs-secret", {"authScheme": "basic", "authUsername": "u"}, "authSecret"),
        ("bearer-needs-secret", {"authScheme": "bearer"}, "authSecret"),
        ("secret-not-with-none", {"authScheme": "none", "authSecret": "t"}, "authSecret"),
        ("secret-empty", {"authScheme": "bearer", "authSecret": ""}, "authSecret"),
        ("username-empty", {"authScheme": "basic", "authUsername": "", "authSecret": "pw"}, "authUsername"),
    ],
}

CASES = [
    pytest.param(kind, change, field, id=f"{kind}-{case}")
    for kind, rules in RULES.items()
    for case, change, field in [*COMMON, *rules]
]

BOUNDARIES: dict[str, list[dict[str, Any]]] = {
    "VoiceProfile": [
        {"name": "n" * 200},
        {"pitch": -10, "rate": 0.25, "volume": 0},
        {"pitch": 10.0, "rate": 4, "volume": 2.0},
        {"customParams": {"a": 1, "b": 1.5, "c": "x", "d": True, "e": False}},
        {"voice": "azure-jenny", "engine": "azure_tts", "language": "ja-JP"},
        {"voice": "google-wavenet-a", "engine": "google_tts", "language": "pt-BR"},
    ],
    "SpeechRule": [
        {"description": "d" * 1000, "enabled": False, "language": "fr-FR"},
        {"phrases": phrases(*(f"phrase number {i:03d}x" for i in range(100)), match="fuzzy")},
        {"phrases": [{"phrase": "p" * 500, "caseSensitive": True, "enabled": False}]},
        {"phrases": [*phrases("cancel"), *phrases("please cancel now", match="fuzzy")]},
        {"phrases": phrases("^cancel.*$", "cancel", match="regex")},
        {"scoring": [{"type": "additive", "value": -1.0},
                     {"type": "multiplicative", "value": 1, "condition": "fail"}] * 10},
        {"tags": [f"{i:02d}" + "t" * 48 for i in range(50)]},
    ],
    "Webhook": [
        {"description": "d" * 1000, "method": "PUT", "enabled": False},
        {"headers": {f"X-H{i}": "v" for i in range(20)}},
        {"eventFilters": [{"event": "rules.updated", "filter": f"ruleId eq {i}"} for i in range(20)]},
        {"eventFilters": [{"event": e} for e in ("voice.profile.updated", "voice.profile.deleted", "rules.updated",
                                                  "rules.deleted", "conversation:voice:playback")]},
        {"authScheme": "basic", "authUsername": "svc", "authSecret": "pw"},
        {"authScheme": "bearer", "authSecret": "tok"},
        # the contract requires authUsername for basic and forbids it for no scheme
        {"authScheme": "bearer", "authSecret": "tok", "authUsername": "svc"},
        {"authScheme": "none", "authUsername": "svc"},
    ],
}


@pytest.mark.parametrize(("kind_name", "change", "field"), CASES)
class TestRulesAnswer400NamingTheField:
    async def test_on_create(self, api, kind_name: str, change: dict[str, Any], field: str) -> None:
        kind = REGISTRY[kind_name]
        response = await api.post(kind.collection, json=valid(kind, **change))
        assert_error(response, 400, "bad.request", field)
        assert all(d["errorCode"] == "bad.request" for d in response.json()["details"])
        assert field in response.json()["message"]
        assert (await api.get(kind.collection)).json()["total"] == 0

    async def test_on_update(self, api, kind_name: str, change: dict[str, Any], field: str) -> None:
        kind = REGISTRY[kind_name]
        stored = await api.create(kind.collection, valid(kind, name="Original"))
        body = {**valid(kind, **change), "version": stored["version"]}
        response = await api.put(stored["selfUri"], json=body)
        assert_error(response, 400, "bad.request", field)
        assert (await api.get(stored["selfUri"])).json() == stored


@pytest.mark.parametrize(
    ("kind_name", "change"),
    [pytest.param(k, c, id=f"{k}-{i}") for k, cs in BOUNDARIES.items() for i, c in enumerate(cs)],
)
async def test_boundaries_are_accepted(api, kind_name: str, change: dict[str, Any]) -> None:
    kind = REGISTRY[kind_name]
    response = await api.post(kind.collection, json=valid(kind, **change))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("kind_name", list(RULES))
async def test_every_bad_field_is_named_at_once(api, kind_name: str) -> None:
    kind = REGISTRY[kind_name]
    if "description" in kind.spec_fields:
        bad = {"name": "", "description": 5, "colour": 1}
    else:
        bad = {"name": "", "pitch": 99, "colour": 1}
    response = await api.post(kind.collection, json=valid(kind, **bad))
    assert_error(response, 400, "bad.request")
    assert set(fields(response)) == set(bad)


class TestBody:
    @pytest.mark.parametrize(
        "content",
        [b"", b"{not json", b"[1, 2]", b'"text"', b'{"name": NaN}', b"1" * 5000],
        ids=["empty", "malformed", "array", "string", "nan", "huge-integer"],
    )
    async def test_a_body_that_is_not_a_json_object_is_400(self, api, content: bytes) -> None:
        kind = REGISTRY["VoiceProfile"]
        response = await api.post(kind.collection, content=content, headers={"Content-Type": "application/json"})
        assert_error(response, 400, "bad.request", "body")

    async def test_strings_any_client_may_send_are_echoed_safely(self, api) -> None:
        kind = REGISTRY["VoiceProfile"]
        content = (b'{"name": "\\ud800 lone surrogate", "language": "\\udfff", '
                   b'"voice": "polly-x", "engine": "amazon_polly"}')
        response = await api.post(kind.collection, content=content, headers={"Content-Type": "application/json"})
        assert_error(response, 400, "bad.request", "language")
