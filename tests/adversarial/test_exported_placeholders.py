"""The probe: text that looks like a placeholder, set in the org, must not read the environment of whoever adopts it.

Someone who can only edit the org (in its admin UI) sets a webhook's description to
``${env:SECRET}``. An operator exports the org to adopt it and applies the files in CI,
where SECRET is set. Before ``$${`` was an escape, export wrote the text as it was, the
apply read it as a placeholder and wrote the secret's value into the org, for the UI user
to read. Now export writes ``$${env:SECRET}``: the text reads back as the same text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adversarial._harness import SECRET, TIME_BOUND, invoke_cli, project
from tests.export._support import Org

PROBE = "${env:SECRET}"


@pytest.mark.timeout(TIME_BOUND * 4)
def test_exported_placeholder_text_is_applied_as_text_and_the_secret_is_never_read(tmp_path: Path) -> None:
    root = project(tmp_path, manifests=False)
    org = Org(root)
    org.create("Webhook", {"name": "Probe Hook", "requestUrl": "https://a.example.com/", "description": PROBE,
                           "eventFilters": [{"event": "rules.updated"}]})
    env = {"SECRET": SECRET}
    sandbox = ["--target", "sandbox", "--sandbox-db", str(org.db), "--requests-per-minute", "100000"]

    exported = invoke_cli(["export", "--out", "out", *sandbox], cwd=root, env=env).expect(0)
    assert "before planning" not in exported.output  # nothing left to check by hand: the text is escaped
    manifest = root / "out" / "webhook" / "probe-hook.yaml"
    assert "$${env:SECRET}" in manifest.read_text()

    plan = invoke_cli(["plan", "out", "--detailed-exitcode", *sandbox], cwd=root, env=env)
    # no change, and a warning names the text that looks like a placeholder, where it is written
    plan.expect(0, "No changes", "probe-hook.yaml:", "'$${env:SECRET}' is now the literal text '${env:SECRET}'")
    assert "(sensitive)" not in plan.output
    as_json = invoke_cli(["plan", "out", "--format", "json", *sandbox], cwd=root, env=env).expect(0)
    assert any("is now the literal text" in w for w in json.loads(as_json.stdout)["warnings"])

    # another field changes, so apply writes the whole object (a PUT): the description goes with it
    manifest.write_text(manifest.read_text().replace("https://a.example.com/", "https://b.example.com/"))
    applied = invoke_cli(["apply", "out", *sandbox, "--auto-approve", "--audit-log", "audit.jsonl"],
                         cwd=root, env=env)
    applied.expect(0, "requestUrl")  # no form of SECRET in the output, the sandbox's files or the audit log
    assert "(sensitive)" not in applied.output
    [live] = org.live("Webhook")
    assert (live["requestUrl"], live["description"]) == ("https://b.example.com/", PROBE)

    again = invoke_cli(["plan", "out", "--detailed-exitcode", *sandbox], cwd=root, env=env).expect(0, "No changes")
    again.assert_no_secret()
