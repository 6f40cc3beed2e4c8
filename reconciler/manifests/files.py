"""Which files make up the desired state, how they are named in messages, and their digest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.errors import ManifestIssue
from reconciler.manifests.settings import SETTINGS_FILE

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class FileSet:
    """The manifest files in load order, the root that holds ``reconciler.yaml``, and problems."""

    root: Path
    files: tuple[Path, ...]
    issues: tuple[ManifestIssue, ...]

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE


def display(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else absolute."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return os.path.normpath(absolute).replace(os.sep, "/")


def discover(paths: Sequence[str | Path]) -> FileSet:
    """Files named directly, and ``*.yaml``/``*.yml`` below directories (sorted).

    Hidden files and directories and the settings file are skipped; a file reached twice
    is loaded once. The root is the first directory given (or the first file's parent).
    """
    given = [Path(p) for p in paths]
    issues: list[ManifestIssue] = []
    files: list[Path] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen and path.name != SETTINGS_FILE:
            seen.add(resolved)
            files.append(path)

    for path in given:
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ]
            for p in sorted(found, key=lambda p: p.relative_to(path).as_posix()):
                add(p)
        elif path.is_file():
            add(path)
        else:
            issues.append(ManifestIssue(display(path), None, None, "", "no such file or directory"))
    first = given[0] if given else Path(".")
    root = first if first.is_dir() else first.parent
    return FileSet(root=root, files=tuple(files), issues=tuple(issues))


def digest(root: Path, files: Sequence[Path]) -> str:
    """sha256 over each file's path relative to ``root`` and its bytes, in path order.

    Independent of the working directory and of the order paths were given in, so the
    same checkout always yields the same digest (plans record it to detect edits).
    """
    entries: list[tuple[str, bytes]] = []
    base = root.resolve()
    for path in files:
        resolved = path.resolve()
        try:
            name = resolved.relative_to(base).as_posix()
        except ValueError:
            name = resolved.as_posix()
        entries.append((name, resolved.read_bytes()))
    hasher = hashlib.sha256()
    for name, data in sorted(entries):
        encoded = name.encode("utf-8")
        hasher.update(len(encoded).to_bytes(8, "big") + encoded)
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()
