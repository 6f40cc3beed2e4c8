"""DataAction: a Web Services data action of the real Genesys Cloud Platform API (the webhook's HTTP call).

Bound to ``/api/v2/integrations/actions``; the fields are those of the official SDK's
``PostActionInput`` (``PureCloudPlatformClientV2``: ``name``, ``category``,
``integrationId``, ``secure``, ``config`` (``ActionConfig``: ``timeoutSeconds``,
``request`` (``RequestConfig``), ``response`` (``ResponseConfig``)), ``contract``
(``ActionContractInput``: ``input.inputSchema``, ``output.successSchema``)), read back
as ``Action``. What the platform does, said as data below, as CX as Code's
``genesyscloud_integration_action`` does it:

* updates are ``PATCH /integrations/actions/{id}`` with ``UpdateActionInput`` (``name``,
  ``category``, ``config``, ``version``): the integration, the contract and ``secure``
  cannot change, so a change of one replaces the action;
* reads show ``config`` only with ``includeConfig=true`` and ``contract`` only with
  ``expand=contract`` (``get_integrations_action``); the listing (``ActionEntityListing``,
  ``pageNumber`` pages, a partial ``name`` filter) never shows the contract and has no ``expand``
  (``get_integrations_actions``: ``includeConfig`` only, so ``Listing.list_params`` sends just that),
  so plan reads the declared actions in full. Reads add what the server derives (``inputSchemaFlattened``,
  ``successSchemaUri``, ...): only the written part is compared;
* ``config.request.requestTemplate``, ``requestUrlTemplate``, ``headers`` and
  ``config.response.successTemplate`` are Velocity templates (``${input.contactId}``):
  there, only ``${env:…}`` and ``${ref:…}`` are this tool's placeholders;
* ``config.request.requestTemplate`` and ``config.response.successTemplate`` that a manifest
  leaves out are not managed (``unmanaged_when_absent``): not compared, not sent by a create
  (the server sets its own), and sent back as read by an update (its ``PATCH`` carries the
  whole ``config``). CX as Code's schema (``resource_genesyscloud_integration_action_schema.go``)
  makes ``request_template`` and ``success_template`` ``Optional`` and ``Computed``: unset,
  ``BuildSdkActionConfigRequest``/``BuildSdkActionConfigResponse`` send the state's value,
  which its read took from the live action's templates; its create sends ``""`` there, the
  Terraform SDK's zero value of an unset attribute, not a default the platform asks for (the
  SDK's ``RequestConfig``/``ResponseConfig`` make both optional; docs/real-org-kinds.md). The
  defaults below (``${input.rawRequest}``, ``${rawResult}``) are the sandbox's, for a create
  that sends none;
* ``integrationId`` names the action's integration: ``${ref:Integration/Name.id}``;
* the listing shows the platform's built-in (static) actions too, ids ``static…``; they cannot
  be written through the API, so the tool leaves them out of what it reads;
* names are not unique: several actions (of one integration or of several) may share one
  (``unique_names`` false, as CX as Code's data source says).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from reconciler.kinds.conventions import PAGE_ENVELOPE, Audited, Listing, Permissions
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel, without_shown

COLLECTION = "/api/v2/integrations/actions"


#: what reads add to each written part (SDK answer models ``RequestConfig``, ``ResponseConfig``,
#: ``InputContract``, ``OutputContract``, PureCloudPlatformClientV2 269): dropped before comparison;
#: any other unknown key is refused, so a typo in a manifest is an error, not dropped
REQUEST_SHOWN = ("requestTemplateUri",)
RESPONSE_SHOWN = ("successTemplateUri",)
INPUT_SHOWN = ("inputSchemaFlattened", "inputSchemaUri")
OUTPUT_SHOWN = ("successSchemaUri", "errorSchema", "errorSchemaUri", "successSchemaFlattened", "errorSchemaFlattened")


class RequestConfig(SpecModel):
    """How the action calls out (SDK ``RequestConfig``; reads add ``requestTemplateUri``)."""

    requestUrlTemplate: str = Field(min_length=1, description="The URL to call, a Velocity template.")
    requestType: Literal["GET", "PUT", "POST", "PATCH", "DELETE"] = Field(description="The HTTP method.")
    requestTemplate: str = Field(
        "${input.rawRequest}",
        description="The request body, a Velocity template; left out, the live one is kept (a create: the server's).",
    )
    headers: dict[str, str] = Field(default_factory=dict, description="Request headers, values Velocity templates.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, REQUEST_SHOWN, cls, info)


class ResponseConfig(SpecModel):
    """How the answer is translated (SDK ``ResponseConfig``; reads add ``successTemplateUri``)."""

    translationMap: dict[str, str] = Field(default_factory=dict, description="Output names -> JSONPath in the answer.")
    translationMapDefaults: dict[str, str] = Field(
        default_factory=dict, description="Defaults of translationMap entries the answer lacks."
    )
    successTemplate: str = Field(
        "${rawResult}",
        description="The action's output, a Velocity template; left out, the live one is kept (create: the server's).",
    )

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, RESPONSE_SHOWN, cls, info)


class ActionConfig(SpecModel):
    """The action's call (SDK ``ActionConfig``)."""

    timeoutSeconds: int | None = Field(None, ge=1, le=60, description="Seconds the call may take (1 to 60).")
    request: RequestConfig = Field(description="The request.")
    response: ResponseConfig = Field(default_factory=ResponseConfig, description="The answer's translation.")


class InputContract(SpecModel):
    """The action's input (SDK ``PostInputContract``; reads add ``inputSchemaFlattened``, ``inputSchemaUri``)."""

    inputSchema: dict[str, Any] = Field(description="A JSON Schema document of the input.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, INPUT_SHOWN, cls, info)


class OutputContract(SpecModel):
    """The action's output (SDK ``PostOutputContract``; reads add the flattened and error schemas)."""

    successSchema: dict[str, Any] = Field(description="A JSON Schema document of the output.")

    @model_validator(mode="before")
    @classmethod
    def _drop_shown_only(cls, data: Any, info: ValidationInfo) -> Any:
        return without_shown(data, OUTPUT_SHOWN, cls, info)


class ActionContractInput(SpecModel):
    """Input and output schemas (SDK ``ActionContractInput``); they cannot change."""

    input: InputContract = Field(description="The input contract.")
    output: OutputContract = Field(description="The output contract.")


class DataActionSpec(SpecModel):
    """A data action (SDK model ``PostActionInput``)."""

    # CX as Code genesyscloud_integration_action (resource_genesyscloud_integration_action_schema.go):
    # category ``validation.StringLenBetween(1, 256)``; a longer one is the platform's late 400
    category: str = Field(
        min_length=1, max_length=256, description="The category the action is listed under, 1 to 256 characters."
    )
    integrationId: str = Field(
        min_length=1, description="The action's integration; e.g. ${ref:Integration/Name.id}. It cannot change."
    )
    secure: bool = Field(False, description="Whether inputs and outputs are kept out of logs. It cannot change.")
    config: ActionConfig = Field(description="The HTTP call and the translation of its answer.")
    contract: ActionContractInput = Field(description="Input and output JSON schemas. They cannot change.")


def is_function_category(category: str) -> bool:
    """Whether CX as Code takes an action of this category for a function data action.

    Its ``containsFunctionDataAction`` (v1.84.1, genesyscloud/integration_action/
    resource_genesyscloud_integration_action.go, lines 190-195): lower case, ``_`` and ``-`` read as
    spaces, then "function data action" anywhere in it.
    """
    return "function data action" in category.lower().replace("_", " ").replace("-", " ")


def _function_action(obj: Mapping[str, Any]) -> bool:
    """A live action of a function category (:func:`is_function_category`): the tool leaves it out of reads.

    Why: it can neither be declared (:func:`_not_a_function`) nor written, so read as an ordinary action
    it would be pruned from a project that prunes data actions, and exported as a manifest that is
    refused at load.
    """
    return is_function_category(str(obj.get("category") or ""))


def _not_a_function(spec: DataActionSpec) -> Iterator[FieldIssue]:
    """A function data action is refused offline: this kind cannot write one.

    CX as Code creates one (category as in :func:`is_function_category`, which its schema says
    "requires function_config to be set") through a draft: ``POST /actions/drafts``, an upload of
    the function's zip, ``PATCH`` of the draft's function settings, then a publish
    (``createFunctionDataActionDraft``, same file, lines 339-487), never by ``POST /actions``; and
    the SDK's ``RequestConfig.requestUrlTemplate`` "is read only for Function Integrations and will be
    set when a draft is created". This kind writes by ``POST``/``PATCH /actions`` alone, so such an
    action would be created without its function.
    """
    if is_function_category(spec.category):
        yield FieldIssue(
            ("category",),
            "names a function data action, which this tool does not manage (it needs a draft with an "
            "uploaded function zip); use a Web Services category",
        )


KIND = Kind(
    name="DataAction",
    spec_model=DataActionSpec,
    collection=COLLECTION,
    read_scope="integrations:readonly",
    write_scope="integrations",
    # SDK api docs (IntegrationsApi.md, 237): GET /actions and /actions/{id} ANY of integrations:action:view,
    # bridge:actions:view; POST /actions :add, PATCH /actions/{id} :edit, DELETE /actions/{id} :delete;
    # CX as Code's resource docs list view/add/edit/delete
    audit=Audited("Integrations", "Action"),  # SDK AuditTopicAuditLogMessage service and entity enums
    permissions=Permissions.crud("integrations:action", read_also=("bridge:actions:view",)),
    # CX as Code's data source (data_source_genesyscloud_integration_action.go): "As action names are
    # non-unique, fail in case of multiple results unless integration_id is supplied": the platform
    # lets actions share a name, so a lost create is looked up, never re-sent blindly, and a declared
    # name two live actions share stops the plan (as for triggers)
    unique_names=False,
    # SDK PostActionInput/UpdateActionInput ``name``: "Name of action, Can be up to 256 characters long";
    # CX as Code's ``name``: ``validation.StringLenBetween(1, 256)``
    name_max=256,
    # CX as Code retries the create on 400 (util.RetryWhen(util.IsStatus400, …)): a reference written just
    # before (the integration, the workflow) may not show yet
    create_retries_400=True,
    description="A Web Services data action: the HTTP call a workflow makes (real Genesys Cloud API).",
    source="platform",
    listing=Listing(
        style="pages",
        envelope=(*PAGE_ENVELOPE, "previousUri"),
        # SDK get_integrations_actions: ``name`` "Filter by partial or complete action name"
        name_match="contains",
        # CX as Code (resource_genesyscloud_integration_action_utils.go, staticActionIDPrefix): "Static actions
        # cannot be created, updated, or deleted via the public API" and their ids start with "static"
        owned_prefix="static",
        unmanageable=_function_action,
        omitted=("contract",),
        expand={"config": ("includeConfig", "true"), "contract": ("expand", "contract")},
    ),
    server_managed=frozenset({"id", "version", "selfUri"}),
    replace_on=("integrationId", "contract", "secure"),
    # CX as Code: request_template and success_template Optional+Computed (unset: the live ones)
    unmanaged_when_absent=("config.request.requestTemplate", "config.response.successTemplate"),
    update_method="PATCH",
    update_fields=("category", "config"),
    templated=("config",),
    checks=(_not_a_function,),
)
