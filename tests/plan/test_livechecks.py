"""Live checks read their reference listings concurrently (anyio) and fail as the client failed."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from reconciler.core.errors import ManifestIssue
from reconciler.kinds import ReferenceRead
from reconciler.manifests.desired import DesiredObject
from reconciler.plan.livechecks import live_check_issues

from ._support import desired

SETTINGS = desired(
    "TtsSettings",
    "org",
    {"defaultEngine": "acme-tts", "languageOverrides": [{"language": "en-US", "engine": "acme-tts", "voice": "v1"}]},
)


class Refused(Exception):
    """A client error the caller reports as such (a permission refusal, say)."""


class Client:
    def __init__(self, engines: list[dict[str, Any]] | None = None) -> None:
        self.engines = engines
        self.reads: list[str] = []

    async def list_reference(self, read: ReferenceRead) -> list[dict[str, Any]]:
        self.reads.append(read.key)
        if self.engines is None:
            raise Refused("integrations:readonly is missing")
        return self.engines


def issues(objects: list[DesiredObject], client: Client) -> list[ManifestIssue]:
    async def main() -> list[ManifestIssue]:
        return await live_check_issues(objects, client, {})

    return anyio.run(main)


def test_an_engine_the_org_lacks_is_an_issue_at_its_field() -> None:
    client = Client(engines=[{"id": "other", "name": "other", "languages": ["en-US"], "voices": []}])
    found = [i for i in issues([SETTINGS], client) if "acme-tts" in i.message]
    assert client.reads == ["engines"]
    assert found and all(i.path.startswith("spec.") for i in found)


def test_a_client_error_comes_out_as_itself_not_as_a_group() -> None:
    with pytest.raises(Refused, match="integrations:readonly"):
        issues([SETTINGS], Client())


def test_no_kind_with_live_checks_reads_nothing() -> None:
    client = Client()
    assert issues([desired("VoiceProfile", "v", {"language": "en-US"})], client) == []
    assert client.reads == []
