"""The output directory: what an export writes there.

Checked before anything is read from the target (a bad ``--out`` fails fast) and again
before writing, so an existing file is never half-replaced.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from reconciler.core.errors import ExportError
from reconciler.core.paths import file_kind, reason, status
from reconciler.core.secrets import remembered_forms, replace_forms, scrub_remembered
from reconciler.export.model import Export
from reconciler.export.yaml_writer import render_object, render_secrets, schema_reference
from reconciler.manifests.files import discover

SECRETS_FILE = "SECRETS.md"


def planned_files(export: Export, out_dir: Path) -> dict[Path, str]:
    """Each file the export writes under ``out_dir`` and its text."""
    files = {out_dir / obj.path: render_object(obj, schema_reference(out_dir, obj.path)) for obj in export.objects}
    if export.secrets:
        files[out_dir / SECRETS_FILE] = render_secrets(export)
    return files


def check_out_dir(out_dir: Path) -> Path:
    """Refuse an output path that cannot be a directory, before anything is read.

    Asked with :func:`~reconciler.core.paths.status`, not ``Path.exists``: that raises on a
    name too long or a directory above without permission, a traceback for the user. Looked
    at, never opened (a FIFO would block ``open``), and named for what it is: "exists and is
    not a directory" said of a FIFO named nothing to remove.
    """
    found = _look(out_dir, f"--out {out_dir}")
    if found is not None and not stat.S_ISDIR(found.st_mode):
        kind = file_kind(found.st_mode) or "a file that is not a directory"
        raise ExportError(f"--out {out_dir}: {kind} is there, not a directory; an export writes its manifests into "
                          "a directory (remove it, or choose another --out)")
    return out_dir


def write_export(export: Export, out_dir: Path, *, force: bool = False) -> list[Path]:
    """Check every file, then write them: existing files are refused unless ``force``.

    Every check (links, what stands in the way, files that exist) passes before the first file
    is written. Each file is written whole (:func:`_write_whole`), but a disk failing midway
    leaves the files written so far; the error names the file, and the same export with
    ``--force`` finishes the job.
    """
    if not export.objects:
        raise ExportError("nothing to export: no live object matches")
    check_out_dir(out_dir)
    _refuse_echoed_secrets(export)
    files = planned_files(export, out_dir)
    _refuse_links_out(out_dir, files)
    existing = _existing(files)
    if existing and not force:
        more = f" and {len(existing) - 3} more" if len(existing) > 3 else ""
        shown = ", ".join(str(p) for p in existing[:3]) + more
        raise ExportError(f"{len(existing)} file(s) already exist: {shown}; pass --force to overwrite them")
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_whole(path, text)
        except OSError as exc:  # no write permission, a full disk: named, never a traceback
            raise ExportError(f"cannot write {path}: {reason(exc)}") from None
    return list(files)


def _write_whole(path: Path, text: str) -> None:
    """Write ``text`` to a new file beside ``path``, then rename it over ``path``: what stood there is never opened.

    Why: opening the path itself would follow what :func:`_existing` checked a moment before.
    A FIFO put there since blocks ``open`` for ever, and a symbolic link is written through
    (to wherever it leads). The new file is created exclusively (``O_EXCL``, no link followed),
    and the rename replaces the name, not what a link at it leads to. A file replaced keeps its
    permission bits (``chmod 640`` stays), as writing into it would have; a new one gets 0666 less
    the umask, as ``open`` gives. The new file is removed when anything fails.
    """
    # Not a repeat of _existing's lstat: that one only decides whether the export may go on (and keeps
    # no result); this one reads the mode to keep from what stands at ``path`` now, just before the
    # rename, and, not following a link, lets nothing put there since (a link, a FIFO) lend its mode
    # or be opened. Passing _existing's stat along would save one syscall a file for a stale mode.
    previous = _look(path, str(path), follow=False)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            if previous is not None and stat.S_ISREG(previous.st_mode):
                os.fchmod(handle.fileno(), stat.S_IMODE(previous.st_mode))
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _refuse_echoed_secrets(export: Export) -> None:
    """Refuse, before any file is written, an export whose live values hold a secret this command knows.

    Why: the server answered a live value holding the OAuth client secret or an access token
    (in any form :mod:`reconciler.core.secrets` knows), and an export is committed to git. Masking
    it would not do: applied back, the manifest would overwrite the live value with ``***``.
    The objects are named with the secret masked out of their names; their files are not (the
    file name is a lower-cased slug of the name).
    """
    forms = remembered_forms()
    if not forms:
        return
    # searched in the document's JSON, not its YAML: YAML folds a long string across lines
    echoing: list[str] = []
    for obj in export.objects:
        text = json.dumps(obj.document(), ensure_ascii=False)
        if replace_forms(text, forms) != text:  # a form, or one cut short before an ellipsis
            echoing.append(scrub_remembered(f"{obj.kind}/{obj.name}"))
    if echoing:
        more = f" and {len(echoing) - 3} more" if len(echoing) > 3 else ""
        raise ExportError(
            f"nothing written: the live values of {', '.join(echoing[:3])}{more} hold a secret of this command "
            "(the OAuth client secret or an access token) as the server answered them; an export is committed, "
            "so it is not written (fix the live objects, or export the other names with --name)"
        )


def _existing(files: Iterable[Path]) -> list[Path]:
    """The files the export would overwrite; an ExportError for the first path no file can be written at.

    Asked with :func:`~reconciler.core.paths.status`: ``Path.exists`` raises where a file stands
    in place of a directory of the export (``out/webhook`` a file), and mkdir crashed on it.
    Only a regular file is replaced, even with ``--force``. Anything else is named for what it
    is (a FIFO was called "a directory"), and a symbolic link is not followed: written through,
    it overwrote, or created, the file it leads to, wherever that is (``~/.bashrc``).
    """
    found: list[Path] = []
    for path in files:
        here = _look(path, f"cannot write {path}", follow=False)
        if here is None:
            continue
        if stat.S_ISLNK(here.st_mode):
            raise ExportError(f"cannot write {path}: a symbolic link is in the way (to {_link_target(path)}); "
                              "an export writes no file through a link, even with --force "
                              "(remove the link, or choose another --out)")
        if not stat.S_ISREG(here.st_mode):
            kind = file_kind(here.st_mode) or "a file that is not a regular file"
            raise ExportError(f"cannot write {path}: {kind} is in the way; an export replaces only regular files, "
                              "even with --force (remove it, or choose another --out)")
        found.append(path)
    return found


def _refuse_links_out(out_dir: Path, files: Iterable[Path]) -> None:
    """Refuse a directory of the export (``out/webhook``) that is a symbolic link leading outside ``out_dir``.

    Why: every file of the kind was written wherever the link led (``~/.config/app``), and
    ``--force`` overwrote what was there; the manifests' reader refuses the same link, but only
    after the export had written through it. A link leading inside ``out_dir`` is kept.
    """
    root = out_dir.resolve()
    seen: set[Path] = set()
    for path in files:
        for inner in reversed(path.relative_to(out_dir).parents[:-1]):  # the directories between, top first
            directory = out_dir / inner
            if directory in seen:
                continue
            seen.add(directory)
            here = _look(directory, f"cannot write {path}", follow=False)
            if here is None or not stat.S_ISLNK(here.st_mode):
                continue
            try:
                inside = directory.resolve(strict=True).is_relative_to(root)
            except (OSError, RuntimeError):  # dangling, or a loop (RuntimeError on Python < 3.13): mkdir names it
                continue
            if not inside:
                raise ExportError(f"cannot write {path}: {directory} is a symbolic link to {_link_target(directory)}, "
                                  f"which leads outside {out_dir}; an export writes only inside --out "
                                  "(remove the link, or choose another --out)")


def _link_target(path: Path) -> str:
    """Where the link at ``path`` leads, as it is written (or ``?`` when it cannot be read)."""
    try:
        return os.readlink(path)
    except OSError:
        return "?"


def _look(path: Path, what: str, *, follow: bool = True) -> os.stat_result | None:
    """What stands at ``path`` (:func:`~reconciler.core.paths.status`); a refusal is an ExportError led by ``what``."""
    try:
        return status(path, follow=follow)
    except OSError as exc:
        raise ExportError(f"{what}: {reason(exc)}") from None


def other_manifests(out_dir: Path, written: Iterable[Path]) -> list[Path]:
    """YAML files already in ``out_dir`` that the export did not write: a plan reads them too."""
    ours = {p.resolve() for p in written}
    return [p for p in discover([out_dir]).files if p.resolve() not in ours]
