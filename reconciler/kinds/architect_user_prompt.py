"""ArchitectUserPrompt: an Architect user prompt of the real Genesys Cloud Platform API.

Bound to ``/api/v2/architect/prompts``; the writable fields are those of the official
SDK's ``Prompt`` model (``PureCloudPlatformClientV2``: ``name``, ``description``), as
``ArchitectApi.post_architect_prompts``/``put_architect_prompt`` send it. What the
platform does, said as data below:

* ``resources`` (``PromptAsset``: ``language``, ``ttsString``, ``text``, audio) is shown
  by reads but written through a collection of its own, ``/prompts/{id}/resources``
  (``post_architect_prompt_resources`` with ``PromptAssetCreate``, then
  ``put_architect_prompt_resource`` by language), as CX as Code's
  ``genesyscloud_architect_user_prompt`` does after creating the prompt. Writing a child
  collection after its parent is a convention the engine does not have yet, so this kind
  manages the prompt itself and leaves its resources alone: they are read-only here
  (docs/real-org-voice.md says how to manage them meanwhile);
* the listing (``PromptEntityListing``) is paged by ``pageNumber`` with a ``name``
  filter (``get_architect_prompts``);
* prompts carry no ``version`` and no dates: updates are plain ``PUT`` s and a saved
  plan has no revision to check (``Prompt`` has neither).
"""

from __future__ import annotations

from pydantic import Field

from reconciler.kinds.conventions import PAGE_ENVELOPE, Listing, Permissions
from reconciler.kinds.kind import Audited, Kind
from reconciler.kinds.spec import SpecModel

COLLECTION = "/api/v2/architect/prompts"


class ArchitectUserPromptSpec(SpecModel):
    """An Architect user prompt (SDK model ``Prompt``, its writable fields)."""

    description: str | None = Field(None, description="Description of the user prompt.")


KIND = Kind(
    name="ArchitectUserPrompt",
    spec_model=ArchitectUserPromptSpec,
    collection=COLLECTION,
    read_scope="architect:readonly",
    write_scope="architect",
    # SDK api docs (PureCloudPlatformClientV2, "Requires ANY permissions")
    permissions=Permissions.crud("architect:userPrompt"),
    description="An Architect user prompt; its per-language resources are read-only here (real Genesys Cloud API).",
    source="platform",
    listing=Listing(
        style="pages",
        envelope=(*PAGE_ENVELOPE, "previousUri"),
        unsupported_params=(
            "description", "nameOrDescription", "sortBy", "sortOrder", "includeMediaUris", "includeResources",
            "language", "divisionId",
        ),
    ),
    versioned=False,
    revision_field=None,
    server_managed=frozenset({"id", "selfUri", "resources", "currentOperation", "division"}),
    audit=Audited("Architect", "Prompt"),
)
