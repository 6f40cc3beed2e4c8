"""Seed a sandbox database with a generated estate in-process, without ``reconciler apply``.

    python bench/seed.py N DIR      # writes DIR/estateN/ (manifests) and DIR/sN.db (the sandbox state)

Why: seeding by applying through HTTP (one audited write per object, a served sandbox)
takes minutes at 50,000 objects. Here every object is POSTed straight to the sandbox's own
ASGI app (``reconciler.sandbox.embedded_transport``: the same create handler a served
sandbox runs, its validation and stored shape, no socket, no audit log of ours), rules
before the webhooks that reference their ids. The manifests are written by
``tests/resilience/_estate.py`` from the same generator, so a no-change ``reconciler plan``
of DIR/estateN against DIR/sN.db must exit 0: the benchmark runs exactly that plan first
and stops if it does not (the check that this shortcut stored what an apply would).

Only stable entry points are used: the sandbox's options and transport, each kind's
``collection`` and ``name_field``, and the estate generator.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import anyio  # noqa: E402
import httpx  # noqa: E402

from reconciler.kinds import REGISTRY  # noqa: E402
from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions, embedded_transport  # noqa: E402
from tests.resilience._estate import HOOK_TOKEN_VAR, documents, split, write_estate  # noqa: E402

#: the secret the generated webhooks read from the environment (bench/harness.py's HOOK_TOKEN)
HOOK_TOKEN = "bench-hook-token-not-a-real-secret"
#: POSTs in flight: the handlers hand the SQLite write to a worker thread, so a few overlap usefully
IN_FLIGHT = 8
_REF = re.compile(r"\$\{ref:SpeechRule/([^}]+)\.id\}")
_ENV = "${env:" + HOOK_TOKEN_VAR + "}"


def _resolved(value: Any, rule_ids: dict[str, str]) -> Any:
    """The spec as the CLI sends it: references to rules replaced by their ids, the secret by its value."""
    if isinstance(value, dict):
        return {k: _resolved(v, rule_ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, rule_ids) for v in value]
    if isinstance(value, str):
        value = _REF.sub(lambda m: rule_ids[m.group(1)], value)
        return value.replace(_ENV, HOOK_TOKEN)
    return value


async def _post_all(db: Path, docs: list[dict[str, Any]]) -> int:
    options = SandboxOptions(db_path=db, rate_limit=0)
    rule_ids: dict[str, str] = {}
    async with httpx.AsyncClient(transport=embedded_transport(options), base_url="http://127.0.0.1") as http:
        answer = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET))
        answer.raise_for_status()
        http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        limiter = anyio.Semaphore(IN_FLIGHT)

        async def post(doc: dict[str, Any]) -> None:
            kind = REGISTRY[doc["kind"]]
            name = doc["metadata"]["name"]
            body = {kind.name_field: name, **_resolved(doc["spec"], rule_ids)}
            async with limiter:
                created = await http.post(kind.collection, json=body)
            if created.status_code >= 300:
                raise SystemExit(f"seeding stopped: {doc['kind']}/{name}: {created.status_code} {created.text[:500]}")
            if doc["kind"] == "SpeechRule":
                rule_ids[name] = created.json()["id"]

        # Webhooks reference rules: every rule is stored before the first webhook is sent.
        for wave in (("VoiceProfile", "SpeechRule"), ("Webhook",)):
            async with anyio.create_task_group() as group:
                for doc in docs:
                    if doc["kind"] in wave:
                        group.start_soon(post, doc)
    return len(docs)


def seed(n: int, into: Path) -> tuple[Path, Path]:
    """Write ``into/estate{n}`` and ``into/s{n}.db`` (replaced if present); returns both paths."""
    into.mkdir(parents=True, exist_ok=True)
    estate = write_estate(into / f"estate{n}", n)
    db = into / f"s{n}.db"
    for stale in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        stale.unlink(missing_ok=True)
    docs = list(documents(estate.tag, split(n)))
    anyio.run(_post_all, db, docs)
    return estate.root, db


def main() -> None:
    n, into = int(sys.argv[1]), Path(sys.argv[2])
    started = time.perf_counter()
    estate, db = seed(n, into)
    print(f"{n} objects seeded into {db} ({estate}) in {time.perf_counter() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
