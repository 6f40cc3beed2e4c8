"""The sandbox store's connections: one per thread, kept; never one an error went through, nor a parent's;
all closed with the store, by whoever owns it."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions, embedded_transport
from reconciler.sandbox import store as store_module
from reconciler.sandbox.server import serve_in_thread
from reconciler.sandbox.store import DuplicateName, Store, StoreError


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[sqlite3.Connection]:
    """Every connection the store opens after the fixture starts (its anchor is opened before)."""
    made: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real(*args, **kwargs)
        made.append(conn)
        return conn

    monkeypatch.setattr(store_module.sqlite3, "connect", connect)
    return made


def obj(name: str, object_id: str) -> dict[str, Any]:
    return {"id": object_id, "name": name, "dateCreated": "2024-01-01T00:00:00Z"}


def test_a_thread_keeps_one_connection_for_its_calls(tmp_path: Path, opened: list[sqlite3.Connection]) -> None:
    store = Store(tmp_path / "s.db")
    opened.clear()
    for i in range(5):
        store.create("VoiceProfile", obj(f"v{i}", f"id-{i}"))
        assert store.get("VoiceProfile", f"id-{i}") is not None
    assert len(opened) == 1


def test_each_thread_has_its_own_connection(tmp_path: Path, opened: list[sqlite3.Connection]) -> None:
    store = Store(tmp_path / "s.db")
    opened.clear()
    store.create("VoiceProfile", obj("main", "id-main"))

    def work(i: int) -> None:
        store.create("VoiceProfile", obj(f"t{i}", f"id-t{i}"))
        store.get("VoiceProfile", f"id-t{i}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(opened) == 4
    assert store.page("VoiceProfile", None, 0, 10)[0] == 4


def test_a_connection_an_error_went_through_is_not_reused(tmp_path: Path, opened: list[sqlite3.Connection]) -> None:
    store = Store(tmp_path / "s.db")
    store.create("VoiceProfile", obj("taken", "id-1"))
    opened.clear()
    with pytest.raises(DuplicateName):
        store.create("VoiceProfile", obj("TAKEN", "id-2"))
    with pytest.raises(RuntimeError):
        with store.read():
            raise RuntimeError("a caller's error inside a read")
    store.create("VoiceProfile", obj("free", "id-3"))
    assert len(opened) == 2  # one after each error (the first call reused the connection of the create before)
    with pytest.raises(sqlite3.ProgrammingError):
        opened[0].execute("SELECT 1")  # closed, not left in whatever state the error made
    assert store.get("VoiceProfile", "id-3") is not None


def test_a_forked_child_opens_its_own(tmp_path: Path, opened: list[sqlite3.Connection],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "s.db")
    opened.clear()
    store.create("VoiceProfile", obj("parent", "id-1"))
    monkeypatch.setattr(store_module.os, "getpid", lambda: -1)  # what a child of fork() would answer
    assert store.get("VoiceProfile", "id-1") is not None
    assert len(opened) == 2


def _is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def test_close_closes_every_threads_connection_even_of_threads_still_running(
    tmp_path: Path, opened: list[sqlite3.Connection]
) -> None:
    """A pool's worker threads outlive the store they served: their connections close with the store."""
    store = Store(tmp_path / "s.db")
    store.create("VoiceProfile", obj("main", "id-main"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        barrier = threading.Barrier(2)

        def work(i: int) -> None:
            barrier.wait(timeout=10)  # both workers take a call, so both open a connection
            store.create("VoiceProfile", obj(f"w{i}", f"id-w{i}"))

        list(pool.map(work, range(2)))
        assert len(opened) == 4  # the anchor, this thread's and each worker's
        assert not any(_is_closed(conn) for conn in opened)
        store.close()  # the workers are still alive, holding theirs
        assert all(_is_closed(conn) for conn in opened)


def test_a_closed_store_refuses_calls_by_name(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create("VoiceProfile", obj("before", "id-1"))
    store.close()
    with pytest.raises(StoreError, match=r"sandbox store .*s\.db is closed"):
        store.get("VoiceProfile", "id-1")
    with pytest.raises(StoreError, match="is closed"):
        store.create("VoiceProfile", obj("after", "id-2"))
    store.close()  # twice is harmless


def test_a_forked_child_leaves_its_parents_connections_open(
    tmp_path: Path, opened: list[sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "s.db")
    store.create("VoiceProfile", obj("parent", "id-1"))
    parents = opened[1]  # opened[0] is the anchor
    monkeypatch.setattr(store_module.os, "getpid", lambda: -1)  # what a child of fork() would answer
    assert store.get("VoiceProfile", "id-1") is not None  # the child's own connection
    childs = opened[2]
    store.close()
    assert _is_closed(childs)
    assert not _is_closed(parents)  # the parent's, which the child must not touch
    parents.close()


@pytest.mark.anyio
async def test_an_embedded_transport_closes_its_sandbox_with_the_client(
    tmp_path: Path, opened: list[sqlite3.Connection]
) -> None:
    async with httpx.AsyncClient(
        transport=embedded_transport(SandboxOptions(db_path=tmp_path / "s.db")), base_url="http://sandbox"
    ) as client:
        answer = await client.post("/oauth/token", data={"grant_type": "client_credentials"},
                                   auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
        assert answer.status_code == 200
        assert opened and not any(_is_closed(conn) for conn in opened)
    assert all(_is_closed(conn) for conn in opened)


def test_a_served_sandbox_closes_its_store_when_it_stops(tmp_path: Path, opened: list[sqlite3.Connection]) -> None:
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "s.db")) as served:
        answer = httpx.post(served.url + "/oauth/token", data={"grant_type": "client_credentials"},
                            auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), timeout=10)
        assert answer.status_code == 200
        assert len(opened) >= 2 and not any(_is_closed(conn) for conn in opened)
    assert all(_is_closed(conn) for conn in opened)
