"""An editor's circuit breaker as stored (`platform_state`, one item per editor): the rules of
`sas_common.ingest.breaker` applied to the stored state, one conditional write at a time, so two workers
updating the same editor cannot clobber each other (the loser reloads and applies again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sas_common.errors import StaleWrite
from sas_common.ingest.breaker import BreakerState, after_failure, after_success, allows, before_batch

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

_WRITE_ATTEMPTS = 5


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
