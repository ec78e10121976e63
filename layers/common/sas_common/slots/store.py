"""Slots in the `slots` table (layout in sas_common.tables).

`replace_owners` is access pattern 6: what a source (an editor, or the manual agenda) says about some
effecteurs over a window replaces what the table held for them there, without reading anything else
(`replace_slots`: one effecteur).

It goes through the low-level client (`storage.dynamodb_client`), with items converted to the wire format
by `storage.wire_item`/`python_item` (what the resource layer would send and return, without its per
attribute copying, conversion and validation): an editor's poll writes thousands of items, and with 25 to
a BatchWriteItem the CPU spent per item, not the requests, is what set the rate. Clients are thread-safe:
the owners' windows are read at the same time.

BatchWriteItem may leave items unprocessed (throttling): they are sent again after an exponential backoff
with jitter, up to `MAX_BATCH_ATTEMPTS` requests per batch; past that `UnprocessedWrites` is raised (the
items written stay written: a replacement is not atomic, the next one completes it).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.settings import get_settings
from sas_common.slots.keys import source_pk, utc_text
from sas_common.slots.model import Slot, is_booking_state, new_item
from sas_common.tables import PK, SK, SLOTS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

BATCH_SIZE = 25  # BatchWriteItem's limit
MAX_BATCH_ATTEMPTS = 8
# Owners whose windows are read at the same time (botocore keeps 10 connections per client).
READ_CONCURRENCY = 8
BACKOFF_BASE_SECONDS = 0.05
BACKOFF_CAP_SECONDS = 2.0


class UnprocessedWrites(RuntimeError):
    """DynamoDB kept leaving some of a batch's writes unprocessed, attempt after attempt."""


@dataclass(frozen=True)
class Replacement:
    """What a replacement did: new items put, changed items updated, items gone deleted, the rest left."""

    put: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def window_items(
    source: str, national_id: str, window_start: datetime, window_end: datetime
) -> list[dict[str, Any]]:
    """The items of (source, effecteur) whose start is in [window_start, window_end): one Query."""
    return [
        storage.python_item(item)
        for item in _window_wire_items(
            storage.dynamodb_client(), source, national_id, window_start, window_end
        )
    ]


def _window_wire_items(
    client: DynamoDBClient, source: str, national_id: str, window_start: datetime, window_end: datetime
) -> list[dict[str, Any]]:
    # A slot's sort key is `<start>#<slot key>`: longer than the bare bound, so a slot starting exactly at
    # the window's end sorts after it and is left out, one starting at its start is in.
    query: dict[str, Any] = {
        "TableName": get_settings().table_name(SLOTS),
        "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :from AND :to",
        "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
        "ExpressionAttributeValues": {
            ":pk": {"S": source_pk(source, national_id)},
            ":from": {"S": utc_text(window_start)},
            ":to": {"S": utc_text(window_end)},
        },
        "ConsistentRead": True,
    }
    return _query_all(client, query)


def _query_all(client: DynamoDBClient, query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item (wire format) a low-level Query matches, page after page (one owner's few days)."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.query(**query)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return items
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def replace_slots(
    source: str,
    national_id: str,
    window_start: datetime,
    window_end: datetime,
    slots: Iterable[Slot],
    zone: ZoneInfo | None = None,
) -> Replacement:
    """Make the table hold exactly `slots` for (source, effecteur) in [window_start, window_end)."""
    return replace_owners(source, window_start, window_end, {national_id: slots}, zone)[national_id]


def replace_owners(
    source: str,
    window_start: datetime,
    window_end: datetime,
    wanted: Mapping[str, Iterable[Slot]],
    zone: ZoneInfo | None = None,
) -> dict[str, Replacement]:
    """Make the table hold exactly `wanted[owner]` for (source, owner) in [window_start, window_end), for
    every owner of `wanted` (an editor's answer about the doctors it was asked of).

    One Query per owner reads their window, the owners' Queries running at the same time (up to
    `READ_CONCURRENCY`); items no longer wanted are deleted and new ones put, every owner's together, 25 to
    a BatchWriteItem (a poll of 25 doctors with a few slots each fills a handful of batches, not 25); an
    item whose content changed is updated in place, so the booking state on it (a range's `booked`
    counter, a hold) is never overwritten by a replacement racing a booking; unchanged items are not
    written.
    """
    zone = zone or get_settings().territory.zone
    wanted_items = {
        owner: _items(source, owner, window_start, window_end, slots, zone) for owner, slots in wanted.items()
    }
    client = storage.dynamodb_client()
    owners = list(wanted_items)

    def read(owner: str) -> list[dict[str, Any]]:
        return _window_wire_items(client, source, owner, window_start, window_end)

    if len(owners) > 1:
        with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(owners))) as pool:
            windows = list(pool.map(read, owners))
    else:
        windows = [read(owner) for owner in owners]

    writes: list[dict[str, Any]] = []
    changed: list[tuple[dict[str, Any], dict[str, Any]]] = []
    replaced: dict[str, Replacement] = {}
    for owner, window in zip(owners, windows, strict=True):
        existing = {str(item[SK]): item for item in map(storage.python_item, window)}
        mine = wanted_items[owner]
        gone = [key for key in existing if key not in mine]
        new = [item for key, item in mine.items() if key not in existing]
        owner_changed = [
            (item, existing[key])
            for key, item in mine.items()
            if key in existing and _content(item) != _content(existing[key])
        ]
        pk = source_pk(source, owner)
        writes += [{"DeleteRequest": {"Key": {PK: {"S": pk}, SK: {"S": key}}}} for key in gone]
        writes += [{"PutRequest": {"Item": storage.wire_item(item)}} for item in new]
        changed += owner_changed
        replaced[owner] = Replacement(
            put=len(new),
            updated=len(owner_changed),
            deleted=len(gone),
            unchanged=len(mine) - len(new) - len(owner_changed),
        )
    if writes:
        _write_requests(client, get_settings().table_name(SLOTS), writes)
    for item, before in changed:
        _update_content(item, before)
    return replaced


def _items(
    source: str,
    owner: str,
    window_start: datetime,
    window_end: datetime,
    slots: Iterable[Slot],
    zone: ZoneInfo,
) -> dict[str, dict[str, Any]]:
    """The items of an owner's slots by sort key (the same slot twice: the last one wins)."""
    items: dict[str, dict[str, Any]] = {}
    for slot in slots:
        if (slot.source, slot.national_id) != (source, owner):
            raise ValueError(f"slot {slot.slot_key} is not of {source}/{owner}")
        if not window_start <= slot.start < window_end:
            raise ValueError(f"slot {slot.slot_key} starts at {slot.start}, outside the window replaced")
        item = new_item(slot, zone)
        items[item[SK]] = item
    return items


def remove_source(source: str, national_id: str) -> int:
    """Delete every slot a source holds for an owner (an editor they no longer show): one Query of keys
    (the owner's partition: a few days of slots at most) and batched deletes. The number removed."""
    client = storage.dynamodb_client()
    table_name = get_settings().table_name(SLOTS)
    query: dict[str, Any] = {
        "TableName": table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
        "ExpressionAttributeValues": {":pk": {"S": source_pk(source, national_id)}},
        "ProjectionExpression": "#pk, #sk",
        "ConsistentRead": True,
    }
    keys = _query_all(client, query)
    write_batches(client, table_name, [{"DeleteRequest": {"Key": key}} for key in keys])
    return len(keys)


def write_batches(client: DynamoDBClient, table_name: str, writes: Sequence[dict[str, Any]]) -> int:
    """Send write requests (PutRequest/DeleteRequest, wire format, distinct keys) 25 to a BatchWriteItem,
    in order, sending unprocessed ones again after a backoff; returns the number of requests made."""
    requests = 0
    for first in range(0, len(writes), BATCH_SIZE):
        pending = list(writes[first : first + BATCH_SIZE])
        attempts = 0
        while pending:
            answer = client.batch_write_item(RequestItems={table_name: pending})  # type: ignore[dict-item]
            requests += 1
            attempts += 1
            pending = cast(list[dict[str, Any]], answer.get("UnprocessedItems", {}).get(table_name, []))
            if pending and attempts >= MAX_BATCH_ATTEMPTS:
                raise UnprocessedWrites(
                    f"{len(pending)} write(s) to {table_name} still unprocessed after {attempts} attempts"
                )
            if pending:
                # Full jitter: writers throttled together do not come back together.
                backoff = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempts)
                time.sleep(random.uniform(0, backoff))  # noqa: S311 - jitter, not a secret
    return requests


# How replace_owners sends its puts and deletes (the benchmark swaps in one request per item to compare).
_write_requests = write_batches


def _content(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if not is_booking_state(name)}


def _update_content(item: dict[str, Any], before: dict[str, Any]) -> None:
    """Rewrite the content attributes of an existing item, leaving its booking state alone."""
    content = {name: value for name, value in _content(item).items() if name not in (PK, SK)}
    removed = [name for name in _content(before) if name not in content and name not in (PK, SK)]
    names = {f"#a{i}": name for i, name in enumerate([*content, *removed])}
    by_name = {name: placeholder for placeholder, name in names.items()}
    expression = "SET " + ", ".join(f"{by_name[name]} = :v{i}" for i, name in enumerate(content))
    if removed:
        expression += " REMOVE " + ", ".join(by_name[name] for name in removed)
    names["#pk"] = PK
    client, table_name = storage.dynamodb_client(), get_settings().table_name(SLOTS)
    try:
        client.update_item(
            TableName=table_name,
            Key={PK: {"S": item[PK]}, SK: {"S": item[SK]}},
            UpdateExpression=expression,
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={
                f":v{i}": storage.wire_value(value) for i, value in enumerate(content.values())
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # Removed in the meantime (the expiry job): it is still wanted, so it comes back whole. The booking
        # flow marks a booked manual slot (booking state) rather than deleting it, or the next
        # materialisation of the agenda would offer it again.
        client.put_item(TableName=table_name, Item=storage.wire_item(item))
