"""Hostile manifests, settings and plan files (issue 13, part A).

Every case asserts the exit code, the message with its place (file, and line:column
where there is one), no traceback, no secret in any output or file, and a time bound.
Most run in-process (``invoke_cli``); the alias bomb and the deeply nested plan file also
run in their own process, where a hang or a ``RecursionError`` would be seen as a user sees it.
"""

from __future__ import annotations

import errno
import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adversarial._harness import SECRET, TIME_BOUND, Outcome, invoke_cli, run_cli

pytestmark = pytest.mark.timeout(TIME_BOUND)

VALID = textwrap.dedent(
    """\
    apiVersion: reconciler/v1
    kind: VoiceProfile
    metadata:
      name: Main
    spec:
      language: en-US
      voice: polly-Joanna
      engine: amazon_polly
    """
)


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "manifests").mkdir(parents=True)
    (root / "manifests" / "main.yaml").write_text(VALID)
    return root


def _validate(root: Path, *paths: str) -> Outcome:
    return invoke_cli(["validate", *(paths or ("manifests",))], cwd=root)


# ---- 1. every file is read or is an error --------------------------------------------

Setup = Callable[[Path], None]
#: a file name longer than any Linux filesystem allows (255 bytes)
LONG = "a" * 300


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _loop_pair(m: Path) -> None:
    (m / "a.yaml").symlink_to("b.yaml")
    (m / "b.yaml").symlink_to("a.yaml")


def _dir_loop(m: Path) -> None:
    (m / "sub").mkdir()
    (m / "sub" / "back").symlink_to("..")


FILE_CASES: list[tuple[str, Setup, str]] = [
    ("dangling-yaml", lambda m: (m / "team.yaml").symlink_to("missing/team.yaml"),
     "manifests/team.yaml: is a dangling symlink (its target 'missing/team.yaml' does not exist)"),
    ("dangling-dir-like", lambda m: (m / "team-a").symlink_to("../../submodule/manifests"),
     "manifests/team-a: is a dangling symlink"),
    ("dangling-other-suffix", lambda m: (m / "notes.txt").symlink_to("nowhere"),
     "manifests/notes.txt: is a dangling symlink"),
    ("self-loop", lambda m: (m / "self.yaml").symlink_to("self.yaml"),
     "manifests/self.yaml: is a symlink loop"),
    ("loop-of-two", _loop_pair, "manifests/a.yaml: is a symlink loop"),
    ("directory-loop", _dir_loop, "manifests/sub/back: is a symlink loop (it leads back to a directory above it)"),
    ("fifo", lambda m: _fifo(m / "pipe.yaml"), "manifests/pipe.yaml: is a FIFO (named pipe), not a regular file"),
    ("fifo-yml", lambda m: _fifo(m / "pipe.yml"), "manifests/pipe.yml: is a FIFO (named pipe)"),
    ("fifo-upper-case-suffix", lambda m: _fifo(m / "pipe.YAML"), "manifests/pipe.YAML: is a FIFO (named pipe)"),
    ("directory-named-yml-any-case", lambda m: (m / "more.Yml").mkdir(),
     "manifests/more.Yml: is a directory, not a file (named like a manifest)"),
    ("device", lambda m: (m / "null.yaml").symlink_to("/dev/null"),
     "manifests/null.yaml: is a character device, not a regular file"),
    ("directory-named-yaml", lambda m: (m / "more.yaml").mkdir(),
     "manifests/more.yaml: is a directory, not a file (named like a manifest)"),
    ("nested-dangling", lambda m: ((m / "deep").mkdir(), (m / "deep" / "x.yaml").symlink_to("gone")),
     "manifests/deep/x.yaml: is a dangling symlink"),
    ("dangling-settings", lambda m: (m / "reconciler.yaml").symlink_to("shared/reconciler.yaml"),
     "manifests/reconciler.yaml: settings file is a dangling symlink"),
    ("fifo-settings", lambda m: _fifo(m / "reconciler.yaml"), "manifests/reconciler.yaml: settings file is a FIFO"),
]


@pytest.mark.parametrize(("setup", "message"), [c[1:] for c in FILE_CASES], ids=[c[0] for c in FILE_CASES])
def test_a_file_that_cannot_be_read_is_an_error_naming_what_it_is(tmp_path: Path, setup: Setup, message: str) -> None:
    root = _project(tmp_path)
    setup(root / "manifests")
    _validate(root).expect(1, message)


GIVEN_CASES: list[tuple[str, Setup, str, str]] = [
    ("dangling", lambda r: (r / "x.yaml").symlink_to("gone.yaml"), "x.yaml", "x.yaml: is a dangling symlink"),
    ("loop", lambda r: (r / "x.yaml").symlink_to("x.yaml"), "x.yaml", "x.yaml: is a symlink loop"),
    ("fifo", lambda r: _fifo(r / "x.yaml"), "x.yaml", "x.yaml: is a FIFO"),
    ("device", lambda r: None, "/dev/null", "/dev/null: is a character device"),
    ("absent", lambda r: None, "nowhere.yaml", "nowhere.yaml: no such file or directory"),
    # pathlib's is_dir() raises ENAMETOOLONG (it swallows only ENOENT, ENOTDIR, EBADF, ELOOP)
    ("name-too-long", lambda r: None, LONG + ".yaml", f"{LONG}.yaml: cannot be read: file name too long"),
    ("name-too-long-no-suffix", lambda r: None, LONG, f"{LONG}: cannot be read: file name too long"),
    ("name-too-long-below", lambda r: None, f"manifests/{LONG}.yml",
     f"manifests/{LONG}.yml: cannot be read: file name too long"),
]


@pytest.mark.parametrize(("setup", "arg", "message"), [c[1:] for c in GIVEN_CASES], ids=[c[0] for c in GIVEN_CASES])
def test_a_path_given_that_cannot_be_read_is_an_error(tmp_path: Path, setup: Setup, arg: str, message: str) -> None:
    root = _project(tmp_path)
    setup(root)
    _validate(root, "manifests", arg).expect(1, message)


@pytest.mark.parametrize("what", ["file", "directory"])
def test_permission_denied_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str) -> None:
    root = _project(tmp_path)
    target = root / "manifests" / ("locked.yaml" if what == "file" else "locked")
    if what == "file":
        target.write_text(VALID.replace("Main", "Locked"))
    else:
        target.mkdir()
        (target / "x.yaml").write_text(VALID.replace("Main", "Locked"))
    target.chmod(0)
    # root reads whatever the mode says: refuse the way the kernel refuses anyone else
    real_open, real_scandir = os.open, os.scandir

    def guarded_open(path: object, *args: object, **kwargs: object) -> int:
        if Path(str(path)).absolute() == target.absolute():
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]  # passes through os.open's own arguments

    def guarded_scandir(path: object = ".") -> object:
        if Path(str(path)).absolute() == target.absolute():
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]  # passes through os.scandir's own argument

    monkeypatch.setattr(os, "open", guarded_open)
    monkeypatch.setattr(os, "scandir", guarded_scandir)
    try:
        expected = "cannot be read: permission denied" if what == "file" else "cannot be listed: permission denied"
        _validate(root).expect(1, f"manifests/locked{'.yaml' if what == 'file' else ''}: ", expected)
    finally:
        target.chmod(0o700)


def _refuse_search(monkeypatch: pytest.MonkeyPatch, locked: Path) -> None:
    """``locked`` without read and search permission, as the kernel refuses anyone but root.

    Listing it fails, and so does any look at a path below it (stat, lstat, open), while
    ``locked`` itself can still be looked at: its parent is searchable.
    """
    locked = locked.absolute()
    real_open, real_stat, real_lstat, real_scandir = os.open, os.stat, os.lstat, os.scandir

    def refused(path: object) -> bool:
        return locked in Path(str(path)).absolute().parents

    def guard(real: Callable[..., object]) -> Callable[..., object]:
        def guarded(path: object, *args: object, **kwargs: object) -> object:
            if refused(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real(path, *args, **kwargs)

        return guarded

    def guarded_scandir(path: object = ".") -> object:
        if Path(str(path)).absolute() == locked:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)  # type: ignore[call-overload]  # passes through os.scandir's own argument

    monkeypatch.setattr(os, "open", guard(real_open))
    monkeypatch.setattr(os, "stat", guard(real_stat))
    monkeypatch.setattr(os, "lstat", guard(real_lstat))
    monkeypatch.setattr(os, "scandir", guarded_scandir)


TOP_LOCKED_CASES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("the-directory", (), ("manifests: is a directory that cannot be listed: permission denied",
                           "manifests/reconciler.yaml: settings file cannot be read: permission denied")),
    ("a-file-in-it", ("manifests/main.yaml",), ("manifests/main.yaml: cannot be read: permission denied",
                                                "manifests/reconciler.yaml: settings file cannot be read")),
]


@pytest.mark.parametrize(("args", "messages"), [c[1:] for c in TOP_LOCKED_CASES], ids=[c[0] for c in TOP_LOCKED_CASES])
def test_the_manifests_directory_itself_without_permission_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], messages: tuple[str, ...]
) -> None:
    """As a subdirectory without permission is: the settings file in it is unread, never the defaults."""
    root = _project(tmp_path)
    _refuse_search(monkeypatch, root / "manifests")
    _validate(root, *args).expect(1, *messages)


def test_validate_counts_every_file_an_empty_one_too(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "empty.yaml").write_text("")
    (root / "manifests" / "sub").mkdir()
    (root / "manifests" / "sub" / "other.yml").write_text(VALID.replace("Main", "Other"))
    (root / "manifests" / "link.yaml").symlink_to("sub/other.yml")  # the same file twice: read once
    _validate(root).expect(0, "2 objects in 3 files are valid")


#: a file beside the manifests directory, and what it would quote in an error if it were read as a manifest
ELSEWHERE = f"apiVersion: reconciler/v1\nkind: {SECRET}\nmetadata: {{name: x}}\nspec: {{}}\n"


def _elsewhere(tmp_path: Path) -> None:
    """``private/`` beside the project (not in it: the harness looks for the secret in the project's files)."""
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "key.yaml").write_text(ELSEWHERE)
    (tmp_path / "private" / "reconciler.yaml").write_text(f"prune: {SECRET}\n")


OUTSIDE_CASES: list[tuple[str, Setup, str]] = [
    ("file-relative", lambda m: (m / "leak.yaml").symlink_to("../../private/key.yaml"),
     "manifests/leak.yaml: is a symlink to '../../private/key.yaml', which leads outside manifests: only files inside "
     "the project (the directory given, when no reconciler.yaml is found) are read"),
    ("file-absolute", lambda m: (m / "leak.yml").symlink_to(m.parent.parent / "private" / "key.yaml"),
     "manifests/leak.yml: is a symlink to "),
    ("file-below", lambda m: ((m / "sub").mkdir(), (m / "sub" / "leak.yaml").symlink_to("../../../private/key.yaml")),
     "manifests/sub/leak.yaml: is a symlink to '../../../private/key.yaml', which leads outside manifests"),
    ("directory", lambda m: (m / "shared").symlink_to("../../private"),
     "manifests/shared: is a symlink to '../../private', which leads outside manifests"),
    ("through-a-link-inside", lambda m: ((m / "hop.txt").symlink_to("../../private/key.yaml"),
                                         (m / "leak.yaml").symlink_to("hop.txt")),
     "manifests/leak.yaml: is a symlink to 'hop.txt', which leads outside manifests"),
    ("settings", lambda m: ((m / "reconciler.yaml").symlink_to("../../private/reconciler.yaml")),
     "manifests/reconciler.yaml: settings file is a symlink to '../../private/reconciler.yaml', which leads outside "
     "manifests"),
]


@pytest.mark.parametrize(("setup", "message"), [c[1:] for c in OUTSIDE_CASES], ids=[c[0] for c in OUTSIDE_CASES])
def test_a_symlink_leading_out_of_the_directory_given_is_refused_unread(tmp_path: Path, setup: Setup,
                                                                       message: str) -> None:
    """A pull request's link to a file elsewhere (a key, /etc/...) is not read, so nothing of it is quoted."""
    root = _project(tmp_path)
    _elsewhere(tmp_path)
    setup(root / "manifests")
    _validate(root).expect(1, message)


def test_only_the_walk_refuses_a_link_out_symlinks_inside_and_files_named_on_the_command_line_are_read(
    tmp_path: Path,
) -> None:
    root = _project(tmp_path)
    (tmp_path / "shared.yaml").write_text(VALID.replace("Main", "Shared"))
    (root / "manifests" / "shared.yaml").symlink_to("../../shared.yaml")
    _validate(root).expect(1, "manifests/shared.yaml: is a symlink to '../../shared.yaml', which leads outside")
    _validate(root, "manifests/main.yaml", "manifests/shared.yaml").expect(0, "2 objects in 2 files are valid")
    (root / "manifests" / "shared.yaml").unlink()
    (root / "manifests" / "sub").mkdir()
    (root / "manifests" / "sub" / "other.yml").write_text(VALID.replace("Main", "Other"))
    (root / "manifests" / "alias").symlink_to("sub")
    (root / "linked").symlink_to("manifests")  # the directory given may itself be a link
    _validate(root, "linked").expect(0, "2 objects in 2 files are valid")
    _validate(root, "linked/alias").expect(0, "1 object in 1 file is valid")


# ---- 2. bounded parsing ---------------------------------------------------------------


def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return VALID + "---\n" + "\n".join(lines) + "\n"


@pytest.mark.parametrize("levels", [5, 7, 9, 12])
def test_alias_bomb_is_refused_in_milliseconds(tmp_path: Path, levels: int) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "bomb.yaml").write_text(_bomb(levels))
    outcome = _validate(root).expect(1, "manifests/bomb.yaml:", "aliases expand to more than 10000 values")
    assert outcome.seconds < 5


def test_alias_bomb_in_its_own_process_is_bounded(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "bomb.yaml").write_text(_bomb(9))
    outcome = run_cli(["validate", "manifests"], cwd=root).expect(1, "aliases expand to more than 10000 values")
    assert outcome.seconds < 10


WIDE_CASES = [
    ("block-list", "---\n" + "- a\n" * 150_000, "manifests/wide.yaml:100009:3: "),
    ("flow-list", "---\n[" + ",".join(["1"] * 150_000) + "]\n", "manifests/wide.yaml:10:200000: "),
    ("unknown-keys", "".join(f"k{i}: {i}\n" for i in range(80_000)), "manifests/wide.yaml:50000:9: "),
    ("custom-params", VALID.replace("Main", "Wide") + "  customParams:\n"
     + "".join(f"    k{i}: {i}\n" for i in range(60_000)), "manifests/wide.yaml:50000:13: "),
]


@pytest.mark.parametrize(("text", "where"), [c[1:] for c in WIDE_CASES], ids=[c[0] for c in WIDE_CASES])
def test_a_document_of_too_many_values_is_refused_before_it_is_composed(tmp_path: Path, text: str, where: str) -> None:
    """Composing a 16 MB document of four million one-letter items took 40 s and 2 GB, to end in 'got a list'."""
    root = _project(tmp_path)
    (root / "manifests" / "wide.yaml").write_text(VALID + text if text.startswith("---") else text)
    _validate(root).expect(1, where, "the document holds more than 100,000 values; split it")


def test_many_documents_share_no_bound(tmp_path: Path) -> None:
    """The bound is a document's: a file of 12,000 manifests (144,000 values) is read as before."""
    root = _project(tmp_path)
    many = "---\n".join(VALID.replace("Main", f"Voice {i}") for i in range(12_000))
    (root / "manifests" / "many.yaml").write_text(many)
    _validate(root).expect(0, "12001 objects in 2 files are valid")


def _spec_with(value: str) -> str:
    return VALID + f"  customParams:\n    deep: {value}\n"


DEEP_CASES = [
    ("flow-sequence", _spec_with("[" * 100 + "]" * 100), "manifests/deep.yaml:10:"),
    ("flow-mapping", _spec_with("{a: " * 100 + "1" + "}" * 100), "manifests/deep.yaml:10:"),
    ("block-mapping", VALID + "".join("  " * (i + 1) + f"k{i}:\n" for i in range(100)), "manifests/deep.yaml:"),
    ("block-sequence",
     VALID + "  customParams:\n    deep:\n" + "".join("      " + "  " * i + "-\n" for i in range(100)),
     "manifests/deep.yaml:"),
    ("past-libyaml-limit", _spec_with("[" * 5000 + "]" * 5000), "manifests/deep.yaml:10:"),
]


@pytest.mark.parametrize(("text", "where"), [c[1:] for c in DEEP_CASES], ids=[c[0] for c in DEEP_CASES])
def test_deep_nesting_is_refused_at_its_place(tmp_path: Path, text: str, where: str) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "deep.yaml").write_text(text)
    _validate(root).expect(1, where, "nested deeper than 64 levels")


def test_deep_nesting_in_settings_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "reconciler.yaml").write_text("prune: " + "[" * 200 + "]" * 200 + "\n")
    _validate(root).expect(1, "manifests/reconciler.yaml:1:", "nested deeper than 64 levels")


# ---- 3. tags on any node --------------------------------------------------------------

TAG_CASES = [
    ("python-apply-scalar", "  description: !!python/object/apply:os.system ['echo pwned']\n", "python/object/apply"),
    ("python-object-mapping", "  customParams: !!python/object:collections.OrderedDict {a: 1}\n", "python/object"),
    ("custom-mapping", "  customParams: !evil {a: 1}\n", "'!evil'"),
    ("custom-sequence", "  customParams:\n    list: !evil [1, 2]\n", "'!evil'"),
    ("custom-scalar", "  description: !custom hello\n", "'!custom'"),
    ("binary", "  description: !!binary aGVsbG8=\n", "binary"),
    ("set", "  customParams: !!set {a, b}\n", "set"),
    ("omap", "  customParams: !!omap [{a: 1}]\n", "omap"),
]


@pytest.mark.parametrize(("line", "tag"), [c[1:] for c in TAG_CASES], ids=[c[0] for c in TAG_CASES])
def test_a_tag_on_any_node_is_an_error(tmp_path: Path, line: str, tag: str) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "tagged.yaml").write_text(VALID.replace("Main", "Tagged") + line)
    _validate(root).expect(1, "manifests/tagged.yaml:", ": spec.", "unsupported YAML tag", tag)


def test_a_tag_in_settings_is_an_error(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "reconciler.yaml").write_text("prune: !!python/object:builtins.dict {kinds: [Webhook]}\n")
    _validate(root).expect(1, "manifests/reconciler.yaml:1:8: prune: unsupported YAML tag")


# ---- 4. NaN and Infinity --------------------------------------------------------------

NAN_CASES = [
    ("params-nan", "  customParams:\n    gain: .nan\n", "manifests/odd.yaml:10:11: spec.customParams.gain", "'.nan'"),
    ("params-inf", "  customParams:\n    gain: .inf\n", "manifests/odd.yaml:10:11: spec.customParams.gain", "'.inf'"),
    ("params-neg-inf", "  customParams:\n    gain: -.Inf\n", "spec.customParams.gain", "'-.Inf'"),
    ("params-in-list", "  customParams:\n    gains: [1, .NaN]\n", "spec.customParams.gains[1]", "'.NaN'"),
    ("rate-nan", "  rate: .NAN\n", "manifests/odd.yaml:9:9: spec.rate", "'.NAN'"),
    ("pitch-overflow", "  pitch: 1e999\n", "manifests/odd.yaml:9:10: spec.pitch", "too large to be finite"),
    ("volume-inf", "  volume: +.inf\n", "spec.volume", "'+.inf'"),
]


@pytest.mark.parametrize(("line", "where", "shown"), [c[1:] for c in NAN_CASES], ids=[c[0] for c in NAN_CASES])
def test_nan_and_infinity_are_refused_in_every_field(tmp_path: Path, line: str, where: str, shown: str) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "odd.yaml").write_text(VALID.replace("Main", "Odd") + line)
    _validate(root).expect(1, where, shown, "NaN and Infinity are not allowed")


def test_an_overflowing_literal_in_a_write_only_field_is_not_echoed(tmp_path: Path) -> None:
    """A literal where a secret belongs is refused without being shown; digits that overflow a float too."""
    root = _project(tmp_path)
    literal = "31415926e9999"
    (root / "manifests" / "hook.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Webhook\nmetadata:\n  name: Hook\nspec:\n"
        "  requestUrl: https://crm.example.com/hook\n  eventFilters:\n    - event: rules.updated\n"
        f"  authScheme: basic\n  authUsername: someone\n  authSecret: {literal}\n"
    )
    outcome = _validate(root).expect(1, "manifests/hook.yaml:11:15: spec.authSecret", "too large to be finite")
    assert literal not in outcome.output  # the manifest itself holds it: only the output is searched


def test_nan_in_settings_is_refused(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "reconciler.yaml").write_text("prune:\n  maxDeletePercent: .nan\n")
    _validate(root).expect(1, "manifests/reconciler.yaml:2:21: prune.maxDeletePercent", "NaN and Infinity")


def test_a_number_too_long_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "manifests" / "long.yaml").write_text(VALID.replace("Main", "Long") + "  rate: 1" + "0" * 5000 + "\n")
    _validate(root).expect(1, "manifests/long.yaml:9:9: spec.rate: number too long")
