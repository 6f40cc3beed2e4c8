"""A tree of manifest directories nested past any real layout is an error, never a RecursionError."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main
from reconciler.manifests.files import MAX_DIRECTORY_DEPTH, discover


def _nest(top: Path, levels: int) -> Path:
    """``top/d/d/.../d`` ``levels`` deep with a manifest at the bottom, made one level at a time (no recursion)."""
    here = top
    for _ in range(levels):
        here = here / "d"
        os.mkdir(here)
    (here / "deep.yaml").write_text("a: 1\n")
    return here


@pytest.fixture
def deep_tree(tmp_path: Path) -> Iterator[Path]:
    """``tmp_path/manifests`` 1,500 levels deep, removed bottom-up afterwards.

    Why removed here: pytest's clean-up of old temporary directories (``shutil.rmtree``)
    recurses once per level too, and would fail every later session sharing the base directory.
    """
    (tmp_path / "manifests").mkdir()
    bottom = _nest(tmp_path / "manifests", 1500)
    try:
        yield tmp_path
    finally:
        (bottom / "deep.yaml").unlink()
        while bottom != tmp_path / "manifests":
            bottom.rmdir()
            bottom = bottom.parent


def test_a_tree_nested_a_thousand_levels_is_an_error_naming_the_directory(
    deep_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Walked one call per level, 1,500 levels (3,000 characters, short of PATH_MAX) ended in a traceback.

    Run with click's runner: the adversarial harness lists the project's files with ``rglob``,
    which recurses as deep itself.
    """
    monkeypatch.chdir(deep_tree)
    result = CliRunner().invoke(main, ["validate", "manifests"])
    assert (result.exit_code, type(result.exception)) == (1, SystemExit), result.output
    too_deep = "manifests" + "/d" * MAX_DIRECTORY_DEPTH
    assert f"{too_deep}: lies more than {MAX_DIRECTORY_DEPTH} directories below manifests" in result.output


def test_a_manifest_at_the_bound_is_read(tmp_path: Path) -> None:
    bottom = _nest(tmp_path, MAX_DIRECTORY_DEPTH - 1)
    found = discover([tmp_path])
    assert (found.files, found.issues) == ((bottom / "deep.yaml",), ())


def test_a_manifest_past_the_bound_is_an_issue_not_skipped(tmp_path: Path) -> None:
    _nest(tmp_path, MAX_DIRECTORY_DEPTH)
    found = discover([tmp_path])
    assert found.files == ()
    assert [issue.message for issue in found.issues] == [
        f"lies more than {MAX_DIRECTORY_DEPTH} directories below {tmp_path}: its manifests are not read; "
        "a manifest tree is never that deep (a directory linked or copied into itself?)"
    ]
