"""How a slot is keyed in the `slots` table and its indexes (layout in sas_common.tables)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

MANUAL_SOURCE = "manual"
# DynamoDB TTL deletes a slot at the latest this long after its end, should the expiry job stop.
TTL_GRACE = timedelta(hours=6)


def utc_text(instant: datetime) -> str:
    """Sortable UTC text of an aware instant, to the second."""
    if instant.tzinfo is None:
        raise ValueError("a slot instant must carry its time zone")
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def source_pk(source: str, national_id: str) -> str:
    return f"SRC#{source}#{national_id}"


def expiry_bucket(end: datetime) -> str:
    """The hour bucket of a slot's end: the expiry job queries the buckets that are due, nothing else."""
    return "EXP#" + end.astimezone(UTC).strftime("%Y-%m-%dT%H")


def bucket_hour(bucket: str) -> datetime:
    return datetime.strptime(bucket.removeprefix("EXP#"), "%Y-%m-%dT%H").replace(tzinfo=UTC)


def ttl_epoch(end: datetime) -> int:
    return int((end + TTL_GRACE).timestamp())


def expiry_attributes(end: datetime) -> dict[str, str | int]:
    """The attributes every slot item carries so that it expires (index `by_expiry`, TTL safety net)."""
    return {"expiry_bucket": expiry_bucket(end), "end_sk": utc_text(end), "ttl": ttl_epoch(end)}
