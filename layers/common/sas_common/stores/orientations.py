"""The `orientations` table: editors' appointment records (INT_R03) and their links to the platform's
bookings (pattern 11).

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
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.errors import StaleWrite
from sas_common.slots.keys import utc_text
from sas_common.stores.clients import AwsClients
from sas_common.tables import PK, SK, effecteur_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

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
            "effecteur_pk": effecteur_pk(str(record["national_id"])),
            "at_sk": f"{at}#{pk}",
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
