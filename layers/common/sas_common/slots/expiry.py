"""Removing slots whose end has passed (access pattern 7).

Slots are indexed by the hour bucket of their end. The job remembers the last hour it finished and
queries only the buckets from there to now, so the items it reads are about the items it removes;
DynamoDB TTL removes anything it would ever miss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sas_common.jobs import EXPIRE_SLOTS
from sas_common.slots.keys import bucket_hour, expiry_bucket

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

# On the very first run, look back this far; older slots are left to TTL.
FIRST_RUN_LOOKBACK = timedelta(days=3)
CURSOR_BUCKET = "last_bucket"


@dataclass(frozen=True)
class ExpirySummary:
    buckets_queried: int
    items_read: int
    expired: int
    cursor: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def due_buckets(last_done: str | None, now: datetime) -> list[str]:
    """Hour buckets to visit: after the last finished one, up to and including the current hour."""
    current = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start = bucket_hour(last_done) + timedelta(hours=1) if last_done else current - FIRST_RUN_LOOKBACK
    buckets = []
    hour = start
    while hour <= current:
        buckets.append(expiry_bucket(hour))
        hour += timedelta(hours=1)
    return buckets


def finished_bucket(buckets: list[str], last_done: str | None) -> str | None:
    """The last bucket a run over `buckets` finishes: not the current hour's (its slots are still to come)."""
    return buckets[-2] if len(buckets) > 1 else last_done


def expire_slots(rt: Runtime, now: datetime) -> ExpirySummary:
    """Delete the slots that have ended, reading only the buckets due since the last run."""
    last_done = rt.state.load_cursor(EXPIRE_SLOTS.name).get(CURSOR_BUCKET)
    last_done = str(last_done) if last_done else None
    buckets = due_buckets(last_done, now)
    ended = [key for bucket in buckets for key in rt.slots.ended_keys(bucket, now)]
    rt.slots.delete_keys(ended)  # 25 to a batch, across buckets
    read = len(ended)
    finished = finished_bucket(buckets, last_done)
    if finished != last_done:
        rt.state.save_cursor(EXPIRE_SLOTS.name, {CURSOR_BUCKET: finished})
    return ExpirySummary(buckets_queried=len(buckets), items_read=read, expired=read, cursor=finished)
