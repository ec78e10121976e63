"""The `participations` table: declarations (versioned), the editors they show, weekly visible hours.

    EFF#<national id> / DECL#CURRENT                the current declaration (index `by_territory`)
    EFF#<national id> / DECL#V#<000001>             every saved version (history)
    EFF#<national id> / EDITOR#<editor id>          one item per editor shown (index `by_editor`, pattern 5)
    STRUCT#<structure id> / DECL#CURRENT | DECL#V#…  a structure's declaration (CDS, SOS association)
    STRUCT#<siret> / EDITOR#<editor id>             an SOS editor a participating association listed
    EFF#<national id> / WEEK#<YYYY-Www>             visible manual hours of a week, as they were (pattern 13)
    EFF#<id> | STRUCT#<id> / WEEK#<YYYY-Www>#EDITOR#<editor id>   editor slots seen that week (indicator 8)

Every save is a new version, written with the current pointer and the declared-editor items in one
transaction, conditioned on the version it replaces: two concurrent saves cannot both win, a retried save of
the same content creates no new version, and nothing is ever half-written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Key as KeyCondition
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.errors import StaleWrite
from sas_common.participation.rules import Declaration, StructureDeclaration
from sas_common.participation.versions import Saved
from sas_common.stores.clients import AwsClients
from sas_common.tables import PARTICIPATIONS, PK, SK, effecteur_pk, structure_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

CURRENT = "DECL#CURRENT"
VERSION_PREFIX = "DECL#V#"
EDITOR_PREFIX = "EDITOR#"
WEEK_PREFIX = "WEEK#"
EDITOR_EVIDENCE = "#EDITOR#"  # WEEK#<YYYY-Www>#EDITOR#<editor id>: editor slots seen that week (indicator 8)
TERRITORY_KEY = "TERRITORY"
HISTORY_LIMIT = 100
DUE_PAGE_SIZE = 100
BY_EDITOR = PARTICIPATIONS.index("by_editor")
BY_TERRITORY = PARTICIPATIONS.index("by_territory")


def _saved(item: Mapping[str, Any]) -> Saved:
    return Saved(
        owner=str(item[PK]),
        version=int(item["version"]),
        content=dict(item["content"]),
        saved_at=str(item["saved_at"]),
        saved_by=str(item["saved_by"]),
        reset_id=str(item["reset_id"]) if item.get("reset_id") else None,
    )


def owner_id(owner: str) -> str:
    """An owner's id in the `by_editor` index: an effecteur's national id, or an association's SIRET."""
    return owner.partition("#")[2]


class ParticipationStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name

    @cached_property
    def _table(self) -> Table:
        return self._aws.dynamodb.Table(self.table_name)

    # --- declarations -----------------------------------------------------------------------------------

    def load_current(self, owner: str) -> Saved | None:
        item = self._table.get_item(Key={PK: owner, SK: CURRENT}, ConsistentRead=True).get("Item")
        return _saved(item) if item else None

    def declaration(self, national_id: str) -> Declaration | None:
        """An effecteur's current declaration, None if they never declared."""
        saved = self.load_current(effecteur_pk(national_id))
        return Declaration.model_validate(saved.content) if saved else None

    def structure_declaration(self, structure_id: str) -> StructureDeclaration | None:
        """A structure's current declaration, None if it never declared."""
        saved = self.load_current(structure_pk(structure_id))
        return StructureDeclaration.model_validate(saved.content) if saved else None

    def current_versions(self, owners: Iterable[str]) -> dict[str, Saved]:
        """The current declarations of these owners (partitions), read together (BatchGetItem)."""
        keys = [{PK: owner, SK: CURRENT} for owner in dict.fromkeys(owners)]
        return {
            str(item[PK]): _saved(item)
            for item in storage.batch_get_plain(self._aws.dynamodb_client, self.table_name, keys)
        }

    def history(self, owner: str) -> list[Saved]:
        """The versions, newest first (bounded)."""
        response = self._table.query(
            KeyConditionExpression=KeyCondition(PK).eq(owner) & KeyCondition(SK).begins_with(VERSION_PREFIX),
            ScanIndexForward=False,
            Limit=HISTORY_LIMIT,
        )
        return [_saved(item) for item in response["Items"]]

    def declared_editors(self, owner: str) -> frozenset[str]:
        """The editors the owner's current declaration shows (its EDITOR# items)."""
        response = self._table.query(
            KeyConditionExpression=KeyCondition(PK).eq(owner) & KeyCondition(SK).begins_with(EDITOR_PREFIX)
        )
        return frozenset(str(item[SK]).removeprefix(EDITOR_PREFIX) for item in response["Items"])

    def save(
        self,
        previous: Saved | None,
        saved: Saved,
        *,
        editors: frozenset[str],
        declared: frozenset[str],
    ) -> None:
        """Write `saved` as the owner's new version over `previous` (what was read), and the editor items
        from `declared` (stored) to `editors` (wanted), in one transaction; `StaleWrite` if the current
        version is no longer `previous`."""
        record: dict[str, Any] = {
            "version": saved.version,
            "content": storage.to_item(saved.content),
            "saved_at": saved.saved_at,
            "saved_by": saved.saved_by,
        }
        if saved.reset_id:
            record["reset_id"] = saved.reset_id
        owner = saved.owner
        version_item = {PK: owner, SK: f"{VERSION_PREFIX}{saved.version:06d}", **record}
        current_item = {PK: owner, SK: CURRENT, **record, BY_TERRITORY.partition_key: TERRITORY_KEY}
        current_item[BY_TERRITORY.sort_key] = owner
        items: list[dict[str, Any]] = [
            {"Put": self._put(version_item, "attribute_not_exists(#pk)", {"#pk": PK})},
            {"Put": self._put(current_item, *_replacing(previous))},
            *self._editor_changes(owner, editors, declared),
        ]
        try:
            # The resource's client serialises plain Python values, as the Table API does.
            self._aws.dynamodb.meta.client.transact_write_items(TransactItems=cast(Any, items))
        except ClientError as error:
            if storage.error_code(error) == storage.TRANSACTION_CANCELED:
                raise StaleWrite(owner) from error
            raise

    def _put(
        self,
        item: dict[str, Any],
        condition: str,
        names: dict[str, str],
        values: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": item,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
        }
        if values:
            put["ExpressionAttributeValues"] = values
        return put

    def _editor_changes(
        self, owner: str, wanted: frozenset[str], existing: frozenset[str]
    ) -> list[dict[str, Any]]:
        """One item per shown editor, in step with the declaration; its sort key in `by_editor` is the
        owner's id (a national id, or an SOS association's SIRET)."""
        changes: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self.table_name,
                    "Item": {
                        PK: owner,
                        SK: EDITOR_PREFIX + editor,
                        BY_EDITOR.partition_key: EDITOR_PREFIX + editor,
                        BY_EDITOR.sort_key: owner_id(owner),
                    },
                }
            }
            for editor in sorted(wanted - existing)
        ]
        changes += [
            {"Delete": {"TableName": self.table_name, "Key": {PK: owner, SK: EDITOR_PREFIX + editor}}}
            for editor in sorted(existing - wanted)
        ]
        return changes

    def owners_showing(self, editor_id: str) -> list[str]:
        """Who is due a poll of this editor (index `by_editor`, pattern 5): the effecteurs whose declaration
        shows it, and for an SOS editor the participating associations that listed it (SIRETs)."""
        query: dict[str, Any] = {
            "IndexName": BY_EDITOR.name,
            "KeyConditionExpression": KeyCondition(BY_EDITOR.partition_key).eq(EDITOR_PREFIX + editor_id),
            "ProjectionExpression": "#sk",
            "ExpressionAttributeNames": {"#sk": BY_EDITOR.sort_key},
            "Limit": DUE_PAGE_SIZE,
        }
        return [str(item[BY_EDITOR.sort_key]) for item in storage.query_all(self._table, **query)]

    def current_page(self, cursor: str | None, limit: int) -> tuple[list[Saved], str | None]:
        """A page of the territory's current declarations (pattern 15), and the cursor of the next page."""
        query: dict[str, Any] = {
            "IndexName": BY_TERRITORY.name,
            "KeyConditionExpression": KeyCondition(BY_TERRITORY.partition_key).eq(TERRITORY_KEY),
            "Limit": limit,
        }
        if cursor:
            query["ExclusiveStartKey"] = {
                BY_TERRITORY.partition_key: TERRITORY_KEY,
                BY_TERRITORY.sort_key: cursor,
                PK: cursor,
                SK: CURRENT,
            }
        page = self._table.query(**query)
        last = page.get("LastEvaluatedKey")
        return [_saved(item) for item in page["Items"]], (str(last[BY_TERRITORY.sort_key]) if last else None)

    # --- weekly visible hours (pattern 13) --------------------------------------------------------------

    def _week_key(self, national_id: str, week: str) -> dict[str, str]:
        return {PK: effecteur_pk(national_id), SK: WEEK_PREFIX + week}

    def save_week(self, national_id: str, week: str, first_day: dt.date, minutes: int, now: datetime) -> None:
        """The week's visible manual hours as they are now. Only the current week is ever written, so a
        week that is over keeps the value it had."""
        self._table.put_item(
            Item={
                **self._week_key(national_id, week),
                "week": week,
                "first_day": first_day.isoformat(),
                "visible_minutes": minutes,
                "computed_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )

    def load_week(self, national_id: str, week: str) -> dict[str, Any] | None:
        item = self._table.get_item(Key=self._week_key(national_id, week), ConsistentRead=True).get("Item")
        return dict(item) if item else None

    # --- eligibility: what indicator 8 reads (patterns 13 and 15) --------------------------------------
    # Read with the low-level client (thread-safe): an export reads many owners at the same time.

    def version_history(self, owner: str) -> list[Saved]:
        """The owner's versions, newest first (the latest `HISTORY_LIMIT`): one Query."""
        page = self._aws.dynamodb_client.query(
            TableName=self.table_name,
            KeyConditionExpression="#pk = :owner AND begins_with(#sk, :prefix)",
            ExpressionAttributeNames={"#pk": PK, "#sk": SK},
            ExpressionAttributeValues={":owner": {"S": owner}, ":prefix": {"S": VERSION_PREFIX}},
            ScanIndexForward=False,
            Limit=HISTORY_LIMIT,
        )
        return [_saved(storage.python_item(item)) for item in page["Items"]]

    def week_items(self, owner: str, iso_year: int) -> list[dict[str, Any]]:
        """The owner's `WEEK#<iso_year>-Www` items, visible minutes and editor evidence (`…#EDITOR#…`)
        alike: one Query (about 52 small items a year, and one per editor and week)."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :owner AND #sk BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {
                ":owner": {"S": owner},
                ":first": {"S": f"{WEEK_PREFIX}{iso_year}-W00"},
                ":last": {"S": f"{WEEK_PREFIX}{iso_year}-W99"},
            },
        }
        return [
            storage.python_item(item) for item in storage.query_all_wire(self._aws.dynamodb_client, query)
        ]

    def record_editor_weeks(self, editor_id: str, week: str, seen: Mapping[str, int], now: datetime) -> int:
        """Evidence for indicator 8 that the owners (partitions) had slots of this editor visible in this
        ISO week: `<owner> / WEEK#<week>#EDITOR#<editor id>`, overwritten by every answer that week (the
        last count of slots and when it was seen), 25 to a BatchWriteItem. Returns the requests made."""
        at = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writes = [
            {
                "PutRequest": {
                    "Item": storage.wire_item(
                        {
                            PK: owner,
                            SK: f"{WEEK_PREFIX}{week}{EDITOR_EVIDENCE}{editor_id}",
                            "week": week,
                            "editor_id": editor_id,
                            "slots": count,
                            "seen_at": at,
                        }
                    )
                }
            }
            for owner, count in sorted(seen.items())
        ]
        return storage.write_batches(self._aws.dynamodb_client, self.table_name, writes)


def _replacing(previous: Saved | None) -> tuple[str, dict[str, str], dict[str, Any] | None]:
    """The condition of the current pointer's put: absent, or still at the version read."""
    if previous is None:
        return "attribute_not_exists(#pk)", {"#pk": PK}, None
    return "#version = :previous", {"#version": "version"}, {":previous": previous.version}
