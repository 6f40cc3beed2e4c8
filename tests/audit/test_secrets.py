"""The test secret is nowhere in the audit trail: not in the log, its sidecars, the
forwarded bodies, nor in what ``audit show`` prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.audit.redact import Redactor
from reconciler.cli import main
from reconciler.core.errors import ConflictError
from reconciler.manifests.desired import SENSITIVE

from .conftest import Receiver, open_trail, records_of

SECRET = "Sup3r-Secret-Test-Value-42"


def _write_with_secrets(path: Path, url: str | None = None) -> None:
    with open_trail(path, forward_url=url, secret_values=[SECRET]) as trail:
        trail.run_started("secret-run", {"create": 1})
        seq = trail.intent(
            kind="Webhook",
            name="crm",
            object_id=None,
            action="create",
            changes=[
                {"path": "authSecret", "before": None, "after": SECRET},  # unmasked by a careless caller
                {"path": "headers", "before": {}, "after": {"Authorization": f"Bearer {SECRET}", "X-Team": "ops"}},
                {"path": "headers.authorization", "before": None, "after": f"Basic {SECRET}"},
                {"path": "requestUrl", "before": None, "after": f"https://hooks.example.com/?key={SECRET}",
                 "sensitive": True},
                {"path": "description", "before": None, "after": f"mentions {SECRET} in passing"},
                {"path": "authSecretSet", "before": False, "after": True},
            ],
            method="POST",
            path="/api/v2/webhooks",
        )
        trail.outcome(
            intent_seq=seq,
            outcome="failure",
            error=ConflictError(409, "duplicate.name", f"echoing {SECRET}", correlation_id="corr-1"),
        )
        trail.run_finished({"failed": 1}, 1)
        trail.delivery_summary()


class TestSecretSweep:
    def test_no_file_next_to_the_log_and_no_forwarded_body_holds_the_secret(
        self, log_path: Path, receiver: Receiver
    ) -> None:
        receiver.up()
        _write_with_secrets(log_path, receiver.url)
        files = sorted(p for p in log_path.parent.iterdir() if p.is_file())
        assert log_path in files and len(receiver.bodies) == 4
        for file in files:
            assert SECRET.encode() not in file.read_bytes(), file
        for body in receiver.bodies:
            assert SECRET.encode() not in body

    def test_show_output_does_not_hold_the_secret(self, log_path: Path) -> None:
        _write_with_secrets(log_path)
        runner = CliRunner()
        for fmt in ("text", "json"):
            result = runner.invoke(main, ["audit", "show", str(log_path), "--format", fmt])
            assert result.exit_code == 0 and SECRET not in result.output

    def test_masked_values_keep_what_auditors_need(self, log_path: Path) -> None:
        _write_with_secrets(log_path)
        intent, outcome = records_of(log_path)[1:3]
        changes = {c["path"]: c for c in intent["changes"]}
        assert changes["authSecret"]["after"] == SENSITIVE
        assert changes["headers"]["after"] == {"Authorization": SENSITIVE, "X-Team": "ops"}
        assert changes["headers.authorization"]["after"] == SENSITIVE
        assert changes["requestUrl"]["after"] == SENSITIVE
        assert changes["description"]["after"] == f"mentions {SENSITIVE} in passing"
        assert (changes["authSecretSet"]["before"], changes["authSecretSet"]["after"]) == (False, True)
        assert changes["authSecret"]["before"] is None  # "was not set" is not a secret
        assert (outcome["status"], outcome["correlation_id"]) == (409, "corr-1")
        assert outcome["error"] == {"code": "duplicate.name", "message": f"echoing {SENSITIVE}"}


class TestRedactor:
    @pytest.mark.parametrize(
        "path",
        ["authSecret", "AUTHSECRET", "headers.Authorization", "headers['authorization']", "auth.password",
         "customParams.apiToken", "items[2].client_secret"],
    )
    def test_secret_paths(self, path: str) -> None:
        assert Redactor().path_is_secret(path)

    @pytest.mark.parametrize("path", ["authSecretSet", "description", "phrases[1].phrase", "headers.X-Team", "name"])
    def test_ordinary_paths(self, path: str) -> None:
        assert not Redactor().path_is_secret(path)

    def test_short_secret_values_are_not_searched_for(self) -> None:
        assert Redactor(["abc", "abcd"]).text("abc abcd") == f"abc {SENSITIVE}"
