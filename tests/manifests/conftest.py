"""``marks_built``: every document built with its marks from now on (re-derived for an error, or at load)."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.manifests import yamlsource


@pytest.fixture
def marks_built(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    built: list[object] = []

    class Counting(yamlsource.MarkedBuilder):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(self)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(yamlsource, "MarkedBuilder", Counting)
    return built
