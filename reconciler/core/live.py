"""The live-state type every stage agrees on: kind name -> the objects the API listed.

Listings are handed from the app layer (which reads them) to the planner, the executor
and export (which only read them), so the type lives at the bottom of the tree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LiveState = Mapping[str, Sequence[Mapping[str, Any]]]
