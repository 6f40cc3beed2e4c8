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

import yaml

from reconciler.core.errors import ConfigError
from reconciler.core.paths import reason
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
    """Read and check a ``--clients`` file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read --clients file {path}: {reason(exc)}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise ConfigError(f"{path}: not valid YAML{where}") from None
    return parse_clients(data, str(path))


__all__ = ["load_clients", "parse_clients"]
