"""ArchitectUserPrompt: an Architect user prompt of the real Genesys Cloud Platform API.

Bound to ``/api/v2/architect/prompts``; the writable fields are those of the official
SDK's ``Prompt`` model (``PureCloudPlatformClientV2``: ``name``, ``description``), as
``ArchitectApi.post_architect_prompts``/``put_architect_prompt`` send it. What the
platform does, said as data below:

* ``resources`` (``PromptAsset``: ``language``, ``ttsString``, ``text``, audio) is shown
  by reads (with ``includeResources=true``, ``get_architect_prompts``) but written through a
  collection of its own, ``/prompts/{id}/resources``: ``post_architect_prompt_resources``
  (``PromptAssetCreate``), ``put_architect_prompt_resource`` and
  ``delete_architect_prompt_resource`` by language, after the prompt, as CX as Code's
  ``genesyscloud_architect_user_prompt`` manages ``resources`` (a set keyed by language).
  Convention :class:`~reconciler.kinds.conventions.ChildCollection`; a manifest without
  ``resources`` leaves the live ones alone (``unmanaged_when_absent``). Audio uploads are
  not managed;
* the listing (``PromptEntityListing``) is paged by ``pageNumber`` with a ``name``
  filter (``get_architect_prompts``);
* a delete sends ``allResources=true``, as CX as Code's does, so that the prompt's resources
  go with it (``delete_architect_prompt``'s ``all_resources``);
* prompts carry no ``version`` and no dates: updates are plain ``PUT`` s and a saved
  plan has no revision to check (``Prompt`` has neither).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from reconciler.kinds.conventions import PAGE_ENVELOPE, Audited, ChildCollection, Listing, Permissions
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import SpecModel, without_shown

COLLECTION = "/api/v2/architect/prompts"


#: the fields a resource write sends (``PromptAssetCreate``/``PromptAsset``: language, TTS string, text)
RESOURCE_FIELDS = ("language", "ttsString", "text")
#: what reads show of a resource besides those (SDK ``PromptAsset``): the server's, and audio (not managed)
RESOURCE_SHOWN = (
    "id", "name", "promptId", "mediaUri", "audioFormat", "uploadStatus", "uploadUri", "languageDefault", "tags",
    "durationSeconds", "selfUri",
)
#: a language tag as the platform names prompt languages (``en-us``, ``fr-ca``, ``es``): lower case, as CX
#: as Code accepts them (``validation.StringInSlice(architectlanguages.Languages, false)``, a case-sensitive
#: list of lower-case tags, genesyscloud/util/architectlanguages/languages.go); ``en-US`` would be keyed
#: apart from the ``en-us`` reads show
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$"


class PromptResource(SpecModel):
    """One language of a prompt (SDK ``PromptAssetCreate``, its TTS fields; audio is not managed).

    Reads show more (``PromptAsset``: id, promptId, mediaUri, uploadStatus, ...): the
    server's, dropped before comparison. The SDK documents no length for ``ttsString`` or
    ``text``, so none is enforced here.
    """

    language: str = Field(pattern=LANGUAGE_PATTERN, description="The prompt language, e.g. en-us.")
    ttsString: str | None = Field(None, description="Text to speech of the resource.")
    text: str | None = Field(None, description="Text of the resource.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, RESOURCE_SHOWN, cls, info)


class ArchitectUserPromptSpec(SpecModel):
    """An Architect user prompt (SDK model ``Prompt``, its writable fields, and its resources)."""

    description: str | None = Field(None, description="Description of the user prompt.")
    resources: list[PromptResource] | None = Field(
        None,
        description="Per-language resources, keyed by language (unordered); absent: the live ones are left alone.",
    )

    @field_validator("resources")
    @classmethod
    def _unique_languages(cls, value: list[PromptResource] | None) -> list[PromptResource] | None:
        languages = [r.language.lower() for r in value or ()]
        repeated = sorted({lang for lang in languages if languages.count(lang) > 1})
        if repeated:
            raise ValueError(f"each language may appear once; repeated: {', '.join(repeated)}")
        return value


KIND = Kind(
    name="ArchitectUserPrompt",
    spec_model=ArchitectUserPromptSpec,
    collection=COLLECTION,
    read_scope="architect:readonly",
    write_scope="architect",
    # SDK api docs (PureCloudPlatformClientV2, "Requires ANY permissions")
    permissions=Permissions.crud("architect:userPrompt"),
    description="An Architect user prompt with its per-language TTS resources (real Genesys Cloud API).",
    source="platform",
    listing=Listing(
        style="pages",
        envelope=(*PAGE_ENVELOPE, "previousUri"),
        unsupported_params=(
            "description", "nameOrDescription", "sortBy", "sortOrder", "includeMediaUris", "language", "divisionId",
        ),
        expand={"resources": ("includeResources", "true")},
    ),
    versioned=False,
    revision_field=None,
    server_managed=frozenset({"id", "selfUri", "currentOperation", "division"}),
    unordered=("resources",),
    unmanaged_when_absent=("resources",),
    children=ChildCollection(
        field="resources", key="language", path="/resources", fields=RESOURCE_FIELDS,
        # CX as Code deletes prompts with their resources (resource_genesyscloud_architect_user_prompt.go
        # calls DeleteArchitectPrompt(id, true); its proxy passes allResources on)
        delete_param=("allResources", "true"),
    ),
    audit=Audited("Architect", "Prompt"),
)
