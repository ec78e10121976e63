"""The `orientations` table: editors' appointment records (INT_R03) and their links to the platform's
bookings (pattern 11).

    BOOKING#<booking id> / META                                  a booking: the orientation (+ `version`)
    BOOKING#<booking id> / EVENT#<at>#<version>                  one item per status taken
    APPT#<editor id>#<appointment id> / META                     the record as it is now (+ `version`)
    APPT#<editor id>#<appointment id> / STATUS#<at>#<version>    one item per status taken
    LINK#<editor id>#<national id>#<start UTC> / META            a booking and the editor's record of it

A record's META is written in one transaction with its STATUS item when the status changes, conditioned on
the version it replaces (or on being absent, for a create). META carries `effecteur_pk`/`at_sk` (index
`by_effecteur`, patterns 12 and 14); STATUS items do not, so the index lists each record once.

A record does not carry the platform's booking id; what both sides know is the editor, the doctor and the
appointment's start. Either side may come first, so each writes its half of the LINK item and reads the other
half in the same UpdateItem: no read-then-write race, and a retry writes the same. The item expires
`LINK_KEEP` after the start; by then both sides have met.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Attr
from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.booking.model import Booking, BookingEvent
from sas_common.errors import StaleWrite
from sas_common.slots.keys import utc_text
from sas_common.stores.clients import AwsClients
from sas_common.tables import BOOKING_PREFIX, ORIENTATIONS, PK, SK, effecteur_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

EVENT_PREFIX = "EVENT#"
REGULATOR_PREFIX = "REG#"
BY_REGULATOR = ORIENTATIONS.index("by_regulator")
BY_EFFECTEUR = ORIENTATIONS.index("by_effecteur")
BY_DAY = ORIENTATIONS.index("by_day")
DAY_PREFIX = "DAY#"
APPT_PREFIX = "APPT#"
LINK_PREFIX = "LINK#"
META = "META"
STATUS_PREFIX = "STATUS#"
LINK_KEEP = timedelta(days=30)


def record_pk(editor_id: str, appointment_id: str) -> str:
    """A record's partition from its public id, among its editor's records."""
    return f"{APPT_PREFIX}{editor_id}#{appointment_id}"


def link_key(editor_id: str, national_id: str, start: datetime) -> dict[str, str]:
    return {PK: f"{LINK_PREFIX}{editor_id}#{national_id}#{utc_text(start)}", SK: META}


class OrientationStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name

    @cached_property
    def _table(self) -> Table:
        return self._aws.dynamodb.Table(self.table_name)

    # --- bookings (the platform's orientations, patterns 12 and 17) -------------------------------------

    def _booking_item(self, booking: Booking, owner_pk: str) -> dict[str, Any]:
        pk = BOOKING_PREFIX + booking.id
        at = f"{utc_text(booking.start)}#{pk}"
        return {
            PK: pk,
            SK: META,
            **booking.model_dump(mode="json", exclude_none=True),
            "kind": "booking",
            "booking_id": booking.id,
            "outcome": booking.status.value,
            "snp": True,  # an orientation of the SAS regulation (indicator 9 counts it when confirmed)
            BY_EFFECTEUR.partition_key: owner_pk,
            BY_REGULATOR.partition_key: REGULATOR_PREFIX + booking.regulator,
            BY_DAY.partition_key: day_pk(utc_text(booking.start)),
            "at_sk": at,
        }

    def create_booking(self, booking: Booking, owner_pk: str) -> None:
        """Record a new booking and its first status in one transaction; StaleWrite if its id exists."""
        pk = BOOKING_PREFIX + booking.id
        event = self._event_item(
            pk, BookingEvent(at=booking.created_at, status=booking.status), booking.version
        )
        items = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": self._booking_item(booking, owner_pk),
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PK},
                }
            },
            {"Put": {"TableName": self.table_name, "Item": event}},
        ]
        self._transact(items, pk)

    def _event_item(self, pk: str, event: BookingEvent, version: int) -> dict[str, Any]:
        return {
            PK: pk,
            SK: f"{EVENT_PREFIX}{utc_text(event.at)}#{version:06d}",
            **event.model_dump(mode="json", exclude_none=True),
        }

    def _transact(self, items: list[dict[str, Any]], pk: str) -> None:
        try:
            # The resource's client serialises plain Python values, as the Table API does.
            self._aws.dynamodb.meta.client.transact_write_items(TransactItems=cast(Any, items))
        except ClientError as error:
            if storage.error_code(error) == storage.TRANSACTION_CANCELED:
                raise StaleWrite(pk) from error
            raise

    def load_booking(self, booking_id: str) -> Booking | None:
        item = self._table.get_item(Key={PK: BOOKING_PREFIX + booking_id, SK: META}, ConsistentRead=True).get(
            "Item"
        )
        return _booking(item) if item else None

    def update_booking(self, before: Booking, after: Booking) -> Booking:
        """Write `after` over `before` (its version): the status and what changed with it, and an event when
        the status changes; StaleWrite if the booking changed since `before` was read."""
        pk = BOOKING_PREFIX + before.id
        saved = after.model_copy(update={"version": before.version + 1})
        values = {
            name: value
            for name, value in saved.model_dump(mode="json", exclude_none=True).items()
            if name not in ("id",)
        }
        values["outcome"] = saved.status.value
        names = {f"#a{i}": name for i, name in enumerate(values)}
        update = {
            "TableName": self.table_name,
            "Key": {PK: pk, SK: META},
            "UpdateExpression": "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
            "ConditionExpression": "#version = :before",
            "ExpressionAttributeNames": {**names, "#version": "version"},
            "ExpressionAttributeValues": {
                **{f":v{i}": value for i, value in enumerate(values.values())},
                ":before": before.version,
            },
        }
        items: list[dict[str, Any]] = [{"Update": update}]
        if saved.status is not before.status:
            event = BookingEvent(at=saved.updated_at, status=saved.status, reason=saved.reason)
            items.append(
                {"Put": {"TableName": self.table_name, "Item": self._event_item(pk, event, saved.version)}}
            )
        self._transact(items, pk)
        return saved

    def booking_events(self, booking_id: str) -> list[BookingEvent]:
        condition = KeyCondition(PK).eq(BOOKING_PREFIX + booking_id) & KeyCondition(SK).begins_with(
            EVENT_PREFIX
        )
        items = storage.query_all(self._table, KeyConditionExpression=condition, ConsistentRead=True)
        return [
            BookingEvent.model_validate({k: v for k, v in item.items() if k not in (PK, SK)})
            for item in items
        ]

    def set_callback(self, booking_id: str, task_token: str) -> None:
        """Keep the state machine's task token of a phone booking (what confirm or cancel answers)."""
        self._table.update_item(
            Key={PK: BOOKING_PREFIX + booking_id, SK: META},
            UpdateExpression="SET task_token = :token",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
            ExpressionAttributeValues={":token": task_token},
        )

    def set_booking_record(self, booking_id: str, appointment_id: str) -> None:
        """The editor's INT_R03 record of a booking, once both are known (either side may learn it first;
        the same value twice changes nothing)."""
        storage.unless_condition_fails(
            lambda: self._table.update_item(
                Key={PK: BOOKING_PREFIX + booking_id, SK: META},
                UpdateExpression="SET appointment_id = :record",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
                ExpressionAttributeValues={":record": appointment_id},
            )
        )

    def callback(self, booking_id: str) -> str | None:
        item = self._table.get_item(
            Key={PK: BOOKING_PREFIX + booking_id, SK: META},
            ProjectionExpression="task_token",
            ConsistentRead=True,
        ).get("Item")
        return str(item["task_token"]) if item and "task_token" in item else None

    def orientations_page(
        self,
        index: str,
        partition: str,
        start: str,
        end: str,
        limit: int,
        statuses: frozenset[str] = frozenset(),
        after: Mapping[str, str] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
        """One Query of `by_regulator`, `by_effecteur` or `by_day` on `partition`: the items whose `at_sk`
        is in [start, end) (UTC texts), bookings and INT_R03 records alike, only those whose `status` is one
        of `statuses` when given (a filter: the page may hold fewer than `limit`), continuing from `after`;
        and where to continue from (None: the partition's range is done)."""
        found = ORIENTATIONS.index(index)
        query: dict[str, Any] = {
            "IndexName": found.name,
            # `<end>` sorts below every `<end>#…`: an orientation starting at `end` is out.
            "KeyConditionExpression": KeyCondition(found.partition_key).eq(partition)
            & KeyCondition(found.sort_key).between(start, end),
            "Limit": limit,
        }
        if statuses:
            query["FilterExpression"] = Attr("status").is_in(sorted(statuses))
        if after:
            query["ExclusiveStartKey"] = dict(after)
        page = self._table.query(**query)
        last = page.get("LastEvaluatedKey")
        position = {name: str(value) for name, value in last.items()} if last else None
        return [dict(item) for item in page["Items"]], position

    def records_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """The METAs of INT_R03 records by (editor id, appointment id): one BatchGetItem per 100."""
        found: dict[tuple[str, str], dict[str, Any]] = {}
        wanted = [{PK: record_pk(editor, record), SK: META} for editor, record in dict.fromkeys(keys)]
        for chunk in range(0, len(wanted), 100):
            request: dict[str, Any] = {self.table_name: {"Keys": wanted[chunk : chunk + 100]}}
            while request:
                answer = self._aws.dynamodb.batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table_name, []):
                    found[(str(item["editor_id"]), str(item["appointment_id"]))] = dict(item)
                request = cast(dict[str, Any], answer.get("UnprocessedKeys") or {})
        return found

    def mark_done(self, booking_id: str, owner_pk: str, at: datetime) -> Booking | None:
        """Mark that a confirmed booking's consultation took place (the first time counts: a second mark
        changes nothing); None when it is not a confirmed booking of this owner."""
        try:
            answer = self._table.update_item(
                Key={PK: BOOKING_PREFIX + booking_id, SK: META},
                UpdateExpression="SET done_at = if_not_exists(done_at, :at)",
                ConditionExpression="#owner = :owner AND #status = :confirmed",
                ExpressionAttributeNames={"#owner": BY_EFFECTEUR.partition_key, "#status": "status"},
                ExpressionAttributeValues={
                    ":at": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),  # as the model writes
                    ":owner": owner_pk,
                    ":confirmed": "confirmed",
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if storage.error_code(error) == storage.CONDITION_FAILED:
                return None
            raise
        return _booking(answer["Attributes"])

    # --- appointment records ----------------------------------------------------------------------------

    def load_record(self, editor_id: str, appointment_id: str) -> dict[str, Any] | None:
        """A record's META, among this editor's records only."""
        key = {PK: record_pk(editor_id, appointment_id), SK: META}
        item = self._table.get_item(Key=key, ConsistentRead=True).get("Item")
        return dict(item) if item else None

    def record_history(self, editor_id: str, appointment_id: str) -> list[dict[str, Any]]:
        """The record's STATUS items, oldest first."""
        condition = KeyCondition(PK).eq(record_pk(editor_id, appointment_id)) & KeyCondition(SK).begins_with(
            STATUS_PREFIX
        )
        return storage.query_all(self._table, KeyConditionExpression=condition, ConsistentRead=True)

    def write_record(
        self,
        editor_id: str,
        appointment_id: str,
        record: Mapping[str, Any],
        *,
        previous: Mapping[str, Any] | None,
        at: str,
        now: str,
    ) -> dict[str, Any]:
        """Write a record's META (`record`: its content, `version` and times) over `previous` (the META
        read, None for a create), with a STATUS item when its status changes; the META written.
        `at` sorts it in `by_effecteur` (its start). `StaleWrite` if META is no longer `previous`."""
        pk = record_pk(editor_id, appointment_id)
        meta = {
            PK: pk,
            SK: META,
            **record,
            **_owner_partition(record),
            "at_sk": f"{at}#{pk}",
            BY_DAY.partition_key: day_pk(at),
        }
        condition: dict[str, Any] = (
            {
                "ConditionExpression": "#version = :previous",
                "ExpressionAttributeNames": {"#version": "version"},
                "ExpressionAttributeValues": {":previous": previous["version"]},
            }
            if previous is not None
            else {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
        )
        items: list[dict[str, Any]] = [{"Put": {"TableName": self.table_name, "Item": meta, **condition}}]
        if previous is None or previous.get("status") != record["status"]:
            status = {PK: pk, SK: f"{STATUS_PREFIX}{now}#{int(record['version']):06d}", "at": now}
            status.update({name: record[name] for name in ("status", "start", "end") if record.get(name)})
            items.append({"Put": {"TableName": self.table_name, "Item": status}})
        try:
            # The resource's client serialises plain Python values, as the Table API does.
            self._aws.dynamodb.meta.client.transact_write_items(TransactItems=cast(Any, items))
        except ClientError as error:
            if storage.error_code(error) == storage.TRANSACTION_CANCELED:
                raise StaleWrite(pk) from error
            raise
        return meta

    def record_at(self, meta: Mapping[str, Any]) -> str:
        """The instant a stored record sorts at in `by_effecteur`."""
        return str(meta["at_sk"]).split("#")[0]

    def set_record_booking(self, editor_id: str, appointment_id: str, booking_id: str) -> None:
        self._table.update_item(
            Key={PK: record_pk(editor_id, appointment_id), SK: META},
            UpdateExpression="SET booking_id = :booking",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
            ExpressionAttributeValues={":booking": booking_id},
        )

    def regulator_bookings_at(self, regulator: str, start: datetime) -> list[Booking]:
        """The bookings a regulator made of slots starting at `start` (index `by_regulator`, `at_sk`
        `<start UTC>#BOOKING#…`): one Query, what an SOS record's operator booked at its start."""
        condition = KeyCondition(BY_REGULATOR.partition_key).eq(REGULATOR_PREFIX + regulator) & KeyCondition(
            BY_REGULATOR.sort_key
        ).begins_with(f"{utc_text(start)}#{BOOKING_PREFIX}")
        items = storage.query_all(self._table, IndexName=BY_REGULATOR.name, KeyConditionExpression=condition)
        return [_booking(item) for item in items]

    # --- links between a booking and the editor's record of it ------------------------------------------

    def record_stored(
        self, editor_id: str, national_id: str, start: datetime, appointment_id: str
    ) -> str | None:
        """The record's half of the link: the id of the platform's booking of that slot, if it made one."""
        return self._meet(editor_id, national_id, start, "appointment_id", appointment_id, "booking_id")

    def booking_made(self, editor_id: str, national_id: str, start: datetime, booking_id: str) -> str | None:
        """The booking's half of the link: the id of the editor's record of it, if it has come."""
        return self._meet(editor_id, national_id, start, "booking_id", booking_id, "appointment_id")

    def _meet(
        self, editor_id: str, national_id: str, start: datetime, mine: str, value: str, theirs: str
    ) -> str | None:
        """Write my half of the link, answer the other half (None while that side has not come)."""
        answer = self._table.update_item(
            Key=link_key(editor_id, national_id, start),
            UpdateExpression="SET #mine = :value, #ttl = if_not_exists(#ttl, :ttl)",
            ExpressionAttributeNames={"#mine": mine, "#ttl": "ttl"},
            ExpressionAttributeValues={":value": value, ":ttl": int((start + LINK_KEEP).timestamp())},
            ReturnValues="ALL_NEW",
        )
        other = answer.get("Attributes", {}).get(theirs)
        return str(other) if other is not None else None

    # --- eligibility: SNP patients of an effecteur in a quarter (pattern 14) ----------------------------

    def snp_items(self, owner_pk: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The `by_effecteur` items of the owner whose `at_sk` (`<start UTC>#<pk>`) is in [start, end):
        bookings (`BOOKING#…`) and INT_R03 records (`APPT#…`), only what indicator 9 reads. Low-level client
        (thread-safe: an export reads many effecteurs at the same time), every page."""
        index = ORIENTATIONS.index("by_effecteur")
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": index.name,
            "KeyConditionExpression": "#owner = :owner AND #at BETWEEN :from AND :to",
            "ProjectionExpression": "#pk, #status, #outcome, #booking, #snp",
            "ExpressionAttributeNames": {
                "#owner": index.partition_key,
                "#at": index.sort_key,
                "#pk": PK,
                "#status": "status",
                "#outcome": "outcome",
                "#booking": "booking_id",
                "#snp": "snp",
            },
            "ExpressionAttributeValues": {
                ":owner": {"S": owner_pk},
                ":from": {"S": utc_text(start)},
                # `<end>` sorts below every `<end>#…`: an item starting at `end` is out, as it should be.
                ":to": {"S": utc_text(end)},
            },
        }
        return [
            storage.python_item(item) for item in storage.query_all_wire(self._aws.dynamodb_client, query)
        ]


def day_pk(at: str) -> str:
    """The `by_day` partition of an orientation starting at `at` (UTC text): its UTC date."""
    return DAY_PREFIX + at[:10]


def _owner_partition(record: Mapping[str, Any]) -> dict[str, str]:
    """A record's `by_effecteur` partition: the one it names (an SOS association's), else its doctor's; a
    record with neither (an SOS record tied to no association yet) is not in the index."""
    if record.get("effecteur_pk"):
        return {"effecteur_pk": str(record["effecteur_pk"])}
    return {"effecteur_pk": effecteur_pk(str(record["national_id"]))} if record.get("national_id") else {}


def _booking(item: Mapping[str, Any]) -> Booking:
    fields = set(Booking.model_fields)
    return Booking.model_validate({name: value for name, value in item.items() if name in fields})


def booking_of(item: Mapping[str, Any]) -> Booking | None:
    """A `by_regulator` / `by_effecteur` item as a booking, None for an INT_R03 record."""
    return _booking(item) if str(item.get(PK, "")).startswith(BOOKING_PREFIX) else None
