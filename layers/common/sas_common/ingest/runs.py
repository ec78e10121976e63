"""What each poll run of an editor did, for ops and `POST /_local/jobs/poll-editors` (`platform_state`).

Item `EDITOR#<editor_id> / RUN#<run_id>` (run ids sort by start time): written by the dispatcher with the
number of batches planned, then added to by each worker as its batch ends — requests, slots received,
accepted and rejected, failed / skipped / deferred batches, the breaker state after it, the last error. A
batch is counted once: the set `done` of batch numbers guards the update, so an SQS redelivery of a
message whose batch already counted changes nothing. Items expire after `KEEP` (TTL).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.ingest.poll import BatchSummary
from sas_common.tables import PK, PLATFORM_STATE, SK, editor_state_pk

KEEP = timedelta(days=2)
RUN_PREFIX = "RUN#"
# Every run totals what its batches add (`BatchSummary.counters`).
COUNTERS = tuple(BatchSummary("", 0).counters())


def new_run_id(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def run_key(editor_id: str, run_id: str) -> dict[str, str]:
    return {PK: editor_state_pk(editor_id), SK: RUN_PREFIX + run_id}


def start_run(
    editor_id: str, run_id: str, batches_planned: int, now: datetime, note: str | None = None
) -> None:
    item: dict[str, Any] = {
        **run_key(editor_id, run_id),
        "editor_id": editor_id,
        "run_id": run_id,
        "started_at": now.astimezone(UTC).isoformat(),
        "batches_planned": batches_planned,
        **dict.fromkeys(COUNTERS, 0),
        "ttl": int((now + KEEP).timestamp()),
    }
    if note:
        item["note"] = note
    storage.table(PLATFORM_STATE).put_item(Item=item)


def record_batch(run_id: str, batch: int, summary: BatchSummary) -> bool:
    """Add a finished batch to its run; False when that batch was already counted (a redelivery)."""
    counters = summary.counters()
    names = {f"#c{i}": name for i, name in enumerate(counters)}
    values: dict[str, Any] = {f":c{i}": value for i, value in enumerate(counters.values())}
    additions = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
    names.update({"#done": "done", "#breaker": "breaker_state", "#pk": PK})
    values.update({":batch": {batch}, ":one": batch, ":breaker": summary.breaker_state})
    expression = f"ADD {additions}, #done :batch SET #breaker = :breaker"
    if summary.error is not None:
        names["#error"] = "last_error"
        values[":error"] = summary.error
        expression += ", #error = :error"
    try:
        storage.table(PLATFORM_STATE).update_item(
            Key=run_key(summary.editor_id, run_id),
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#pk) AND NOT contains(#done, :one)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, value in item.items():
        if name in (PK, SK, "ttl", "done"):
            continue
        summary[name] = int(value) if isinstance(value, Decimal) else value
    summary["finished"] = summary.get("batches_done", 0) >= summary.get("batches_planned", 0)
    return summary


def load_run(editor_id: str, run_id: str) -> dict[str, Any] | None:
    item = (
        storage.table(PLATFORM_STATE)
        .get_item(Key=run_key(editor_id, run_id), ConsistentRead=True)
        .get("Item")
    )
    return _plain(item) if item else None


def latest_runs(editor_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """The editor's last runs, newest first (one Query)."""
    page = storage.table(PLATFORM_STATE).query(
        KeyConditionExpression=Key(PK).eq(editor_state_pk(editor_id)) & Key(SK).begins_with(RUN_PREFIX),
        ScanIndexForward=False,
        Limit=limit,
    )
    return [_plain(item) for item in page["Items"]]
