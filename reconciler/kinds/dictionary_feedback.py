"""DictionaryFeedback: a term taught to speech-and-text-analytics transcription (real Genesys Cloud API).

Bound to ``/api/v2/speechandtextanalytics/dictionaryfeedback``; the fields are those of
the official SDK's ``DictionaryFeedback`` and ``DictionaryFeedbackExamplePhrase``
(``PureCloudPlatformClientV2``); the limits are those CX as Code's
``genesyscloud_speechandtextanalytics_dictionaryfeedback`` states (boost 1.0 to 10.0,
default 2; 3 to 20 unique example phrases; at most 10 sounds-like terms). What the
platform does, said as data below:

* dictionary feedback has no ``name``: its identity is its ``term`` (CX as Code labels an
  exported feedback by its term), so ``metadata.name`` is the term (``name_field``);
* the listing (``DictionaryFeedbackEntityListing`` of ``ListedDictionaryFeedback``) leaves
  out ``examplePhrases`` and ``soundsLike``, is paged by the ``nextPage`` cursor, 500 a
  page by default, and has no term filter (``get_speechandtextanalytics_dictionaryfeedback``);
* ``status``, ``invalidReason`` and ``displayAs`` are the server's; there is no
  ``version``: ``dateModified`` is the revision, updates are ``PUT`` s;
* ``transcriptionEngine`` is "Only returned when GenesysExtended feature is enabled" (SDK
  ``DictionaryFeedback.transcription_engine``): an org without that feature reads the
  feedback without it, so a read lacking it is not a difference (``shown_with_feature``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import Field, field_validator

from reconciler.kinds.conventions import Audited, Listing, Permissions
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel
from reconciler.kinds.speech_topic import DIALECT_PATTERN

COLLECTION = "/api/v2/speechandtextanalytics/dictionaryfeedback"


class ExamplePhrase(SpecModel):
    """A phrase that uses the term (SDK model ``DictionaryFeedbackExamplePhrase``)."""

    phrase: str = Field(min_length=1, description="The example phrase, 3 to 20 words.")
    source: Literal["Manual"] = Field("Manual", description="Where the phrase came from (Manual).")

    @field_validator("phrase")
    @classmethod
    def _three_to_twenty_words(cls, value: str) -> str:
        """SDK ``DictionaryFeedbackExamplePhrase.phrase``: "At least 3 words and up to 20 words"; CX as Code
        refuses fewer than 3 before writing (``validateExamplePhrases``), so the platform's late 400 comes here."""
        words = len(value.split())
        if not 3 <= words <= 20:
            raise ValueError(f"has {words} word{'s' if words != 1 else ''}; an example phrase has 3 to 20 words")
        return value


class DictionaryFeedbackSpec(SpecModel):
    """Dictionary feedback (SDK model ``DictionaryFeedback``, its writable fields; ``term`` is metadata.name)."""

    dialect: str = Field(pattern=DIALECT_PATTERN, description="Dialect of the term, e.g. en-US.")
    boostValue: float = Field(2.0, ge=1.0, le=10.0, description="How strongly the term is preferred, 1.0 to 10.0.")
    source: Literal["Manual"] = Field("Manual", description="Where the feedback came from (Manual).")
    transcriptionEngine: Literal["Genesys", "GenesysExtended"] | None = Field(
        None,
        description="The transcription engine the term is for; absent: the platform's choice. Reads show it only "
        "where the org has the GenesysExtended feature.",
    )
    examplePhrases: list[ExamplePhrase] = Field(
        min_length=3, max_length=20, description="3 to 20 unique phrases that use the term."
    )
    soundsLike: list[str] = Field(
        default_factory=list, max_length=10, description="Up to 10 terms it sounds like (the Genesys engine only)."
    )


def _unique(spec: DictionaryFeedbackSpec) -> Iterator[FieldIssue]:
    seen: dict[str, int] = {}
    for i, example in enumerate(spec.examplePhrases):
        key = example.phrase.casefold()
        if key in seen:
            yield FieldIssue(("examplePhrases", i, "phrase"), f"duplicates examplePhrases[{seen[key]}]")
        seen.setdefault(key, i)
    if len(set(spec.soundsLike)) != len(spec.soundsLike):
        yield FieldIssue(("soundsLike",), "items must be unique")


def _sounds_like_engine(spec: DictionaryFeedbackSpec) -> Iterator[FieldIssue]:
    """SDK ``DictionaryFeedback.sounds_like`` (PureCloudPlatformClientV2 269): "A list of up to 10 terms that
    give examples of how the term sounds. This field is only valid for Genesys transcription engine": sent with
    GenesysExtended, the platform refuses it at write, after whatever the apply wrote before."""
    if spec.soundsLike and spec.transcriptionEngine == "GenesysExtended":
        yield FieldIssue(
            ("soundsLike",),
            "is only valid for the Genesys transcription engine, not GenesysExtended (leave it out or empty)",
        )


KIND = Kind(
    name="DictionaryFeedback",
    spec_model=DictionaryFeedbackSpec,
    collection=COLLECTION,
    read_scope="speech-and-text-analytics:readonly",
    write_scope="speech-and-text-analytics",
    # SDK api docs (SpeechTextAnalyticsApi.md, every dictionaryfeedback operation: "Requires ALL permissions"):
    # speechAndTextAnalytics:dictionaryterm:view (GET), :add (POST), :edit (PUT), :delete (DELETE); the
    # Genesys Cloud CLI names the same. The entity is "dictionaryterm", not the endpoint's "dictionaryfeedback".
    permissions=Permissions.crud("speechAndTextAnalytics:dictionaryterm"),
    description="A term taught to speech-and-text-analytics transcription, named by its term (real Genesys Cloud API).",
    unordered=("examplePhrases", "soundsLike"),
    checks=(_unique, _sounds_like_engine),
    source="platform",
    listing=Listing(
        style="cursor",
        cursor_param="nextPage",
        envelope=("entities", "pageSize", "pageCount", "total", "selfUri", "nextUri"),
        name_filter=None,
        page_size_default=500,
        page_size_max=500,
        omitted=("examplePhrases", "soundsLike"),
        unsupported_params=("dialect", "transcriptionEngine"),
    ),
    versioned=False,
    revision_field="dateModified",
    server_managed=frozenset(
        {
            "id",
            "dateCreated",
            "createdBy",
            "dateModified",
            "modifiedBy",
            "status",
            "invalidReason",
            "displayAs",
            "selfUri",
        }
    ),
    name_field="term",
    # SDK DictionaryFeedback.transcription_engine (PureCloudPlatformClientV2 269): "The transcription engine for the
    # dictionary feedback. Only returned when GenesysExtended feature is enabled"
    shown_with_feature={"transcriptionEngine": "GenesysExtended"},
    # a term belongs to its dialect's vocabulary (SDK get_speechandtextanalytics_dictionaryfeedback: a ``dialect``
    # filter, "organizations may store up to 1000 dictionary terms per dialect"), so one term may be taught in
    # several dialects: a term found by name in another dialect is not taken for the declared one (as topics)
    name_scoped_by=("dialect",),
    audit=Audited("SpeechAndTextAnalytics", "DictionaryFeedback"),
)
