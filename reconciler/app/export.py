"""The export use case: read the selected kinds' live objects, then build manifests of them.

Reading needs a client, which only this layer wires; building is the export package's
pure function of the listing, so ``reconciler.export`` never reaches the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reconciler.app.connect import RunOptions, client_for
from reconciler.app.live import read_live
from reconciler.export import Export, build_export, check_kinds
from reconciler.genesys import ClientStats


@dataclass(frozen=True)
class ExportRun:
    """The export built from the target's objects, and the client's counters."""

    export: Export = field(repr=False)
    stats: ClientStats = field(repr=False)


async def export_live(
    options: RunOptions,
    *,
    kinds: Sequence[str] = (),
    names: Sequence[str] = (),
    warnings: list[str] | None = None,
) -> ExportRun:
    """The export of the target's objects (reads only).

    ``kinds`` are the ``--kind`` names (none: every kind). A named kind the target lacks
    (``404``) or does not let this client read (``403``) is an error; an unnamed one
    exports nothing, with a line in ``warnings``: a real org has no seed-contract
    endpoints, so exporting "every kind" skips them.
    """
    selected = check_kinds(kinds)
    async with client_for(options) as client:
        live = await read_live(client, selected, required=set(kinds), warnings=warnings)
    return ExportRun(export=build_export(live, kinds=kinds, names=names), stats=client.stats)
