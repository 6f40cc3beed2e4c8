"""Which project a path given belongs to: the nearest directory above it holding ``reconciler.yaml``.

Why: the root was the first directory given (or the first file's parent), so ``plan
manifests/sub/x.yaml`` in a project whose settings are ``manifests/reconciler.yaml`` read
no settings at all: its ``policy.protect`` and prune bounds were silently ignored, and a
plan of part of the project took ``manifests/sub`` for the whole of it. The root is now
found as git finds a repository's top from the working directory: upwards from the path,
the first directory holding the settings file. The search never goes above a directory
holding ``.git`` (the repository's top: settings of a directory that holds checkouts are
not theirs) nor above the filesystem's root.

The search is by name, on the path as given made absolute (``..`` taken lexically), not on
where symlinks lead: a file named on the command line belongs to the project it is named in,
as it is read wherever it leads (:func:`reconciler.manifests.files.discover`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reconciler.core.paths import status
from reconciler.manifests.settings import SETTINGS_FILE

#: what marks a repository's top: a directory in a clone, a file in a worktree or submodule
REPOSITORY_MARK = ".git"


def project_of(path: Path) -> Path | None:
    """The project ``path`` lies in: the nearest directory holding ``reconciler.yaml``, from ``path`` up; else None.

    A directory given is looked in first, a file's parent for a file (or for what is not
    there: its own error is for the walk to report). The answer is absolute and normalized,
    so that two paths spelled apart compare equal when they name one project.
    """
    here = Path(os.path.normpath(path.absolute()))
    if not is_directory(here):
        here = here.parent
    while True:
        # ``lexists``: a dangling link counts (the settings loader names what is wrong with it);
        # a place that cannot be looked at counts as nothing there (the walk names its refusal)
        if os.path.lexists(here / SETTINGS_FILE):
            return here
        if os.path.lexists(here / REPOSITORY_MARK) or here.parent == here:
            return None
        here = here.parent


def is_directory(path: Path) -> bool:
    """Whether ``path`` is a directory to walk; one that cannot be looked at is not.

    Why not ``Path.is_dir``: it raises on EACCES and ENAMETOOLONG. Such a path is then
    read as a file, and :func:`~reconciler.manifests.reading.problem` names why it cannot be.
    """
    try:
        found = status(path)
    except OSError:
        return False
    return found is not None and stat.S_ISDIR(found.st_mode)
