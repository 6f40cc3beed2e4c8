"""A project's ``reconciler.yaml`` read on its own, for the commands that judge changes without loading manifests.

Why: ``apply FILE`` and ``revert`` judge ``policy.protect`` and ``policy.limits`` of the
project, but load no manifests to find it by. They read ``manifests/reconciler.yaml`` under
the working directory whatever project the plan came from, so a plan of ``infra/genesys``
was judged against another project's settings, or none. The project is now found by the
rule ``plan`` follows (:func:`~.project.project_of`) from a path the command is given or the
plan recorded, and its settings file is held to the rule the loader holds it to.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.core.errors import ManifestError, ManifestIssue
from reconciler.manifests.files import display, outside_of
from reconciler.manifests.settings import SETTINGS_FILE, ProjectSettings, load_settings


def read_settings(root: Path | None) -> ProjectSettings:
    """The settings of the project ``root`` (a directory :func:`~.project.project_of` found); defaults for None.

    Raises :class:`ManifestError` located at the file's line for a file with mistakes, and for
    one that is a symlink leading outside ``root`` (never read, as the loader refuses it).
    """
    if root is None:
        return ProjectSettings()
    path = root / SETTINGS_FILE
    shown = display(path)
    outside = outside_of(path, root)
    if outside is not None:
        raise ManifestError([ManifestIssue(shown, None, None, "", f"settings file {outside}; copy it in")])
    settings, issues = load_settings(path, shown)
    if issues:
        raise ManifestError(issues)
    return settings
