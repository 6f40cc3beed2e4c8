"""``audit verify --format json``: the verification as one JSON object on stdout.

Why: a CI step or a SIEM job reads the result without parsing a sentence. A broken chain is
still exit 1, with the bad line and record in the object rather than on stderr.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import click


def verify_json(file: str) -> None:
    from reconciler.audit.verify import AuditChainError, verify_log
    from reconciler.core.errors import AuditError

    doc: dict[str, Any] = {"format_version": 1, "path": file}
    try:
        report = verify_log(file)
    except AuditChainError as exc:
        doc.update(valid=False, error=exc.reason, line=exc.line, seq=exc.seq)
    except AuditError as exc:
        doc.update(valid=False, error=str(exc), line=None, seq=None)
    else:
        doc.update(valid=True, **{k: v for k, v in dataclasses.asdict(report).items() if k != "path"})
    click.echo(json.dumps(doc, indent=2))
    if not doc["valid"]:
        sys.exit(1)
