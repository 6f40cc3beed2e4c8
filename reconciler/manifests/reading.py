"""Reading one manifest file, or saying exactly why it cannot be read.

A file the loader cannot read must never be skipped: with pruning on, the objects it
declared would look undeclared and be deleted. So whatever stands at a manifest's path
is either a regular file read whole, or a :class:`Unreadable` that names what it is
(a dangling symlink, a symlink loop, a directory, a FIFO, a device, a socket, a file
without read permission) and is reported as a manifest error.

A FIFO or a device is never opened for reading: the read would block or never end.
The check is made on the open descriptor (``O_NONBLOCK``, then ``fstat``), so a file
swapped for a FIFO between the listing and the read is refused as well. A saved plan is
read the same way (:func:`read_bounded`), with its own bound.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from reconciler.core.paths import not_regular, reason

#: a manifest larger than this is refused unread; the largest kind (1000 phrases) is far below
MAX_FILE_BYTES = 16 * 1024 * 1024


class Unreadable(Exception):
    """Why a path cannot be read as a manifest, in words for the user; ``line``/``column`` where known (1-based).

    ``reason`` is what is wrong without the ``cannot be read:`` lead an operating-system
    refusal carries (``permission denied``, ``is a FIFO (named pipe), not a regular file``):
    a caller whose own words already say "cannot read" uses it rather than cut the lead
    off the message.
    """

    def __init__(self, message: str, line: int | None = None, column: int | None = None, *,
                 reason: str | None = None) -> None:
        super().__init__(message)
        self.line, self.column = line, column
        self.reason = message if reason is None else reason

    @classmethod
    def refused(cls, exc: OSError) -> Unreadable:
        """The error for an ``OSError`` met opening or reading: ``cannot be read: <why>``."""
        why = reason(exc)
        return cls(f"cannot be read: {why}", reason=why)


def problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a manifest file, or None when it is a regular file."""
    try:
        status = path.stat()
    except OSError as exc:
        return str(_stat_problem(path, exc))
    return not_regular(status.st_mode)


def _stat_problem(path: Path, exc: OSError) -> Unreadable:
    if exc.errno == errno.ELOOP:
        return Unreadable("is a symlink loop (it never reaches a file)")
    if exc.errno == errno.ENOENT and path.is_symlink():
        try:
            target = os.readlink(path)
        except OSError:  # pragma: no cover - it was a symlink a moment ago
            target = "?"
        return Unreadable(f"is a dangling symlink (its target {target!r} does not exist)")
    if exc.errno == errno.ENOENT:
        return Unreadable("no such file or directory")
    return Unreadable.refused(exc)


def read_text(path: Path) -> str:
    """The UTF-8 text of the regular file at ``path``; :class:`Unreadable` for anything else."""
    data = read_bounded(path, MAX_FILE_BYTES, f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(data, exc) from None


#: byte-order marks of the encodings an editor may save a file in instead of UTF-8
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"),
         (b"\xfe\xff", "UTF-16"))


def _not_utf8(data: bytes, exc: UnicodeDecodeError) -> Unreadable:
    """The error for bytes that are not UTF-8: placed at the line and column of the first bad byte.

    Why: "invalid start byte at byte 66" sent the user counting bytes; a file saved as
    UTF-16 (Windows editors, PowerShell's ``>``) is named as such, for it is bad at every other byte.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return Unreadable(f"not UTF-8 text: it is {encoding} (it starts with a {encoding} byte-order mark); "
                              "save it as UTF-8", 1, 1)
    line_start = data.rfind(b"\n", 0, exc.start) + 1
    line = data.count(b"\n", 0, line_start) + 1
    column = len(data[line_start:exc.start].decode("utf-8", errors="replace")) + 1
    return Unreadable(f"not UTF-8 text: byte 0x{data[exc.start]:02X} at byte offset {exc.start} ({exc.reason}); "
                      "save the file as UTF-8", line, column)


def read_bounded(path: Path, max_bytes: int, too_large: str) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes``; :class:`Unreadable` (``too_large``) beyond.

    Why bounded: a file's size is the memory its reading and parsing cost, many times over;
    a file made huge by mistake or on purpose is refused unread, not read until memory runs out.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise _stat_problem(path, exc) from None
    try:
        status = os.fstat(fd)
    except OSError as exc:  # pragma: no cover - fstat of a descriptor just opened
        os.close(fd)
        raise Unreadable.refused(exc) from None
    kind = not_regular(status.st_mode)
    if kind is not None:  # before fdopen, which refuses a directory's descriptor with a traceback
        os.close(fd)
        raise Unreadable(kind)
    with os.fdopen(fd, "rb") as handle:
        if status.st_size > max_bytes:
            raise Unreadable(too_large)
        try:
            # Sized by the file, not the bound: read(n) allocates n bytes first.
            data = handle.read(status.st_size + 1)
            if len(data) > status.st_size:  # it grew since fstat: read on, up to the bound
                data += handle.read(max_bytes + 1 - len(data))
        except OSError as exc:
            raise Unreadable.refused(exc) from None
    if len(data) > max_bytes:
        raise Unreadable(too_large)
    return data
