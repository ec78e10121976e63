"""The `slots` table: free slots of the coming days, editor and manual (item layout in
sas_common.slots.model and .keys, keys and indexes in sas_common.tables).

    SRC#<source>#<owner> / <start UTC>#<slot key>     one slot (source: an editor id, or `manual`)

`replace_owners` is access pattern 6: what a source says about some owners over a window replaces what the
table held for them there, without reading anything else. It goes through the low-level client with items
in the wire format (`storage.wire_item`/`python_item`): an editor's poll writes thousands of items, and with
25 to a BatchWriteItem the CPU spent per item, not the requests, is what sets the rate. Clients are
thread-safe: the owners' windows are read at the same time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sas_common import storage
from sas_common.slots.keys import source_pk, utc_text
from sas_common.slots.model import (
    BOOKED,
    HOLD_PREFIX,
    IndexedSlot,
    PartitionPage,
    PartitionRead,
    Slot,
    places_left,
    slot_of,
)
from sas_common.slots.replacement import (
    Item,
    OwnerPlan,
    Replacement,
    content_update,
    plan_replacement,
    wanted_items,
)
from sas_common.stores.clients import AwsClients
from sas_common.tables import PK, SK, SLOTS

if TYPE_CHECKING:
    from collections.abc import Callable

    from mypy_boto3_dynamodb.client import DynamoDBClient

HELD = "held"  # a booking's hold attribute (`hold_<booking id>`) while it is decided
BOOKED_STATE = "booked"  # once confirmed: the place stays taken
# Owners whose windows are read at the same time (botocore keeps 10 connections per client).
READ_CONCURRENCY = 8
# A search's Queries at the same time: one round for a 30 km / 48 h search (≈ 12-25 partitions); a wider
# one takes a few waves (its connections: botocore's pool is sized to match, sas_common.stores.clients).
SEARCH_CONCURRENCY = 32
EXPIRY_INDEX = SLOTS.index("by_expiry")


class SlotStore:
    def __init__(self, aws: AwsClients, table_name: str, zone: ZoneInfo) -> None:
        self._aws = aws
        self.table_name = table_name
        # Items carry their local day (indexes `by_cell_day`, `by_tele_day`): the territory's zone.
        self.zone = zone
        # How replacements send their puts and deletes (the benchmark swaps in one request per item).
        self.write_requests: Callable[[DynamoDBClient, str, Sequence[dict[str, Any]]], int] = (
            storage.write_batches
        )
        # A search's Queries, round after round: threads kept from one search to the next (starting 20
        # threads costs more CPU than the Queries' own requests), each started when first needed.
        self.search_pool: Executor = ThreadPoolExecutor(
            max_workers=SEARCH_CONCURRENCY, thread_name_prefix="search"
        )

    @property
    def _client(self) -> DynamoDBClient:
        return self._aws.dynamodb_client

    def window_items(
        self, source: str, owner: str, window_start: datetime, window_end: datetime
    ) -> list[Item]:
        """The items of (source, owner) whose start is in [window_start, window_end): one Query."""
        return [storage.python_item(item) for item in self._window(source, owner, window_start, window_end)]

    def _window(self, source: str, owner: str, window_start: datetime, window_end: datetime) -> list[Item]:
        # A slot's sort key is `<start>#<slot key>`: longer than the bare bound, so a slot starting exactly
        # at the window's end sorts after it and is left out, one starting at its start is in.
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {
                ":pk": {"S": source_pk(source, owner)},
                ":from": {"S": utc_text(window_start)},
                ":to": {"S": utc_text(window_end)},
            },
            "ConsistentRead": True,
        }
        return storage.query_all_wire(self._client, query)

    def replace_slots(
        self, source: str, owner: str, window_start: datetime, window_end: datetime, slots: Iterable[Slot]
    ) -> Replacement:
        """Make the table hold exactly `slots` for (source, owner) in [window_start, window_end)."""
        return self.replace_owners(source, window_start, window_end, {owner: slots})[owner]

    def replace_owners(
        self,
        source: str,
        window_start: datetime,
        window_end: datetime,
        wanted: Mapping[str, Iterable[Slot]],
    ) -> dict[str, Replacement]:
        """Make the table hold exactly `wanted[owner]` for (source, owner) in [window_start, window_end),
        for every owner of `wanted` (an editor's answer about the doctors it was asked of).

        One Query per owner reads their window, the owners' Queries running at the same time (up to
        `READ_CONCURRENCY`); the plan (`slots.replacement`) deletes items no longer wanted and puts new
        ones, every owner's together, 25 to a BatchWriteItem (a poll of 25 doctors with a few slots each
        fills a handful of batches, not 25); an item whose content changed is updated in place, so the
        booking state on it (a range's `booked` counter, a hold) is never overwritten by a replacement
        racing a booking; unchanged items are not written.
        """
        owners = list(wanted)
        items = {
            owner: wanted_items(source, owner, window_start, window_end, wanted[owner], self.zone)
            for owner in owners
        }
        plans = {
            owner: plan_replacement(
                {str(item[SK]): item for item in map(storage.python_item, window)}, items[owner]
            )
            for owner, window in zip(
                owners, self._read_windows(source, owners, window_start, window_end), strict=True
            )
        }
        writes = [
            request for owner, plan in plans.items() for request in _write_requests(source, owner, plan)
        ]
        if writes:
            self.write_requests(self._client, self.table_name, writes)
        for plan in plans.values():
            for item, before in plan.updates:
                self._update_content(item, before)
        return {owner: plan.counts for owner, plan in plans.items()}

    def _read_windows(
        self, source: str, owners: Sequence[str], window_start: datetime, window_end: datetime
    ) -> list[list[Item]]:
        def read(owner: str) -> list[Item]:
            return self._window(source, owner, window_start, window_end)

        if len(owners) <= 1:
            return [read(owner) for owner in owners]
        with ThreadPoolExecutor(max_workers=min(READ_CONCURRENCY, len(owners))) as pool:
            return list(pool.map(read, owners))

    def _update_content(self, item: Item, before: Item) -> None:
        """Rewrite the content attributes of an existing item, leaving its booking state alone."""
        to_set, removed = content_update(item, before)
        names = {f"#a{i}": name for i, name in enumerate([*to_set, *removed])}
        by_name = {name: placeholder for placeholder, name in names.items()}
        expression = "SET " + ", ".join(f"{by_name[name]} = :v{i}" for i, name in enumerate(to_set))
        if removed:
            expression += " REMOVE " + ", ".join(by_name[name] for name in removed)
        names["#pk"] = PK
        updated = storage.unless_condition_fails(
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": item[PK]}, SK: {"S": item[SK]}},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    f":v{i}": storage.wire_value(value) for i, value in enumerate(to_set.values())
                },
            )
        )
        if updated is None:
            # Removed in the meantime (the expiry job): it is still wanted, so it comes back whole. The
            # booking flow marks a booked manual slot (booking state) rather than deleting it, or the next
            # materialisation of the agenda would offer it again.
            self._client.put_item(TableName=self.table_name, Item=storage.wire_item(item))

    def remove_source(self, source: str, owner: str) -> int:
        """Delete every slot a source holds for an owner (an editor they no longer show): one Query of keys
        (the owner's partition: a few days of slots at most) and batched deletes. The number removed."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {":pk": {"S": source_pk(source, owner)}},
            "ProjectionExpression": "#pk, #sk",
            "ConsistentRead": True,
        }
        keys = storage.query_all_wire(self._client, query)
        storage.write_batches(
            self._client, self.table_name, [{"DeleteRequest": {"Key": key}} for key in keys]
        )
        return len(keys)

    # --- search (patterns 1 and 2) ---------------------------------------------------------------------

    def search_pages(
        self, reads: Sequence[PartitionRead], start: datetime, end: datetime
    ) -> list[PartitionPage]:
        """One round of a search's index reads (`by_cell_day`: `<cell>#<local day>`, `by_tele_day`:
        `TELE#<local day>`), the slots starting in [start, end): one Query per read, every read of the round
        at the same time whatever its index (the store's thread pool), the answers in the reads' order."""
        if len(reads) <= 1:
            return [self._search_page(read, start, end) for read in reads]
        return list(self.search_pool.map(lambda read: self._search_page(read, start, end), reads))

    def _search_page(self, read: PartitionRead, start: datetime, end: datetime) -> PartitionPage:
        index = SLOTS.index(read.index_name)
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index.name,
            "KeyConditionExpression": "#p = :p AND #s BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#p": index.partition_key, "#s": index.sort_key},
            "ExpressionAttributeValues": {
                ":p": {"S": read.partition},
                ":from": {"S": utc_text(start)},
                # `start_sk` is `<start>#…`: every slot starting before `end` sorts below `<end>`.
                ":to": {"S": utc_text(end)},
            },
            "Limit": read.limit,
        }
        if read.after is not None:
            query["ExclusiveStartKey"] = read.after
        if read.owner is not None:  # `Limit` counts the items read, the filter keeps the owner's
            query["FilterExpression"] = "#owner = :owner OR #doctor = :owner"
            query["ExpressionAttributeNames"].update({"#owner": "national_id", "#doctor": "doctor_id"})
            query["ExpressionAttributeValues"][":owner"] = {"S": read.owner}
        page = storage.query_wire_page(self._client, query)
        after = page.get("LastEvaluatedKey")
        return PartitionPage(
            [indexed(item) for item in page["Items"]],
            int(page.get("ScannedCount", len(page["Items"]))),
            after,
            str(after[index.sort_key]["S"]) if after else None,
        )

    # --- booking (pattern 10) ---------------------------------------------------------------------------

    def load(self, pk: str, sk: str) -> Slot | None:
        """A slot by its key (what its id encodes): one GetItem."""
        item = self._client.get_item(
            TableName=self.table_name, Key={PK: {"S": pk}, SK: {"S": sk}}, ConsistentRead=True
        ).get("Item")
        return slot_of(storage.python_item(item)) if item else None

    def owners_found(self, keys: Sequence[Mapping[str, str]]) -> list[str]:
        """The owners (`national_id`) of the slots found among `keys` (distinct), 100 to a BatchGetItem:
        an SOS editor's `Slot/<id>` looked for among the associations it serves (INT_R03 records)."""
        items = storage.batch_get(
            self._aws.dynamodb,
            self.table_name,
            keys,
            ProjectionExpression="#owner",
            ExpressionAttributeNames={"#owner": "national_id"},
            ConsistentRead=True,
        )
        return [str(item["national_id"]) for item in items if item.get("national_id")]

    def hold(self, pk: str, sk: str, booking_id: str) -> bool:
        """Take one place of the slot for a booking, if one is left: one conditional UpdateItem, so of two
        bookings racing for the last place exactly one wins. True when held (a retry of the same booking's
        hold finds it held and is True too); False when no place is left or the slot is gone."""
        hold = HOLD_PREFIX + booking_id
        taken = storage.unless_condition_fails(
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": pk}, SK: {"S": sk}},
                UpdateExpression="ADD #booked :one SET #hold = :held",
                ConditionExpression=(
                    "attribute_exists(#pk) AND attribute_not_exists(#hold) AND ("
                    "(attribute_not_exists(#capacity) AND (attribute_not_exists(#booked) OR #booked < :one)) "
                    "OR (attribute_exists(#capacity) AND #booked < #capacity))"
                ),
                ExpressionAttributeNames={
                    "#pk": PK,
                    "#booked": BOOKED,
                    "#hold": hold,
                    "#capacity": "capacity",
                },
                ExpressionAttributeValues={":one": {"N": "1"}, ":held": {"S": HELD}},
            )
        )
        if taken is not None:
            return True
        return self._hold_state(pk, sk, booking_id) is not None

    def _hold_state(self, pk: str, sk: str, booking_id: str) -> str | None:
        item = self._client.get_item(
            TableName=self.table_name,
            Key={PK: {"S": pk}, SK: {"S": sk}},
            ProjectionExpression="#hold",
            ExpressionAttributeNames={"#hold": HOLD_PREFIX + booking_id},
            ConsistentRead=True,
        ).get("Item")
        value = (item or {}).get(HOLD_PREFIX + booking_id)
        return str(value["S"]) if value else None

    def release(self, pk: str, sk: str, booking_id: str) -> bool:
        """Give a booking's place back (its hold removed, one less booked); False when it held none any more
        (released already, or the slot is gone): a retried release changes nothing."""
        hold = HOLD_PREFIX + booking_id
        released = storage.unless_condition_fails(
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": pk}, SK: {"S": sk}},
                UpdateExpression="ADD #booked :minus REMOVE #hold",
                ConditionExpression="attribute_exists(#hold)",
                ExpressionAttributeNames={"#booked": BOOKED, "#hold": hold},
                ExpressionAttributeValues={":minus": {"N": "-1"}},
            )
        )
        return released is not None

    def confirm(self, pk: str, sk: str, booking_id: str) -> bool:
        """Turn a booking's hold into a booking (the place stays taken); False when it holds none."""
        confirmed = storage.unless_condition_fails(
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key={PK: {"S": pk}, SK: {"S": sk}},
                UpdateExpression="SET #hold = :booked",
                ConditionExpression="attribute_exists(#hold)",
                ExpressionAttributeNames={"#hold": HOLD_PREFIX + booking_id},
                ExpressionAttributeValues={":booked": {"S": BOOKED_STATE}},
            )
        )
        return confirmed is not None

    def remove(self, pk: str, sk: str) -> None:
        """The editor said the slot is gone: it is no longer offered (its next answer agrees)."""
        self._client.delete_item(TableName=self.table_name, Key={PK: {"S": pk}, SK: {"S": sk}})

    # --- expiry (pattern 7) -----------------------------------------------------------------------------

    def ended_keys(self, bucket: str, now: datetime) -> list[dict[str, Any]]:
        """The keys (wire format) of the slots of an expiry bucket that ended by `now` (index `by_expiry`)."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": EXPIRY_INDEX.name,
            "KeyConditionExpression": "#bucket = :bucket AND #end <= :now",
            "ExpressionAttributeNames": {
                "#bucket": EXPIRY_INDEX.partition_key,
                "#end": EXPIRY_INDEX.sort_key,
            },
            "ExpressionAttributeValues": {":bucket": {"S": bucket}, ":now": {"S": utc_text(now)}},
        }
        return [{PK: item[PK], SK: item[SK]} for item in storage.query_all_wire(self._client, query)]

    def delete_keys(self, keys: Sequence[dict[str, Any]]) -> None:
        """Delete these items (keys in wire format, distinct), 25 to a batch."""
        storage.write_batches(
            self._client, self.table_name, [{"DeleteRequest": {"Key": key}} for key in keys]
        )


def _write_requests(source: str, owner: str, plan: OwnerPlan) -> list[dict[str, Any]]:
    pk = source_pk(source, owner)
    requests: list[dict[str, Any]] = [
        {"DeleteRequest": {"Key": {PK: {"S": pk}, SK: {"S": key}}}} for key in plan.deletes
    ]
    requests += [{"PutRequest": {"Item": storage.wire_item(item)}} for item in plan.puts]
    return requests


def _text(value: Mapping[str, Any] | None) -> str | None:
    return str(value["S"]) if value is not None and "S" in value else None


def indexed(item: Mapping[str, Any]) -> IndexedSlot:
    """A slot item (wire format) as search reads it: only what it filters and orders on is converted."""
    position = item.get("position", {}).get("M")
    booked, capacity = item.get(BOOKED, {}).get("N"), item.get("capacity", {}).get("N")
    state = {
        "mode": _text(item.get("mode")),
        "capacity": int(capacity) if capacity else None,
        BOOKED: int(booked or 0),
    }
    return IndexedSlot(
        pk=item[PK]["S"],
        sk=item[SK]["S"],
        owner=item["national_id"]["S"],
        doctor_id=_text(item.get("doctor_id")),
        source=item["source"]["S"],
        start=_instant(item["start"]["S"]),
        end=_instant(item["end"]["S"]),
        lat=float(position["lat"]["N"]) if position else None,
        lon=float(position["lon"]["N"]) if position else None,
        consultation_types=frozenset(value["S"] for value in item["consultation_types"]["L"]),
        visibility=frozenset(value["S"] for value in item.get("visibility", {}).get("L", ())),
        walk_in=bool(item.get("walk_in", {}).get("BOOL", False)),
        specialty_code=_text(item.get("specialty_code")),
        specialty_text=_text(item.get("specialty_text")),
        places_left=places_left(state),
        read_slot=lambda: slot_of(storage.python_item(item)),
    )


@lru_cache(maxsize=8192)
def _instant(text: str) -> datetime:
    """A slot's UTC text as an instant (a search reads thousands sharing a few hundred instants)."""
    return datetime.fromisoformat(text)
