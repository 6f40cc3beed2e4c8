"""``reconciler validate``: the offline check of manifests.

Like Terraform's ``validate`` it needs neither the network nor a secret's value, so it runs in
pre-commit hooks and on fork pull requests (which get no secrets): an unset ``${env:…}`` variable
is not an error unless ``--check-env`` asks for the environment check too.
"""

from __future__ import annotations

import sys

import click

from reconciler.cli.options import DEFAULT_PATHS, NonEmptyPath

VALIDATE_FORMATS = click.Choice(["text", "json", "sarif"])


@click.command()
@click.argument("paths", nargs=-1, type=NonEmptyPath())
@click.option("--check-env", is_flag=True, help="Also require every ${env:NAME} variable to be set.")
@click.option("--format", "fmt", type=VALIDATE_FORMATS, default="text", show_default=True,
              help="text for people, json for programs, sarif for GitHub code scanning (annotates the line).")
def validate(paths: tuple[str, ...], check_env: bool, fmt: str) -> None:
    """Check manifests offline against every rule of the API contract (no network, no secrets)."""
    import json
    import os
    from collections.abc import Mapping

    from reconciler.core.errors import ManifestError, ManifestIssue, ManifestWarning
    from reconciler.core.keys import ObjectKey
    from reconciler.manifests import load_manifests
    from reconciler.manifests.escapes import escape_warnings
    from reconciler.manifests.placeholders import UnsetAllowed
    from reconciler.render.sarif import render_error, render_issues
    from reconciler.render.values import plural

    env = dict(os.environ) if check_env else UnsetAllowed(os.environ)
    issues: list[ManifestIssue] = []
    objects = files = omitted = 0
    included: Mapping[ObjectKey, tuple[ObjectKey, ...]] = {}
    warnings: list[ManifestWarning] = []
    try:
        manifest_set = load_manifests(paths or DEFAULT_PATHS, env=env)
        objects, files = len(manifest_set.objects), len(manifest_set.files)
        included = manifest_set.included
        warnings = escape_warnings(manifest_set.objects)
    except ManifestError as exc:
        if fmt == "json":  # everything in the object on stdout, for a program
            issues, omitted = exc.issues, exc.omitted
        else:  # text; sarif prints its log first (code scanning), the errors still go to the job's log
            if fmt == "sarif":
                click.echo(render_error(exc), nl=False)  # the same log plan prints for the same error
            raise
    if fmt != "json":  # valid, but what it reads as changed: on stderr, beside the result (and in SARIF's log)
        for warning in warnings:
            click.echo(f"warning: {warning}", err=True)
    if fmt == "sarif":  # each warning a result at its line: code scanning shows only what is in the log
        click.echo(render_issues(issues, warnings=warnings), nl=False)
    elif fmt == "json":
        doc = {
            "format_version": 1,
            "valid": not issues,
            "objects": objects,
            "files": files,
            # objects of files not given that the files given reference, each -> its referrers (plan's included_by)
            "included": {str(k): [str(r) for r in by] for k, by in included.items()},
            "issues": [{"file": i.file, "line": i.line, "column": i.column, "path": i.path, "message": i.message}
                       for i in issues],
            # found beyond the first MAX_ISSUES listed: counted, not listed (see core.errors)
            "issues_omitted": omitted,
            # valid manifests whose reading is worth a look ($${env:…}: see manifests.escapes)
            "warnings": [str(w) for w in warnings],
        }
        click.echo(json.dumps(doc, indent=2))
    else:
        verb = "is" if objects == 1 else "are"
        # objects the files given reference and only files not given declare are read and checked too
        # (manifests.included): said, so that "3 objects in 1 file" does not look miscounted
        pulled = f" ({len(included)} of them referenced from files not given)" if included else ""
        click.echo(f"{plural(objects, 'object')} in {plural(files, 'file')}{pulled} {verb} valid")
    if issues:
        sys.exit(1)
