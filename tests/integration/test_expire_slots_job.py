"""The expiry job on moto: it removes ended slots, keeps the others, and reads only what is due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sas_common.runtime import Runtime
from sas_common.slots.expiry import expire_slots
from sas_common.slots.keys import expiry_attributes, source_pk, utc_text
from sas_common.stores.platform_state import cursor_key
from sas_common.tables import PK, PLATFORM_STATE, SK, SLOTS
from support import Client


def put_slot(rt: Runtime, national_id: str, end: datetime) -> dict[str, str]:
    key = {PK: source_pk("test-editor", national_id), SK: f"{utc_text(end - timedelta(minutes=15))}#x"}
    rt.aws.dynamodb.Table(rt.settings.table_name(SLOTS)).put_item(Item={**key, **expiry_attributes(end)})
    return key


def slot_exists(rt: Runtime, key: dict[str, str]) -> bool:
    return "Item" in rt.aws.dynamodb.Table(rt.settings.table_name(SLOTS)).get_item(Key=key)


def test_ended_slots_are_removed_and_the_rest_kept(rt: Runtime) -> None:
    now = datetime.now(UTC)
    rt.aws.dynamodb.Table(rt.settings.table_name(PLATFORM_STATE)).delete_item(Key=cursor_key("expire-slots"))
    ended = [put_slot(rt, "810000000101", now - timedelta(minutes=m)) for m in (1, 50, 130, 60 * 30)]
    future = [put_slot(rt, "810000000101", now + timedelta(minutes=m)) for m in (5, 90, 60 * 47)]

    summary = expire_slots(rt, now)

    assert summary.expired == len(ended)
    assert summary.items_read == len(ended)  # read only what was due: nothing in the future
    assert not any(slot_exists(rt, key) for key in ended)
    assert all(slot_exists(rt, key) for key in future)

    again = expire_slots(rt, now)  # a retry or the next tick re-reads only the current hour
    assert again.expired == 0
    assert again.buckets_queried <= 1


def test_the_job_runs_through_the_local_jobs_route(client: Client, rt: Runtime) -> None:
    now = datetime.now(UTC)
    # Ended, and in the current hour, which every run visits (an earlier run may have finished the last).
    key = put_slot(
        rt, "810000000102", max(now - timedelta(seconds=5), now.replace(minute=0, second=0, microsecond=0))
    )
    response = client.post("/_local/jobs/expire-slots")
    assert response.status == 200
    summary = response.json()
    assert summary["expired"] >= 1
    assert set(summary) == {"buckets_queried", "items_read", "expired", "cursor"}
    assert not slot_exists(rt, key)
