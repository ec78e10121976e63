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
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.tables import PK, PLATFORM_STATE, SK, editor_state_pk

FAILURE_THRESHOLD = 5
COOL_DOWN = timedelta(minutes=2)
BREAKER_SK = "BREAKER"
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


# --- storage ------------------------------------------------------------------------------------------


def load(editor_id: str) -> BreakerState:
    item = (
        storage.table(PLATFORM_STATE)
        .get_item(Key={PK: editor_state_pk(editor_id), SK: BREAKER_SK}, ConsistentRead=True)
        .get("Item")
    )
    if not item:
        return CLOSED
    opened = item.get("opened_at")
    return BreakerState(
        status=BreakerStatus(str(item["state"])),
        failures=int(str(item.get("failures", 0))),
        opened_at=datetime.fromisoformat(str(opened)) if opened else None,
        version=int(str(item["version"])),
    )


class StaleBreaker(Exception):
    """The stored state changed since it was read."""


def save(editor_id: str, previous: BreakerState, new: BreakerState) -> BreakerState:
    """Write `new` if the stored state is still `previous` (its version); StaleBreaker otherwise."""
    item: dict[str, Any] = {
        PK: editor_state_pk(editor_id),
        SK: BREAKER_SK,
        "state": new.status.value,
        "failures": new.failures,
        "version": previous.version + 1,
    }
    if new.opened_at is not None:
        item["opened_at"] = new.opened_at.astimezone(UTC).isoformat()
    condition: dict[str, Any] = (
        {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
        if previous.version == 0
        else {
            "ConditionExpression": "#version = :previous",
            "ExpressionAttributeNames": {"#version": "version"},
            "ExpressionAttributeValues": {":previous": previous.version},
        }
    )
    try:
        storage.table(PLATFORM_STATE).put_item(Item=item, **condition)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise StaleBreaker(editor_id) from error
        raise
    return replace(new, version=previous.version + 1)


def _update(editor_id: str, rule: Callable[[BreakerState], BreakerState]) -> BreakerState:
    """Apply `rule(state) -> state` to the stored state, retrying on a concurrent write."""
    for _ in range(_WRITE_ATTEMPTS):
        previous = load(editor_id)
        new = rule(previous)
        if new == previous:
            return previous
        try:
            return save(editor_id, previous, new)
        except StaleBreaker:
            continue
    raise StaleBreaker(editor_id)


def acquire(editor_id: str, now: datetime) -> tuple[bool, BreakerState]:
    """Is a batch allowed now; an open breaker past its cool-down goes half-open for this one trial.

    Only one worker wins the move to half-open (conditional write), so only one trial is sent."""
    for _ in range(_WRITE_ATTEMPTS):
        state = load(editor_id)
        if not allows(state, now):
            return False, state
        trial = before_batch(state, now)
        if trial == state:
            return True, state
        try:
            return True, save(editor_id, state, trial)
        except StaleBreaker:
            continue
    return False, load(editor_id)


def record_success(editor_id: str) -> BreakerState:
    return _update(editor_id, after_success)


def record_failure(editor_id: str, now: datetime) -> BreakerState:
    return _update(editor_id, lambda state: after_failure(state, now))
