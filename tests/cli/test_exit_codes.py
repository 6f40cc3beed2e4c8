"""Exit codes as Terraform's: 0 success, 1 any error (usage errors too), 2 only changes or drift.

CI reads 2 as "changes present" or "drift": a typo in a workflow's options must not look like one.
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import main


@pytest.mark.parametrize(
    "args",
    [
        ["plan", "--bogus"],
        ["drift", "--format", "yaml"],
        ["nope"],
        ["sandbox", "serve", "--port", "x"],
        ["apply", "--concurrency", "0"],
        ["audit", "verify", "a", "b"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_1_with_clicks_message(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "Error:" in result.output and "Try '" in result.output
    assert "Traceback" not in result.output


def _path_parameters(command: click.Command = main, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command, click.Parameter]]:
    """Every path option and argument of every command, found by walking the command tree."""
    if isinstance(command, click.Group):
        return [found for name, sub in sorted(command.commands.items()) for found in _path_parameters(sub, (*path, name))]
    return [(path, command, param) for param in command.params if isinstance(param.type, click.Path)]


def _with_empty(command: click.Command, param: click.Parameter) -> list[str]:
    """The command's arguments with ``""`` for ``param``: required positionals before it get a placeholder."""
    positional = ["" if p is param else "x" for p in command.params
                  if isinstance(p, click.Argument) and (p is param or p.required)]
    return [*positional, *([param.opts[0], ""] if isinstance(param, click.Option) else [])]


PATH_PARAMETERS = _path_parameters()


@pytest.mark.timeout(30)  # without the check, `sandbox serve --sandbox-db ""` serves until stopped
@pytest.mark.parametrize(("path", "command", "param"), PATH_PARAMETERS,
                         ids=[" ".join((*p, c.opts[0] if isinstance(c, click.Option) else str(c.name)))
                              for p, _, c in PATH_PARAMETERS])
def test_an_empty_path_is_a_usage_error_naming_it(
    path: tuple[str, ...], command: click.Command, param: click.Parameter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--out "$PLAN"`` with PLAN unset: saved nothing and exited 0, or wrote into the working directory."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*path, *_with_empty(command, param)])
    named = param.opts[0] if isinstance(param, click.Option) else str(param.name).upper()
    assert result.exit_code == 1, result.output
    assert "the path is empty (an unset variable?)" in result.output and named in result.output
    assert list(tmp_path.iterdir()) == []  # refused before anything was read or written


def test_every_path_parameter_shares_the_type_that_refuses_empty() -> None:
    """The walk above finds the path options the defects were seen on, and all are one type, so none is missed."""
    from reconciler.cli.options import NonEmptyPath

    named = {(" ".join(p), c.opts[0] if isinstance(c, click.Option) else str(c.name)) for p, _, c in PATH_PARAMETERS}
    assert {("plan", "--out"), ("plan", "paths"), ("export", "--out"), ("apply", "--audit-log"),
            ("apply", "--sandbox-db"), ("validate", "paths"), ("audit show", "file"),
            ("sandbox serve", "--sandbox-db"), ("revert", "--manifests-out")} <= named
    assert [f"{' '.join(p)} {c.name}" for p, _, c in PATH_PARAMETERS if not isinstance(c.type, NonEmptyPath)] == []


def _text_parameters(command: click.Command = main, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command, click.Parameter]]:
    """Every free-text option and argument (not a path, a choice, a number or a flag) of every command."""
    if isinstance(command, click.Group):
        return [found for name, sub in sorted(command.commands.items()) for found in _text_parameters(sub, (*path, name))]
    return [(path, command, param) for param in command.params if isinstance(param.type, click.types.StringParamType)]


TEXT_PARAMETERS = _text_parameters()


def _with_value(command: click.Command, param: click.Parameter, value: str) -> list[str]:
    positional = [value if p is param else "x" for p in command.params
                  if isinstance(p, click.Argument) and (p is param or p.required)]
    return [*positional, *([param.opts[0], value] if isinstance(param, click.Option) else [])]


@pytest.mark.timeout(30)  # without the check, `sandbox serve --client-secret ""` serves until stopped
@pytest.mark.parametrize(("value", "says"), [("", "the value is empty (an unset variable?)"),
                                             ("  ", "the value is blank (only whitespace)"),
                                             # bytes not UTF-8 (as a shell passes $'\xff'): lone surrogates, a
                                             # UnicodeEncodeError traceback wherever the value was printed or recorded
                                             ("x\udcff", "the value is not UTF-8 text")],
                         ids=["empty", "blank", "not-utf8"])
@pytest.mark.parametrize(("path", "command", "param"), TEXT_PARAMETERS,
                         ids=[" ".join((*p, c.opts[0] if isinstance(c, click.Option) else str(c.name)))
                              for p, _, c in TEXT_PARAMETERS])
def test_an_empty_text_value_is_a_usage_error_naming_it(
    path: tuple[str, ...], command: click.Command, param: click.Parameter, value: str, says: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--api-url "$URL"`` with URL unset planned against the sandbox; ``revert "$RUN"`` reverted the only run."""
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, [*path, *_with_value(command, param, value)])
    named = param.opts[0] if isinstance(param, click.Option) else str(param.name).upper()
    assert result.exit_code == 1, result.output
    assert f"Error: Invalid value for '{named}': {says}" in result.output, result.output
    assert list(tmp_path.iterdir()) == []  # refused before anything was read or written


def test_every_text_parameter_shares_the_type_that_refuses_empty() -> None:
    """The walk above finds the options the defects were seen on, and all are one type, so none is missed."""
    from reconciler.cli.options import NonEmptyText

    named = {(" ".join(p), c.opts[0] if isinstance(c, click.Option) else str(c.name)) for p, _, c in TEXT_PARAMETERS}
    assert {("apply", "--audit-url"), ("apply", "--override"), ("plan", "--prune"), ("plan", "--rotate-secret"),
            ("plan", "--api-url"), ("plan", "--region"), ("plan", "--client-id"), ("revert", "run_id"),
            ("audit show", "--run"), ("export", "--name"), ("sandbox serve", "--host")} <= named
    assert [f"{' '.join(p)} {c.name}" for p, _, c in TEXT_PARAMETERS if not isinstance(c.type, NonEmptyText)] == []


def test_help_and_version_exit_0() -> None:
    assert CliRunner().invoke(main, ["--help"]).exit_code == 0
    assert CliRunner().invoke(main, ["plan", "--help"]).exit_code == 0
    assert CliRunner().invoke(main, ["--version"]).exit_code == 0


def test_plan_detailed_exitcode_is_2_only_with_changes(tmp_path: Path) -> None:
    manifests = tmp_path / "m"
    manifests.mkdir()
    (manifests / "v.yaml").write_text(VOICE, encoding="utf-8")
    db = str(tmp_path / "s.db")
    runner = CliRunner()
    plan = ["plan", str(manifests), "--target", "sandbox", "--sandbox-db", db, "--detailed-exitcode"]
    assert runner.invoke(main, plan).exit_code == 2
    assert runner.invoke(main, ["plan", str(manifests), "--target", "sandbox", "--sandbox-db", db]).exit_code == 0
    applied = runner.invoke(main, ["apply", str(manifests), "--target", "sandbox", "--sandbox-db", db,
                                   "--auto-approve", "--audit-log", str(tmp_path / "a.jsonl")])
    assert applied.exit_code == 0, applied.output
    assert runner.invoke(main, plan).exit_code == 0
    drift = runner.invoke(main, ["drift", str(manifests), "--target", "sandbox", "--sandbox-db", db])
    assert drift.exit_code == 0, drift.output


def test_keyboard_interrupt_exits_130(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import reconciler.manifests as manifests

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(manifests, "load_manifests", interrupted)
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 130
    assert "Traceback" not in result.output


def test_a_working_directory_removed_meanwhile_is_one_error_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """os.getcwd() raised FileNotFoundError from deep in the command: a traceback."""
    gone = tmp_path / "gone"
    gone.mkdir()
    (tmp_path / "manifests").mkdir()
    monkeypatch.chdir(gone)  # monkeypatch goes back to the suite's directory afterwards
    gone.rmdir()
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "manifests")])
    assert (result.exit_code, result.exception.__class__) == (1, SystemExit), result.output
    assert result.output == ("error: the working directory cannot be used (no such file or directory): it was "
                             "removed or moved since the command started from it; cd to the project again\n")


VOICE = """\
apiVersion: reconciler/v1
kind: VoiceProfile
metadata:
  name: exit-codes
spec:
  language: en-US
  voice: polly-Joanna
  engine: amazon_polly
"""
