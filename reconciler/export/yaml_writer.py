"""Manifest files and ``SECRETS.md`` as text: what the export writes, byte for byte.

The output must read back as exactly the values exported (the loader follows YAML 1.2,
PyYAML writes 1.1), and stay stable across runs so a re-export shows no diff.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from reconciler.export.model import Export, ExportedObject
from reconciler.manifests.schemas import MANIFEST
from reconciler.manifests.yamlsource import YAML12_FLOAT


class _Dumper(yaml.SafeDumper):
    """Safe YAML whose plain scalars read back the same under the loader's YAML 1.2 rules.

    PyYAML quotes a string only when YAML 1.1 would read it as something else; the
    loader also reads ``1e3`` (a string to 1.1) as a number, so such strings are quoted.
    """

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    """Unicode line breaks (NEL, LS, PS) only survive escaped: single quotes would fold them."""
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_implicit_resolver("tag:yaml.org,2002:float", YAML12_FLOAT, list("-+0123456789."))
_Dumper.add_representer(str, _represent_str)

MODELINE = "# yaml-language-server: $schema="


def render_object(obj: ExportedObject, schema: str) -> str:
    """One manifest file: the schema modeline, then the document (stable order and layout)."""
    body = yaml.dump(
        obj.document(),
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
        width=2**31 - 1,
    )
    return f"{MODELINE}{schema}\n{body}"


def schema_reference(out_dir: Path, file: PurePosixPath) -> str:
    """The modeline's path to ``schemas/manifest.json``, relative to the file.

    Inside a checkout (``schemas/manifest.json`` found in DIR or above it) it is the
    real relative path; elsewhere DIR is assumed to sit beside ``schemas/``.
    """
    base = out_dir.resolve()
    for ancestor in (base, *base.parents):
        candidate = ancestor / "schemas" / MANIFEST
        if candidate.is_file():
            return Path(os.path.relpath(candidate, (base / file).parent)).as_posix()
    return "../" * len(file.parts) + f"schemas/{MANIFEST}"


def render_secrets(export: Export) -> str:
    """``SECRETS.md``: the variables to set, where each is used; never a value (none is known)."""
    rows = "\n".join(
        f"| `{s.name}` | {_cell(s.kind + '/' + s.object_name)} | `{s.field}` | `{s.file.as_posix()}` |"
        for s in export.secrets
    )
    return (
        "# Secrets to set\n\n"
        "The API never returns write-only fields, so `reconciler export` wrote each one that is\n"
        "set live as `${env:NAME}`. Set these environment variables to the real values before\n"
        "`reconciler validate`, `plan` or `apply`. Only whether a secret is set is compared, so any\n"
        "value plans as no change; but every write of the object sends the variable's value,\n"
        "so it must be the real secret before the next apply that changes the object.\n\n"
        "| Variable | Object | Field | File |\n|---|---|---|---|\n"
        f"{rows}\n"
    )


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
