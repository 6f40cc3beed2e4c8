"""IntegrationCredential: a credential of the real Genesys Cloud Platform API (webhook secrets live here).

Bound to ``/api/v2/integrations/credentials``; the fields are those of the official
SDK's ``Credential`` (``PureCloudPlatformClientV2``: ``name``, ``type``
(``CredentialType``, written by ``name``), ``credentialFields`` (``dict(str, str)``)),
listed as ``CredentialInfo`` in a ``CredentialInfoCursorListing``. What the platform does,
said as data below:

* ``credentialFields`` is write-only: the secrets (``userName``/``password`` of a
  ``basicAuth`` credential, a token, ...). Each value comes from ``${env:NAME}`` only,
  and is never printed or stored, like a webhook's ``authSecret``. Reads show no flag
  for it (CX as Code's ``genesyscloud_integration_credential`` never reads its
  ``fields`` back), so a live credential is taken to hold what the manifest says, and
  the values are re-sent with any other change of the credential or with
  ``apply --rotate-secret IntegrationCredential/NAME``;
* the collection is listed at ``/api/v2/integrations/credentials/listing``, a cursor
  listing (``IntegrationsApi.get_integrations_credentials_listing``: ``before``, ``after``,
  ``pageSize`` "Maximum of 200", answered as ``CredentialInfoCursorListing``). The SDK marks
  the page listing of the collection itself (``get_integrations_credentials``) deprecated in
  its favour, and CX as Code (``getAllIntegrationCredsFn``, v1.84.1) lists there, 200 at a
  time. It has no name filter, so a lost create is looked up in the whole listing;
* credentials carry no ``version`` and no dates (``Credential``): updates are plain
  ``PUT`` s (``put_integrations_credential``) and a saved plan has no revision to check;
* the type must be one the org lists at ``GET /api/v2/integrations/credentials/types``, and
  declared ``credentialFields`` must hold each of its ``required`` fields (SDK ``CredentialType``:
  "Properties that are required fields"): CX as Code warns that a missing one "will result API
  request failure", so it is an error at plan, at the manifest's line (a live check).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import Field, ValidationInfo, model_validator

from reconciler.kinds.conventions import PAGE_ENVELOPE, Audited, Listing, LiveCheck, Permissions, ReferenceRead
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel, without_shown

COLLECTION = "/api/v2/integrations/credentials"
#: the org's credential types (SDK IntegrationsApi.get_integrations_credentials_types: no parameters)
TYPES = f"{COLLECTION}/types"
#: what reads of ``CredentialType`` show besides its name; writes send the name alone (as CX as Code does)
TYPE_SHOWN_ONLY = ("id", "properties", "displayOrder", "required", "selfUri")


class CredentialTypeRef(SpecModel):
    """The credential's type, by name (SDK ``CredentialType``; ``GET /api/v2/integrations/credentials/types``)."""

    name: str = Field(min_length=1, description="The type's name, e.g. basicAuth or userDefinedOAuth.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        """A read shows the whole type (its id, properties, ...): only the name is the credential's to set."""
        return without_shown(data, TYPE_SHOWN_ONLY, cls, info)


class IntegrationCredentialSpec(SpecModel):
    """An integration credential (SDK model ``Credential``)."""

    type: CredentialTypeRef = Field(description="The credential's type, by name.")
    credentialFields: dict[str, str] | None = Field(
        None,
        min_length=1,
        description="Write-only fields of the type (e.g. userName and password of basicAuth). "
        "In manifests: each value ${env:NAME} only.",
        json_schema_extra={"writeOnly": True},
    )


def known_type(spec: IntegrationCredentialSpec, context: Mapping[str, list[dict[str, Any]]]) -> Iterator[FieldIssue]:
    """The type is one the org lists, and declared fields hold every field it requires.

    CX as Code's ``fields``: "Different credential types require different fields. Missing any correct
    required fields will result API request failure" (resource_genesyscloud_integration_credential_schema.go);
    the SDK's ``CredentialType.required``: "Properties that are required fields". Fields left out of the
    manifest altogether (an export writes none) are not checked: nothing is declared to check.
    Only field names appear in a message, never a value.
    """
    types = {str(t["name"]): t for t in context.get("credentialTypes", []) if isinstance(t.get("name"), str)}
    found = types.get(spec.type.name)
    if found is None:
        known = ", ".join(sorted(types)) or "none"
        yield FieldIssue(("type", "name"), f"{spec.type.name!r} is not a credential type of this org (it has: {known})")
        return
    required = found.get("required")
    if spec.credentialFields is None or not isinstance(required, list):
        return
    missing = [str(r) for r in required if str(r) not in spec.credentialFields]
    if missing:
        yield FieldIssue(
            ("credentialFields",),
            f"lacks {', '.join(missing)}, required by credential type {spec.type.name!r}",
        )


KIND = Kind(
    name="IntegrationCredential",
    spec_model=IntegrationCredentialSpec,
    collection=COLLECTION,
    read_scope="integrations:readonly",
    write_scope="integrations",
    # SDK api docs (IntegrationsApi.md, from PureCloudPlatformClientV2 237; older releases said "Requires NO
    # permissions"): GET /credentials/listing integrations:integration:view, POST /credentials :add,
    # PUT /credentials/{id} :edit, DELETE /credentials/{id} :delete. CX as Code's credential resource lists the same.
    permissions=Permissions.crud("integrations:integration"),
    # names are not assumed unique: neither the SDK nor CX as Code says they are, and CX as Code's
    # look-ups by name (getIntegrationByNameFn, getIntegrationCredByNameFn) take the first of any
    # number; so a lost create is looked up patiently, never re-sent counting on a 409 duplicate.name
    unique_names=False,
    description="A credential whose write-only fields hold the secrets of an integration (real Genesys Cloud API).",
    write_only={"credentialFields": "credentialFieldsSet"},
    write_only_flagged=False,
    source="platform",
    listing=Listing(
        style="cursor",
        path=f"{COLLECTION}/listing",
        cursor_param="after",
        before_param="before",
        envelope=("entities", "nextUri", "selfUri", "previousUri"),  # SDK CredentialInfoCursorListing
        name_filter=None,
        page_size_max=200,
        # SDK get_integrations_credentials (deprecated): pageNumber/pageSize, a CredentialInfoListing
        superseded=Listing(style="pages", envelope=(*PAGE_ENVELOPE, "previousUri"), name_filter=None),
    ),
    versioned=False,
    revision_field=None,
    server_managed=frozenset({"id", "selfUri"}),
    audit=Audited("Integrations", "Credential"),
    live_checks=(
        LiveCheck(
            description="the credential's type is offered by the org and its required fields are declared",
            reads=(
                ReferenceRead(
                    key="credentialTypes", path=TYPES, scope="integrations:readonly", paging="none",
                    # the SDKs' API documentation (IntegrationsApi.md, getIntegrationsCredentialsTypes):
                    # "Requires ANY permissions: integrations:integration:view"
                    permissions=("integrations:integration:view",),
                ),
            ),
            check=known_type,
        ),
    ),
)
