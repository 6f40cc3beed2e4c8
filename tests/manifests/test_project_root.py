"""The project's root: the nearest directory holding ``reconciler.yaml`` from the first path given up, as git finds its top.

It was the first directory given (or the first file's parent), so a file or folder below the
directory of ``reconciler.yaml`` was planned with no settings at all.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.core.errors import ManifestError
from reconciler.manifests import ManifestSet, load_manifests
from reconciler.manifests.files import discover

VOICE = (
    "apiVersion: reconciler/v1\nkind: VoiceProfile\nmetadata:\n  name: {name}\n"
    "spec:\n  language: en-US\n  voice: polly-Joanna\n  engine: amazon_polly\n"
)
SETTINGS = "prune:\n  kinds: [Webhook]\n"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    """A repository (``.git`` at its top, so that nothing above the test's directory is looked at); the cwd."""
    (tmp_path / ".git").mkdir()
    with contextlib.chdir(tmp_path):
        yield tmp_path


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(repo: Path) -> Path:
    """``manifests/reconciler.yaml`` pruning webhooks, ``manifests/a.yaml``, and ``manifests/sub/x.yaml``."""
    write(repo / "manifests" / "reconciler.yaml", SETTINGS)
    write(repo / "manifests" / "a.yaml", VOICE.format(name="A"))
    write(repo / "manifests" / "sub" / "x.yaml", VOICE.format(name="X"))
    return repo


def load(*paths: str) -> ManifestSet:
    return load_manifests(list(paths), env={})


def refused(*paths: str) -> list[str]:
    with pytest.raises(ManifestError) as caught:
        load(*paths)
    return str(caught.value).splitlines()


@pytest.mark.parametrize("given", ["manifests/sub/x.yaml", "manifests/sub", "manifests/sub/../sub/x.yaml"])
def test_a_subfolder_reads_the_settings_of_its_project(project: Path, given: str) -> None:
    loaded = load(given)
    assert loaded.settings.prune.kinds == ("Webhook",)
    assert loaded.settings_file == "manifests/reconciler.yaml"
    assert [o.name for o in loaded.objects] == ["X"]
    # the rest of the project is what a plan of part of it leaves alone
    assert loaded.left_out == ("manifests/a.yaml",)


def test_the_root_is_the_project_spelled_as_given_when_it_is_the_directory_given(project: Path) -> None:
    assert discover(["manifests"]).root == Path("manifests")
    assert discover(["manifests/a.yaml"]).root == Path("manifests")
    assert discover(["manifests/sub/x.yaml"]).root == project / "manifests"
    assert load("manifests").left_out == ()


def test_a_subfolder_is_held_to_the_project_policy(project: Path) -> None:
    write(project / "manifests" / "reconciler.yaml", SETTINGS + "policy:\n  protect: ['Webhook/keep-*']\n")
    assert load("manifests/sub").settings.policy.protect == ("Webhook/keep-*",)


def test_mistakes_in_the_project_settings_stop_a_subfolder(project: Path) -> None:
    write(project / "manifests" / "reconciler.yaml", "prune:\n  kinds: [Webhok]\n")
    assert refused("manifests/sub")[1].startswith("manifests/reconciler.yaml:2:10: prune.kinds")


def test_without_reconciler_yaml_anywhere_the_directory_given_is_the_root(repo: Path) -> None:
    write(repo / "m" / "sub" / "x.yaml", VOICE.format(name="X"))
    write(repo / "m" / "a.yaml", VOICE.format(name="A"))
    for given in ("m/sub/x.yaml", "m/sub"):
        loaded = load(given)
        assert discover([given]).root == Path("m/sub")
        assert loaded.settings_file is None and loaded.settings.prune.kinds == () and loaded.left_out == ()
    # and, with no project anywhere, paths of several directories together, as before
    assert [o.name for o in load("m/sub/x.yaml", "m/a.yaml").objects] == ["X", "A"]


@pytest.mark.parametrize("mark", ["directory", "file"])
def test_the_search_stops_at_the_top_of_a_repository(tmp_path: Path, mark: str) -> None:
    """A ``.git`` directory (a clone) or file (a worktree, a submodule): a ``reconciler.yaml`` above is not its own."""
    write(tmp_path / "reconciler.yaml", SETTINGS)
    top = tmp_path / "checkout"
    write(top / "m" / "x.yaml", VOICE.format(name="X"))
    if mark == "directory":
        (top / ".git").mkdir()
    else:
        write(top / ".git", "gitdir: ../elsewhere/.git/worktrees/checkout\n")
    with contextlib.chdir(top):
        loaded = load("m/x.yaml")
        assert discover(["m/x.yaml"]).root == Path("m")
    assert loaded.settings_file is None and loaded.settings.prune.kinds == ()
    # the top of the repository may itself be the project
    write(top / "reconciler.yaml", SETTINGS)
    with contextlib.chdir(top):
        assert load("m/x.yaml").settings_file == "reconciler.yaml"


def test_a_path_outside_the_project_is_refused_naming_it(project: Path) -> None:
    write(project / "other" / "y.yaml", VOICE.format(name="Y"))
    assert refused("manifests/sub/x.yaml", "other/y.yaml")[:2] == [
        "1 error in manifests",
        "other/y.yaml: lies outside the project of the first path given, manifests (manifests/reconciler.yaml): a run "
        "reads the settings of one project, the nearest directory holding reconciler.yaml from the first path given "
        "upwards, so every path given must lie in it; give each project's paths in a run of its own",
    ]
    # given first, it has no project, and a path of one after it would have its settings unread
    assert refused("other/y.yaml", "manifests/sub")[1].startswith(
        "manifests/sub: lies in the project manifests (manifests/reconciler.yaml), but the first path given lies in none: "
    )
    # a directory above the project is not in it either
    assert refused("manifests/sub", ".")[1].startswith(".: lies outside the project of the first path given, manifests")


def test_a_path_of_a_project_inside_the_project_is_refused(project: Path) -> None:
    """``manifests/sub/reconciler.yaml`` makes ``sub`` a project of its own: its settings would go unread."""
    write(project / "manifests" / "sub" / "reconciler.yaml", "prune:\n  kinds: []\n")
    assert refused("manifests/a.yaml", "manifests/sub/x.yaml")[1].startswith(
        "manifests/sub/x.yaml: lies in the project manifests/sub (manifests/sub/reconciler.yaml), not in manifests "
        "(manifests/reconciler.yaml), the project of the first path given: "
    )
    # given alone, it is the nearest
    assert load("manifests/sub/x.yaml").settings.prune.kinds == ()


def test_the_project_settings_found_above_must_not_lead_outside_it(project: Path) -> None:
    write(project / "secret.yaml", SETTINGS)
    os.remove(project / "manifests" / "reconciler.yaml")
    os.symlink(project / "secret.yaml", project / "manifests" / "reconciler.yaml")
    assert refused("manifests/sub/x.yaml")[1].startswith(
        "manifests/reconciler.yaml: settings file is a symlink to "
    )


def test_a_link_in_a_subfolder_may_lead_anywhere_in_the_project_and_no_further(project: Path) -> None:
    """The project is the trust boundary: ``plan manifests/sub`` refused the link ``plan manifests`` accepts."""
    write(project / "manifests" / "common.yaml", VOICE.format(name="Common"))
    os.symlink("../common.yaml", project / "manifests" / "sub" / "l.yaml")
    for given in ("manifests/sub", "manifests"):
        assert "Common" in [o.name for o in load(given).objects], given
    # out of the project, still refused, naming the project as the bound
    write(project / "private" / "key.yaml", VOICE.format(name="Key"))
    os.symlink("../../private/key.yaml", project / "manifests" / "sub" / "k.yaml")
    assert refused("manifests/sub")[1].startswith(
        "manifests/sub/k.yaml: is a symlink to '../../private/key.yaml', which leads outside manifests: only files "
        "inside the project"
    )


def test_without_a_project_a_link_is_bound_by_the_directory_given(repo: Path) -> None:
    write(repo / "m" / "common.yaml", VOICE.format(name="Common"))
    write(repo / "m" / "sub" / "x.yaml", VOICE.format(name="X"))
    os.symlink("../common.yaml", repo / "m" / "sub" / "l.yaml")
    assert refused("m/sub")[1].startswith("m/sub/l.yaml: is a symlink to '../common.yaml', which leads outside m/sub")


def test_read_alone_the_project_settings_keep_their_rules(project: Path) -> None:
    """``apply FILE`` and ``revert`` read them without the loader: a link out or a mistake stops them, located."""
    from reconciler.manifests.project import project_of
    from reconciler.manifests.standing import read_settings

    assert read_settings(project_of(Path("manifests/sub"))).prune.kinds == ("Webhook",)
    assert read_settings(None).prune.kinds == ()
    write(project / "manifests" / "reconciler.yaml", "prune:\n  kinds: [Webhok]\n")
    with pytest.raises(ManifestError) as caught:
        read_settings(project_of(Path("manifests")))
    assert str(caught.value).splitlines()[1].startswith("manifests/reconciler.yaml:2:10: prune.kinds")
    write(project / "secret.yaml", SETTINGS)
    os.remove(project / "manifests" / "reconciler.yaml")
    os.symlink(project / "secret.yaml", project / "manifests" / "reconciler.yaml")
    with pytest.raises(ManifestError) as caught:
        read_settings(project_of(Path("manifests")))
    assert str(caught.value).splitlines()[1].startswith("manifests/reconciler.yaml: settings file is a symlink to ")
