"""The `regulation` table's regulator accounts and their editors' sync states (flow INT_R02, pattern 21).

    REG#<regulator id> / ACCOUNT                    the account and its `version`
    REG#<regulator id> / ACCOUNT#SYNC#<editor id>   a level-2 editor's state of one version of it

One consistent Query (`begins_with(sk, "ACCOUNT")`) reads an account with its states; the shifts of the same
partition (`SHIFT#`, `MONTH#`: sas_common.stores.regulation) are never in its range.

Every write is conditional. A save writes the account on the version it read and resets each receiving
editor's state to `pending` for the new version, in one transaction (a concurrent save fails it:
StaleWrite). A sending settles an editor's state only while it is still `pending` for the version it sent,
so a late or repeated message never overwrites a newer version's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.errors import StaleWrite
from sas_common.regulators.model import EditorSync, RegulatorAccount, SyncState
from sas_common.stores.clients import AwsClients
from sas_common.tables import PK, SK

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

REGULATOR_PREFIX = "REG#"  # the partition of sas_common.stores.regulation too
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


class RegulatorStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name

    @property
    def _client(self) -> DynamoDBClient:
        return self._aws.dynamodb_client

    def load(self, regulator_id: str) -> tuple[RegulatorAccount | None, list[EditorSync]]:
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

    def save_version(self, account: RegulatorAccount, read_version: int, editor_ids: Sequence[str]) -> None:
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

    def record_attempt(self, regulator_id: str, editor_id: str, version: int, error: str) -> bool:
        """One more attempt that a retry may fix (the state stays pending); False if no longer pending."""
        return self._while_pending(
            regulator_id,
            editor_id,
            version,
            f"SET {_ONE_MORE_ATTEMPT}, last_error = :error",
            {":error": {"S": error}},
        )

    def settle(self, regulator_id: str, version: int, outcome: EditorSync) -> bool:
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
