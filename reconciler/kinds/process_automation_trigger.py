"""ProcessAutomationTrigger: an event trigger of the real Genesys Cloud Platform API.

Bound to ``/api/v2/processautomation/triggers``; the fields are those of the official
SDK's ``CreateTriggerRequest``/``UpdateTriggerRequest`` (``TriggerTarget``,
``WorkflowTargetSettings``, ``MatchCriteria``). Differences from the seed contract,
said as data below: the listing is paged by the ``after`` cursor and has no name
filter; ``topicName`` cannot be updated (the API refuses it), so a change to it
replaces the trigger; updates carry ``version``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal

from pydantic import Field

from reconciler.kinds.conventions import Audited, Listing, LiveCheck, Permissions, ReferenceRead
from reconciler.kinds.kind import Kind
from reconciler.kinds.spec import FieldIssue, SpecModel

COLLECTION = "/api/v2/processautomation/triggers"
#: the event topics a trigger may listen to (SDK ``get_processautomation_triggers_topics``:
#: a ``TopicCursorEntityListing``, ``before``/``after`` cursors, ``pageSize`` up to 200)
TOPICS = COLLECTION + "/topics"

Operator = Literal[
    "GreaterThanOrEqual", "LessThanOrEqual", "Equal", "NotEqual", "LessThan", "GreaterThan",
    "NotIn", "In", "Contains", "All", "Exists", "Size",
]
#: operators that compare against a list (``values``); every other one takes ``value``
LIST_OPERATORS = frozenset({"In", "NotIn", "All"})


class WorkflowTargetSettings(SpecModel):
    """How the workflow receives the event."""

    dataFormat: Literal["Json", "TopLevelPrimitives"] | None = Field(None, description="Json or TopLevelPrimitives.")


class TriggerTarget(SpecModel):
    """What the trigger invokes."""

    type: Literal["Workflow"] = Field(description="The entity type to target (Workflow).")
    id: str = Field(min_length=1, description="Id of the workflow (Architect flow) to invoke.")
    workflowTargetSettings: WorkflowTargetSettings | None = Field(None, description="Optional config for the target.")


class MatchCriteria(SpecModel):
    """One condition an event must meet (all of a trigger's conditions must hold)."""

    jsonPath: str = Field(min_length=1, description="Goessner JSON path of the event field to match.")
    operator: Operator = Field(description="How to compare.")
    value: Any = Field(None, description="The value to match on (operators other than In, NotIn and All).")
    values: list[Any] | None = Field(None, description="The values to match on (In, NotIn, All).")


class ProcessAutomationTriggerSpec(SpecModel):
    """A process-automation trigger (SDK model ``CreateTriggerRequest``)."""

    # CX as Code genesyscloud_processautomation_trigger: topic_name ``validation.StringLenBetween(1, 256)``
    topicName: str = Field(
        min_length=1,
        max_length=256,
        description="The event topic that fires the trigger, 1 to 256 characters. It cannot be changed: "
        "a change replaces the trigger.",
    )
    target: TriggerTarget = Field(description="The target to invoke when a matching event is received.")
    matchCriteria: list[MatchCriteria] = Field(
        default_factory=list, max_length=50, description="Conditions on the event; none: every event fires the trigger."
    )
    enabled: bool = Field(True, description="Whether the trigger is enabled.")
    eventTTLSeconds: int | None = Field(
        None, ge=10, description="Drop events older than this (at least 10 s); not with delayBySeconds."
    )
    delayBySeconds: int | None = Field(
        None, ge=60, le=900, description="Delay the target by 60 to 900 s; not with eventTTLSeconds."
    )
    # CX as Code: description ``StringLenBetween(0, 512)``; event_ttl_seconds ``IntAtLeast(10)``;
    # delay_by_seconds ``IntBetween(60, 900)`` (resource_genesyscloud_processautomation_trigger.go)
    description: str | None = Field(None, max_length=512, description="At most 512 characters.")


def _timing(spec: ProcessAutomationTriggerSpec) -> Iterator[FieldIssue]:
    if spec.eventTTLSeconds is not None and spec.delayBySeconds is not None:
        yield FieldIssue(("delayBySeconds",), "only one of eventTTLSeconds and delayBySeconds can be set")


def _criteria(spec: ProcessAutomationTriggerSpec) -> Iterator[FieldIssue]:
    for i, criterion in enumerate(spec.matchCriteria):
        if criterion.value is not None and criterion.values is not None:
            yield FieldIssue(("matchCriteria", i, "values"), "only one of value and values can be set")
        elif criterion.operator in LIST_OPERATORS and criterion.values is None:
            yield FieldIssue(("matchCriteria", i, "values"), f"is required with operator {criterion.operator}")
        elif criterion.operator not in LIST_OPERATORS and criterion.value is None:
            yield FieldIssue(("matchCriteria", i, "value"), f"is required with operator {criterion.operator}")


def known_topic(
    spec: ProcessAutomationTriggerSpec, context: Mapping[str, list[dict[str, Any]]]
) -> Iterator[FieldIssue]:
    """The trigger's topic is one the org offers (the platform refuses others at write)."""
    known = {str(e[f]) for e in context.get("topics", []) for f in ("id", "name", "topic") if isinstance(e.get(f), str)}
    if spec.topicName not in known:
        yield FieldIssue(("topicName",), f"{spec.topicName!r} is not a trigger topic of this org ({len(known)} topics)")


KIND = Kind(
    name="ProcessAutomationTrigger",
    spec_model=ProcessAutomationTriggerSpec,
    collection=COLLECTION,
    # The platform's scope names (they apply to code-grant clients only; client-credentials
    # clients get their rights from roles: see ``permissions``).
    read_scope="process-automation:readonly",
    write_scope="process-automation",
    # SDK api docs (ProcessAutomationApi.md, "Requires ANY permissions"): get_processautomation_triggers and
    # get_processautomation_trigger admit processautomation:trigger:edit or :view; post :add, put :edit, delete :delete
    permissions=Permissions.crud("processautomation:trigger", read_also=("processautomation:trigger:edit",)),
    # CX as Code keys triggers by id and suffixes duplicate labels: the platform lets names repeat
    unique_names=False,
    # CX as Code genesyscloud_processautomation_trigger ``name``: ``validation.StringLenBetween(1, 256)``
    # (the SDK's CreateTriggerRequest names no bound)
    name_max=256,
    # CX as Code retries the create on 400 (util.RetryWhen(util.IsStatus400, …)): a reference written just
    # before (the integration, the workflow) may not show yet
    create_retries_400=True,
    # an old version is refused with 400 "does not match the current version" (CX as Code IsVersionMismatch)
    version_conflict_status=400,
    description="A process-automation trigger that invokes a workflow on events (real Genesys Cloud API).",
    unordered=("matchCriteria",),
    checks=(_timing, _criteria),
    source="platform",
    listing=Listing(
        style="cursor",
        cursor_param="after",
        before_param="before",
        envelope=("entities", "nextUri", "selfUri", "previousUri"),
        name_filter=None,
        page_size_max=200,
        unsupported_params=("topicName", "enabled", "hasDelayBy"),
    ),
    server_managed=frozenset({"id", "version", "selfUri"}),
    replace_on=("topicName",),
    audit=Audited("ProcessAutomation", "Trigger"),
    live_checks=(
        LiveCheck(
            description="the trigger's topic is offered by the org",
            reads=(
                ReferenceRead(
                    key="topics", path=TOPICS, scope="process-automation:readonly", paging="cursor", page_size_max=200,
                    # get_processautomation_triggers_topics: ANY of processautomation:trigger:edit, :view
                    permissions=("processautomation:trigger:view", "processautomation:trigger:edit"),
                ),
            ),
            check=known_topic,
        ),
    ),
)
