"""A per-editor circuit breaker whose state survives between invocations (`platform_state`).

Item `EDITOR#<editor_id> / BREAKER`: `state` (closed, open, half_open), `failures` (consecutive failed
batches), `opened_at` (UTC ISO instant, when open) and `version`, a counter every write is conditioned on,
so two workers updating the same editor cannot clobber each other (the loser reloads and applies again).

The rules are plain functions of a `BreakerState` and `now`, so they are tested without AWS:
- closed: every batch is allowed; `FAILURE_THRESHOLD` consecutive failed batches open the breaker;
- open: nothing is allowed until `COOL_DOWN` has passed since it opened; then one trial batch (half-open);
- half_open: the trial succeeds → closed; it fails → open again, cool-down restarted (a trial never
  reported, its worker lost, is replaced by another after a cool-down).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sas_common.errors import StaleWrite

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

FAILURE_THRESHOLD = 5
COOL_DOWN = timedelta(minutes=2)
_WRITE_ATTEMPTS = 5


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


# --- the stored state (`platform_state`, one item per editor) -------------------------------------------


def _update(rt: Runtime, editor_id: str, rule: Callable[[BreakerState], BreakerState]) -> BreakerState:
    """Apply `rule(state) -> state` to the stored state, retrying on a concurrent write."""
    for _ in range(_WRITE_ATTEMPTS):
        previous = rt.state.load_breaker(editor_id)
        new = rule(previous)
        if new == previous:
            return previous
        try:
            return rt.state.save_breaker(editor_id, previous, new)
        except StaleWrite:
            continue
    raise StaleWrite(editor_id)


def acquire(rt: Runtime, editor_id: str, now: datetime) -> tuple[bool, BreakerState]:
    """Is a batch allowed now; an open breaker past its cool-down goes half-open for this one trial.

    Only one worker wins the move to half-open (conditional write), so only one trial is sent."""
    for _ in range(_WRITE_ATTEMPTS):
        state = rt.state.load_breaker(editor_id)
        if not allows(state, now):
            return False, state
        trial = before_batch(state, now)
        if trial == state:
            return True, state
        try:
            return True, rt.state.save_breaker(editor_id, state, trial)
        except StaleWrite:
            continue
    return False, rt.state.load_breaker(editor_id)


def record_success(rt: Runtime, editor_id: str) -> BreakerState:
    return _update(rt, editor_id, after_success)


def record_failure(rt: Runtime, editor_id: str, now: datetime) -> BreakerState:
    return _update(rt, editor_id, lambda state: after_failure(state, now))
