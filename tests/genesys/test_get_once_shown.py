"""A read by id that waits out a lagging ``404`` (apply's check of an object an earlier run created).

The waits are the lost-write confirmation's (``ClientLimits.confirm_reads`` / ``confirm_wait``),
on the session's virtual clock.
"""

from __future__ import annotations

import httpx
import pytest
import respx

from reconciler.core.errors import ApiError
from reconciler.genesys import GenesysClient
from reconciler.genesys.confirm import reads_within
from reconciler.kinds import REGISTRY

from ._support import FakeSleep, error_body

pytestmark = pytest.mark.anyio

TRIGGER = REGISTRY["ProcessAutomationTrigger"]
OBJECT = {"id": "t-1", "name": "Callback", "topicName": "v2.x", "target": {"type": "Workflow", "id": "w"}, "version": 1}


def not_found() -> httpx.Response:
    return httpx.Response(404, json=error_body(404, "not.found"))


async def test_an_object_the_read_shows_late_is_returned(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    route = router.get(TRIGGER.item_path("t-1")).mock(
        side_effect=[not_found(), not_found(), httpx.Response(200, json=OBJECT)]
    )
    found = await client.get_once_shown(TRIGGER, "t-1")
    assert found is not None and found["id"] == "t-1"
    assert route.call_count == 3
    assert fake_sleep.positive == [1.0, 2.0]


async def test_an_object_never_shown_is_none_after_the_bounded_reads(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep
) -> None:
    route = router.get(TRIGGER.item_path("t-1")).mock(side_effect=lambda request: not_found())
    assert await client.get_once_shown(TRIGGER, "t-1") is None
    assert route.call_count == client.limits.confirm_reads
    assert fake_sleep.positive == [1.0, 2.0, 4.0, 8.0, 16.0]


async def test_another_refusal_is_raised_not_taken_for_absence(
    client: GenesysClient, router: respx.MockRouter
) -> None:
    router.get(TRIGGER.item_path("t-1")).mock(return_value=httpx.Response(403, json=error_body(403, "missing.permissions")))
    with pytest.raises(ApiError):
        await client.get_once_shown(TRIGGER, "t-1")


@pytest.mark.parametrize(("waited", "sleeps"), [
    (0.0, [1.0, 2.0, 4.0, 8.0, 16.0]),   # the write was just sent: the whole bound
    (-5.0, [1.0, 2.0, 4.0, 8.0, 16.0]),  # a clock behind the log's: never more than the bound
    (10.0, [1.0, 2.0, 4.0, 8.0]),        # 21 s of the 31 left
    (24.0, [1.0, 2.0, 4.0]),             # 7 s left
    (31.0, []),                          # the lag bound has passed since the write: one read
    (120.0, []),
])
async def test_the_wait_is_what_is_left_of_the_bound_since_the_write(
    client: GenesysClient, router: respx.MockRouter, fake_sleep: FakeSleep, waited: float, sleeps: list[float]
) -> None:
    """A create an earlier run sent a minute ago shows in a lagging listing within the bound from then; waiting
    the whole bound again from now made every re-run within 5 minutes of a stopped create wait 31 s."""
    route = router.get(TRIGGER.item_path("t-1")).mock(side_effect=lambda request: not_found())
    assert await client.get_once_shown(TRIGGER, "t-1", waited=waited) is None
    assert fake_sleep.positive == sleeps
    assert route.call_count == len(sleeps) + 1
    assert reads_within(client.limits, waited) == len(sleeps) + 1
