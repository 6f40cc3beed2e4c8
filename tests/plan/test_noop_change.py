"""A no-op's change is built without validation (memory): it must be indistinguishable from a validated one."""

from __future__ import annotations

import copy
import pickle

from reconciler.core.keys import ObjectKey
from reconciler.plan.model import Action, Reason, ReasonCode, ResourceChange, noop_change

_REASONS = (Reason(code=ReasonCode.UP_TO_DATE, text="up to date"),)
_VALUES = dict(
    kind="Webhook",
    name="hook",
    object_id="id-1",
    live_version=3,
    reasons=_REASONS,
    depends_on=(ObjectKey("SpeechRule", "rule"),),
    source="estate.yaml:4",
)


def _validated() -> ResourceChange:
    """As the planner built it before: every field given."""
    return ResourceChange(action=Action.NOOP, before=None, after=None, field_changes=(), spec=None, rename_of=None,
                          included_by=(),
                          **_VALUES)  # type: ignore[arg-type]  # test values of the right types


def test_equal_to_validated_and_serialized_alike() -> None:
    built, validated = noop_change(**_VALUES), _validated()  # type: ignore[arg-type]  # same
    assert built == validated and validated == built
    assert built.model_dump() == validated.model_dump()
    assert built.model_dump_json() == validated.model_dump_json()
    assert repr(built) == repr(validated)
    assert built.model_fields_set == validated.model_fields_set
    assert list(built.__dict__) == list(validated.__dict__)


def test_copies_do_not_share_what_they_change() -> None:
    built = noop_change(**_VALUES)  # type: ignore[arg-type]  # same
    renamed = built.model_copy(update={"name": "other"})
    assert (renamed.name, built.name) == ("other", "hook")
    assert noop_change(**_VALUES).model_fields_set == _validated().model_fields_set  # type: ignore[arg-type]  # same
    assert copy.deepcopy(built) == built and pickle.loads(pickle.dumps(built)) == built
