"""Saved plans that are not files, or far too large: refused by name before any read of their contents.

A CI job downloads ``plan.json`` as an artifact, which ``actions/download-artifact`` makes a
*directory* of that name; applying it read the directory as manifests, found no YAML,
and said "No changes", exit 0, with nothing applied. A plan file is parsed whole, so its
size is memory many times over: a 200 MB one took a minute and 24 GB. Each case runs
the command in-process (``invoke_cli``), asserting exit 1, the message and no traceback.
"""

from __future__ import annotations

import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.core.bounded import check_json_text
from reconciler.plan.planfile import PLAN_MAX_BYTES
from tests.adversarial._harness import TIME_BOUND, invoke_cli, project

pytestmark = pytest.mark.timeout(TIME_BOUND)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project with a saved plan, ``plan.json``, of the example manifests' creates."""
    made = project(tmp_path)
    invoke_cli(["plan", "--out", "plan.json"], cwd=made).expect(0, "Plan saved to plan.json")
    return made


def _nothing_applied(root: Path) -> None:
    invoke_cli(["plan", "--detailed-exitcode"], cwd=root).expect(2, "8 to create")


def test_a_directory_named_like_a_plan_is_refused_not_read_as_empty_manifests(root: Path) -> None:
    artifact = root / "artifact" / "plan.json"
    artifact.mkdir(parents=True)
    (root / "plan.json").rename(artifact / "plan.json")
    invoke_cli(["apply", "artifact/plan.json", "--auto-approve"], cwd=root).expect(
        1, "cannot read plan file artifact/plan.json: is a directory, not a file"
    )
    _nothing_applied(root)


def test_a_fifo_named_like_a_plan_is_refused_without_blocking(root: Path) -> None:
    os.mkfifo(root / "pipe.json")
    invoke_cli(["apply", "pipe.json", "--auto-approve"], cwd=root).expect(
        1, "cannot read plan file pipe.json: is a FIFO (named pipe), not a regular file"
    )


def test_a_plan_file_past_the_bound_is_refused_unread(root: Path) -> None:
    with (root / "huge.json").open("wb") as handle:  # sparse: no disk, and reading it would cost the bound
        handle.truncate(PLAN_MAX_BYTES + 1)
    invoke_cli(["apply", "huge.json", "--auto-approve"], cwd=root).expect(
        1, "cannot read plan file huge.json: is larger than 256 MB"
    )
    _nothing_applied(root)


def test_scanning_a_long_string_holds_no_memory_per_character() -> None:
    """The depth scan matched a string one alternation per character: 120 MB held for a 1 MB string."""
    text = '{"a": "' + "x" * 1_000_000 + '\\"' + "y" * 1000 + '", "b": [1]}'
    tracemalloc.start()
    try:
        check_json_text(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"the scan of a 1 MB string held {peak} bytes"


@pytest.mark.parametrize(("make", "what"), [(os.mkfifo, "a FIFO (named pipe)"),
                                            (lambda p: p.symlink_to(os.devnull), "a character device")],
                         ids=["fifo", "link-to-dev-null"])
def test_plan_out_never_replaces_a_device_or_fifo(root: Path, make: Callable[[Path], None], what: str) -> None:
    """The plan is moved over its target: as root (a CI container), --out /dev/null replaced the device."""
    special = root / "special.json"
    make(special)
    before = special.lstat()
    invoke_cli(["plan", "--out", "special.json"], cwd=root).expect(
        1, f"cannot write plan file special.json: it is {what}, not a regular file")
    assert special.lstat() == before


@pytest.mark.parametrize("name", ["manifests/webhooks.yaml", "manifests/reconciler.yaml"])
def test_plan_out_never_replaces_a_file_that_is_no_plan(root: Path, name: str) -> None:
    """``plan --out manifests/webhooks.yaml`` replaced the manifest with the plan's JSON: the next plan saw its
    webhooks undeclared and, with pruning on, deleted them. A saved plan (or an empty file) is still replaced."""
    target = root / name
    before = target.read_bytes()
    invoke_cli(["plan", "--out", name], cwd=root).expect(
        1, f"cannot write plan file {name}: it holds something other than a saved plan")
    assert target.read_bytes() == before
    invoke_cli(["plan", "--out", "plan.json"], cwd=root).expect(0, "Plan saved to plan.json")
    (root / "empty.json").write_bytes(b"")
    invoke_cli(["plan", "--out", "empty.json"], cwd=root).expect(0, "Plan saved to empty.json")


def test_a_plan_file_holding_half_a_surrogate_pair_is_refused_at_its_place(root: Path) -> None:
    """json reads "\\ud800" as a lone surrogate: computing the checksum was a UnicodeEncodeError traceback."""
    text = (root / "plan.json").read_text(encoding="utf-8")
    (root / "plan.json").write_text(text.replace('"name": "', '"name": "\\ud800', 1), encoding="utf-8")
    invoke_cli(["apply", "plan.json", "--auto-approve"], cwd=root).expect(
        1, "plan.json:", "not a plan file (holds the escape \\ud800, half of a UTF-16 surrogate pair")
    _nothing_applied(root)
