"""How a kind binds to the API: listing, singletons, publishing, references, live checks, hooks, audits.

Each convention defaults to the seed contract's, so a contract kind says nothing here;
kinds bound to the real Genesys Cloud platform name what their endpoints do instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.kinds.spec import FieldIssue

Operation = Literal["create", "update", "delete"]


#: the OAuth scope of the platform's audit query service (``POST /api/v2/audits/query``, SDK ``AuditApi``),
#: named in the OpenAPI document; scopes do not apply to client-credentials clients
AUDIT_READ_SCOPE = "audits:readonly"
#: the role permission a client-credentials client needs for that service: the SDK's API docs
#: (platform-client-sdk-python ``build/docs/AuditApi.md``, ``post_audits_query``: "Requires ALL
#: permissions: audits:audit:view"), the platform's "Audits > Audit > View"
AUDIT_READ_PERMISSION = "audits:audit:view"


@dataclass(frozen=True)
class Audited:
    """Where the platform's audit service records writes of a kind: who changed what, and when.

    ``service`` is an ``AuditQueryRequest.serviceName`` and ``entity_type`` an
    ``AuditLogMessage.entityType``, both from the SDK's enums (``PureCloudPlatformClientV2``
    ``models/audit_topic_audit_log_message.py``: ``service_name`` and ``entity_type``).
    """

    service: str
    entity_type: str


@dataclass(frozen=True)
class Permissions:
    """The platform permissions (role rights, not OAuth scopes) a kind's endpoints require.

    A client-credentials client gets its rights from roles; scopes do not apply to it
    (SDK ``OAuthClientRequest``: "Scopes only apply to clients not using the
    client_credential grant"). ``read`` opens listing and reading, any one of them
    sufficing (the platform's "Requires ANY permissions": a trigger's listing admits
    ``:edit`` as well as ``:view``), the first the one a read-only role is given;
    ``write`` is every permission a write may need; ``create``/``update``/``delete`` say
    which of them each operation needs (empty: all of ``write``). Values come from the
    SDK's api docs ("Requires ANY permissions: ..."). A kind with no permissions at all is
    open to any authenticated client (older SDKs documented integration credentials so;
    since SDK 237 they take ``integrations:integration:*``).
    """

    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()
    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()

    @classmethod
    def crud(cls, entity: str, *, read_also: tuple[str, ...] = ()) -> Permissions:
        """The platform's usual ``domain:entity:view/add/edit/delete`` set for ``entity`` (``domain:entity``);
        ``read_also``: the further permissions the platform's reads accept instead of ``:view``."""
        add, edit, delete = f"{entity}:add", f"{entity}:edit", f"{entity}:delete"
        read = (f"{entity}:view", *read_also)
        return cls(read=read, write=(add, edit, delete), create=(add,), update=(edit,), delete=(delete,))

    def for_write(self, operation: Operation) -> tuple[str, ...]:
        """The permissions (any one suffices) that ``operation`` needs."""
        return getattr(self, operation) or self.write


@dataclass(frozen=True)
class PostWriteHook:
    """An endpoint to call once per apply after the kind's last write (e.g. a cache refresh)."""

    method: str
    path: str
    scope: str
    description: str
    #: the platform permissions the endpoint needs (any one suffices)
    permissions: tuple[str, ...] = ()


#: the envelope of a page-number listing (the contract's); ``nextUri`` only while a next page exists
PAGE_ENVELOPE: tuple[str, ...] = (
    "entities", "pageSize", "pageNumber", "total", "pageCount", "firstUri", "lastUri", "selfUri", "nextUri",
)


@dataclass(frozen=True)
class Listing:
    """How a kind's collection is listed: paging convention, envelope, filters.

    ``pages``: ``pageSize`` + ``pageNumber`` (the contract's convention). ``cursor``:
    ``pageSize`` + an opaque cursor in ``cursor_param``; the next page is whatever
    ``nextUri`` says, absent on the last page. ``counted`` makes the listing a
    *summary*: each detail field is replaced by a count (``phrases`` ->
    ``phrasesCount``), so comparing an object needs ``GET {collection}/{id}``.
    """

    style: Literal["pages", "cursor"] = "pages"
    #: where the collection is listed when not at its own path (credentials: ``…/credentials/listing``,
    #: the cursor listing the SDK names in place of the deprecated page listing of the collection)
    path: str | None = None
    cursor_param: str = "after"
    #: the cursor that walks backwards (``previousUri``), if the API has one
    before_param: str | None = None
    envelope: tuple[str, ...] = PAGE_ENVELOPE
    #: the query parameter that filters by name, ``None`` when the API has none
    name_filter: str | None = "name"
    #: ``exact``: the whole name, case-insensitive; ``contains``: a case-insensitive part of it
    name_match: Literal["exact", "contains"] = "exact"
    page_size_default: int = 25
    page_size_max: int = 100
    counted: Mapping[str, str] = field(default_factory=dict)
    #: detail fields a summary listing leaves out without a count (dictionary feedback's examplePhrases)
    omitted: tuple[str, ...] = ()
    #: query parameters the real listing takes that the sandbox does not implement: it refuses them
    #: (400) rather than ignore them, so a client never believes a filter was applied (SDK api modules)
    unsupported_params: tuple[str, ...] = ()
    #: fields reads show only when asked: field -> (query parameter, value), sent with every item read
    #: and with each listing that shows the field (:meth:`list_params`) (an integration's ``config``
    #: needs ``expand=config.current``; a data action's ``includeConfig=true``)
    expand: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    #: the id prefix of objects the platform itself owns, listed among the others but never created,
    #: updated or deleted through the API (a data action whose id starts ``static``: CX as Code's
    #: ``staticActionIDPrefix``): left out of what the tool reads, so never planned, pruned or exported
    owned_prefix: str | None = None
    #: objects listed that this tool cannot write as their kind's API would need (a data action of a
    #: function integration, written by CX as Code through a draft and a zip upload): left out of every
    #: read like :attr:`owned_prefix`, so never planned, pruned or exported as objects it would mangle
    unmanageable: Callable[[Mapping[str, Any]], bool] | None = None
    #: the listing the platform still answers at the collection's own path, which the SDK marks
    #: deprecated in favour of this one (credentials' page listing): the sandbox serves it for
    #: the SDK's callers; the client never reads it
    superseded: Listing | None = None

    def read_params(self) -> dict[str, str]:
        """The query parameters that make an item read show every ``expand`` field (values of one parameter joined)."""
        return _joined(self.expand.values())

    def list_params(self) -> dict[str, str]:
        """The query parameters that make the listing show the ``expand`` fields it shows at all.

        A field the listing leaves out (:attr:`omitted`, :attr:`counted`) is not asked for: its
        parameter belongs to the item read only. A data action's listing never shows the contract,
        and the SDK's ``IntegrationsApi.get_integrations_actions`` has no ``expand`` (its
        ``all_params`` end at ``include_config``) where ``get_integrations_action`` has
        ``expand``/``flatten``/``includeConfig``; the platform refuses parameters an endpoint
        does not have (see :class:`ReferenceRead`).
        """
        left_out = {*self.omitted, *self.counted}
        return _joined(pair for detail, pair in self.expand.items() if detail not in left_out)

    def manageable(self, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``entities`` less those the platform owns (:attr:`owned_prefix`) and those the tool cannot write
        (:attr:`unmanageable`)."""
        prefix, unmanageable = self.owned_prefix, self.unmanageable
        if prefix is None and unmanageable is None:
            return entities
        return [
            e for e in entities
            if not (prefix is not None and str(e.get("id", "")).startswith(prefix))
            and not (unmanageable is not None and unmanageable(e))
        ]

    @property
    def is_summary(self) -> bool:
        return bool(self.counted or self.omitted)


def _joined(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """``(parameter, value)`` pairs as a query, the values of one parameter joined by commas."""
    out: dict[str, list[str]] = {}
    for param, value in pairs:
        out.setdefault(param, []).append(value)
    return {param: ",".join(values) for param, values in out.items()}


@dataclass(frozen=True)
class SubResource:
    """A spec field written by a request of its own after the object's create, before its update.

    The order is CX as Code's (``createIntegration``/``updateIntegration``: the configuration, then
    the ``PATCH`` of ``intendedState`` when it changes), so an integration is never enabled
    before its credentials are in place (``SafeWrites.update``).

    An integration's configuration (``IntegrationConfiguration``) is ``PUT`` at
    ``/api/v2/integrations/{id}/config/current`` with the configuration's own ``version``
    (read there first), never in the integration's body (CX as Code's
    ``genesyscloud_integration`` does the same). The spec holds it as reads show it:
    ``field`` -> ``inner`` (``config`` -> ``current``).
    """

    field: str
    inner: str
    #: appended to the object's path
    path: str
    method: str = "PUT"
    #: the sub-resource's field that *is* the object's name, ``None``: none. An integration's
    #: configuration ``name`` is the integration's name (SDK ``IntegrationConfiguration.name``:
    #: "The name of the integration"; CX as Code's ``genesyscloud_integration`` has no name but
    #: ``config.name``, and sends the live one back when the config leaves it out). So a write
    #: always sends the object's name there, a spec never sets it (``metadata.name`` does), and
    #: reads drop it before comparison (it would otherwise differ from a spec that leaves it out)
    name_inner: str | None = None


@dataclass(frozen=True)
class ChildCollection:
    """A spec list written as a collection of its own under the object, after each create or update.

    An Architect user prompt's resources (``PromptAsset``) are shown by reads of the prompt
    but written at ``/prompts/{id}/resources``: ``POST`` a new language
    (``ArchitectApi.post_architect_prompt_resources``, ``PromptAssetCreate``), ``PUT``
    ``/resources/{languageCode}`` a changed one (``put_architect_prompt_resource``) and
    ``DELETE`` a language no longer wanted (``delete_architect_prompt_resource``), as CX as
    Code's ``genesyscloud_architect_user_prompt`` manages ``resources`` as a set keyed by
    language. ``key`` names each child (the last path segment of its ``PUT``/``DELETE``);
    ``fields`` are those a write sends and a comparison looks at.
    """

    field: str
    key: str
    #: appended to the object's path; a child's own path appends ``/{key}``
    path: str
    fields: tuple[str, ...]
    #: the page size of the child listing's reads (``pageSize``/``pageNumber``)
    page_size: int = 100
    #: the query parameter a delete of the object sends so that its children go with it, ``None``:
    #: none. CX as Code deletes a user prompt with ``allResources=true``
    #: (``deleteArchitectUserPrompt(ctx, id, true)``, SDK ``delete_architect_prompt(all_resources=…)``:
    #: "Whether or not to delete all the prompt resources")
    delete_param: tuple[str, str] | None = None


@dataclass(frozen=True)
class Singleton:
    """A kind with exactly one object per org: read and replaced at the collection path itself.

    It is never created or deleted. Manifests name it ``name`` (its fixed identity);
    the API body carries no name and no id. ``initial`` is what a new org holds.
    """

    name: str
    initial: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Publish:
    """Objects whose spec sets ``flag`` are published after they are written, by a job.

    ``POST path`` with ``{ids_field: [ids]}`` starts the job; ``GET path/{jobId}`` is
    polled until ``state_field`` is one of ``done_states`` (or ``failed_states``).
    The flag is never sent in a body: it is the server's state, which only the job
    changes (a write makes the object a draft again). It is one-way: ``false`` means
    "not managed", since nothing can unpublish.
    """

    flag: str
    path: str
    ids_field: str
    scope: str
    description: str
    state_field: str = "state"
    #: the job's list of the objects it publishes (``topics`` for topics)
    job_items_field: str = "items"
    done_states: tuple[str, ...] = ("Completed",)
    failed_states: tuple[str, ...] = ("Failed",)
    #: the platform permissions starting and polling a job need (any one suffices)
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True)
class IdRefs:
    """A list of ids sent as ``field`` and shown by reads as ``shown_as`` (entity references)."""

    field: str
    shown_as: str
    #: the ``selfUri`` of a referenced entity, ``{id}`` filled in
    uri: str


@dataclass(frozen=True)
class ReferenceRead:
    """Live reference data a plan-time check needs: a listing at ``path``.

    ``paging``: ``pages`` (``pageSize`` + ``pageNumber``), ``cursor`` (``pageSize`` up to
    ``page_size_max``, then each ``nextUri``), or ``none`` (one answer, no paging
    parameter: the platform refuses parameters an endpoint does not have). Entities may be
    objects or plain strings (the trigger topics' ``TopicCursorEntityListing`` lists names).
    """

    key: str
    path: str
    scope: str
    params: Mapping[str, str] = field(default_factory=dict)
    #: the platform permissions the read needs (any one suffices)
    permissions: tuple[str, ...] = ()
    paging: Literal["pages", "cursor", "none"] = "pages"
    page_size_max: int = 100


LiveCheckFn = Callable[[Any, Mapping[str, list[dict[str, Any]]]], Iterable[FieldIssue]]


@dataclass(frozen=True)
class LiveCheck:
    """A rule that needs the org's reference data (e.g. which TTS engines and voices exist).

    ``check(model, context)`` gets the validated spec and ``{read.key: entities}`` for
    each of ``reads``; the engine runs it at plan time, the sandbox on every write.
    """

    description: str
    reads: tuple[ReferenceRead, ...]
    check: LiveCheckFn
