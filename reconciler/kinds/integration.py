"""Integration: an integration of the real Genesys Cloud Platform API (a data action's home).

Bound to ``/api/v2/integrations``; the fields are those of the official SDK's
``Integration`` (``PureCloudPlatformClientV2``: ``name``, ``integrationType``,
``intendedState``, ``config`` (``IntegrationConfigurationInfo.current``:
``IntegrationConfiguration``)). What the platform does, said as data below, as CX as
Code's ``genesyscloud_integration`` does it:

* a create sends ``name`` and ``integrationType`` only (``CreateIntegrationRequest``,
  ``IntegrationsApi.post_integrations``); the configuration is then written with ``PUT
  /integrations/{id}/config/current`` (``put_integration_config_current``), which carries
  the configuration's own ``version``, and only then ``intendedState`` with ``PATCH
  /integrations/{id}`` (``patch_integration``), when it changes: CX as Code's
  ``createIntegration``/``updateIntegration`` order, so it is never enabled before its
  credentials are in place. So one object is written by up to three requests
  (conventions ``create_fields``, ``update_method`` and ``sub_resource``);
* the configuration's ``name`` is the integration's (SDK ``IntegrationConfiguration.name``): each
  ``PUT`` of it sends ``metadata.name``, never a name of its own that would rename the
  integration out from under its manifest; the ``PATCH`` sends ``intendedState`` alone, as CX as
  Code's ``updateIntegration`` does (``&platformclientv2.Integration{IntendedState: ...}``), so a
  rename goes through the configuration's ``PUT`` (the rest of it sent back as read when the
  manifest has no ``config``: ``Kind.rename_sub``);
* the configuration's ``credentials`` map names credentials by id
  (``CredentialInfo``): ``${ref:IntegrationCredential/Name.id}``;
* a manifest without ``config`` leaves the live configuration alone (``unmanaged_when_absent``:
  CX as Code's ``config`` is ``Optional`` and ``Computed``; every integration has one on the
  platform, so comparing it with nothing would show a change no write could settle);
* the configuration's ``properties`` and ``advanced`` that a manifest leaves out are not managed
  (``unmanaged_when_absent``): not compared, and each ``PUT`` of the configuration (which replaces
  it whole) sends back the values read right before it; an explicit ``{}`` empties them. CX as
  Code's schema (``resource_genesyscloud_integration_schema.go``) makes both ``Optional`` and
  ``Computed``, and its ``updateIntegrationConfigFromResourceData`` starts from the live
  configuration and replaces them only when set;
* reads show ``config`` only with ``expand=config.current`` (``get_integrations``,
  ``get_integration``), and the type in full (``IntegrationType``): only its ``id`` is
  compared; ``reportedState`` and ``attributes`` are the server's;
* the listing (``IntegrationEntityListing``) is paged by ``pageNumber`` without a name
  filter; integrations carry no ``version`` and no dates, so a saved plan has no
  revision to check; the type cannot change (a change replaces the integration).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from reconciler.kinds.conventions import PAGE_ENVELOPE, Audited, Listing, Permissions, SubResource
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import SpecModel, without_shown

COLLECTION = "/api/v2/integrations"


#: what reads show of the type besides its id (SDK ``IntegrationType``, PureCloudPlatformClientV2 269)
TYPE_SHOWN = (
    "name", "description", "provider", "category", "images", "configPropertiesSchemaUri", "configAdvancedSchemaUri",
    "helpUri", "termsOfServiceUri", "vendorName", "vendorWebsiteUri", "marketplaceUri", "faqUri", "privacyPolicyUri",
    "supportContactUri", "salesContactUri", "helpLinks", "credentials", "nonInstallable", "maxInstances",
    "userPermissions", "vendorOAuthClientIds", "selfUri",
)
#: what reads show of a credential besides its id (SDK ``CredentialInfo``)
CREDENTIAL_SHOWN = ("name", "createdDate", "modifiedDate", "type", "selfUri")
#: what reads show of the configuration that a write does not set (SDK ``IntegrationConfiguration``)
CONFIG_SHOWN = ("id", "version", "selfUri")
#: how a platform read may spell empty configuration notes (CX as Code's ``flattenIntegrationConfig`` maps it to "")
EMPTY_NOTES = "node_dynamodb_empty_string"


class IntegrationTypeRef(SpecModel):
    """The integration's type, by id (SDK ``IntegrationType``; reads show its name, provider, images, ...)."""

    id: str = Field(min_length=1, description="The type's id, e.g. custom-rest-actions (Web Services data actions).")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, TYPE_SHOWN, cls, info)


class CredentialRef(SpecModel):
    """A credential the configuration uses, by id (SDK ``CredentialInfo``; reads show its name, type, dates)."""

    id: str = Field(min_length=1, description="The credential's id: ${ref:IntegrationCredential/Name.id}.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, CREDENTIAL_SHOWN, cls, info)


class IntegrationConfiguration(SpecModel):
    """The integration's current configuration (SDK ``IntegrationConfiguration``, its writable fields).

    Its ``name`` is the integration's own (``metadata.name``): every write sends that, and a
    manifest never sets it (``SubResource.name_inner``).
    """

    notes: str = Field("", description="Notes about the integration; left out: none (sent as \"\").")
    properties: dict[str, Any] = Field(
        default_factory=dict,
        description="Properties of the integration's type; left out, the live ones are kept ({} empties them).",
    )
    advanced: dict[str, Any] = Field(
        default_factory=dict,
        description="Advanced configuration of the type; left out, the live one is kept ({} empties it).",
    )
    credentials: dict[str, CredentialRef] = Field(
        default_factory=dict,
        description="Credentials by the type's key (basicAuth for custom-rest-actions), each by id.",
    )

    @field_validator("notes", mode="before")
    @classmethod
    def _no_notes(cls, value: Any) -> Any:
        """No notes, however the platform says it: absent, ``null``, ``""`` or its stand-in for an empty one.

        CX as Code (v1.84.1, genesyscloud/integration/resource_genesyscloud_integration_utils.go):
        ``updateIntegrationConfigFromResourceData`` sends ``notes`` as set, ``""`` when unset (lines 101,
        113, 143), and ``flattenIntegrationConfig`` reads ``nil`` as ``""`` and the platform's
        ``"node_dynamodb_empty_string"`` as ``""`` too (lines 40-44). So all are one value here: a manifest
        without notes never differs from an integration that has none, however its read spells it.
        """
        return "" if value is None or value == EMPTY_NOTES else value

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        """Reads show the configuration's id, version and selfUri: the server's, never sent in the spec.

        Its ``name`` is the integration's (reads lose it in ``Kind.from_live``): a spec naming it is refused.
        """
        if isinstance(data, dict) and "name" in data and isinstance(info.context, dict) and info.context.get("spec"):
            raise ValueError("name is not set here: the configuration's name is the integration's own, metadata.name")
        return without_shown(data, CONFIG_SHOWN, cls, info)


class IntegrationConfigurationInfo(SpecModel):
    """Where reads show the configuration (SDK ``IntegrationConfigurationInfo``)."""

    current: IntegrationConfiguration = Field(description="The current configuration.")


class IntegrationSpec(SpecModel):
    """An integration (SDK model ``Integration``, its writable fields)."""

    integrationType: IntegrationTypeRef = Field(description="The integration's type; it cannot change.")
    intendedState: Literal["ENABLED", "DISABLED"] = Field(
        "DISABLED", description="Whether the integration is enabled (set with PATCH after the configuration)."
    )
    config: IntegrationConfigurationInfo | None = Field(
        None, description="The configuration, written with PUT .../config/current before the state's PATCH."
    )


KIND = Kind(
    name="Integration",
    spec_model=IntegrationSpec,
    collection=COLLECTION,
    read_scope="integrations:readonly",
    write_scope="integrations",
    # SDK api docs (IntegrationsApi.md, 237): GET /integrations integrations:integration:view, DELETE
    # /integrations/{id} :delete, PUT .../config/current :edit; CX as Code's resource docs list view/add/edit/delete
    audit=Audited("Integrations", "Integration"),  # SDK AuditTopicAuditLogMessage service and entity enums
    permissions=Permissions.crud("integrations:integration"),
    # names are not assumed unique: neither the SDK nor CX as Code says they are, and CX as Code's
    # look-ups by name (getIntegrationByNameFn, getIntegrationCredByNameFn) take the first of any
    # number; so a lost create is looked up patiently, never re-sent counting on a 409 duplicate.name
    unique_names=False,
    description="An integration, e.g. custom-rest-actions, home of Web Services data actions (real Genesys Cloud API).",
    source="platform",
    listing=Listing(
        style="pages",
        envelope=(*PAGE_ENVELOPE, "previousUri"),
        name_filter=None,
        expand={"config": ("expand", "config.current")},
    ),
    versioned=False,
    revision_field=None,
    server_managed=frozenset({"id", "selfUri", "reportedState", "attributes", "notes"}),
    replace_on=("integrationType",),
    update_method="PATCH",
    # the SDK's patch_integration(integration_id, page_size=, page_number=, sort_by=, expand=, next_page=,
    # previous_page=, body=) sends these as query parameters; the engine sends none of them
    update_unsupported_params=("pageSize", "pageNumber", "sortBy", "expand", "nextPage", "previousPage"),
    create_fields=("integrationType",),
    # the PATCH sends intendedState alone, never the name (the configuration PUT carries it): CX as Code
    # updateIntegration, genesyscloud/integration/resource_genesyscloud_integration.go
    update_fields=("intendedState",),
    # CX as Code (resource_genesyscloud_integration_schema.go): config, properties and advanced Optional+Computed,
    # kept as they are live when unset (a manifest without config leaves the live configuration alone)
    unmanaged_when_absent=("config", "config.current.properties", "config.current.advanced"),
    sub_resource=SubResource(field="config", inner="current", path="/config/current", name_inner="name"),
)
