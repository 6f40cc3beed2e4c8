"""A randomized campaign over apply's promise: whatever the faults and wherever it stops, re-running finishes.

Each example draws a change set over the sandbox's kinds (creates, updates, replaces,
prunes; platform kinds with references among them), a fault for each of the first
requests (errors that wrote nothing, a 429, a refused or timed-out connection, writes
that land and lose their answer), a read lag, and maybe an interruption (a stop, or a
kill before or after a write lands). It applies once under that weather (after a kill,
maybe a second time at once, under faults of its own: the crash's re-run meets the same
network, and the killed run's writes may still lag its reads), then the real
CLI applies cleanly until it says "No changes" (at most three times) and a further apply
does nothing; then live state is exactly the manifests (each object once, repeatable
names included), the audit log verifies with nothing left open, no output or file holds
a secret, and nothing printed a traceback (:mod:`._chaos_checks`).

Derandomized with a small example count so that it is the same, and quick, in CI. To
run a longer campaign by hand (several hundred scenarios)::

    CHAOS_EXAMPLES=400 CHAOS_SEED=7 .venv/bin/python -m pytest -q -p no:cacheprovider \\
        tests/resilience/test_chaos_campaign.py -s

The test's timeout grows with ``CHAOS_EXAMPLES`` (:data:`TIMEOUT`). ``CHAOS_SEED`` picks
another derandomized sequence (hypothesis's database stays off, so a failure is reported,
shrunk, as the ``Scenario`` to paste into a test).
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from ._chaos import READ_FAULTS, WRITE_FAULTS, Interruption, Scenario, run_faulty, set_up
from ._chaos_checks import check_audit, check_live, check_secrets, converge
from ._chaos_estate import SLOTS

EXAMPLES = int(os.environ.get("CHAOS_EXAMPLES", "12"))
SEED = int(os.environ.get("CHAOS_SEED", "20240611"))
#: the campaign's bound, for all its scenarios and any shrinking: a fixed 600 s stopped a 600-scenario campaign
#: (at about a second each) part-way, reported as a failure of whichever scenario was running
TIMEOUT = max(600, 5 * EXAMPLES)
#: ``CHAOS_VERBOSE=1``: a line per scenario (with ``-s``): how the faulty run ended, how many faults it met
VERBOSE = bool(os.environ.get("CHAOS_VERBOSE"))


def _state(replaceable: bool) -> st.SearchStrategy[int | None]:
    return st.sampled_from([None, 0, 1, 2] if replaceable else [None, 0, 1])


states = st.tuples(*(_state(slot.replaceable) for slot in SLOTS))
interruptions = st.none() | st.builds(Interruption, st.sampled_from(["stop", "kill-before", "kill-after"]),
                                      st.integers(0, 12))
scenarios = st.builds(
    Scenario,
    base=states,
    target=states,
    write_faults=st.lists(st.sampled_from(WRITE_FAULTS), max_size=30).map(tuple),
    read_faults=st.lists(st.sampled_from(READ_FAULTS), max_size=12).map(tuple),
    read_lag_ms=st.sampled_from([0, 0, 800, 2500]),
    interruption=interruptions,
    concurrency=st.sampled_from([1, 4]),
    after_kill=st.none() | st.tuples(st.lists(st.sampled_from(WRITE_FAULTS), max_size=20).map(tuple),
                                     st.lists(st.sampled_from(READ_FAULTS), max_size=8).map(tuple)),
)


def check_scenario(scenario: Scenario, root: Path) -> None:
    """One scenario, start to finish; an AssertionError (or a traceback) names what broke."""
    started = time.monotonic()  # only reported (CHAOS_VERBOSE), never asserted: a slow scenario is for a human to see
    project = set_up(root, scenario)
    outcome, served = run_faulty(project, scenario)
    try:
        converge(project)
        check_live(project, scenario.target)
        check_audit(project)
        check_secrets(project)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n(the faulty run ended {outcome!r}; faults served: {served})") from None
    finally:
        if VERBOSE:
            print(f"\n{scenario.interruption} lag={scenario.read_lag_ms} -> {outcome[:120]!r}; {len(served)} faults;"
                  f" {time.monotonic() - started:.1f} s")


@pytest.mark.timeout(TIMEOUT)
@seed(SEED)
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios)
def test_apply_under_random_faults_and_interruptions_converges_with_nothing_left_wrong(scenario: Scenario) -> None:
    with tempfile.TemporaryDirectory(prefix="chaos-") as root:
        check_scenario(scenario, Path(root))


#: scenarios the campaign found, shrunk, each kept as a test of its own (what it found in the comment)
FOUND = {
    # SIGKILL while the TTS refresh hook was in flight: the next run called the owed hook, but the dead
    # run's hook intent could never be settled, so every later apply with nothing to do still started a
    # run (run.start and run.end appended, "Apply to ..." printed) for ever
    "kill-during-hook": Scenario(
        base=(0, None, None, None, None, 0, 0, 0, 0, 0, None, 2, 2), target=(0, 0, 0, None, 0, 0, 0, 2, None, 0, 0, 0, 0),
        write_faults=(), read_faults=(), interruption=Interruption(how="kill-before", at=11), concurrency=1),
    # a create of an Integration (a kind whose names repeat) landed, then the process was killed before its
    # outcome was recorded; the re-run at once (the write still lagging reads) listed no such object, settled
    # the open intent as "failure: not found live" and created the name again: two live Integrations named
    # 'Chaos integration 1', and every later plan stopped on the shared name. Now the young intent stays open
    # and apply looks for the object by name, patiently, before sending the create (reconciler.apply.earlier)
    "kill-after-create-then-lagging-rerun": Scenario(
        base=(None,) * 13, target=(None, None, None, None, None, None, 0, None, None, None, None, 0, 0),
        write_faults=(), read_faults=(), read_lag_ms=800, interruption=Interruption(how="kill-after", at=3),
        concurrency=1, after_kill=((), ())),
}

# A scenario found and not yet fixed is kept as a test of its own marked
# ``@pytest.mark.xfail(strict=True, raises=AssertionError, reason=...)`` (strict, so a fix shows), then moved
# into FOUND with its fix; no empty parametrized test is left behind (it would collect as a skip).


@pytest.mark.parametrize("scenario", list(FOUND.values()), ids=list(FOUND))
def test_scenarios_the_campaign_found(scenario: Scenario, tmp_path: Path) -> None:
    check_scenario(scenario, tmp_path)
