"""VoiceProfile: a TTS voice with pitch, rate and volume (contract section VoiceProfile, seed 000)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, PlainValidator, StrictBool, StrictFloat, StrictInt, StrictStr

from reconciler.kinds.conventions import Permissions, PostWriteHook
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel, type_name

Language = Literal["en-US", "en-GB", "es-ES", "fr-FR", "de-DE", "ja-JP", "pt-BR"]
LANGUAGES: tuple[str, ...] = Language.__args__  # type: ignore[attr-defined]

#: voice prefix -> the engine that serves it
ENGINE_BY_PREFIX = {"polly-": "amazon_polly", "azure-": "azure_tts", "google-": "google_tts"}



def _param_value(value: Any) -> bool | int | float | str:
    """One check for a customParams value, so a bad one yields one issue at
    ``customParams.<key>`` rather than one per member of a union (``customParams.k.bool``…)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"expected a string, number or boolean, got {type_name(value)}")


ParamValue = Annotated[
    StrictBool | StrictInt | StrictFloat | StrictStr,
    PlainValidator(_param_value, json_schema_input_type=StrictBool | StrictInt | StrictFloat | StrictStr),
]


class VoiceProfileSpec(SpecModel):
    """A text-to-speech voice used by IVR prompts."""

    language: Language = Field(description="Language of the voice.")
    voice: str = Field(
        pattern=r"^(polly-|azure-|google-)",
        description="Voice id; starts with polly-, azure- or google-, matching the engine.",
        min_length=1,
    )
    engine: Literal["amazon_polly", "azure_tts", "google_tts"] = Field(
        description=(
            "TTS engine; must serve the voice's prefix (polly- amazon_polly, azure- azure_tts, google- google_tts)."
        )
    )
    pitch: float = Field(0.0, ge=-10.0, le=10.0, description="Pitch shift, -10.0 to 10.0.")
    rate: float = Field(1.0, ge=0.25, le=4.0, description="Speaking rate, 0.25 to 4.0.")
    volume: float = Field(1.0, ge=0.0, le=2.0, description="Volume, 0.0 to 2.0.")
    customParams: dict[str, ParamValue] = Field(
        default_factory=dict,
        max_length=5,
        description="Engine-specific parameters: at most 5 keys; values are strings, numbers or booleans.",
    )


def _engine_matches_voice(spec: VoiceProfileSpec) -> Iterator[FieldIssue]:
    for prefix, engine in ENGINE_BY_PREFIX.items():
        if spec.voice.startswith(prefix) and spec.engine != engine:
            yield FieldIssue(
                ("engine",), f"{spec.engine!r} cannot serve voice {spec.voice!r}: {prefix} voices need {engine!r}"
            )


KIND = Kind(
    name="VoiceProfile",
    spec_model=VoiceProfileSpec,
    collection="/api/v2/voice/profiles",
    read_scope="voice:read",
    write_scope="voice:write",
    # the seed contract names no permissions: the platform's domain:entity:action pattern for its scopes
    permissions=Permissions.crud("voice:profile"),
    description="A text-to-speech voice profile.",
    checks=(_engine_matches_voice,),
    after_write=PostWriteHook(
        method="POST",
        path="/api/v2/tts/settings/refresh",
        scope="tts:write",
        permissions=("tts:cache:edit",),
        description="refresh the TTS cache",
    ),
)
