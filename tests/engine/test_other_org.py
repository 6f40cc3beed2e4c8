"""A plan saved for one org is refused by another org behind the same API URL, before anything is written.

The reproduction: ``sandbox serve --sandbox-db dev.db``, ``plan --out dev-plan.json`` against it,
the server restarted at the same address on ``prod.db``, ``apply dev-plan.json --auto-approve``:
it applied all 8 objects to the other org, since the plan's target (the API URL) was the same.
Each sandbox database is an org of its own (``GET /api/v2/tokens/me``), as two real orgs of one
region are.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from reconciler.sandbox import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxOptions
from reconciler.sandbox.server import serve_in_thread

from ._support import REPO, requests_seen, served_cli

ME = "/api/v2/tokens/me"




def org_at(url: str) -> dict[str, str]:
    login = httpx.post(url + "/oauth/token", data={"grant_type": "client_credentials"},
                       auth=(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET), timeout=10)
    token = login.json()["access_token"]
    return dict(httpx.get(url + ME, headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["organization"])




def test_a_plan_for_one_org_is_refused_by_another_at_the_same_address_and_applies_to_its_own(tmp_path: Path) -> None:
    shutil.copytree(REPO / "manifests", tmp_path / "manifests")
    audit = ("--audit-log", str(tmp_path / "audit.jsonl"))
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "dev.db")) as dev:
        planned = served_cli(dev.url, tmp_path, "plan", "manifests", "--out", "dev-plan.json")
        assert planned.exit_code == 0, planned.output
        dev_org = org_at(dev.url)
    port = urlsplit(dev.url).port
    assert port is not None

    with serve_in_thread(SandboxOptions(db_path=tmp_path / "prod.db"), port=port) as prod:
        assert prod.url == dev.url  # the same target: only the org tells them apart
        prod_org = org_at(prod.url)
        refused = served_cli(prod.url, tmp_path, "apply", "dev-plan.json", "--auto-approve", *audit)
        seen = requests_seen(prod.url)
    assert refused.exit_code == 1, refused.output
    assert "Traceback" not in refused.output
    assert (f"the plan was made for org 'Sandbox org dev' (id {dev_org['id']}), but the credentials given reach "
            f"org 'Sandbox org prod' (id {prod_org['id']})") in refused.output
    assert "nothing was applied" in refused.output
    # nothing written, nothing even listed: the one token, and the one question of whose it is (two: org_at's)
    assert {request for request in seen if not request.startswith(("POST /oauth/token", f"GET {ME}"))} == set()
    assert seen[f"GET {ME}"] == 2
    assert not (tmp_path / "audit.jsonl").exists() or (tmp_path / "audit.jsonl").read_text() == ""

    # the org it was made for, restarted at the same address: applied as planned
    with serve_in_thread(SandboxOptions(db_path=tmp_path / "dev.db"), port=port) as dev_again:
        applied = served_cli(dev_again.url, tmp_path, "apply", "dev-plan.json", "--auto-approve", *audit)
    assert applied.exit_code == 0, applied.output
    assert "Apply: 8 succeeded" in applied.output
