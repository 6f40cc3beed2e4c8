"""``reconciler sandbox …`` commands (filled in by the sandbox work, issue 2)."""

from __future__ import annotations

import click


@click.group()
def sandbox() -> None:
    """Run or manage the Genesys Cloud sandbox emulator."""
