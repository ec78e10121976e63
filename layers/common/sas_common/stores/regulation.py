"""The `regulation` table: liberal regulators' shifts (pattern 18) and their accounts (pattern 21).

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

The same partitions hold the regulator accounts sent to level-2 editors (flow INT_R02, pattern 21):

    REG#<regulator id> / ACCOUNT                    the account and its `version`
    REG#<regulator id> / ACCOUNT#SYNC#<editor id>   a level-2 editor's state of one version of it

One consistent Query (`begins_with(sk, "ACCOUNT")`) reads an account with its states; the shifts and
months are never in its range. Every write is conditional. A save writes the account on the version it read
and resets each receiving editor's state to `pending` for the new version, in one transaction (a concurrent
save fails it: StaleWrite). A sending settles an editor's state only while it is still `pending` for the
version it sent, so a late or repeated message never overwrites a newer version's state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.eligibility.shifts import Shift
from sas_common.errors import StaleWrite
from sas_common.regulators.model import EditorSync, RegulatorAccount, SyncState
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
ACCOUNT_SK = "ACCOUNT"
SYNC_PREFIX = "ACCOUNT#SYNC#"
MAX_EDITORS = 99  # a transaction writes at most 100 items: the account and one state per editor
_ONE_MORE_ATTEMPT = "attempts = if_not_exists(attempts, :zero) + :one"


def regulator_pk(regulator_id: str) -> str:
    return REGULATOR_PREFIX + regulator_id


def _key(regulator_id: str, sk: str) -> dict[str, Any]:
    return {PK: {"S": regulator_pk(regulator_id)}, SK: {"S": sk}}


def _optional_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _account(item: dict[str, Any]) -> RegulatorAccount:
    return RegulatorAccount(
        regulator_id=str(item["regulator_id"]),
        identifier=str(item["identifier"]),
        family_name=str(item["family_name"]),
        given_name=str(item["given_name"]) if item.get("given_name") else None,
        email=str(item["email"]) if item.get("email") else None,
        active=bool(item["active"]),
        removed=bool(item.get("removed", False)),
        version=int(item["version"]),
        updated_at=datetime.fromisoformat(str(item["updated_at"])),
    )


def _sync(item: dict[str, Any]) -> EditorSync:
    return EditorSync(
        editor_id=str(item["editor_id"]),
        version=int(item["version"]),
        state=SyncState(str(item["state"])),
        attempts=int(item.get("attempts", 0)),
        known=bool(item.get("known", False)),
        at=_optional_time(item.get("at")),
        editor_status=int(item["editor_status"]) if item.get("editor_status") is not None else None,
        reason=str(item["reason"]) if item.get("reason") else None,
        last_error=str(item["last_error"]) if item.get("last_error") else None,
    )


def _account_item(account: RegulatorAccount) -> dict[str, Any]:
    item: dict[str, Any] = {
        PK: regulator_pk(account.regulator_id),
        SK: ACCOUNT_SK,
        "regulator_id": account.regulator_id,
        "identifier": account.identifier,
        "family_name": account.family_name,
        "active": account.active,
        "removed": account.removed,
        "version": account.version,
        "updated_at": account.updated_at.isoformat(),
    }
    optional = {"given_name": account.given_name, "email": account.email}
    item.update({name: value for name, value in optional.items() if value is not None})
    return item


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

    # --- accounts sent to level-2 editors (INT_R02, pattern 21) -------------------------------------------

    def load_account(self, regulator_id: str) -> tuple[RegulatorAccount | None, list[EditorSync]]:
        """The account (None if never saved) and every editor's state of it: one consistent Query."""
        query: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :account)",
            "ExpressionAttributeNames": {"#pk": PK, "#sk": SK},
            "ExpressionAttributeValues": {
                ":pk": {"S": regulator_pk(regulator_id)},
                ":account": {"S": ACCOUNT_SK},
            },
            "ConsistentRead": True,
        }
        items = [storage.python_item(item) for item in storage.query_all_wire(self._client, query)]
        account = next((_account(item) for item in items if item[SK] == ACCOUNT_SK), None)
        return account, [_sync(item) for item in items if str(item[SK]).startswith(SYNC_PREFIX)]

    def save_account_version(
        self, account: RegulatorAccount, read_version: int, editor_ids: Sequence[str]
    ) -> None:
        """Write `account` (its version following `read_version`, 0: none) and every editor's state of it,
        `pending`, in one transaction; StaleWrite if the account changed since it was read."""
        if len(editor_ids) > MAX_EDITORS:
            raise ValueError(f"at most {MAX_EDITORS} level-2 editors per territory")
        put: dict[str, Any] = {
            "TableName": self.table_name,
            "Item": storage.wire_item(_account_item(account)),
        }
        if read_version == 0:
            put["ConditionExpression"] = "attribute_not_exists(#pk)"
            put["ExpressionAttributeNames"] = {"#pk": PK}
        else:
            put["ConditionExpression"] = "#version = :read"
            put["ExpressionAttributeNames"] = {"#version": "version"}
            put["ExpressionAttributeValues"] = {":read": {"N": str(read_version)}}
        writes = [{"Put": put}, *(self._pending(account, editor_id) for editor_id in editor_ids)]
        try:
            self._client.transact_write_items(TransactItems=writes)  # type: ignore[arg-type]
        except ClientError as error:
            if storage.error_code(error) == storage.TRANSACTION_CANCELED:
                raise StaleWrite(regulator_pk(account.regulator_id)) from error
            raise

    def _pending(self, account: RegulatorAccount, editor_id: str) -> dict[str, Any]:
        """An editor's state reset to `pending` for the account's version (`known` kept)."""
        return {
            "Update": {
                "TableName": self.table_name,
                "Key": _key(account.regulator_id, SYNC_PREFIX + editor_id),
                "UpdateExpression": "SET #version = :version, #state = :pending, attempts = :zero, "
                "editor_id = :editor REMOVE #at, editor_status, reason, last_error",
                "ConditionExpression": "attribute_not_exists(#pk) OR #version < :version",
                "ExpressionAttributeNames": {
                    "#pk": PK,
                    "#version": "version",
                    "#state": "state",
                    "#at": "at",
                },
                "ExpressionAttributeValues": {
                    ":version": {"N": str(account.version)},
                    ":pending": {"S": SyncState.PENDING.value},
                    ":zero": {"N": "0"},
                    ":editor": {"S": editor_id},
                },
            }
        }

    def _while_pending(
        self, regulator_id: str, editor_id: str, version: int, update: str, values: dict[str, Any]
    ) -> bool:
        """Apply `update` to the editor's state if it is still pending for `version`; False otherwise."""
        names = {"#version": "version", "#state": "state"}
        if "#at" in update:
            names["#at"] = "at"
        done = storage.unless_condition_fails(
            lambda: self._client.update_item(
                TableName=self.table_name,
                Key=_key(regulator_id, SYNC_PREFIX + editor_id),
                UpdateExpression=update,
                ConditionExpression="#version = :version AND #state = :pending",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues={
                    ":version": {"N": str(version)},
                    ":pending": {"S": SyncState.PENDING.value},
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    **values,
                },
            )
        )
        return done is not None

    def record_sync_attempt(self, regulator_id: str, editor_id: str, version: int, error: str) -> bool:
        """One more attempt that a retry may fix (the state stays pending); False if no longer pending."""
        return self._while_pending(
            regulator_id,
            editor_id,
            version,
            f"SET {_ONE_MORE_ATTEMPT}, last_error = :error",
            {":error": {"S": error}},
        )

    def settle_sync(self, regulator_id: str, version: int, outcome: EditorSync) -> bool:
        """The editor's answer to `version` (`outcome`: its state, time, HTTP status, and reason when
        failed): `synced` also records that the editor knows the account. False (nothing written) if the
        state is no longer pending for that version."""
        if outcome.state is SyncState.PENDING or outcome.at is None:
            raise ValueError("an outcome is synced or failed, at a time")
        values: dict[str, Any] = {
            ":state": {"S": outcome.state.value},
            ":at": {"S": outcome.at.isoformat()},
            ":status": {"N": str(outcome.editor_status or 0)},
        }
        update = f"SET #state = :state, #at = :at, editor_status = :status, {_ONE_MORE_ATTEMPT}"
        if outcome.state is SyncState.SYNCED:
            update += ", known = :known REMOVE reason, last_error"
            values[":known"] = {"BOOL": True}
        else:
            update += ", reason = :reason REMOVE last_error"
            values[":reason"] = {"S": outcome.reason or "refused"}
        return self._while_pending(regulator_id, outcome.editor_id, version, update, values)
