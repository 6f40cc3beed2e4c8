"""Property: any valid object, applied the way the server stores it, plans as a no-op.

Defaults are omitted at random, numbers written as ints or floats, unordered lists
come back in another order, secrets come back as their flag.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.kinds import REGISTRY
from reconciler.plan.model import Action

from ._support import ENV, applied, desired, plan_of

LANGUAGES = ["en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "ja-JP", "pt-BR"]
VOICES = {"polly-": "amazon_polly", "azure-": "azure_tts", "google-": "google_tts"}
WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=6, max_size=6)


def maybe(draw: st.DrawFn, spec: dict[str, Any], key: str, strategy: st.SearchStrategy[Any]) -> None:
    """Set ``key`` or leave it out (the server then fills its default)."""
    if draw(st.booleans()):
        spec[key] = draw(strategy)


def number(low: float, high: float) -> st.SearchStrategy[float | int]:
    return st.one_of(
        st.floats(min_value=low, max_value=high, allow_nan=False).map(lambda x: round(x, 3)),
        st.integers(min_value=int(low) if low == int(low) else int(low) + 1, max_value=int(high)),
    )


@st.composite
def voice_specs(draw: st.DrawFn) -> dict[str, Any]:
    prefix = draw(st.sampled_from(list(VOICES)))
    spec: dict[str, Any] = {
        "language": draw(st.sampled_from(LANGUAGES)),
        "voice": prefix + draw(WORDS),
        "engine": VOICES[prefix],
    }
    maybe(draw, spec, "pitch", number(-10, 10))
    maybe(draw, spec, "rate", number(0.25, 4))
    maybe(draw, spec, "volume", number(0, 2))
    values = st.one_of(st.booleans(), st.integers(-100, 100), WORDS)
    maybe(draw, spec, "customParams", st.dictionaries(WORDS, values, max_size=5))
    return spec


@st.composite
def rule_specs(draw: st.DrawFn) -> dict[str, Any]:
    texts = draw(st.lists(WORDS, min_size=1, max_size=8, unique=True))
    phrases = []
    for text in texts:
        phrase: dict[str, Any] = {"phrase": text}
        maybe(draw, phrase, "matchType", st.sampled_from(["exact", "fuzzy", "regex"]))
        maybe(draw, phrase, "caseSensitive", st.booleans())
        maybe(draw, phrase, "enabled", st.booleans())
        phrases.append(phrase)
    spec: dict[str, Any] = {"phrases": phrases}
    maybe(draw, spec, "description", WORDS)
    maybe(draw, spec, "enabled", st.booleans())
    maybe(draw, spec, "language", st.sampled_from(LANGUAGES))
    directive = st.fixed_dictionaries(
        {"type": st.sampled_from(["additive", "multiplicative"]), "value": number(-1, 1)},
        optional={"condition": st.sampled_from(["pass", "fail"])},
    )
    maybe(draw, spec, "scoring", st.lists(directive, max_size=5))
    maybe(draw, spec, "tags", st.lists(WORDS, max_size=6, unique=True))
    return spec


@st.composite
def hook_specs(draw: st.DrawFn) -> dict[str, Any]:
    events = ["voice.profile.updated", "voice.profile.deleted", "rules.updated", "rules.deleted"]
    chosen = draw(st.lists(st.sampled_from(events), min_size=1, max_size=4, unique=True))
    spec: dict[str, Any] = {
        "requestUrl": "https://example.com/" + draw(WORDS),
        "eventFilters": [{"event": e} for e in chosen],
    }
    maybe(draw, spec, "method", st.sampled_from(["POST", "PUT"]))
    maybe(draw, spec, "headers", st.dictionaries(WORDS.map(lambda w: "X-" + w), WORDS, max_size=3))
    scheme = draw(st.sampled_from(["none", "basic", "bearer", None]))
    if scheme is not None:
        spec["authScheme"] = scheme
    if scheme in ("basic", "bearer"):
        spec["authSecret"] = "${env:HOOK_TOKEN}"
    if scheme == "basic":
        spec["authUsername"] = draw(WORDS)
    if draw(st.booleans()):
        spec["headers"] = {**spec.get("headers", {}), "X-Team": "${env:TEAM_TOKEN}"}
    return spec


SPECS = {"VoiceProfile": voice_specs(), "SpeechRule": rule_specs(), "Webhook": hook_specs()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(list(SPECS)), data=st.data(), seed=st.integers(0, 1000))
def test_applied_object_is_a_no_op(kind: str, data: st.DataObject, seed: int) -> None:
    spec = data.draw(SPECS[kind])
    model, issues = REGISTRY[kind].validate_spec(spec)
    assert model is not None, issues  # the strategies only make valid objects
    obj = desired(kind, "Generated", spec)
    plan = plan_of([obj], applied([obj], ENV, seed=seed))
    (change,) = plan.changes
    assert change.action == Action.NOOP, change.field_changes
