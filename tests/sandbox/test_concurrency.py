"""Concurrent writers, in one served process and across two processes on one SQLite file."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio
import httpx
import pytest
from sandbox_data import valid

from reconciler.kinds import (
    CONTRACT_KINDS as KINDS,  # the seed contract's conventions; tests/realkinds covers the platform kinds
)

GRANT = {"grant_type": "client_credentials"}
CREDENTIALS = ("sandbox", "sandbox-secret")


def get_token(url: str) -> dict[str, str]:
    token = httpx.post(url + "/oauth/token", data=GRANT, auth=CREDENTIALS).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def all_names(url: str, headers: dict[str, str]) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    with httpx.Client(base_url=url, headers=headers) as client:
        for kind in KINDS:
            page = client.get(kind.collection, params={"pageSize": 100}).json()
            assert page["pageCount"] <= 1
            names[kind.name] = sorted(o["name"] for o in page["entities"])
    return names


async def write_all(urls: list[str], headers: dict[str, str], jobs: list[tuple[int, str, dict]]) -> list[int]:
    """Run each (writer, collection, body) create, writers concurrently; returns statuses."""
    statuses: list[int] = []

    async def writer(index: int) -> None:
        url = urls[index % len(urls)]
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60) as client:
            for _, collection, body in [j for j in jobs if j[0] == index]:
                statuses.append((await client.post(collection, json=body)).status_code)

    async with anyio.create_task_group() as group:
        for index in sorted({j[0] for j in jobs}):
            group.start_soon(writer, index)
    return statuses


def test_twenty_concurrent_writers_leave_exactly_their_objects(served_sandbox) -> None:
    sandbox = served_sandbox(rate_limit=0)
    headers = get_token(sandbox.url)
    jobs = [
        (w, kind.collection, valid(kind, name=f"writer {w:02d} object {i}"))
        for w in range(20)
        for i, kind in enumerate(KINDS * 2)
    ]
    statuses = anyio.run(write_all, [sandbox.url], headers, jobs)
    assert statuses == [200] * len(jobs)
    expected = {k.name: sorted(b["name"] for _, c, b in jobs if c == k.collection) for k in KINDS}
    assert all_names(sandbox.url, headers) == expected


def test_concurrent_creates_of_one_name_leave_one_object(served_sandbox) -> None:
    sandbox = served_sandbox(rate_limit=0)
    headers = get_token(sandbox.url)
    kind = KINDS[0]
    jobs = [(w, kind.collection, valid(kind, name="Contested" if w % 2 else "CONTESTED")) for w in range(20)]
    statuses = anyio.run(write_all, [sandbox.url], headers, jobs)
    assert sorted(statuses) == [200] + [409] * 19
    assert len(all_names(sandbox.url, headers)[kind.name]) == 1


def test_concurrent_updates_of_one_version_let_exactly_one_win(served_sandbox) -> None:
    sandbox = served_sandbox(rate_limit=0)
    headers = get_token(sandbox.url)
    kind = KINDS[0]
    stored = httpx.post(sandbox.url + kind.collection, json=valid(kind), headers=headers).json()
    statuses: list[int] = []

    async def update(i: int) -> None:
        async with httpx.AsyncClient(base_url=sandbox.url, headers=headers) as client:
            body = {**stored, "pitch": i / 10}
            statuses.append((await client.put(stored["selfUri"], json=body)).status_code)

    async def main() -> None:
        async with anyio.create_task_group() as group:
            for i in range(20):
                group.start_soon(update, i)

    anyio.run(main)
    assert sorted(statuses) == [200] + [409] * 19
    assert httpx.get(sandbox.url + stored["selfUri"], headers=headers).json()["version"] == 2


@contextmanager
def serve_process(db: Path) -> Iterator[str]:
    """``reconciler sandbox serve --port 0`` in its own process; yields its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "sandbox", "serve", "--port", "0", "--db", str(db), "--rate-limit", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            found = re.match(r"sandbox: (http://127\.0\.0\.1:\d+) ", line)  # the banner names the port taken
            if found:
                yield found.group(1)
                break
        else:
            raise AssertionError(f"serve exited with {proc.wait()}")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.timeout(120)
def test_two_processes_on_one_file_stay_consistent(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with serve_process(db) as first, serve_process(db) as second:
        headers = get_token(first)  # tokens live in the file: the second process honours it
        distinct = [(w, k.collection, valid(k, name=f"w{w} {k.name}")) for w in range(10) for k in KINDS]
        contested = [(w, k.collection, valid(k, name=f"Contested {k.name}")) for w in range(10, 20) for k in KINDS]
        statuses = anyio.run(write_all, [first, second], headers, distinct + contested)
        assert statuses.count(200) == len(distinct) + len(KINDS)
        assert statuses.count(409) == len(contested) - len(KINDS)
        expected = {
            k.name: sorted([f"w{w} {k.name}" for w in range(10)] + [f"Contested {k.name}"]) for k in KINDS
        }
        assert all_names(first, headers) == expected
        assert all_names(second, headers) == expected
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
