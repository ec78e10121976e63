"""The `regulation` table: liberal regulators' shifts (pattern 18).

    REG#<regulator id> / SHIFT#<start UTC>     a shift: start, end, association, when it was logged
    REG#<regulator id> / MONTH#<YYYY-MM>       the regulator's month version (local month)

A shift carries `reg_month = MONTH#<YYYY-MM>` (the local month of its start) and `reg_month_sk =
<association id>#<regulator id>#<start UTC>` (index `by_month`): a month's shifts of the territory are that
partition, an association's the part of it that begins with its id.

No two shifts of a regulator overlap, even written at the same time: a writer reads the month versions of
the span it checks, then the shifts of that span, and writes the shift with those versions bumped in one
transaction conditioned on them being what it read. Two overlapping shifts always check a common month
(the month of the later start is in both spans, a shift lasting at most 24 h), so of two concurrent writers
one transaction fails, and its writer reads again and finds the overlap.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.eligibility.shifts import Shift
from sas_common.errors import StaleWrite
from sas_common.slots.keys import utc_text
from sas_common.stores.clients import AwsClients
from sas_common.tables import PK, REGULATION, SK

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REGULATOR_PREFIX = "REG#"
SHIFT_PREFIX = "SHIFT#"
MONTH_PREFIX = "MONTH#"
BY_MONTH = REGULATION.index("by_month")
PAGE = 500


def regulator_pk(regulator_id: str) -> str:
    return REGULATOR_PREFIX + regulator_id


def _instant(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _shift(item: dict[str, Any]) -> Shift:
    return Shift(
        regulator_id=str(item["regulator_id"]),
        association_id=str(item["association_id"]),
        start=_instant(str(item["start"])),
        end=_instant(str(item["end"])),
        logged_at=str(item["logged_at"]) if item.get("logged_at") else None,
    )


class RegulationStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name

    @property
    def _client(self) -> DynamoDBClient:
        return self._aws.dynamodb_client

    def month_versions(self, regulator_id: str, months: Sequence[str]) -> dict[str, int]:
        """The regulator's version of each month (`YYYY-MM`, consecutive; 0 when none was written): one
        consistent Query of the partition's MONTH# items in that range."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {
                ":pk": {"S": regulator_pk(regulator_id)},
                ":from": {"S": MONTH_PREFIX + min(months)},
                ":to": {"S": MONTH_PREFIX + max(months)},
            },
            "ConsistentRead": True,
        }
        found = {
            str(item[SK]).removeprefix(MONTH_PREFIX): int(item["version"])
            for item in map(storage.python_item, storage.query_all_wire(self._client, query))
        }
        return {month: found.get(month, 0) for month in months}

    def shifts_between(self, regulator_id: str, first_start: datetime, last_start: datetime) -> list[Shift]:
        """The regulator's shifts starting in [first_start, last_start], consistent reads, by start."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND #sk BETWEEN :from AND :to",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {
                ":pk": {"S": regulator_pk(regulator_id)},
                ":from": {"S": SHIFT_PREFIX + utc_text(first_start)},
                ":to": {"S": SHIFT_PREFIX + utc_text(last_start)},
            },
            "ConsistentRead": True,
        }
        return [_shift(storage.python_item(item)) for item in storage.query_all_wire(self._client, query)]

    def add(self, shift: Shift, month: str, checked: dict[str, int]) -> None:
        """Write the shift (filed under the local `month` of its start) with the months it was checked
        against bumped from the versions read (`checked`); StaleWrite if one changed, or the start is
        taken."""
        pk = regulator_pk(shift.regulator_id)
        item = {
            PK: pk,
            SK: SHIFT_PREFIX + utc_text(shift.start),
            "regulator_id": shift.regulator_id,
            "association_id": shift.association_id,
            "start": utc_text(shift.start),
            "end": utc_text(shift.end),
            "month": month,
            "logged_at": shift.logged_at or utc_text(datetime.now(UTC)),
            BY_MONTH.partition_key: MONTH_PREFIX + month,
            BY_MONTH.sort_key: f"{shift.association_id}#{shift.regulator_id}#{utc_text(shift.start)}",
        }
        writes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": storage.wire_item(item),
                    "ConditionExpression": "attribute_not_exists(#pk)",
                    "ExpressionAttributeNames": {"#pk": PK},
                }
            }
        ]
        writes += [
            self._bump(pk, checked_month, version) for checked_month, version in sorted(checked.items())
        ]
        try:
            self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if storage.error_code(error) == storage.TRANSACTION_CANCELED:
                raise StaleWrite(pk) from error
            raise

    def _bump(self, pk: str, month: str, version: int) -> dict[str, Any]:
        condition = "attribute_not_exists(#pk)" if version == 0 else "#version = :read"
        values: dict[str, Any] = {":next": {"N": str(version + 1)}}
        if version:
            values[":read"] = {"N": str(version)}
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": {PK: {"S": pk}, SK: {"S": MONTH_PREFIX + month}},
                "UpdateExpression": "SET #version = :next",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#version": "version", **({"#pk": PK} if version == 0 else {})},
                "ExpressionAttributeValues": values,
            }
        }

    def load(self, regulator_id: str, start: datetime) -> Shift | None:
        item = self._client.get_item(
            TableName=self.table_name,
            Key={PK: {"S": regulator_pk(regulator_id)}, SK: {"S": SHIFT_PREFIX + utc_text(start)}},
            ConsistentRead=True,
        ).get("Item")
        return _shift(storage.python_item(item)) if item else None

    def delete(self, regulator_id: str, start: datetime) -> bool:
        """Delete the shift starting at `start`; False when there was none."""
        deleted = storage.unless_condition_fails(
            lambda: self._client.delete_item(
                TableName=self.table_name,
                Key={PK: {"S": regulator_pk(regulator_id)}, SK: {"S": SHIFT_PREFIX + utc_text(start)}},
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
            )
        )
        return deleted is not None

    def month_shifts(self, month: str, association_id: str | None = None) -> Iterator[Shift]:
        """The month's shifts (index `by_month`), an association's only when named, by association,
        regulator and start; page by page (`PAGE` items in hand at most)."""
        condition = "#month = :month"
        values: dict[str, Any] = {":month": {"S": MONTH_PREFIX + month}}
        if association_id is not None:
            condition += " AND begins_with(#sort, :association)"
            values[":association"] = {"S": association_id + "#"}
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "IndexName": BY_MONTH.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {
                "#month": BY_MONTH.partition_key,
                **({"#sort": BY_MONTH.sort_key} if association_id is not None else {}),
            },
            "ExpressionAttributeValues": values,
            "Limit": PAGE,
        }
        while True:
            page = self._client.query(**query)
            yield from (_shift(storage.python_item(item)) for item in page["Items"])
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
