"""The registry of kinds. Adding a kind: write its module here and list it below.

Nothing outside this package names a kind; the engine iterates :data:`REGISTRY`.
"""

from __future__ import annotations

from reconciler.core.suggest import LOOSE_CUTOFF, closest
from reconciler.kinds import (
    architect_user_prompt,
    data_action,
    dictionary_feedback,
    integration,
    integration_credential,
    process_automation_trigger,
    speech_program,
    speech_rule,
    speech_topic,
    tts_settings,
    voice_profile,
    webhook,
)
from reconciler.kinds.conventions import (
    AUDIT_READ_PERMISSION,
    AUDIT_READ_SCOPE,
    Audited,
    ChildCollection,
    IdRefs,
    Listing,
    LiveCheck,
    Permissions,
    PostWriteHook,
    Publish,
    ReferenceRead,
    Singleton,
    SubResource,
)
from reconciler.kinds.kind import SERVER_MANAGED, Kind
from reconciler.kinds.spec import FieldIssue, InvalidSpec, SpecModel

#: Kinds in a stable order (also the order of display): the seed contract's three, then
#: the kinds bound to the real Genesys Cloud Platform API (``Kind.source == "platform"``).
KINDS: tuple[Kind, ...] = (
    voice_profile.KIND,
    speech_rule.KIND,
    webhook.KIND,
    speech_topic.KIND,
    speech_program.KIND,
    dictionary_feedback.KIND,
    tts_settings.KIND,
    architect_user_prompt.KIND,
    process_automation_trigger.KIND,
    integration_credential.KIND,
    integration.KIND,
    data_action.KIND,
)

REGISTRY: dict[str, Kind] = {k.name: k for k in KINDS}

#: kinds bound to the customer's reference contract (sandbox only today) and kinds bound
#: to the public Genesys Cloud Platform API (they run against a real org)
CONTRACT_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k.source == "contract")
PLATFORM_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS if k.source == "platform")


def kind_rank(kind_name: str) -> int:
    """Position of ``kind_name`` in :data:`KINDS`, the one display and planning order of kinds.

    Every listing sorted "by kind" uses this, so a plan, a drift report and a comment
    show kinds in the same order; an unknown name sorts after every known kind.
    """
    return next((i for i, kind in enumerate(KINDS) if kind.name == kind_name), len(KINDS))


def get_kind(name: str) -> Kind:
    """The kind called ``name``; ``KeyError`` with a suggestion when there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(unknown_kind_message(name)) from None


def unknown_kind_message(name: object) -> str:
    close = closest(str(name), REGISTRY, cutoff=LOOSE_CUTOFF)
    hint = f"; did you mean {close!r}?" if close else ""
    return f"unknown kind {name!r} (known: {', '.join(REGISTRY)}){hint}"


__all__ = [
    "AUDIT_READ_PERMISSION",
    "AUDIT_READ_SCOPE",
    "CONTRACT_KINDS",
    "KINDS",
    "PLATFORM_KINDS",
    "REGISTRY",
    "SERVER_MANAGED",
    "Audited",
    "FieldIssue",
    "IdRefs",
    "InvalidSpec",
    "Kind",
    "LiveCheck",
    "Listing",
    "Permissions",
    "PostWriteHook",
    "Publish",
    "ReferenceRead",
    "Singleton",
    "SpecModel",
    "SubResource",
    "ChildCollection",
    "get_kind",
    "kind_rank",
    "unknown_kind_message",
]
