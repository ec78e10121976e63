"""The editor circuit breaker at its edges (issue 17): the threshold and the cool-down by their values,
each state's statuses by their stable values, a fresh state.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sas_common.ingest.breaker import (
    CLOSED,
    COOL_DOWN,
    FAILURE_THRESHOLD,
    BreakerState,
    BreakerStatus,
    after_failure,
    after_success,
    allows,
    before_batch,
)

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def test_the_threshold_and_the_cool_down_have_their_values() -> None:
    assert (5, timedelta(minutes=2)) == (FAILURE_THRESHOLD, COOL_DOWN)
    assert [status.value for status in BreakerStatus] == ["closed", "open", "half_open"]
    assert BreakerState(BreakerStatus.CLOSED, 0, None, 0) == CLOSED


@pytest.mark.parametrize(("failures", "status"), [(4, BreakerStatus.CLOSED), (5, BreakerStatus.OPEN)])
def test_five_failures_in_a_row_open_the_breaker(failures: int, status: BreakerStatus) -> None:
    state = CLOSED
    for _ in range(failures):
        state = after_failure(state, NOW)
    assert (state.status, state.failures) == (status, failures)
    assert state.opened_at == (NOW if status is BreakerStatus.OPEN else None)


@pytest.mark.parametrize("status", [BreakerStatus.OPEN, BreakerStatus.HALF_OPEN])
@pytest.mark.parametrize(
    ("elapsed", "allowed"),
    [
        (timedelta(minutes=2) - timedelta(seconds=1), False),
        (timedelta(minutes=2), True),
        (timedelta(minutes=3), True),
    ],
)
def test_two_minutes_of_cool_down(status: BreakerStatus, elapsed: timedelta, allowed: bool) -> None:
    state = BreakerState(status, 5, NOW, 3)
    assert allows(state, NOW + elapsed) is allowed
    after = before_batch(state, NOW + elapsed)
    assert after == (BreakerState(BreakerStatus.HALF_OPEN, 5, NOW + elapsed, 3) if allowed else state)


def test_a_success_closes_and_keeps_the_version() -> None:
    assert after_success(BreakerState(BreakerStatus.HALF_OPEN, 6, NOW, 9)) == BreakerState(
        BreakerStatus.CLOSED, 0, None, 9
    )
