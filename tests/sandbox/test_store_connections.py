"""The sandbox store's connections: one per thread, kept; never one an error went through, nor a parent's."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox import store as store_module
from reconciler.sandbox.store import DuplicateName, Store


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
