"""Hostile saved plans, and secrets that travel through ``${ref:…}`` chains (issue 13, part A)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.planfile import checksum
from tests.adversarial._harness import SECRET, TIME_BOUND, Outcome, invoke_cli, run_cli

pytestmark = pytest.mark.timeout(TIME_BOUND)

ROTATED = "Adv3rsarial-ROTATED-secret-5521"

CHAIN = textwrap.dedent(
    """\
    apiVersion: reconciler/v1
    kind: Webhook
    metadata:
      name: Source Hook
    spec:
      description: source
      requestUrl: "https://crm.example.com/hooks?key=${env:CRM_WEBHOOK_PASSWORD}"
      authScheme: none
      eventFilters: [{event: rules.updated}]
    ---
    apiVersion: reconciler/v1
    kind: Webhook
    metadata:
      name: Mirror
    spec:
      description: "copied ${ref:Webhook/Source Hook.requestUrl}"
      requestUrl: https://mirror.example.com/hook
      authScheme: none
      eventFilters: [{event: rules.deleted}]
    ---
    apiVersion: reconciler/v1
    kind: Webhook
    metadata:
      name: Mirror Two
    spec:
      description: "${ref:Webhook/Mirror.description}"
      requestUrl: https://mirror2.example.com/hook
      authScheme: none
      eventFilters: [{event: voice.profile.updated}]
    """
)


def _chain_project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "hooks.yaml").write_text(CHAIN)
    return root


def _run(root: Path, *args: str, secret: str = SECRET) -> Outcome:
    # the sandbox (the server) holds what it was sent: it lives outside the project the checks scan
    database = root.parent / "server" / "s.db"
    database.parent.mkdir(exist_ok=True)
    return invoke_cli([*args, "--sandbox-db", str(database)], cwd=root, env={"CRM_WEBHOOK_PASSWORD": secret})


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    root = _chain_project(tmp_path)
    _run(root, "apply", "manifests", "--auto-approve").expect(0, secrets=(SECRET,))
    return root


def test_a_secret_through_a_reference_chain_settles(applied: Path) -> None:
    _run(applied, "plan", "manifests", "--detailed-exitcode").expect(0)


@pytest.mark.parametrize("command", ["plan", "drift"])
@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_secret_through_a_reference_chain_is_shown_nowhere(applied: Path, command: str, fmt: str) -> None:
    # the variable changes: every object in the chain differs, and neither value may be seen
    args = [command, "manifests", "--format", fmt]
    outcome = _run(applied, *args, secret=ROTATED)
    outcome.expect(2 if command == "drift" else 0, "Mirror Two", secrets=(SECRET, ROTATED))
    assert "(sensitive)" in outcome.output


def test_a_saved_plan_with_a_chain_holds_no_secret(tmp_path: Path) -> None:
    root = _chain_project(tmp_path)
    _run(root, "plan", "manifests", "--out", "plan.json").expect(0)
    assert "(sensitive)" in (root / "plan.json").read_text()
    _run(root, "apply", "plan.json", "--auto-approve").expect(0)
    _run(root, "plan", "manifests", "--detailed-exitcode").expect(0)


# ---- hostile plan files ---------------------------------------------------------------


def _sealed(document: dict[str, object]) -> str:
    document = {k: v for k, v in document.items() if k != "checksum"}
    document["checksum"] = checksum(document)
    return json.dumps(document)


def _saved(root: Path) -> dict[str, object]:
    _run(root, "plan", "manifests", "--out", "good.json").expect(0)
    loaded: dict[str, object] = json.loads((root / "good.json").read_text())
    return loaded


PLAN_CASES = [
    ("not-json", lambda d: "this is not { json", "bad.json:1:1: not a plan file (not valid JSON"),
    ("truncated", lambda d: json.dumps(d)[:200], "bad.json:1:", "not a plan file (not valid JSON"),
    ("deep-200", lambda d: '{"a": ' * 200 + "1" + "}" * 200, "bad.json:1:", "nested deeper than 80 levels"),
    ("deep-list", lambda d: "[" * 100000 + "]" * 100000, "bad.json:1:81: ", "nested deeper than 80 levels"),
    ("deep-inside-plan", lambda d: json.dumps({**d, "x": json.loads("[" * 90 + "]" * 90)}), "nested deeper"),
    ("nan", lambda d: _sealed({**d, "target": float("nan")}), "NaN is not a JSON number"),
    ("infinity", lambda d: _sealed({**d, "target": float("inf")}), "Infinity is not a JSON number"),
    ("neg-infinity", lambda d: json.dumps(d).replace('"changes"', '"x": -Infinity, "changes"'), "-Infinity"),
]


@pytest.mark.parametrize(("make", "message"), [(c[1], c[2:]) for c in PLAN_CASES], ids=[c[0] for c in PLAN_CASES])
def test_a_hostile_plan_file_is_refused_at_its_place(tmp_path: Path, make: object, message: tuple[str, ...]) -> None:
    root = _chain_project(tmp_path)
    document = _saved(root)
    (root / "bad.json").write_text(make(document))  # type: ignore[operator]  # the cases' lambdas
    _run(root, "apply", "bad.json", "--auto-approve").expect(1, *message)


def _unknown_kind(change: dict[str, Any]) -> None:
    change["kind"] = "Bogus"


def _bad_spec(change: dict[str, Any]) -> None:
    change["spec"]["authScheme"] = "telepathy"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (_unknown_kind, "error: bad.json is not a valid plan: Bogus/Source Hook: unknown kind 'Bogus' (known: "),
        (_bad_spec, "error: bad.json is not a valid plan: Webhook/Source Hook: spec.authScheme: 'telepathy' is not "
                    "one of 'none', 'basic' or 'bearer'; make the plan again\n"),
    ],
    ids=["unknown-kind", "invalid-spec"],
)
def test_a_resealed_plan_is_refused_by_change_before_any_write(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], message: str
) -> None:
    """The checksum is public: an edited plan sealed again was a KeyError traceback, or an "internal
    error" repr after the writes before the bad change."""
    root = _chain_project(tmp_path)
    document = _saved(root)
    changes = document["changes"]
    assert isinstance(changes, list)
    edit(next(c for c in changes if c["name"] == "Source Hook"))
    (root / "bad.json").write_text(_sealed(document))
    _run(root, "apply", "bad.json", "--auto-approve").expect(1, message)
    _run(root, "plan", "manifests", "--detailed-exitcode").expect(2, "3 to create")  # nothing was written


def test_a_plan_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    root = _chain_project(tmp_path)
    (root / "bad.json").write_bytes(b'{"\xff\xfe": 1}')
    _run(root, "apply", "bad.json", "--auto-approve").expect(1, "bad.json is not a plan file (not UTF-8 text")


def test_a_deep_plan_file_in_its_own_process_is_no_recursion_error(tmp_path: Path) -> None:
    (tmp_path / "deep.json").write_text('{"a": ' * 50000 + "1" + "}" * 50000)
    outcome = run_cli(["apply", "deep.json", "--sandbox-db", "s.db"], cwd=tmp_path)
    outcome.expect(1, "deep.json:1:", "nested deeper than 80 levels")
