"""Removing slots whose end has passed (access pattern 7).

Slots are indexed by the hour bucket of their end. The job remembers the last hour it finished and
queries only the buckets from there to now, so the items it reads are about the items it removes;
DynamoDB TTL removes anything it would ever miss.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.conditions import Key

from sas_common import storage
from sas_common.slots.keys import bucket_hour, expiry_bucket, utc_text
from sas_common.tables import PK, PLATFORM_STATE, SK, SLOTS

CURSOR_PK = "JOB#expire-slots"
CURSOR_SK = "CURSOR"
# On the very first run, look back this far; older slots are left to TTL.
FIRST_RUN_LOOKBACK = timedelta(days=3)


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


def _read_cursor() -> str | None:
    item = storage.table(PLATFORM_STATE).get_item(Key={PK: CURSOR_PK, SK: CURSOR_SK}).get("Item")
    return str(item["last_bucket"]) if item else None


def _due_keys(bucket: str, now_text: str) -> list[dict[str, Any]]:
    index = SLOTS.index("by_expiry")
    condition = Key(index.partition_key).eq(bucket) & Key(index.sort_key).lte(now_text)
    items = storage.query_all(SLOTS, IndexName=index.name, KeyConditionExpression=condition)
    return [{PK: item[PK], SK: item[SK]} for item in items]


def expire_slots(now: datetime) -> ExpirySummary:
    last_done = _read_cursor()
    buckets = due_buckets(last_done, now)
    now_text = utc_text(now)
    read = 0
    with storage.table(SLOTS).batch_writer(overwrite_by_pkeys=[PK, SK]) as batch:
        for bucket in buckets:
            keys = _due_keys(bucket, now_text)
            read += len(keys)
            for key in keys:
                batch.delete_item(Key=key)
    # The current hour is not finished: slots ending later in it are still to come.
    finished = buckets[-2] if len(buckets) > 1 else last_done
    if finished != last_done:
        storage.table(PLATFORM_STATE).put_item(Item={PK: CURSOR_PK, SK: CURSOR_SK, "last_bucket": finished})
    return ExpirySummary(buckets_queried=len(buckets), items_read=read, expired=read, cursor=finished)
