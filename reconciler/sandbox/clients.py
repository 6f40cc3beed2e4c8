"""The ``--clients FILE`` of ``sandbox serve``: OAuth clients and their platform permissions.

The file maps each client id to its secret and the permissions its roles would give::

    ci-reader:
      secret: reader-secret
      permissions: [speechAndTextAnalytics:topic:view, processautomation:trigger:view]
    deployer:
      secret: deployer-secret
      permissions: ["*"]

A mistake in the file is a :class:`ConfigError` naming the client and the field (one
line, exit 1), never a traceback; secrets are never repeated in a message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reconciler.core.errors import ConfigError
from reconciler.manifests.reading import Unreadable, read_text
from reconciler.manifests.yamlsource import load_documents
from reconciler.sandbox import ClientGrant


def parse_clients(data: Any, source: str) -> tuple[ClientGrant, ...]:
    """The clients a ``--clients`` document describes."""
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{source}: expected a mapping of client id to {{secret, permissions}}")
    grants: list[ClientGrant] = []
    for client_id, entry in data.items():
        where = f"{source}: client {client_id!r}"
        if not isinstance(client_id, str) or not client_id:
            raise ConfigError(f"{source}: a client id must be a non-empty string")
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: expected {{secret, permissions}}")
        unknown = sorted(set(entry) - {"secret", "permissions"})
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(map(str, unknown))} (secret, permissions)")
        secret = entry.get("secret")
        if not isinstance(secret, str) or not secret:
            raise ConfigError(f"{where}: secret is required (a non-empty string)")
        permissions = entry.get("permissions", [])
        if not isinstance(permissions, list) or not all(isinstance(p, str) and p for p in permissions):
            raise ConfigError(f"{where}: permissions must be a list of permission strings (\"*\" for all)")
        grants.append(ClientGrant(client_id, secret, tuple(permissions)))
    return tuple(grants)


def load_clients(path: str | Path) -> tuple[ClientGrant, ...]:
    """Read and check a ``--clients`` file.

    Read as manifests are (:func:`~reconciler.manifests.reading.read_text`,
    :func:`~reconciler.manifests.yamlsource.load_documents`), for the same hostile files: a FIFO
    or device is refused unopened (a FIFO blocked the command), bytes that are not UTF-8 are
    named at their line (they were a ``UnicodeDecodeError`` traceback), a file over 16 MB is
    refused unread, and aliases are held to the manifests' bound (``yaml.safe_load`` had none).
    """
    try:
        text = read_text(Path(path))
    except Unreadable as exc:
        where = f":{exc.line}:{exc.column}" if exc.line is not None else ""
        raise ConfigError(f"cannot read --clients file {path}{where}: {exc.reason}") from None
    docs, problems = load_documents(text)
    if problems:
        first = problems[0]
        where = f":{first.line}:{first.column}" if first.line is not None else ""
        raise ConfigError(f"{path}{where}: {first.message}")
    if len(docs) > 1:
        line, column = docs[1].start
        raise ConfigError(f"{path}:{line}:{column}: a --clients file holds a single YAML document")
    return parse_clients(docs[0].value if docs else None, str(path))


__all__ = ["load_clients", "parse_clients"]
