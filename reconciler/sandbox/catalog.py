"""The org's reference data that kinds check against: TTS engines and their voices, topic
dialects, process-automation trigger topics, integration credential types.

Genesys serves these read-only; a real org's list depends on its integrations. The
sandbox holds a realistic, fixed set (Amazon Polly, Microsoft Azure and Google Cloud
engines with a few voices each) and serves it the way the platform does:

* ``GET .../engines`` — a page-number listing (``TtsEngineEntityListing``) with the
  ``includeVoices``, ``name`` and ``language`` filters;
* ``GET .../engines/{engineId}`` (``includeVoices``), ``.../engines/{engineId}/voices``
  (paged) and ``.../engines/{engineId}/voices/{voiceId}``.

* ``GET /api/v2/speechandtextanalytics/topics/dialects`` — one ``EntityListing`` of
  dialect codes, no paging parameters;
* ``GET /api/v2/processautomation/triggers/topics`` — a ``TopicCursorEntityListing`` of
  topic names, paged by ``pageSize`` (at most 200) and the ``after`` cursor;
* ``GET /api/v2/integrations/credentials/types`` — a bare array of ``CredentialType``, no parameters.

The same data is the context of the kinds' live checks when the sandbox validates a
write (:func:`context_for`), so the sandbox refuses exactly what a plan would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.kinds import KINDS, Kind, ReferenceRead
from reconciler.sandbox.listing import int_param
from reconciler.sandbox.responses import JSON, ApiProblem, refuse_params

if TYPE_CHECKING:
    from reconciler.sandbox.app import SandboxState

#: the platform's TTS engine listing (a kind's live check names it as a ReferenceRead)
ENGINES = "/api/v2/integrations/speech/tts/engines"

_VOICES: dict[str, list[tuple[str, str, str, str]]] = {
    # engine id -> (voice id, language, gender, voiceType)
    "amazon-polly": [
        ("Joanna", "en-US", "Female", "Neural"),
        ("Matthew", "en-US", "Male", "Neural"),
        ("Amy", "en-GB", "Female", "Neural"),
        ("Lucia", "es-ES", "Female", "Neural"),
        ("Lea", "fr-FR", "Female", "Neural"),
        ("Vicki", "de-DE", "Female", "Neural"),
    ],
    "microsoft-azure": [
        ("en-US-JennyNeural", "en-US", "Female", "Neural"),
        ("en-GB-SoniaNeural", "en-GB", "Female", "Neural"),
        ("es-ES-ElviraNeural", "es-ES", "Female", "Neural"),
        ("de-DE-KatjaNeural", "de-DE", "Female", "Neural"),
    ],
    "google-cloud": [
        ("en-US-Wavenet-F", "en-US", "Female", "Wavenet"),
        ("en-GB-Wavenet-B", "en-GB", "Male", "Wavenet"),
        ("ja-JP-Wavenet-B", "ja-JP", "Female", "Wavenet"),
        ("pt-BR-Wavenet-A", "pt-BR", "Female", "Wavenet"),
    ],
}
_ENGINE_NAMES = {
    "amazon-polly": "Amazon Polly",
    "microsoft-azure": "Microsoft Azure TTS",
    "google-cloud": "Google Cloud TTS",
}


def _engine_ref(engine_id: str) -> dict[str, Any]:
    return {"id": engine_id, "name": _ENGINE_NAMES[engine_id], "selfUri": f"{ENGINES}/{engine_id}"}


def voices(engine_id: str) -> list[dict[str, Any]]:
    """The voices of one engine, as ``TtsVoiceEntity`` objects."""
    return [
        {
            "id": voice_id,
            "name": voice_id,
            "displayName": f"{voice_id} ({language})",
            "gender": gender,
            "voiceType": voice_type,
            "language": language,
            "engine": _engine_ref(engine_id),
            "isDefault": index == 0,
            "selfUri": f"{ENGINES}/{engine_id}/voices/{voice_id}",
        }
        for index, (voice_id, language, gender, voice_type) in enumerate(_VOICES[engine_id])
    ]


def engines(include_voices: bool = False) -> list[dict[str, Any]]:
    """Every engine, as ``TtsEngineEntity`` objects (with their voices if asked)."""
    out = []
    for index, engine_id in enumerate(_VOICES):
        engine: dict[str, Any] = {
            "id": engine_id,
            "name": _ENGINE_NAMES[engine_id],
            "languages": sorted({language for _, language, _, _ in _VOICES[engine_id]}),
            "outputFormats": ["wav", "mp3"],
            "isDefault": index == 0,
            "isSecure": False,
            "selfUri": f"{ENGINES}/{engine_id}",
        }
        if include_voices:
            engine["voices"] = voices(engine_id)
        out.append(engine)
    return out


#: the topic dialects (the sandbox's own set; a real org lists its own)
DIALECTS = "/api/v2/speechandtextanalytics/topics/dialects"
DIALECT_CODES = (
    "en-US", "en-GB", "en-AU", "es-ES", "es-US", "fr-FR", "fr-CA", "de-DE", "it-IT", "nl-NL", "pt-BR", "ja-JP",
)
#: the event topics triggers may listen to (a subset of the platform's)
TRIGGER_TOPICS = "/api/v2/processautomation/triggers/topics"
TRIGGER_TOPIC_NAMES = tuple(
    f"v2.detail.events.conversation.{{id}}.{leg}.{edge}"
    for leg in ("customer", "acd", "agent", "user", "acw")
    for edge in ("start", "end")
) + ("v2.detail.events.conversation.{id}.outbound.initialized",)

#: the integration credential types: the sandbox's own set (a real org lists its own); names and
#: fields as CX as Code's tests use them (basicAuth: userName/password; callJourney: authToken;
#: pureCloudOAuthClient: clientId/clientSecret), userDefined types requiring nothing
CREDENTIAL_TYPES = "/api/v2/integrations/credentials/types"
_CREDENTIAL_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name -> (its fields, those required)
    "basicAuth": (("userName", "password"), ("userName", "password")),
    "callJourney": (("authToken",), ("authToken",)),
    "pureCloudOAuthClient": (("clientId", "clientSecret"), ("clientId", "clientSecret")),
    "userDefined": ((), ()),
    "userDefinedOAuth": ((), ()),
}


def credential_types() -> list[dict[str, Any]]:
    """Every credential type, as the SDK's ``CredentialType`` (``properties``, ``displayOrder``, ``required``)."""
    return [
        {
            "id": name,
            "name": name,
            "properties": {f: {"type": "string", "title": f} for f in fields},
            "displayOrder": list(fields),
            "required": list(required),
            "selfUri": f"{CREDENTIAL_TYPES}/{name}",
        }
        for name, (fields, required) in _CREDENTIAL_FIELDS.items()
    ]


#: the query parameters each catalog read takes, by route path: what the sandbox honours, each one a parameter
#: of the SDK method on that path (tests/sandbox/test_read_params.py); any other is refused (400), as the
#: platform refuses one an endpoint does not have. The trigger topics' ``before`` (SDK
#: ``get_processautomation_triggers_topics``) is the platform's, not implemented here: refused too.
TAKEN: dict[str, frozenset[str]] = {
    ENGINES: frozenset({"includeVoices", "name", "language", "pageSize", "pageNumber"}),
    ENGINES + "/{engineId}": frozenset({"includeVoices"}),
    ENGINES + "/{engineId}/voices": frozenset({"pageSize", "pageNumber"}),
    ENGINES + "/{engineId}/voices/{voiceId}": frozenset(),
    DIALECTS: frozenset(),
    TRIGGER_TOPICS: frozenset({"pageSize", "after"}),
    CREDENTIAL_TYPES: frozenset(),
}

#: reference listings the sandbox can serve, by path: params -> entities
LISTINGS: dict[str, Any] = {
    ENGINES: lambda params: engines(str(params.get("includeVoices", "")).lower() == "true"),
    DIALECTS: lambda params: list(DIALECT_CODES),
    TRIGGER_TOPICS: lambda params: list(TRIGGER_TOPIC_NAMES),
    CREDENTIAL_TYPES: lambda params: credential_types(),
}


def context_for(kind: Kind) -> dict[str, list[dict[str, Any]]]:
    """The context of ``kind``'s live checks, from the sandbox's own reference data (names as
    objects, as the client's reference reads hand them to the checks)."""
    return {
        read.key: [{"id": e, "name": e} if isinstance(e, str) else e for e in LISTINGS[read.path](read.params)]
        for check in kind.live_checks
        for read in check.reads
    }


def reference_reads() -> dict[str, ReferenceRead]:
    """Every reference listing a kind reads, by path (the sandbox serves each)."""
    return {read.path: read for kind in KINDS for check in kind.live_checks for read in check.reads}


def _page(request: Request, base: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    """A page-number envelope as the platform's ``*EntityListing`` models have it."""
    size = int_param(request, "pageSize", 25, 1, 100)
    number = int_param(request, "pageNumber", 1, 1, 1_000_000)
    total = len(entities)
    page_count = -(-total // size)
    extra = "".join(f"&{k}={v}" for k, v in request.query_params.items() if k not in ("pageSize", "pageNumber"))
    envelope: dict[str, Any] = {
        "entities": entities[(number - 1) * size : number * size],
        "pageSize": size,
        "pageNumber": number,
        "total": total,
        "firstUri": f"{base}?pageSize={size}&pageNumber=1{extra}",
        "lastUri": f"{base}?pageSize={size}&pageNumber={max(page_count, 1)}{extra}",
        "selfUri": f"{base}?pageSize={size}&pageNumber={number}{extra}",
        "pageCount": page_count,
    }
    if number < page_count:
        envelope["nextUri"] = f"{base}?pageSize={size}&pageNumber={number + 1}{extra}"
    if number > 1:
        envelope["previousUri"] = f"{base}?pageSize={size}&pageNumber={number - 1}{extra}"
    return envelope


def _flag(request: Request, name: str) -> bool:
    raw = request.query_params.get(name)
    if raw is None:
        return False
    if raw.lower() not in ("true", "false"):
        from reconciler.sandbox.responses import bad_request

        raise bad_request([(name, "must be true or false")], "query")
    return raw.lower() == "true"


def _engine_or_404(engine_id: str) -> None:
    if engine_id not in _VOICES:
        raise ApiProblem(404, f"No TTS engine with id {engine_id!r}")


def catalog_routes(state: SandboxState) -> list[Route]:
    """The TTS engine endpoints, guarded by the permissions the kinds' reference reads name."""
    read = reference_reads().get(ENGINES)
    if read is None:  # pragma: no cover - no kind reads engines
        return name_routes(state)
    needed = read.permissions

    async def list_engines(request: Request) -> Response:
        await state.guard(request, needed, write=False)
        refuse_params(request, TAKEN[ENGINES], "listing")
        found = engines(_flag(request, "includeVoices"))
        name = request.query_params.get("name")
        language = request.query_params.get("language")
        if name is not None:
            found = [e for e in found if name.casefold() in e["name"].casefold()]
        if language is not None:
            found = [e for e in found if language in e["languages"]]
            for engine in found:
                if "voices" in engine:
                    engine["voices"] = [v for v in engine["voices"] if v["language"] == language]
        return JSON(_page(request, ENGINES, found))

    async def get_engine(request: Request) -> Response:
        await state.guard(request, needed, write=False)
        refuse_params(request, TAKEN[ENGINES + "/{engineId}"], "read")
        engine_id = request.path_params["engineId"]
        _engine_or_404(engine_id)
        include = _flag(request, "includeVoices")
        return JSON(next(e for e in engines(include) if e["id"] == engine_id))

    async def list_voices(request: Request) -> Response:
        await state.guard(request, needed, write=False)
        refuse_params(request, TAKEN[ENGINES + "/{engineId}/voices"], "listing")
        engine_id = request.path_params["engineId"]
        _engine_or_404(engine_id)
        return JSON(_page(request, f"{ENGINES}/{engine_id}/voices", voices(engine_id)))

    async def get_voice(request: Request) -> Response:
        await state.guard(request, needed, write=False)
        refuse_params(request, TAKEN[ENGINES + "/{engineId}/voices/{voiceId}"], "read")
        engine_id, voice_id = request.path_params["engineId"], request.path_params["voiceId"]
        _engine_or_404(engine_id)
        found = next((v for v in voices(engine_id) if v["id"] == voice_id), None)
        if found is None:
            raise ApiProblem(404, f"No voice {voice_id!r} in TTS engine {engine_id!r}")
        return JSON(found)

    return [
        Route(ENGINES, list_engines, methods=["GET"], name="catalog:engines"),
        Route(ENGINES + "/{engineId}", get_engine, methods=["GET"], name="catalog:engine"),
        Route(ENGINES + "/{engineId}/voices", list_voices, methods=["GET"], name="catalog:voices"),
        Route(ENGINES + "/{engineId}/voices/{voiceId}", get_voice, methods=["GET"], name="catalog:voice"),
        *name_routes(state),
    ]


def name_routes(state: SandboxState) -> list[Route]:
    """The dialects, trigger topics and credential types listings, guarded by the permissions their reads name."""
    reads = reference_reads()
    routes = []
    if DIALECTS in reads:
        dialect_needed = reads[DIALECTS].permissions

        async def list_dialects(request: Request) -> Response:
            await state.guard(request, dialect_needed, write=False)
            refuse_params(request, TAKEN[DIALECTS], "listing")
            return JSON({"entities": list(DIALECT_CODES)})

        routes.append(Route(DIALECTS, list_dialects, methods=["GET"], name="catalog:dialects"))
    if TRIGGER_TOPICS in reads:
        topic_needed = reads[TRIGGER_TOPICS].permissions

        async def list_topics(request: Request) -> Response:
            await state.guard(request, topic_needed, write=False)
            refuse_params(request, TAKEN[TRIGGER_TOPICS], "listing", unimplemented=("before",))
            size = int_param(request, "pageSize", 25, 1, 200)
            start = int_param(request, "after", 0, 0, 1_000_000)
            names = TRIGGER_TOPIC_NAMES[start : start + size]
            body: dict[str, Any] = {"entities": list(names), "selfUri": f"{TRIGGER_TOPICS}?pageSize={size}"}
            if start + size < len(TRIGGER_TOPIC_NAMES):
                body["nextUri"] = f"{TRIGGER_TOPICS}?pageSize={size}&after={start + size}"
            return JSON(body)

        routes.append(Route(TRIGGER_TOPICS, list_topics, methods=["GET"], name="catalog:trigger-topics"))
    if CREDENTIAL_TYPES in reads:
        types_needed = reads[CREDENTIAL_TYPES].permissions

        async def list_credential_types(request: Request) -> Response:
            # a bare array, as the Python SDK's get_integrations_credentials_types reads it (list[CredentialType])
            await state.guard(request, types_needed, write=False)
            refuse_params(request, TAKEN[CREDENTIAL_TYPES], "listing")
            return JSON(credential_types())

        routes.append(Route(CREDENTIAL_TYPES, list_credential_types, methods=["GET"], name="catalog:credential-types"))
    return routes


def check_live(kind: Kind, model: Any) -> list[tuple[str, str]]:
    """``(field, message)`` for each live-check rule ``model`` breaks against the sandbox's data."""
    if not kind.live_checks:
        return []
    context: Mapping[str, list[dict[str, Any]]] = context_for(kind)
    return [(issue.path, issue.message) for check in kind.live_checks for issue in check.check(model, context)]


__all__ = [
    "LISTINGS", "catalog_routes", "check_live", "context_for", "credential_types", "engines", "reference_reads",
    "voices",
]
