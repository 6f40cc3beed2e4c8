"""Publish jobs: the job's id comes from the server and becomes a path to poll, so it is checked as any object id."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx

from reconciler.core.errors import ServerError
from reconciler.genesys import GenesysClient
from reconciler.kinds import get_kind

pytestmark = pytest.mark.anyio

TOPIC = get_kind("SpeechTopic")
assert TOPIC.publish is not None
PUBLISH = TOPIC.publish
JOBS = PUBLISH.path


def started(job_id: Any) -> httpx.Response:
    return httpx.Response(200, json={"id": job_id, "state": "Running"})


@pytest.mark.parametrize(
    ("job_id", "says"),
    [
        ("..", "the job has an id that cannot name one object"),
        ("j\n1", "the job has an id that cannot name one object"),
        (7, "the job has an id that is a number"),
        ({"id": "j"}, "the job has an id that is an object"),
        ("", "the job has an empty id"),
    ],
    ids=["dotdot", "newline", "number", "object", "empty"],
)
async def test_a_job_id_that_cannot_name_one_job_is_never_polled(
    client: GenesysClient, router: respx.MockRouter, job_id: Any, says: str
) -> None:
    router.post(JOBS).mock(return_value=started(job_id))
    with pytest.raises(ServerError, match=f"POST {JOBS} failed: HTTP 200 invalid.response: {says}"):
        await client.publish(PUBLISH, ["t1"])
    assert [call.request.method for call in router.calls if call.request.url.path != "/oauth/token"] == ["POST"]


@pytest.mark.parametrize(
    ("job_id", "segment"), [("a/b?c#d", "a%2Fb%3Fc%23d"), ("../../users/me", "..%2F..%2Fusers%2Fme")],
    ids=["query", "climbs"],
)
async def test_a_job_id_is_polled_as_one_path_segment(
    client: GenesysClient, router: respx.MockRouter, job_id: str, segment: str
) -> None:
    """An id holding ``/``, ``?`` or ``#`` stays inside the job's path: encoded, not a query nor another endpoint."""
    router.post(JOBS).mock(return_value=started(job_id))
    poll = router.get(f"{JOBS}/{segment}").mock(return_value=httpx.Response(200, json={"state": "Completed"}))
    result = await client.publish(PUBLISH, ["t1"])
    assert poll.call_count == 1
    assert result.object == {"state": "Completed"}
