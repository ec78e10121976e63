"""The `platform_state` table: what must survive between invocations of the jobs and workers.

    EDITOR#<editor id> / BREAKER                 the editor's circuit breaker (sas_common.ingest.breaker)
    EDITOR#<editor id> / RATE#<YYYY-MM-DDTHH:MM> requests sent to the editor in that UTC minute
    EDITOR#<editor id> / RUN#<run id>            what a poll run did (run ids sort by start time)
    JOB#<job name> / CURSOR                      where a job left off

Writes are conditional where workers race: the breaker on its `version`, the request budget on its count,
a run's batches on the set of batch numbers already counted (an SQS redelivery counts once).
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key as KeyCondition

from sas_common import storage
from sas_common.errors import StaleWrite
from sas_common.ingest.breaker import BreakerState, BreakerStatus
from sas_common.stores.clients import AwsClients
from sas_common.tables import PK, SK, editor_state_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

BREAKER_SK = "BREAKER"
RATE_PREFIX = "RATE#"
RUN_PREFIX = "RUN#"
CURSOR_SK = "CURSOR"
RATE_KEEP = timedelta(days=1)  # nothing reads a minute's count after it
RUN_KEEP = timedelta(days=2)


def rate_key(editor_id: str, now: datetime) -> dict[str, str]:
    return {PK: editor_state_pk(editor_id), SK: RATE_PREFIX + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")}


def run_key(editor_id: str, run_id: str) -> dict[str, str]:
    return {PK: editor_state_pk(editor_id), SK: RUN_PREFIX + run_id}


def cursor_key(job_name: str) -> dict[str, str]:
    return {PK: f"JOB#{job_name}", SK: CURSOR_SK}


def _ttl(moment: datetime) -> int:
    return int(moment.timestamp())


# How long a signing key read stays trusted in the function instance (none is rotated by the platform; one
# replaced by hand is used within this time): every search signs its cursor, and would otherwise wait for a
# GetItem before its first Query.
SIGNING_KEY_TTL_SECONDS = 300.0


class PlatformStateStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name
        self._signing_keys: dict[str, tuple[bytes, float]] = {}  # name → (key, when read: monotonic)

    @cached_property
    def _table(self) -> Table:
        return self._aws.dynamodb.Table(self.table_name)

    # --- circuit breakers -------------------------------------------------------------------------------

    def load_breaker(self, editor_id: str) -> BreakerState:
        item = self._table.get_item(
            Key={PK: editor_state_pk(editor_id), SK: BREAKER_SK}, ConsistentRead=True
        ).get("Item")
        if not item:
            return BreakerState()
        opened = item.get("opened_at")
        return BreakerState(
            status=BreakerStatus(str(item["state"])),
            failures=int(str(item.get("failures", 0))),
            opened_at=datetime.fromisoformat(str(opened)) if opened else None,
            version=int(str(item["version"])),
        )

    def save_breaker(self, editor_id: str, previous: BreakerState, new: BreakerState) -> BreakerState:
        """Write `new` if the stored state is still `previous` (its version); `StaleWrite` otherwise."""
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
        if storage.unless_condition_fails(lambda: self._table.put_item(Item=item, **condition)) is None:
            raise StaleWrite(editor_id)
        return BreakerState(new.status, new.failures, new.opened_at, previous.version + 1)

    # --- an editor's request budget ---------------------------------------------------------------------

    def take_request(self, editor_id: str, now: datetime, budget: int) -> bool:
        """Count one request to the editor in this minute; False (nothing counted) once `budget` is spent.
        One conditional UpdateItem: however many workers run at once, the budget holds."""
        taken = storage.unless_condition_fails(
            lambda: self._table.update_item(
                Key=rate_key(editor_id, now),
                UpdateExpression="ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)",
                ConditionExpression="attribute_not_exists(#count) OR #count < :budget",
                ExpressionAttributeNames={"#count": "count", "#ttl": "ttl"},
                ExpressionAttributeValues={":one": 1, ":budget": budget, ":ttl": _ttl(now + RATE_KEEP)},
            )
        )
        return taken is not None

    # --- poll runs --------------------------------------------------------------------------------------

    def start_run(
        self,
        editor_id: str,
        run_id: str,
        batches_planned: int,
        counters: Iterable[str],
        now: datetime,
        note: str | None = None,
    ) -> None:
        item: dict[str, Any] = {
            **run_key(editor_id, run_id),
            "editor_id": editor_id,
            "run_id": run_id,
            "started_at": now.astimezone(UTC).isoformat(),
            "batches_planned": batches_planned,
            **dict.fromkeys(counters, 0),
            "ttl": _ttl(now + RUN_KEEP),
        }
        if note:
            item["note"] = note
        self._table.put_item(Item=item)

    def add_batch(
        self,
        editor_id: str,
        run_id: str,
        batch: int,
        counters: Mapping[str, int],
        breaker_state: str,
        error: str | None,
    ) -> bool:
        """Add a finished batch's counters to its run; False when that batch was already counted."""
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values: dict[str, Any] = {f":c{i}": value for i, value in enumerate(counters.values())}
        additions = ", ".join(f"#c{i} :c{i}" for i in range(len(counters)))
        names.update({"#done": "done", "#breaker": "breaker_state", "#pk": PK})
        values.update({":batch": {batch}, ":one": batch, ":breaker": breaker_state})
        expression = f"ADD {additions}, #done :batch SET #breaker = :breaker"
        if error is not None:
            names["#error"] = "last_error"
            values[":error"] = error
            expression += ", #error = :error"
        added = storage.unless_condition_fails(
            lambda: self._table.update_item(
                Key=run_key(editor_id, run_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(#pk) AND NOT contains(#done, :one)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        )
        return added is not None

    def load_run(self, editor_id: str, run_id: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=run_key(editor_id, run_id), ConsistentRead=True).get("Item")
        return _run(item) if item else None

    def latest_runs(self, editor_id: str, limit: int = 10) -> list[dict[str, Any]]:
        """The editor's last runs, newest first (one Query)."""
        page = self._table.query(
            KeyConditionExpression=KeyCondition(PK).eq(editor_state_pk(editor_id))
            & KeyCondition(SK).begins_with(RUN_PREFIX),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [_run(item) for item in page["Items"]]

    # --- the key that signs search cursors ---------------------------------------------------------------

    def signing_key(self, name: str) -> bytes:
        """A secret of the territory, made once (a random 32 bytes, put only if absent, so concurrent first
        readers agree on it) and read after — at most once per `SIGNING_KEY_TTL_SECONDS` by this store."""
        kept = self._signing_keys.get(name)
        if kept is not None and time.monotonic() - kept[1] < SIGNING_KEY_TTL_SECONDS:
            return kept[0]
        secret = self._read_signing_key(name)
        self._signing_keys[name] = (secret, time.monotonic())
        return secret

    def _read_signing_key(self, name: str) -> bytes:
        key = {PK: f"KEY#{name}", SK: "KEY"}
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        if item is None:
            made = base64.b64encode(secrets.token_bytes(32)).decode()
            storage.unless_condition_fails(
                lambda: self._table.put_item(
                    Item={**key, "secret": made},
                    ConditionExpression="attribute_not_exists(#pk)",
                    ExpressionAttributeNames={"#pk": PK},
                )
            )
            item = self._table.get_item(Key=key, ConsistentRead=True)["Item"]
        return base64.b64decode(str(item["secret"]))

    # --- job cursors ------------------------------------------------------------------------------------

    def load_cursor(self, job_name: str) -> dict[str, Any]:
        """Where the job left off (empty on its first run)."""
        item = self._table.get_item(Key=cursor_key(job_name), ConsistentRead=True).get("Item") or {}
        return {name: value for name, value in item.items() if name not in (PK, SK)}

    def save_cursor(self, job_name: str, cursor: Mapping[str, Any]) -> None:
        self._table.put_item(Item={**cursor_key(job_name), **cursor})


def _run(item: Mapping[str, Any]) -> dict[str, Any]:
    """A run as reported: its counters as numbers, and whether every planned batch has been counted."""
    summary: dict[str, Any] = {}
    for name, value in item.items():
        if name in (PK, SK, "ttl", "done"):
            continue
        summary[name] = int(value) if isinstance(value, Decimal) else value
    summary["finished"] = summary.get("batches_done", 0) >= summary.get("batches_planned", 0)
    return summary
