"""Asking the filesystem what stands at a path the user gave, with each refusal put in words.

Why: in Python 3.11 ``Path.exists``, ``is_dir`` and ``is_file`` answer False only for ENOENT,
ENOTDIR, EBADF and ELOOP; a directory above without search permission (EACCES) or a name
too long (ENAMETOOLONG) escapes them as an ``OSError``, which the CLI shows as a traceback.
Callers ask :func:`status` instead and turn :func:`reason` into their own one-line error,
naming the path and the option or file it came from.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path


def status(path: Path, *, follow: bool = True) -> os.stat_result | None:
    """What stands at ``path`` (symlinks followed unless ``follow`` is False), or None when nothing does.

    Every other refusal (permission denied, a name too long, a file where a directory
    should be, a symlink loop) is raised as the ``OSError`` it is: the caller names it.
    ``follow=False`` is for a writer that must not write through a link standing at ``path``.
    """
    try:
        return path.stat(follow_symlinks=follow)
    except FileNotFoundError:
        return None


def not_regular(mode: int) -> str | None:
    """What a file of ``mode`` is when it is not a regular file (``is a FIFO (named pipe), ...``); None when it is.

    Why: a FIFO blocks the reader that opens it, and a device may never end (``/dev/urandom``):
    a reader refuses them in these words rather than wait or read forever.
    """
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a directory, not a file"
    kind = file_kind(mode)
    return f"is {kind}, not a regular file" if kind is not None else "is not a regular file"


def file_kind(mode: int) -> str | None:
    """A file of ``mode`` named with its article (``a FIFO (named pipe)``, ``a symbolic link``); None if unnamed.

    Why: a message says what stands in the way, so that the user knows what to remove; "a
    directory" said of a FIFO sent them looking for one. ``mode`` of an ``lstat`` names a link.
    """
    for test, name in _KINDS:
        if test(mode):
            return name
    return None


_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISREG, "a regular file"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def reason(exc: OSError) -> str:
    """``exc`` in words for a message that already names the path: no errno number, no path twice.

    In the lower case of the sentence it ends ("cannot write plan file p.json: is a directory"),
    not the C library's capital ("Is a directory", "No such file or directory"); a word in
    capitals (an acronym) is kept as it is. Every message quoting an ``OSError`` asks here.
    """
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    text = exc.strerror or str(exc)
    if text[:1].isupper() and text[1:2].islower():
        return text[0].lower() + text[1:]
    return text


class LinkRefused(OSError):
    """A file opened by :func:`open_unlinked` is a symbolic link: its ``strerror`` says where it leads."""


def open_unlinked(path: str | Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` of ``path`` without following a symbolic link at its last part; :class:`LinkRefused` for a link.

    Why: a file the tool writes (the audit log and every file beside it) must be the file at
    that name; a link there to a file not yet made, or empty, took an apply's audit records
    wherever it led. ``O_NOFOLLOW`` refuses the link in the same call that opens the file, so
    nothing can put one there between a check and the open. Other refusals are the ``OSError``
    they are (:func:`reason` words both).
    """
    try:
        return os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), mode)
    except OSError as exc:
        try:
            target = os.readlink(path)
        except OSError:  # no link there: the refusal was something else
            raise exc from None
        raise LinkRefused(exc.errno, f"it is a symbolic link to {target!r}, which is not followed") from None
