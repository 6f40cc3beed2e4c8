"""Which files make up the desired state, how they are named in messages, and their digest."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reconciler.core.errors import ManifestIssue
from reconciler.core.paths import reason
from reconciler.manifests.project import is_directory, project_of
from reconciler.manifests.reading import problem
from reconciler.manifests.settings import SETTINGS_FILE

SUFFIXES = (".yaml", ".yml")
#: directories below the one given that are walked: a real layout nests a few (org/kind/team); the
#: walk takes a call per level, and a tree 1,500 deep (3,000 characters, short of PATH_MAX) ended
#: in a RecursionError traceback
MAX_DIRECTORY_DEPTH = 64


@dataclass(frozen=True)
class FileSet:
    """The manifest files in load order, the project's root (that holds ``reconciler.yaml``), and problems."""

    root: Path
    files: tuple[Path, ...]
    issues: tuple[ManifestIssue, ...]
    #: the root's ``reconciler.yaml`` is a symlink leading out of the root: an issue, and not read
    settings_outside: bool = False

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
    """Files named directly, and ``*.yaml``/``*.yml`` below directories (sorted), the suffix in any case.

    Hidden files and directories are skipped, and the root's settings file (read by the
    settings loader); a settings file anywhere else is an issue. A file reached twice is
    loaded once.

    The root is the project of the first path given (:func:`~.project.project_of`): the
    nearest directory holding ``reconciler.yaml`` from it upwards, as git finds its top, so
    that ``plan manifests/sub/x.yaml`` reads ``manifests/reconciler.yaml``; with none, the
    first directory given (or the first file's parent), and no settings. Every other path
    given must lie in that same project (none, too), else it is an issue and not read: a
    run reads one project's settings, and another project's would go unread without a word.

    Nothing else is skipped: a path that cannot be read as a manifest (a dangling or
    looping symlink anywhere below a directory, whatever its name, since it may have
    been a directory of manifests; a FIFO, device, socket or directory named like a
    manifest; a directory without permission) is an issue naming what it is. Symlinked
    directories are followed; one that leads back to a directory being walked is a loop.
    A path given that cannot even be looked at (a directory above it without permission,
    a name too long) is an issue too, never a traceback.

    A symlink below a directory given must lead to a place inside the project (the directory
    given when there is none), and the root's ``reconciler.yaml`` inside the root
    (:func:`outside_of`): a manifest repository is written by whoever opens a pull request, and a
    link to ``~/.ssh/id_rsa`` or ``/etc/...`` would have the reconciler read that file and quote
    it in its errors. The project, not the directory given, is the bound, so that ``plan
    manifests/sub`` accepts the link ``manifests/sub/l.yaml -> ../common.yaml`` that ``plan
    manifests`` accepts. A file named on the command line is read wherever it leads: naming it
    is the choice.
    """
    given = [Path(p) for p in paths]
    first = given[0] if given else Path(".")
    project = project_of(first)
    root = _root(first, project)
    walk = _Walk()
    for path in given:
        elsewhere = project_of(path)
        if elsewhere != project:
            walk.issue(path, _not_in_project(elsewhere, project))
        elif is_directory(path):
            found: list[Path] = []
            # the project is the trust boundary: a link in a subfolder given may lead elsewhere in it
            walk.directory(path, frozenset(), found, given=path, bound=project or path)
            for p in sorted(found, key=lambda p: p.relative_to(path).as_posix()):
                walk.add(p)
        else:
            why = problem(path)
            if why is None:
                walk.add(path)
            else:
                walk.issue(path, why)
    read = root / SETTINGS_FILE
    outside = outside_of(read, root)
    if outside is not None:
        walk.issue(read, f"settings file {outside}; copy it in")
    for other in dict.fromkeys(walk.settings):
        # else its prune and policy would be ignored without a word, and its objects (if it held
        # manifests) deleted as undeclared
        if not _same_file(other, read):
            walk.issue(other, f"is a settings file, read only at the root ({display(read)}): move it there, or "
                              "rename it if it holds manifests")
    return FileSet(root=root, files=tuple(walk.files), issues=tuple(walk.issues), settings_outside=outside is not None)


def _root(first: Path, project: Path | None) -> Path:
    """The root: ``project``, spelled as given when it is the first directory given (or the first file's parent).

    Without a project, that directory, as before there were projects found upwards.
    """
    given = first if is_directory(first) else first.parent
    if project is None or Path(os.path.normpath(given.absolute())) == project:
        return given
    return project


def _not_in_project(project: Path | None, first: Path | None) -> str:
    """Why a path given in ``project`` is refused when the first path given lies in ``first`` (each a root, or None)."""
    rule = (f"a run reads the settings of one project, the nearest directory holding {SETTINGS_FILE} from the first "
            "path given upwards, so every path given must lie in it; give each project's paths in a run of its own")
    def named(root: Path | None) -> str:
        return f"{display(root)} ({display(root / SETTINGS_FILE)})" if root is not None else "none"

    if project is None:
        return f"lies outside the project of the first path given, {named(first)}: {rule}"
    if first is None:
        return f"lies in the project {named(project)}, but the first path given lies in none: {rule}"
    return f"lies in the project {named(project)}, not in {named(first)}, the project of the first path given: {rule}"


def left_out(fileset: FileSet, paths: Sequence[str | Path]) -> FileSet:
    """Manifest files of the project that ``paths`` did not name (a plan of part of it), and the walk's issues.

    Why: ``reconciler.yaml``'s prune applies to whatever was loaded, so ``apply
    manifests/voices.yaml`` would delete what only ``manifests/webhooks.yaml`` declares; the
    planner reads these files' declarations to leave those objects alone. The issues (a dangling
    symlink named like a manifest, a directory that cannot be listed) are kept, not dropped: a
    file left unread there could declare an object that pruning would then delete.
    Only a root holding ``reconciler.yaml`` is a project, so a file named in a directory of
    unrelated YAML (a repository's root) walks nothing; the root given whole walks nothing.
    """
    given = [Path(p) for p in paths]
    nothing = FileSet(root=fileset.root, files=(), issues=())
    if not fileset.settings_path.is_file() or any(p.is_dir() and p.resolve() == fileset.root.resolve() for p in given):
        return nothing
    loaded = {p.resolve() for p in fileset.files}
    walked = discover([fileset.root])
    files = tuple(p for p in walked.files if p.resolve() not in loaded)
    # a file given and read is no issue here (a symlink named on the command line may lead anywhere)
    issues = tuple(i for i in walked.issues if Path(i.file).resolve() not in loaded)
    return FileSet(root=fileset.root, files=files, issues=issues)


class _Walk:
    """The files and issues found so far, each file once."""

    def __init__(self) -> None:
        self.files: list[Path] = []
        self.issues: list[ManifestIssue] = []
        self._seen: set[Path] = set()
        #: settings files met on the way: only the root's is read (see :func:`discover`)
        self.settings: list[Path] = []

    def add(self, path: Path) -> None:
        undecodable = _undecodable_name(path)
        if undecodable is not None:
            self.issue(path, undecodable)
            return
        resolved = path.resolve()
        if _is_settings(path):
            self.settings.append(path)
        elif resolved not in self._seen:
            self._seen.add(resolved)
            self.files.append(path)

    def issue(self, path: Path, message: str) -> None:
        self.issues.append(ManifestIssue(display(path), None, None, "", message))

    def directory(self, here: Path, ancestors: frozenset[Path], found: list[Path], *, given: Path,
                  bound: Path) -> None:
        """Collect the manifests below ``here`` into ``found``; ``ancestors`` are the real directories above.

        ``given`` is the directory given (depth is counted from it); ``bound``, where a symlink below
        may lead: the project's root, or the directory given when there is no project.
        """
        real = here.resolve()
        if real in ancestors:
            self.issue(here, "is a symlink loop (it leads back to a directory above it)")
            return
        if len(ancestors) >= MAX_DIRECTORY_DEPTH:
            self.issue(here, f"lies more than {MAX_DIRECTORY_DEPTH} directories below {display(given)}: its "
                             "manifests are not read; a manifest tree is never that deep (a directory linked or "
                             "copied into itself?)")
            return
        try:
            entries = sorted(os.scandir(here), key=lambda e: e.name)
        except OSError as exc:
            self.issue(here, _directory_problem(exc))
            return
        for entry in entries:
            path = here / entry.name
            if entry.name.startswith("."):
                continue  # hidden
            if _is_settings(path):
                self.settings.append(path)  # the root's is read by the settings loader; others are issues
                continue
            why = problem(path)
            if why is None or why.startswith("is a directory"):
                # ``real`` lies inside: only a symlink can lead out (checked once the kind is known,
                # so a link to a device or a dangling one is named as such)
                outside = outside_of(path, bound) if entry.is_symlink() else None
                if outside is not None and (manifest_name(path) or why is not None):
                    self.issue(path, f"{outside}; copy it in, or name it on the command line")
                elif why is None:
                    if manifest_name(path):
                        found.append(path)
                elif manifest_name(path):
                    self.issue(path, f"{why} (named like a manifest)")
                else:
                    self.directory(path, ancestors | {real}, found, given=given, bound=bound)
            elif entry.is_symlink() or manifest_name(path):
                self.issue(path, why)


def outside_of(path: Path, root: Path) -> str | None:
    """Why ``path`` is refused: a symlink whose target lies outside the directory ``root``; else None.

    None too when nothing (or nothing readable) is there: the readers name that in their own words.
    """
    try:
        if not path.is_symlink() or path.resolve(strict=True).is_relative_to(root.resolve(strict=True)):
            return None
        target = os.readlink(path)
    except (OSError, RuntimeError):  # RuntimeError: a loop, on Python < 3.13
        return None
    return (f"is a symlink to {target!r}, which leads outside {display(root)}: only files inside the project (the "
            "directory given, when no reconciler.yaml is found) are read (a link could read any file this machine "
            "lets the reconciler read)")


def _undecodable_name(path: Path) -> str | None:
    """Why ``path`` cannot be named in a plan: its name holds bytes that are not UTF-8; else None.

    Why: Python keeps such bytes as lone surrogates (``bad\\udcff.yaml``), which validate
    showed, but a plan could not hash, print as JSON or save: a ``UnicodeEncodeError``
    traceback. A name git happily stores, so one a pull request can bring.
    """
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = os.fsencode(text[exc.start:exc.end])[:1]
        return f"its name is not UTF-8 text (byte 0x{byte.hex().upper()}); rename it"
    return None


def manifest_name(path: Path) -> bool:
    """Named like a manifest: ``.yaml`` or ``.yml`` in any case.

    Why any case: ``webhooks.YAML`` skipped would leave its objects undeclared, and with
    pruning on they were deleted; on a case-insensitive filesystem it is the same name.
    """
    return path.suffix.lower() in SUFFIXES


def _is_settings(path: Path) -> bool:
    """Whether ``path`` is the file the settings loader opens as ``reconciler.yaml`` beside it.

    That name exactly, or on a case-insensitive filesystem the same file spelled in another
    case (``Reconciler.YAML``), which must not be read as a manifest too. Elsewhere a file so
    spelled is not the settings file, and is read as a manifest like any other.
    """
    if path.name == SETTINGS_FILE:
        return True
    if path.name.casefold() != SETTINGS_FILE:
        return False
    try:
        return os.path.samefile(path, path.with_name(SETTINGS_FILE))
    except OSError:  # no reconciler.yaml beside it: a file of its own
        return False


def _same_file(path: Path, other: Path) -> bool:
    """Whether opening ``path`` reads ``other`` (one file under two spellings on a case-blind filesystem)."""
    try:
        return path.resolve() == other.resolve() or os.path.samefile(path, other)
    except OSError:
        return False


def _directory_problem(exc: OSError) -> str:
    return f"is a directory that cannot be listed: {reason(exc)}"


def digest(root: Path, files: Sequence[Path]) -> str:
    """sha256 over each file's path relative to ``root`` and its bytes, in path order.

    Independent of the working directory and of the order paths were given in, so the
    same checkout always yields the same digest (plans record it to detect edits).
    """
    named: list[tuple[str, Path]] = []
    base = root.resolve()
    for path in files:
        resolved = path.resolve()
        try:
            name = resolved.relative_to(base).as_posix()
        except ValueError:
            name = resolved.as_posix()
        named.append((name, resolved))
    hasher = hashlib.sha256()
    # One file's bytes at a time (all of them at once were a peak of 14 MB at 50,000 manifests);
    # equal names are one resolved file, so ordering by name alone orders as by name and bytes.
    for name, resolved in sorted(named, key=lambda entry: entry[0]):
        data = resolved.read_bytes()
        encoded = name.encode("utf-8")
        hasher.update(len(encoded).to_bytes(8, "big") + encoded)
        hasher.update(len(data).to_bytes(8, "big") + data)
    return hasher.hexdigest()
