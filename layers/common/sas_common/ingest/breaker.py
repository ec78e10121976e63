"""A per-editor circuit breaker: its state and its rules (stored by sas_common.ingest.breakers in
`platform_state`, `EDITOR#<editor_id> / BREAKER`, every write conditioned on the state's `version`).

The rules are plain functions of a `BreakerState` and `now`, so they are tested without AWS:
- closed: every batch is allowed; `FAILURE_THRESHOLD` consecutive failed batches open the breaker;
- open: nothing is allowed until `COOL_DOWN` has passed since it opened; then one trial batch (half-open);
- half_open: the trial succeeds → closed; it fails → open again, cool-down restarted (a trial never
  reported, its worker lost, is replaced by another after a cool-down).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

FAILURE_THRESHOLD = 5
COOL_DOWN = timedelta(minutes=2)


class BreakerStatus(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerState:
    status: BreakerStatus = BreakerStatus.CLOSED
    failures: int = 0
    opened_at: datetime | None = None
    version: int = 0  # 0: no item stored yet


CLOSED = BreakerState()


# --- rules --------------------------------------------------------------------------------------------


def allows(state: BreakerState, now: datetime) -> bool:
    """May a batch be sent now (open: only once the cool-down has passed, as the half-open trial)."""
    if state.status is BreakerStatus.CLOSED:
        return True
    if state.status is BreakerStatus.OPEN:
        return state.opened_at is None or now - state.opened_at >= COOL_DOWN
    # Half-open: one trial is under way; a trial lost with its worker is given up after a cool-down.
    return state.opened_at is None or now - state.opened_at >= COOL_DOWN


def before_batch(state: BreakerState, now: datetime) -> BreakerState:
    """The state once a batch allowed by `allows` starts: past its cool-down, an open breaker goes half-open
    (`opened_at` then dates the trial)."""
    if state.status is not BreakerStatus.CLOSED and allows(state, now):
        return replace(state, status=BreakerStatus.HALF_OPEN, opened_at=now)
    return state


def after_success(state: BreakerState) -> BreakerState:
    return replace(state, status=BreakerStatus.CLOSED, failures=0, opened_at=None)


def after_failure(state: BreakerState, now: datetime) -> BreakerState:
    failures = state.failures + 1
    if state.status is not BreakerStatus.CLOSED or failures >= FAILURE_THRESHOLD:
        return replace(state, status=BreakerStatus.OPEN, failures=failures, opened_at=now)
    return replace(state, failures=failures)
