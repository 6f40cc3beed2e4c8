"""A 30- to 150-object apply through the real CLI against a served sandbox that misbehaves.

Each case ends converged (a plan finds nothing to do) within a bounded number of
applies, with every declared object present exactly once, an audit log whose chain
verifies and whose every intent has its outcome, and evidence that the fault really
happened (the sandbox's own counters), so a case can never pass by not being exercised.

The cases about the rate limit run on a clock thirty times faster than Genesys's
(:data:`SPEEDUP`): the sandbox counts its limit per two-second window instead of per
minute, and the client's pace and the token lifetimes are scaled along, so storms of
429s, ``Retry-After`` waits (in whole seconds, now one or two) and token renewals happen
in a thirtieth of the time. At that speed the CLI's own throughput (about 90 requests a
second here; a limit that asked for 25 went unmet once with ten test processes on two
cores) is the ceiling, so the limits are set well below it: a limit asks for 10 requests
a second, so the 429s must come even when the machine is that busy. Their estates are a few times the limit, so the storms and
the waits come more than once but no more often than the evidence needs. The CLI's backoff between
retries is a tenth of the shipped one too (see ``_quick_cli.py``); every retry still happens.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ._estate import write_estate
from ._support import (
    UNPACED,
    Session,
    assert_exactly_the_estate,
    audit_records,
    cli_env,
    server_stats,
    verify_audit,
)

pytestmark = pytest.mark.slow

#: objects in a case unless it says otherwise
OBJECTS = 150
#: how much faster than real time the rate-limited cases run (window, pace and token lifetimes scaled)
SPEEDUP = 30
WINDOW = 60.0 / SPEEDUP
#: applies allowed to converge (the first included); the case fails beyond it
MAX_APPLIES = 4


@dataclass(frozen=True)
class FaultCase:
    id: str
    sandbox: dict[str, Any]
    #: the CLI's pacing: unpaced unless the case is about pacing against the limit
    client_args: tuple[str, ...]
    #: what the sandbox's counters must show for the case to count
    evidence: Callable[[dict[str, Any]], bool]
    why: str = field(default="")
    #: objects in the estate: the cases about failures and lost answers need only enough writes for their
    #: evidence (some 60 faults expected at 150 writes and a 30 % rate, at least 30 asked), the rate-limit and
    #: token cases enough requests to run through two or more windows and several token lifetimes
    objects: int = OBJECTS


def _tokens(stats: dict[str, Any]) -> int:
    return int(stats["requests"].get("POST /oauth/token", 0))


CASES = [
    FaultCase(
        "server-errors",
        {"fail_rate": 0.3, "rate_limit": 0, "seed": 301},
        ("--requests-per-minute", UNPACED),
        lambda s: s["faults"]["failed"] >= 30,
        "30% of writes answer 500/503 without committing: retried with backoff",
    ),
    FaultCase(
        "lost-answers",
        {"drop_rate": 0.3, "rate_limit": 0, "seed": 302},
        ("--requests-per-minute", UNPACED),
        lambda s: s["faults"]["dropped"] >= 30,
        "30% of writes commit and lose their answer: creates are looked up and adopted, never made twice",
    ),
    FaultCase(
        "429-storm",
        {"rate_limit": 20, "rate_window": WINDOW, "seed": 303},
        ("--requests-per-minute", str(1500 * SPEEDUP)),
        lambda s: s["rateLimited"] >= 1,
        "the client paces at 1,500/min against a limit of 20/min (both on the faster clock: 20 per 2-second "
        "window), with some 45 requests to send, twice the limit (20 go within 2 s even on a busy machine): "
        "429s, Retry-After waits, every write lands",
        objects=30,
    ),
    FaultCase(
        "short-tokens",
        {"token_ttl": 1, "rate_limit": 0, "latency_ms": 20, "seed": 304},
        ("--requests-per-minute", "1500"),
        lambda s: _tokens(s) >= 5,
        "one-second tokens expire all through a four-second apply (some 115 requests paced at 25 a second, "
        "never faster, so it cannot end sooner): renewed ahead of time or after a 401, at least three times",
        objects=100,
    ),
    FaultCase(
        "everything-at-once",
        {"fail_rate": 0.15, "drop_rate": 0.15, "rate_limit": 20, "rate_window": WINDOW, "token_ttl": 3, "seed": 305},
        ("--requests-per-minute", str(1500 * SPEEDUP)),
        lambda s: s["faults"]["failed"] > 0 and s["faults"]["dropped"] > 0 and s["rateLimited"] > 0 and _tokens(s) >= 3,
        "failures, lost answers, a 429 storm (about 80 requests as fast as the CLI sends them, paced at 45,000/min, "
        "against 20 per 2-second window per token: a token's 20 go within 2 s of its 2.4 s of use even on a busy "
        "machine) and token renewal (3-second tokens across the windows the storm costs) in one run",
        objects=45,
    ),
]


@pytest.mark.timeout(240)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_apply_under_faults_converges_with_each_object_once(
    case: FaultCase, served_sandbox: Callable[..., Any], tmp_path: Path
) -> None:
    served = served_sandbox(**case.sandbox)
    estate = write_estate(tmp_path / "estate", case.objects)
    session = Session(url=served.url, estate=estate, cwd=tmp_path, env=cli_env(served.url),
                      client_args=case.client_args)

    results = session.converge(MAX_APPLIES, timeout=180)

    stats = server_stats(served.url)
    assert case.evidence(stats), f"{case.id} ({case.why}): the fault did not happen: {stats}"
    assert_exactly_the_estate(served.url, estate)
    report = verify_audit(session)
    assert report.open_intents == [] and report.unfinished_runs == []
    created = Counter((r["kind"], r["name"].casefold()) for r in audit_records(session.audit_log)
                      if r["type"] == "outcome" and r["action"] == "create" and r["outcome"] == "success")
    assert max(created.values()) == 1, "a name was reported created twice"
    assert sum(r["counts"]["success"] for r in results) <= case.objects
    print(f"\n{case.id}: converged after {len(results)} apply(s); sandbox: {stats['faults']}, "
          f"429s {stats['rateLimited']}, tokens {stats['requests'].get('POST /oauth/token', 0)}, "
          f"requests {stats['total']}")
