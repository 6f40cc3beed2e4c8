"""The export use case: read the selected kinds' live objects, then build manifests of them.

Reading needs a client, which only this layer wires; building is the export package's
pure function of the listing, so ``reconciler.export`` never reaches the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.app.engine import RunOptions, read_live
from reconciler.export import Export, build_export, check_kinds
from reconciler.genesys import GenesysClient, open_client


async def export_live(
    options: RunOptions,
    *,
    kinds: Sequence[str] = (),
    names: Sequence[str] = (),
    warnings: list[str] | None = None,
) -> tuple[Export, GenesysClient]:
    """The export of the target's objects (reads only), and the client (for its counters).

    ``kinds`` are the ``--kind`` names (none: every kind). A named kind the target lacks
    (``404``) or does not let this client read (``403``) is an error; an unnamed one
    exports nothing, with a line in ``warnings``: a real org has no seed-contract
    endpoints, so exporting "every kind" skips them.
    """
    selected = check_kinds(kinds)
    async with open_client(options.target, sandbox_options=options.sandbox_options, limits=options.limits) as client:
        live = await read_live(client, selected, required=set(kinds), warnings=warnings)
    return build_export(live, kinds=kinds, names=names), client
