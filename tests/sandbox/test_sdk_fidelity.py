"""The sandbox's OpenAPI document against the official SDK (``PureCloudPlatformClientV2`` 269), field by field.

For every platform kind (``Kind.source == "platform"``: the kinds that run on a real org) each
operation the reconciler uses is paired with the SDK api method on the same path and HTTP
method (the table below cites it); the sandbox's request or response schema of that operation
is compared with the SDK's body or answer model, recursing into nested models:

* names: every JSON field the sandbox serves or accepts exists in the SDK model; the sandbox may
  leave SDK fields out (it emulates a subset), and :data:`LEFT_OUT` lists exactly which, so a
  field dropped by accident shows here. A field the kind manages must never be left out.
* types: ``str`` is string, ``int`` integer, ``bool`` boolean, ``float`` number, ``datetime``
  a string of format date-time, ``list[X]`` an array (items compared), ``dict(str, X)`` and
  models objects (models compared); the SDK's untyped ``object`` takes anything.
* enums: the sandbox's enum (or const) values are among the SDK setter's ``allowed_values``; in a
  request, a string the SDK restricts to an enum is restricted by the sandbox too.
* read-only: the SDK does not mark read-only fields, but where its request model differs from
  the answer model, a field only the answer has is server-managed: the sandbox's request schema
  must not accept it, or mark it readOnly, or accept it only to ignore it (a schema with no type
  that says "Ignored in requests": the platform ignores echoed reads and so does the sandbox).
* required: the SDK is silent on it (its request models mark nothing required and its setters
  accept None), so required is not compared.

Deliberate differences are listed in :data:`EXCEPTIONS`, each with its reason. The SDK is read
from its source (:mod:`.sdk_models`), not imported: importing it takes seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from sdk_models import SdkField, SdkModel, model, operation

from reconciler.kinds import PLATFORM_KINDS, REGISTRY
from reconciler.sandbox.openapi import document


@dataclass(frozen=True)
class Row:
    kind: str
    direction: str  # create/update: the request body; read/created/updated/list/publish-job: the answer
    path: str  # the sandbox's path
    http: str
    sdk_api: str  # module of PureCloudPlatformClientV2.apis
    sdk_method: str

    @property
    def is_request(self) -> bool:
        return self.direction in ("create", "update", "publish")


_STA, _INT, _ARC, _PA = "speech_text_analytics_api", "integrations_api", "architect_api", "process_automation_api"
_TOPICS, _PROGRAMS = "/api/v2/speechandtextanalytics/topics", "/api/v2/speechandtextanalytics/programs"
_FEEDBACK, _TTS = "/api/v2/speechandtextanalytics/dictionaryfeedback", "/api/v2/integrations/speech/tts/settings"
_PROMPTS, _TRIGGERS = "/api/v2/architect/prompts", "/api/v2/processautomation/triggers"
_CREDENTIALS = "/api/v2/integrations/credentials"
_INTEGRATIONS, _ACTIONS = "/api/v2/integrations", "/api/v2/integrations/actions"


def _collection(
    kind: str, api: str, path: str, create: str, item: str, listing: str, listed_at: str | None = None
) -> list[Row]:
    """The rows of a collection kind: create, update, read, created, updated and list (at ``listed_at``, if apart)."""
    update = f"put_{item}"
    return [
        Row(kind, "create", path, "post", api, create),
        Row(kind, "created", path, "post", api, create),
        Row(kind, "update", path + "/{id}", "put", api, update),
        Row(kind, "updated", path + "/{id}", "put", api, update),
        Row(kind, "read", path + "/{id}", "get", api, f"get_{item}"),
        Row(kind, "list", listed_at or path, "get", api, listing),
    ]


def _patched(kind: str, api: str, path: str, create: str, item: str, listing: str) -> list[Row]:
    """The rows of a collection kind updated by ``PATCH`` (integrations, data actions)."""
    return [
        Row(kind, "create", path, "post", api, create),
        Row(kind, "created", path, "post", api, create),
        Row(kind, "update", path + "/{id}", "patch", api, f"patch_{item}"),
        Row(kind, "updated", path + "/{id}", "patch", api, f"patch_{item}"),
        Row(kind, "read", path + "/{id}", "get", api, f"get_{item}"),
        Row(kind, "list", path, "get", api, listing),
    ]


def _publishing(kind: str, path: str, start: str, poll: str) -> list[Row]:
    return [
        Row(kind, "publish", path + "/publishjobs", "post", _STA, start),
        Row(kind, "publish-job", path + "/publishjobs/{jobId}", "get", _STA, poll),
    ]


ROWS: list[Row] = [
    *_collection(
        "SpeechTopic",
        _STA,
        _TOPICS,
        "post_speechandtextanalytics_topics",
        "speechandtextanalytics_topic",
        "get_speechandtextanalytics_topics",
    ),
    *_publishing(
        "SpeechTopic",
        _TOPICS,
        "post_speechandtextanalytics_topics_publishjobs",
        "get_speechandtextanalytics_topics_publishjob",
    ),
    *_collection(
        "SpeechProgram",
        _STA,
        _PROGRAMS,
        "post_speechandtextanalytics_programs",
        "speechandtextanalytics_program",
        "get_speechandtextanalytics_programs",
    ),
    *_publishing(
        "SpeechProgram",
        _PROGRAMS,
        "post_speechandtextanalytics_programs_publishjobs",
        "get_speechandtextanalytics_programs_publishjob",
    ),
    *_collection(
        "DictionaryFeedback",
        _STA,
        _FEEDBACK,
        "post_speechandtextanalytics_dictionaryfeedback",
        "speechandtextanalytics_dictionaryfeedback_dictionary_feedback_id",
        "get_speechandtextanalytics_dictionaryfeedback",
    ),
    Row("TtsSettings", "update", _TTS, "put", _INT, "put_integrations_speech_tts_settings"),
    Row("TtsSettings", "updated", _TTS, "put", _INT, "put_integrations_speech_tts_settings"),
    Row("TtsSettings", "read", _TTS, "get", _INT, "get_integrations_speech_tts_settings"),
    *_collection(
        "ArchitectUserPrompt", _ARC, _PROMPTS, "post_architect_prompts", "architect_prompt", "get_architect_prompts"
    ),
    *_collection(
        "ProcessAutomationTrigger",
        _PA,
        _TRIGGERS,
        "post_processautomation_triggers",
        "processautomation_trigger",
        "get_processautomation_triggers",
    ),
    *_collection(
        "IntegrationCredential",
        _INT,
        _CREDENTIALS,
        "post_integrations_credentials",
        "integrations_credential",
        "get_integrations_credentials_listing",  # the page listing of the collection is deprecated
        _CREDENTIALS + "/listing",
    ),
    *_patched("Integration", _INT, _INTEGRATIONS, "post_integrations", "integration", "get_integrations"),
    *_patched(
        "DataAction", _INT, _ACTIONS, "post_integrations_actions", "integrations_action", "get_integrations_actions"
    ),
]

#: (kind, direction, field path) -> why the sandbox deliberately differs from the SDK there
_FLAG = (
    "the kind compares this flag instead of the write-only credentialFields (reads never show either);"
    " the sandbox accepts it in requests only to ignore it, so an echoed essence is harmless"
)
EXCEPTIONS: dict[tuple[str, str, str], str] = {
    ("IntegrationCredential", "create", "credentialFieldsSet"): _FLAG,
    ("IntegrationCredential", "update", "credentialFieldsSet"): _FLAG,
}

_TYPE_DETAIL = ("type.displayOrder", "type.id", "type.properties", "type.required")  # the credential type's schema
_FEEDBACK_SERVER = (
    "createdBy",
    "displayAs",
    "invalidReason",
    "status",
)  # server-managed: served, not in the sandbox document
#: a prompt resource's fields beyond the TTS ones the kind writes (PromptAsset: audio, upload state, identity);
#: the sandbox's prompt schema documents resources as the kind writes them (language, ttsString, text)
_RESOURCE_DETAIL = tuple(
    f"resources[].{f}"
    for f in (
        "audioFormat", "durationSeconds", "id", "languageDefault", "mediaUri", "name", "promptId", "selfUri", "tags",
        "uploadStatus", "uploadUri",
    )
)
_PROMPT_SERVER = (*_RESOURCE_DETAIL, "currentOperation", "division")  # server-managed (audio: not emulated)
#: (kind, direction) -> the SDK fields the sandbox leaves out (it emulates a subset of the platform)
#: an integration's type as the platform's catalogue describes it: not emulated (the kind sends only its id)
_INTEGRATION_TYPE = tuple(f"integrationType.{f}" for f in (
    "category", "configAdvancedSchemaUri", "configPropertiesSchemaUri", "credentials", "description", "faqUri",
    "helpLinks", "helpUri", "images", "marketplaceUri", "maxInstances", "name", "nonInstallable", "privacyPolicyUri",
    "provider", "salesContactUri", "selfUri", "supportContactUri", "termsOfServiceUri", "userPermissions",
    "vendorName", "vendorOAuthClientIds", "vendorWebsiteUri",
))
#: what an integration's reads show that the sandbox leaves out: the type's detail, the configuration's own
#: identity and the server's state
_INTEGRATION_READ = (
    *_INTEGRATION_TYPE, "config.current.id", "config.current.selfUri", "config.current.version",
    "attributes", "notes", "reportedState",
)
LEFT_OUT: dict[tuple[str, str], tuple[str, ...]] = {
    # integrations and data actions: the integration type's catalogue detail, the server's own
    # state and the template/schema URIs are not emulated (the kinds never send or compare them)
    ("Integration", "create"): (*_INTEGRATION_TYPE, "id", "selfUri"),
    ("Integration", "created"): _INTEGRATION_READ,
    ("Integration", "update"): ("attributes", "config", "id", "integrationType", "notes", "reportedState", "selfUri"),
    ("Integration", "updated"): _INTEGRATION_READ,
    ("Integration", "read"): _INTEGRATION_READ,
    ("Integration", "list"): tuple(f"entities[].{f}" for f in _INTEGRATION_READ),
    ("DataAction", "create"): ("config.request.requestTemplateUri", "config.response.successTemplateUri"),
    ("DataAction", "created"): (
        "config.request.requestTemplateUri",
        "config.response.successTemplateUri",
        "contract.input.inputSchemaFlattened",
        "contract.input.inputSchemaUri",
        "contract.output.errorSchema",
        "contract.output.errorSchemaFlattened",
        "contract.output.errorSchemaUri",
        "contract.output.successSchemaFlattened",
        "contract.output.successSchemaUri",
    ),
    ("DataAction", "update"): ("config.request.requestTemplateUri", "config.response.successTemplateUri"),
    ("DataAction", "updated"): (
        "config.request.requestTemplateUri",
        "config.response.successTemplateUri",
        "contract.input.inputSchemaFlattened",
        "contract.input.inputSchemaUri",
        "contract.output.errorSchema",
        "contract.output.errorSchemaFlattened",
        "contract.output.errorSchemaUri",
        "contract.output.successSchemaFlattened",
        "contract.output.successSchemaUri",
    ),
    ("DataAction", "read"): (
        "config.request.requestTemplateUri",
        "config.response.successTemplateUri",
        "contract.input.inputSchemaFlattened",
        "contract.input.inputSchemaUri",
        "contract.output.errorSchema",
        "contract.output.errorSchemaFlattened",
        "contract.output.errorSchemaUri",
        "contract.output.successSchemaFlattened",
        "contract.output.successSchemaUri",
    ),
    ("DataAction", "list"): (
        "entities[].config.request.requestTemplateUri",
        "entities[].config.response.successTemplateUri",
        "entities[].contract",
    ),
    **{("SpeechTopic", d): ("programs[].name",) for d in ("created", "updated", "read")},
    ("SpeechTopic", "publish-job"): ("createdBy",),
    **{("SpeechProgram", d): ("topics[].name", "topicLinksJob") for d in ("created", "updated", "read")},
    ("SpeechProgram", "publish-job"): ("createdBy",),
    **{("DictionaryFeedback", d): _FEEDBACK_SERVER for d in ("created", "updated", "read")},
    ("DictionaryFeedback", "list"): tuple(f"entities[].{f}" for f in _FEEDBACK_SERVER),
    **{("ArchitectUserPrompt", d): _PROMPT_SERVER for d in ("created", "updated", "read")},
    ("ArchitectUserPrompt", "list"): tuple(f"entities[].{f}" for f in _PROMPT_SERVER),
    **{("IntegrationCredential", d): _TYPE_DETAIL for d in ("create", "update")},
    **{("IntegrationCredential", d): (*_TYPE_DETAIL, "createdDate", "modifiedDate") for d in ("created", "updated")},
    ("IntegrationCredential", "read"): (*_TYPE_DETAIL, "credentialFields"),  # write-only: reads never show it
    ("IntegrationCredential", "list"): (
        *(f"entities[].{f}" for f in _TYPE_DETAIL),
        "entities[].createdDate",
        "entities[].modifiedDate",
    ),
}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    branches = [b for b in schema.get("anyOf", ()) if b.get("type") != "null"]
    if len(branches) == 1:  # pydantic's Optional[X]
        return _resolve(doc, {**{k: v for k, v in schema.items() if k != "anyOf"}, **branches[0]})
    return schema


def _ignored(schema: dict[str, Any]) -> bool:
    """Accepted with any value and ignored (server-managed fields the platform lets a client echo)."""
    return not ({"type", "$ref", "anyOf", "enum", "const", "properties"} & set(schema)) and "Ignored" in schema.get(
        "description", ""
    )


def _types(schema: dict[str, Any]) -> set[str]:
    declared = schema.get("type")
    if declared is None:
        values = [*schema.get("enum", ()), *(["const"] if "const" in schema else ())]
        declared = ["string"] if values and all(isinstance(v, str) for v in values) else []
    return {t for t in ([declared] if isinstance(declared, str) else declared) if t != "null"}


class Comparison:
    """The mismatches and left-out fields found comparing one sandbox schema with one SDK model."""

    def __init__(self, row: Row, doc: dict[str, Any], answers: set[str]) -> None:
        self.row, self.doc, self.answers = row, doc, answers
        self.problems: list[str] = []
        self.left_out: list[str] = []

    def fail(self, where: str, message: str) -> None:
        if (self.row.kind, self.row.direction, where) not in EXCEPTIONS:
            self.problems.append(f"{where}: {message}")

    def model(self, schema: dict[str, Any], sdk: SdkModel, where: str, top: bool) -> None:
        schema = _resolve(self.doc, schema)
        props: dict[str, Any] = schema.get("properties", {})
        for name, prop in props.items():
            at = f"{where}.{name}" if where else name
            prop = _resolve(self.doc, prop)
            field = sdk.fields.get(name)
            server_managed = top and self.row.is_request and name in self.answers
            if field is None:
                if server_managed and (_ignored(prop) or prop.get("readOnly")):
                    continue  # the SDK answers it but does not take it: server-managed, ignored here too
                if server_managed:
                    self.fail(
                        at,
                        f"server-managed (SDK answers show it, request model {sdk.name} does not take it):"
                        " the sandbox must mark it readOnly or accept it only to ignore it",
                    )
                else:
                    verb = "accepts" if self.row.is_request else "serves"
                    self.fail(
                        at,
                        f"the sandbox {verb} it, SDK model {sdk.name} has no such field "
                        f"(it has {', '.join(sorted(sdk.fields))})",
                    )
                continue
            if not _ignored(prop):
                self.value(prop, field, at)
        for name in sorted(set(sdk.fields) - set(props)):
            self.left_out.append(f"{where}.{name}" if where else name)

    def value(self, schema: dict[str, Any], field: SdkField, at: str) -> None:
        schema = _resolve(self.doc, schema)
        expected, found = field.json_type, _types(schema)
        if expected is None:
            return  # the SDK's untyped object
        if found != {expected}:
            self.fail(at, f"type {sorted(found) or 'any'} in the sandbox, {expected} in the SDK ({field.python_type})")
            return
        if (field.python_type == "datetime") != (schema.get("format") == "date-time"):
            self.fail(at, f"format {schema.get('format')!r} in the sandbox, SDK type {field.python_type}")
        values = [*schema.get("enum", ()), *([schema["const"]] if "const" in schema else [])]
        if not values and field.allowed is not None and self.row.is_request and expected == "string":
            self.fail(at, f"any string accepted by the sandbox, the SDK allows only {list(field.allowed)}")
        if values and field.allowed is not None:
            unknown = [v for v in values if v not in field.allowed]
            if unknown:
                self.fail(at, f"enum values {unknown} unknown to the SDK (allowed: {list(field.allowed)})")
        if expected == "array":
            inner = SdkField(field.json_name, field.python_type[5:-1], field.allowed)
            self.value(schema.get("items", {}), inner, f"{at}[]")
        elif field.model is not None and "properties" in schema:
            self.model(schema, model(field.model), at, top=False)


def _normal(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _sandbox_schema(doc: dict[str, Any], row: Row) -> dict[str, Any]:
    op = doc["paths"][row.path][row.http]
    if row.is_request:
        return dict(op["requestBody"]["content"]["application/json"]["schema"])
    return dict(op["responses"]["200"]["content"]["application/json"]["schema"])


def _answers(kind: str) -> set[str]:
    """JSON names of every field the SDK answers for the kind's objects (item reads and listings)."""
    names: set[str] = set()
    for row in ROWS:
        if row.kind == kind and row.direction in ("read", "list"):
            answer = model(operation(row.sdk_api, row.sdk_method).answer or "")
            names |= set(answer.fields)
            entities = answer.fields.get("entities")
            if entities is not None and entities.model:
                names |= set(model(entities.model).fields)
    return names


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return document()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.kind}-{r.direction}" for r in ROWS])
def test_sandbox_agrees_with_the_sdk(row: Row, doc: dict[str, Any]) -> None:
    sdk = operation(row.sdk_api, row.sdk_method)
    assert (sdk.http.lower(), _normal(sdk.path)) == (row.http, _normal(row.path)), f"{row}: SDK {sdk}"
    model_name = sdk.body if row.is_request else sdk.answer
    assert model_name, f"{row.sdk_method} has no {'body' if row.is_request else 'answer'} model"
    comparison = Comparison(row, doc, _answers(row.kind))
    comparison.model(_sandbox_schema(doc, row), model(model_name), "", top=True)
    assert not comparison.problems, f"{row.kind} {row.direction} vs SDK {model_name} ({row.sdk_method}):\n  " + (
        "\n  ".join(comparison.problems)
    )
    kind = REGISTRY[row.kind]
    if row.is_request and row.direction != "publish":
        managed = {f.alias or n for n, f in kind.spec_model.model_fields.items()}
        # a kind written by several requests declares which fields each one carries
        carried = kind.create_fields if row.direction == "create" else kind.update_fields
        if carried is not None:
            managed &= set(carried)
        missing = sorted(managed & set(comparison.left_out))
        assert not missing, f"{row.kind} {row.direction}: fields the kind manages are missing: {missing}"
    assert tuple(comparison.left_out) == LEFT_OUT.get((row.kind, row.direction), ()), (
        f"{row.kind} {row.direction}: the SDK fields the sandbox leaves out changed; update LEFT_OUT"
    )


def test_every_platform_kind_is_compared() -> None:
    compared = {(r.kind, r.direction) for r in ROWS}
    for kind in PLATFORM_KINDS:
        needed = ("update", "read") if kind.singleton is not None else ("create", "update", "read", "list")
        assert all((kind.name, d) in compared for d in needed), f"{kind.name} has no SDK fidelity rows"
    assert {r.kind for r in ROWS} == {k.name for k in PLATFORM_KINDS}


def test_exceptions_and_left_out_name_real_cases() -> None:
    cases = {(r.kind, r.direction) for r in ROWS}
    assert {(k, d) for k, d, _ in EXCEPTIONS} <= cases and set(LEFT_OUT) <= cases
