"""The sandbox's state in SQLite: objects of every kind, OAuth clients and tokens, the org's identity.

Why SQLite and why this way:

* state survives between CLI runs (embedded mode builds a fresh app per run);
* several processes may share one file (a served sandbox and an embedded one, or two
  ``serve`` processes): the file is in WAL mode with a generous ``busy_timeout``, and
  every write is one ``BEGIN IMMEDIATE`` transaction, so a read-check-write sequence
  (version check, case-insensitive name uniqueness) cannot interleave with another
  writer's. A ``UNIQUE(kind, name_folded)`` constraint backs the uniqueness check up;
  a kind whose names may repeat (the platform's triggers) stores its folded name
  followed by ``NUL`` and the id, so the constraint never meets it;
* each thread that calls the store (handlers run store calls in worker threads) gets a
  connection of its own, opened on its first call and kept for the store's life (and the
  thread's): opening one per operation cost 90 us, about half of a create and three
  quarters of a read, and a served sandbox makes several per request. A connection an
  error went through is closed rather than reused, and a forked child opens its own.
  :meth:`Store.close` closes every connection the store opened in this process, whichever
  thread holds it (a worker thread of a pool outlives the store it served). Writers of
  one process also queue on a lock, so only writers of different processes meet in
  SQLite's busy handler.

The store knows nothing about kinds beyond their name: objects are opaque JSON.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.core.errors import ConfigError
from reconciler.core.paths import reason, status

BUSY_TIMEOUT_MS = 30_000
#: the first 16 bytes of every SQLite 3 file (https://www.sqlite.org/fileformat.html, 1.3)
SQLITE_MAGIC = b"SQLite format 3\x00"

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects (
    kind         TEXT NOT NULL,
    id           TEXT NOT NULL,
    name_folded  TEXT NOT NULL,
    date_created TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (kind, id),
    UNIQUE (kind, name_folded)
);
CREATE INDEX IF NOT EXISTS objects_order ON objects (kind, date_created);
CREATE TABLE IF NOT EXISTS clients (
    client_id     TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    scopes        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token      TEXT PRIMARY KEY,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS org (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    id   TEXT NOT NULL,
    name TEXT NOT NULL
);
"""


class StoreError(Exception):
    """Base of the store's refusals; the app turns each into an HTTP answer."""


class Missing(StoreError):
    """No object of that kind with that id."""


class DuplicateName(StoreError):
    """Another object of the kind already has this name (case-insensitively)."""


class VersionMismatch(StoreError):
    """The stored version differs from the one the update was based on."""

    def __init__(self, stored: int) -> None:
        super().__init__(stored)
        self.stored = stored


@dataclass(frozen=True)
class TokenRecord:
    client_id: str
    #: the client's platform permissions (kept in the ``scopes`` column, so older files still open)
    permissions: frozenset[str]
    expires_at: float


def fold(name: str) -> str:
    """The form names are compared in: case-insensitive, as the contract requires."""
    return name.casefold()


def name_key(name: str, object_id: str, unique: bool) -> str:
    """The ``name_folded`` column: the folded name, made distinct by the id where names may repeat."""
    return fold(name) if unique else f"{fold(name)}\x00{object_id}"


#: the folded name of a row, without the id a repeatable name carries
_NAME = (
    "(CASE WHEN instr(name_folded, char(0)) > 0 THEN substr(name_folded, 1, instr(name_folded, char(0)) - 1) "
    "ELSE name_folded END)"
)


class Store:
    """All reads and writes of the sandbox's SQLite file."""

    def __init__(self, path: str | Path) -> None:
        if str(path) == ":memory:":
            raise ValueError("the sandbox needs a database file (each connection would see its own :memory:)")
        self.path = Path(path)
        # Writers of this process queue here rather than in SQLite's busy handler, whose
        # back-off sleeps would add milliseconds to each contended write.
        self._write_lock = threading.Lock()
        self._anchor = self._open_anchor()
        #: this thread's connection and the process it was opened in (see the module's docstring)
        self._local = threading.local()
        #: every thread's connection, with its process, for :meth:`close`; guarded by ``_opened_lock``
        self._opened: set[tuple[int, sqlite3.Connection]] = set()
        self._opened_lock = threading.Lock()
        self._closed = False

    def _open_anchor(self) -> sqlite3.Connection:
        """The connection held open for the store's life, on a file checked to be a database.

        Held open because when the last connection to a WAL database closes, SQLite
        checkpoints and fsyncs, which would otherwise happen per request. A path that is
        a directory, unreadable, or not an SQLite file is a :class:`ConfigError` naming
        it (one line, exit 1), never SQLite's traceback.
        """
        self._check_place()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists():
                with open(self.path, "rb") as handle:
                    head = handle.read(len(SQLITE_MAGIC))
                if head and head != SQLITE_MAGIC:
                    raise ConfigError(f"sandbox database {self.path} is not an SQLite database (no SQLite header)")
            anchor = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except OSError as exc:
            raise ConfigError(f"cannot open sandbox database {self.path}: {reason(exc)}") from None
        except sqlite3.Error as exc:
            raise ConfigError(f"cannot open sandbox database {self.path}: {exc}") from None
        try:
            anchor.execute("PRAGMA journal_mode=WAL")
            anchor.executescript("BEGIN IMMEDIATE;" + SCHEMA + "COMMIT;")
            # its org (sandbox.identity), made with a new file or at an older file's first open; made once (one row)
            anchor.execute("INSERT OR IGNORE INTO org (one, id, name) VALUES (1, ?, ?)",
                           (str(uuid.uuid4()), f"Sandbox org {self.path.stem}"))
        except sqlite3.Error as exc:
            anchor.close()
            raise ConfigError(f"sandbox database {self.path} cannot be used: {exc}") from None
        return anchor

    def _check_place(self) -> None:
        """Refuse a path that cannot hold the database, naming why, before SQLite is asked.

        Asked with :func:`~reconciler.core.paths.status`, not ``Path.is_dir``: that raises
        on a name too long or a directory above without permission, a traceback for the user.
        """
        above = self._status(self.path.parent)
        if above is not None and not stat.S_ISDIR(above.st_mode):
            raise ConfigError(f"sandbox database {self.path}: {self.path.parent} is a file, not a directory")
        here = self._status(self.path)
        if here is not None and stat.S_ISDIR(here.st_mode):
            raise ConfigError(f"sandbox database {self.path} is a directory, not an SQLite file")

    def _status(self, path: Path) -> os.stat_result | None:
        try:
            return status(path)
        except OSError as exc:
            raise ConfigError(f"cannot open sandbox database {self.path}: {reason(exc)}") from None

    def close(self) -> None:
        """Close the anchor and every thread's connection; the store refuses calls after this.

        Only connections opened in this process: a forked child's copies of its parent's
        belong to the parent (closing them from the child would disturb the parent's file locks).
        Call it once no call is running (a served sandbox's server has stopped).
        """
        self._closed = True
        with self._opened_lock:
            opened, self._opened = self._opened, set()
        pid = os.getpid()
        for opened_in, conn in opened:
            if opened_in == pid:
                conn.close()
        self._anchor.close()

    def __del__(self) -> None:  # an __init__ that raised leaves no anchor
        anchor = getattr(self, "_anchor", None)
        if anchor is not None:
            anchor.close()

    # ---- transactions ------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreError(f"the sandbox store {self.path} is closed")
        held: tuple[int, sqlite3.Connection] | None = getattr(self._local, "held", None)
        if held is None or held[0] != os.getpid():
            # check_same_thread off: only this thread uses it (it lives in the thread's slot), but the
            # thread that frees the store may be another one
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                                   check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous=NORMAL")
            held = self._local.held = (os.getpid(), conn)
            with self._opened_lock:
                self._opened.add(held)
        try:
            yield held[1]
        except BaseException:
            self._local.held = None  # not reused: whatever state the error left it in goes with it
            with self._opened_lock:
                self._opened.discard(held)
            held[1].close()
            raise

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken with the write lock up front (``BEGIN IMMEDIATE``)."""
        with self._write_lock, self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several queries see one snapshot (count and page agree)."""
        with self._connection() as conn:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("COMMIT")

    # ---- objects ---------------------------------------------------------------------
    def create(self, kind: str, obj: dict[str, Any], *, unique: bool = True) -> dict[str, Any]:
        """Insert ``obj`` (which carries ``id``, ``name`` and ``dateCreated``); ``unique``: refuse
        a name another object of the kind has (case-insensitively)."""
        with self.write() as conn:
            if unique:
                self._check_name_free(conn, kind, obj["name"], None)
            try:
                conn.execute(
                    "INSERT INTO objects (kind, id, name_folded, date_created, body) VALUES (?, ?, ?, ?, ?)",
                    (kind, obj["id"], name_key(obj["name"], obj["id"], unique), obj["dateCreated"], json.dumps(obj)),
                )
            except sqlite3.IntegrityError as exc:  # pragma: no cover - the check above runs under the same lock
                raise DuplicateName(obj["name"]) from exc
        return obj

    def get(self, kind: str, object_id: str) -> dict[str, Any] | None:
        with self.read() as conn:
            return self._get(conn, kind, object_id)

    def replace(
        self,
        kind: str,
        object_id: str,
        expected_version: int | None,
        build: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        unique: bool = True,
    ) -> dict[str, Any]:
        """Replace an object if its version is ``expected_version`` (``None``: whatever it is).

        ``build(current)`` makes the new object; it runs inside the transaction, so the
        version it bumps is the one that was checked.
        """
        with self.write() as conn:
            current = self._get(conn, kind, object_id)
            if current is None:
                raise Missing(object_id)
            if expected_version is not None and current["version"] != expected_version:
                raise VersionMismatch(current["version"])
            new = build(current)
            if unique:
                self._check_name_free(conn, kind, new["name"], object_id)
            conn.execute(
                "UPDATE objects SET name_folded = ?, body = ? WHERE kind = ? AND id = ?",
                (name_key(new["name"], object_id, unique), json.dumps(new), kind, object_id),
            )
        return new

    def upsert(
        self, kind: str, object_id: str, build: Callable[[dict[str, Any] | None], dict[str, Any]]
    ) -> dict[str, Any]:
        """Write the object ``build(current)`` makes (``current`` is ``None`` if there is none yet),
        in one transaction: a singleton's first write creates it, later ones replace it."""
        with self.write() as conn:
            current = self._get(conn, kind, object_id)
            new = build(current)
            conn.execute(
                "INSERT INTO objects (kind, id, name_folded, date_created, body) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (kind, id) DO UPDATE SET name_folded = excluded.name_folded, body = excluded.body",
                (kind, object_id, fold(new["name"]), new["dateCreated"], json.dumps(new)),
            )
        return new

    def delete(self, kind: str, object_id: str) -> bool:
        with self.write() as conn:
            cursor = conn.execute("DELETE FROM objects WHERE kind = ? AND id = ?", (kind, object_id))
            return cursor.rowcount > 0

    def page(
        self, kind: str, name: str | None, offset: int, limit: int, *, contains: bool = False
    ) -> tuple[int, list[dict[str, Any]]]:
        """``(total, objects)`` of one page, in a stable order: date created, then insertion order.

        ``name`` filters by the whole name, or by a part of it with ``contains``
        (case-insensitive either way).
        """
        where, params = "kind = ?", [kind]
        if name is not None and contains:
            where += f" AND instr({_NAME}, ?) > 0"
            params.append(fold(name))
        elif name is not None:
            where += f" AND {_NAME} = ?"
            params.append(fold(name))
        with self.read() as conn:
            (total,) = conn.execute(f"SELECT COUNT(*) FROM objects WHERE {where}", params).fetchone()
            if offset >= total:
                return total, []
            rows = conn.execute(
                f"SELECT body FROM objects WHERE {where} ORDER BY date_created, rowid LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        return total, [json.loads(body) for (body,) in rows]

    def reset(self) -> None:
        """Forget every object (clients and tokens stay, so tests can keep going)."""
        with self.write() as conn:
            conn.execute("DELETE FROM objects")

    @staticmethod
    def _get(conn: sqlite3.Connection, kind: str, object_id: str) -> dict[str, Any] | None:
        row = conn.execute("SELECT body FROM objects WHERE kind = ? AND id = ?", (kind, object_id)).fetchone()
        return json.loads(row[0]) if row else None

    @staticmethod
    def _check_name_free(conn: sqlite3.Connection, kind: str, name: str, own_id: str | None) -> None:
        row = conn.execute("SELECT id FROM objects WHERE kind = ? AND name_folded = ?", (kind, fold(name))).fetchone()
        if row is not None and row[0] != own_id:
            raise DuplicateName(name)

    # ---- OAuth clients and tokens ------------------------------------------------------
    def put_client(self, client_id: str, client_secret: str, permissions: frozenset[str]) -> None:
        with self.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO clients (client_id, client_secret, scopes) VALUES (?, ?, ?)",
                (client_id, client_secret, json.dumps(sorted(permissions))),
            )

    def get_client(self, client_id: str) -> tuple[str, frozenset[str]] | None:
        with self.read() as conn:
            row = conn.execute("SELECT client_secret, scopes FROM clients WHERE client_id = ?", (client_id,)).fetchone()
        return (row[0], frozenset(json.loads(row[1]))) if row else None

    def put_token(self, token: str, record: TokenRecord) -> None:
        with self.write() as conn:
            conn.execute("DELETE FROM tokens WHERE expires_at < ?", (record.expires_at - 86_400 * 7,))
            conn.execute(
                "INSERT INTO tokens (token, client_id, scopes, expires_at) VALUES (?, ?, ?, ?)",
                (token, record.client_id, json.dumps(sorted(record.permissions)), record.expires_at),
            )

    def get_token(self, token: str) -> TokenRecord | None:
        with self.read() as conn:
            row = conn.execute("SELECT client_id, scopes, expires_at FROM tokens WHERE token = ?", (token,)).fetchone()
        return TokenRecord(row[0], frozenset(json.loads(row[1])), float(row[2])) if row else None

    def expire_tokens(self, now: float) -> int:
        """Make every token expired now (lets tests exercise re-authentication)."""
        with self.write() as conn:
            return conn.execute("UPDATE tokens SET expires_at = ? WHERE expires_at > ?", (now - 1, now)).rowcount
