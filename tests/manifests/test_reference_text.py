"""How a referenced scalar becomes text inside the referring string."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.core.keys import ObjectKey
from reconciler.manifests.desired import resolve


@pytest.mark.parametrize(("value", "text"), [(True, "true"), (False, "false"), (8000, "8000"), (1.05, "1.05"),
                                             ("POST", "POST")])
def test_a_referenced_scalar_is_written_as_the_api_spells_it(value: Any, text: str) -> None:
    # a boolean used to become Python's "True", which no API reading the text understands
    def lookup(key: ObjectKey, field: str) -> Any:
        return value

    resolved = resolve({"description": "enabled=${ref:Webhook/A.enabled}"}, {}, lookup)
    assert resolved.value == {"description": f"enabled={text}"}
