"""Shared fixtures: the sandbox, embedded and served.

* ``sandbox_options`` — :class:`SandboxOptions` on a fresh SQLite file in ``tmp_path``;
* ``sandbox_app`` — the ASGI app over those options;
* ``sandbox_client`` — an ``httpx.AsyncClient`` talking to ``sandbox_app`` in-process
  (base URL ``http://sandbox.local``); use it in ``@pytest.mark.anyio`` tests;
* ``token`` — ``await token(client)`` (or ``token(client, "id", "secret")``) returns a
  bearer token; ``auth_headers(tok)`` builds the header dict;
* ``served_sandbox`` — factory: ``served_sandbox(rate_limit=60, drop_rate=0.2)`` starts
  uvicorn on 127.0.0.1 on a free port (own SQLite file unless ``db_path`` is given) and
  returns an object with ``.url`` and ``.options``; stopped at teardown.

Tests marked ``slow`` run first (see :func:`pytest_collection_modifyitems`).
"""

from __future__ import annotations

import compileall
import dataclasses
import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions, create_app, embedded_transport

SANDBOX_BASE_URL = "http://sandbox.local"


def pytest_configure(config: pytest.Config) -> None:
    """Let the suite's processes keep compiled bytecode, even under ``PYTHONDONTWRITEBYTECODE``.

    Why: with that variable set (some CI images and this team's machines set it) and a venv
    installed ``--no-compile`` as ``.ci/run`` does, no ``.pyc`` is ever written, so every CLI
    process the suite starts compiles some 500 modules from source: 2.8 s of CPU instead of
    0.7 s, and the official SDK's import 14 s instead of 3. That alone took the suite from
    217 s to 308 s on 2 cores. The bytecode goes to ``.pytest_cache/pycache``
    (``PYTHONPYCACHEPREFIX``), so the checkout gains no ``__pycache__`` folders the variable
    was set to avoid. Runs in the controller before xdist starts its workers, which inherit it.
    Under xdist the controller also compiles, once, what the suite imports (:func:`_compile_ahead`).
    """
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None):
        prefix = os.environ.setdefault("PYTHONPYCACHEPREFIX", str(config.rootpath / ".pytest_cache" / "pycache"))
        sys.dont_write_bytecode = False
        sys.pycache_prefix = prefix
    # Only the xdist controller, before its workers start: without workers the one process compiles
    # what it imports once anyway, and a run that never imports the official SDK should not wait for it.
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        _compile_ahead(config.rootpath)


#: installed packages no test process imports: compiling them ahead would be time spent for nothing
_NEVER_IMPORTED = frozenset({"pip", "setuptools", "pkg_resources", "_distutils_hack", "mypy", "mypyc"})


def _compile_ahead(root: Path) -> None:
    """Compile the bytecode of everything the suite's processes import, once, on every core, when none is cached.

    Why: in a fresh clone (CI) nothing is cached (the cache is ``.pytest_cache/pycache``, keyed by
    absolute path), and the four xdist workers and the first CLI processes each compiled the same
    modules at once: the official SDK alone imports some 3,000 modules (20 s in each worker that
    reached an SDK test), and our package, its dependencies and the tests some 1,500 more. The
    suite took 168 s in a fresh clone against 135 s warm; compiled here first (about 12 s on
    2 cores), 145 s after it. Later runs find the cache and skip this in a millisecond.
    """
    from concurrent.futures import ProcessPoolExecutor

    package = importlib.util.find_spec("reconciler")
    if package is None or package.origin is None or Path(importlib.util.cache_from_source(package.origin)).exists():
        return  # cached by an earlier run
    site_packages = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    roots = [root / "reconciler", root / "tests"]
    for place in site_packages:
        roots += [p for p in place.iterdir() if p.name not in _NEVER_IMPORTED and not p.name.endswith(".dist-info")]
    sources = [str(f) for r in roots for f in ([r] if r.suffix == ".py" else r.rglob("*.py") if r.is_dir() else [])]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        list(pool.map(_compile_quietly, sources, chunksize=64))


def _compile_quietly(source: str) -> None:
    compileall.compile_file(source, quiet=2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first, each group in its own order.

    Why: under ``pytest -n 4`` (``.ci/run``) the few tests that take ten seconds or more would
    otherwise come last (``tests/resilience`` sorts late) and run one after another on one
    worker while the others sit idle. Started first, they run side by side and the thousand
    short tests fill in around them. Pair it with ``--maxschedchunk=1`` (set in
    ``addopts``) so that xdist hands out tests one at a time rather than the first
    quarter of the list to one worker. Every worker sorts the same way, as xdist needs.
    """
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sandbox_options(tmp_path: Path) -> SandboxOptions:
    return SandboxOptions(db_path=tmp_path / "sandbox.db")


@pytest.fixture
def sandbox_app(sandbox_options: SandboxOptions) -> Any:
    return create_app(sandbox_options)


@pytest.fixture
async def sandbox_client(sandbox_options: SandboxOptions) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=embedded_transport(sandbox_options), base_url=SANDBOX_BASE_URL) as client:
        yield client


async def get_token(
    client: httpx.AsyncClient, client_id: str = DEFAULT_CLIENT_ID, client_secret: str = DEFAULT_CLIENT_SECRET
) -> str:
    """A bearer token from the sandbox's client-credentials endpoint."""
    response = await client.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, client_secret)
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def token() -> Callable[..., Awaitable[str]]:
    """``await token(client)`` -> a bearer token (default sandbox client)."""
    return get_token


@pytest.fixture
def served_sandbox(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Factory of served sandboxes (uvicorn in a thread, free port, stopped at teardown)."""
    from reconciler.sandbox.server import serve_in_thread

    stack = ExitStack()
    count = 0

    def start(**overrides: Any) -> Any:
        nonlocal count
        count += 1
        overrides.setdefault("db_path", tmp_path / f"served-{count}.db")
        options = dataclasses.replace(SandboxOptions(), **overrides)
        return stack.enter_context(serve_in_thread(options))

    with stack:
        yield start


@dataclasses.dataclass
class Api:
    """An httpx client plus a bearer token: ``await api.post(path, json=...)``."""

    client: httpx.AsyncClient
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PUT", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def create(self, collection: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.post(collection, json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture
async def api(sandbox_client: httpx.AsyncClient, token: Callable[..., Awaitable[str]]) -> Api:
    return Api(sandbox_client, await token(sandbox_client))
