"""The ``reconciler`` command: parses arguments, calls the use cases, prints, sets the exit code."""

from reconciler.cli.main import main

__all__ = ["main"]
