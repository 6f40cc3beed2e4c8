"""TtsSettings: the org's text-to-speech settings, a singleton of the real Genesys Cloud API.

Bound to ``/api/v2/integrations/speech/tts/settings`` (SDK models ``TtsSettings`` and
``LanguageOverride``). There is exactly one per org: it is read with ``GET`` and
replaced with ``PUT`` on that path, never created or deleted; it has no id, no name
and no version, so manifests call it ``TtsSettings/org``. A manifest that leaves
``languageOverrides`` out does not manage them: the ``PUT`` sends the live ones back.

Engines and voices are the org's reference data: which exist, and which languages an
engine speaks, is checked against ``GET /api/v2/integrations/speech/tts/engines``
(with its voices) at plan time, before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field

from reconciler.kinds.conventions import LiveCheck, Permissions, ReferenceRead, Singleton
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel

COLLECTION = "/api/v2/integrations/speech/tts/settings"
ENGINES = "/api/v2/integrations/speech/tts/engines"
LANGUAGE_PATTERN = r"^[a-z]{2,3}-[A-Z]{2}$"
SINGLETON_NAME = "org"


class LanguageOverride(SpecModel):
    """The engine (and voice) to use for one language instead of the default engine."""

    language: str = Field(pattern=LANGUAGE_PATTERN, description="Language code, e.g. en-US.")
    engine: str = Field(min_length=1, description="Id of the TTS engine for this language.")
    # Required: the API refuses an override without a voice (a 400 on a real org), though the
    # SDK's ``LanguageOverride`` model marks no field required.
    voice: str = Field(min_length=1, description="Id of a voice of that engine for this language.")


class TtsSettingsSpec(SpecModel):
    """The org's TTS settings (SDK model ``TtsSettings``)."""

    defaultEngine: str = Field(min_length=1, description="Id of the org's default TTS engine.")
    languageOverrides: list[LanguageOverride] | None = Field(
        None,
        max_length=100,
        description="Per-language overrides; one per language. Absent: not managed, the org's overrides stay "
        "as they are; [] removes them all.",
    )


def _one_override_per_language(spec: TtsSettingsSpec) -> Iterator[FieldIssue]:
    seen: dict[str, int] = {}
    for i, override in enumerate(spec.languageOverrides or ()):
        key = override.language.casefold()
        if key in seen:
            yield FieldIssue(
                ("languageOverrides", i, "language"),
                f"{override.language!r} is already overridden by languageOverrides[{seen[key]}]",
            )
        seen.setdefault(key, i)


def engines_and_voices(spec: TtsSettingsSpec, context: Mapping[str, list[dict[str, Any]]]) -> Iterator[FieldIssue]:
    """Engines exist, speak the overridden language, and offer the voice named for it."""
    engines = {str(e.get("id")): e for e in context.get("engines", [])}
    known = ", ".join(sorted(engines)) or "none"
    if spec.defaultEngine not in engines:
        yield FieldIssue(("defaultEngine",), f"no TTS engine {spec.defaultEngine!r} in this org (engines: {known})")
    for i, override in enumerate(spec.languageOverrides or ()):
        engine = engines.get(override.engine)
        if engine is None:
            yield FieldIssue(
                ("languageOverrides", i, "engine"), f"no TTS engine {override.engine!r} in this org (engines: {known})"
            )
            continue
        languages = [str(lang) for lang in engine.get("languages") or []]
        if override.language not in languages:
            yield FieldIssue(
                ("languageOverrides", i, "language"),
                f"engine {override.engine!r} does not speak {override.language} "
                f"(it speaks {', '.join(languages) or 'nothing'})",
            )
        voices = [v for v in engine.get("voices") or [] if v.get("language") == override.language]
        if override.voice not in {str(v.get("id")) for v in voices}:
            offered = ", ".join(sorted(str(v.get("id")) for v in voices)) or "none"
            yield FieldIssue(
                ("languageOverrides", i, "voice"),
                f"engine {override.engine!r} has no voice {override.voice!r} for {override.language} "
                f"(voices: {offered})",
            )


KIND = Kind(
    name="TtsSettings",
    spec_model=TtsSettingsSpec,
    collection=COLLECTION,
    read_scope="integrations:readonly",
    write_scope="integrations",
    # SDK api docs (PureCloudPlatformClientV2, "Requires ANY permissions")
    permissions=Permissions(read=("integrations:integration:view",), write=("integrations:integration:edit",)),
    description="The org's text-to-speech settings, a singleton named 'org' (real Genesys Cloud API).",
    unordered=("languageOverrides",),
    # the settings are one object replaced whole by PUT (SDK ``IntegrationsApi.put_integrations_speech_tts_settings``,
    # body ``TtsSettings``): overrides left out of a manifest were sent as [] and wiped the ones set in the UI or
    # by another tool; absent is not empty (an update sends the live overrides back). CX as Code has no resource
    # for these settings, so this follows its Optional+Computed fields elsewhere.
    unmanaged_when_absent=("languageOverrides",),
    checks=(_one_override_per_language,),
    source="platform",
    singleton=Singleton(name=SINGLETON_NAME, initial={"defaultEngine": "amazon-polly", "languageOverrides": []}),
    versioned=False,
    revision_field=None,
    # No version on the platform: a digest of the settings read at plan is compared with
    # the settings read just before the write, so a change made in between is stale.
    revision_from_content=True,
    server_managed=frozenset(),
    live_checks=(
        LiveCheck(
            description="TTS engines and voices exist in the org",
            reads=(
                ReferenceRead(
                    key="engines",
                    path=ENGINES,
                    scope="integrations:readonly",
                    params={"includeVoices": "true"},
                    permissions=("integrations:integration:view",),
                ),
            ),
            check=engines_and_voices,
        ),
    ),
)
