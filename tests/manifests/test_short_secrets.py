"""A write-only secret too short to be masked is refused, at its file:line and field, never sent unmasked.

Masking a secret of one to three characters cannot work both ways: searched for, it is
found inside ordinary words (``pe***missions`` for ``r``, which shows the letter by the
words around it); not searched for (the audit trail and the command line's error path
left out values under :data:`~reconciler.core.secrets.MIN_SECRET_LENGTH`), a server
echoing it gets it out. Neither the contract (``authSecret`` is a string, no minimum) nor
the SDK (``Credential.credential_fields: dict(str, str)``) states a minimum, so the
reconciler states its own: a write-only value from ``${env:…}`` is at least four characters.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reconciler.core.errors import ManifestError
from reconciler.genesys.errors import error_from_response
from reconciler.manifests import load_manifests

HOOK = """\
apiVersion: reconciler/v1
kind: Webhook
metadata:
  name: W
spec:
  requestUrl: https://hooks.example.com/x
  eventFilters:
    - event: rules.updated
  authScheme: bearer
  authSecret: ${env:HOOK_TOKEN}
"""
CREDENTIAL = """\
apiVersion: reconciler/v1
kind: IntegrationCredential
metadata:
  name: C
spec:
  type: {name: basicAuth}
  credentialFields: {userName: '${env:CRM_USER}', password: '${env:CRM_PASSWORD}'}
"""


def errors_of(tmp_path: Path, text: str, env: dict[str, str]) -> list[str]:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    try:
        load_manifests([str(tmp_path)], env=env)
    except ManifestError as exc:
        return [str(issue).replace(f"{tmp_path}/", "") for issue in exc.issues]
    return []


@pytest.mark.parametrize("value", ["r", "ab", "xyz"])
def test_a_write_only_secret_under_four_characters_is_refused_at_its_line(tmp_path: Path, value: str) -> None:
    (error,) = errors_of(tmp_path, HOOK, {"HOOK_TOKEN": value})
    assert error == (
        f"m.yaml:10:15: spec.authSecret: environment variable HOOK_TOKEN holds {len(value)} character(s); a write-only "
        "secret must be at least 4 characters long, or it cannot be masked in output (it would be found inside "
        "ordinary words, which show it)"
    )


def test_an_empty_write_only_secret_is_refused_as_empty(tmp_path: Path) -> None:
    (error,) = errors_of(tmp_path, HOOK, {"HOOK_TOKEN": ""})
    assert error == "m.yaml:10:15: spec.authSecret: environment variable HOOK_TOKEN is empty (a secret unset in CI?)"


def test_a_four_character_secret_is_accepted(tmp_path: Path) -> None:
    assert errors_of(tmp_path, HOOK, {"HOOK_TOKEN": "abcd"}) == []


def test_each_short_credential_field_is_refused_by_its_name(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, CREDENTIAL, {"CRM_USER": "bob", "CRM_PASSWORD": ""})
    assert [error.split(": environment")[0] for error in errors] == [
        "m.yaml:7:32: spec.credentialFields.userName",
        "m.yaml:7:61: spec.credentialFields.password",
    ]
    assert errors_of(tmp_path, CREDENTIAL, {"CRM_USER": "bobby", "CRM_PASSWORD": "hunter22"}) == []


def test_a_short_value_the_client_hides_leaves_the_servers_words_whole() -> None:
    """An ``${env:…}`` value of an ordinary field may be short (it is no secret the platform hides):
    error text used to show ``missing.pe***missions`` for ``r``, which shows the letter."""
    answer = httpx.Response(403, json={"code": "missing.permissions", "message": "you need permissions"})
    error = error_from_response(answer, method="GET", path="/x", secrets=["r", "long-secret-value"])
    assert str(error).startswith("GET /x failed: HTTP 403 missing.permissions: you need permissions")
