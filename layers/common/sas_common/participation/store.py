"""Declarations in the `participations` table (layout in sas_common.tables).

Every save is a new version, written with the current pointer and the declared-editor items in one
transaction, conditioned on the version it replaces: two concurrent saves cannot both win, a retried save
of the same content creates no new version, and nothing is ever half-written. A structure's declaration is
kept the same way under `STRUCT#<structure id>`; a participating SOS association's editors are filed in
`by_editor` under its SIRET, so that those editors are polled for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.errors import Conflict
from sas_common.fhir.codes import siret_idnst, siret_of
from sas_common.participation.rules import (
    Declaration,
    StructureDeclaration,
    polled_editors,
    shown_editors,
)
from sas_common.slots import store as slot_store
from sas_common.tables import PARTICIPATIONS, PK, SK

if TYPE_CHECKING:
    from collections.abc import Mapping

CURRENT = "DECL#CURRENT"
VERSION_PREFIX = "DECL#V#"
EDITOR_PREFIX = "EDITOR#"
TERRITORY_KEY = "TERRITORY"
HISTORY_LIMIT = 100


def declared_editor_key(editor_id: str) -> str:
    """The partition of index `by_editor` (pattern 5): everyone due a poll of this editor."""
    return EDITOR_PREFIX + editor_id


def effecteur_key(national_id: str) -> str:
    return f"EFF#{national_id}"


def structure_key(structure_id: str) -> str:
    return f"STRUCT#{structure_id}"


@dataclass(frozen=True)
class Saved:
    """A stored version: the declaration, its number, when and by whom, and the reset it answers to."""

    owner: str
    version: int
    content: dict[str, Any]
    saved_at: str
    saved_by: str
    reset_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "version": self.version,
            "saved_at": self.saved_at,
            "saved_by": self.saved_by,
            "declaration": self.content,
        }
        if self.reset_id:
            body["reset_id"] = self.reset_id
        return body


def _saved(item: Mapping[str, Any]) -> Saved:
    return Saved(
        owner=str(item[PK]),
        version=int(item["version"]),
        content=dict(item["content"]),
        saved_at=str(item["saved_at"]),
        saved_by=str(item["saved_by"]),
        reset_id=str(item["reset_id"]) if item.get("reset_id") else None,
    )


def load_current(owner: str) -> Saved | None:
    item = (
        storage.table(PARTICIPATIONS).get_item(Key={PK: owner, SK: CURRENT}, ConsistentRead=True).get("Item")
    )
    return _saved(item) if item else None


def current(national_id: str) -> Declaration | None:
    """An effecteur's current declaration, None if they never declared."""
    saved = load_current(effecteur_key(national_id))
    return Declaration.model_validate(saved.content) if saved else None


def history(owner: str) -> list[Saved]:
    """The versions, newest first (bounded)."""
    response = storage.table(PARTICIPATIONS).query(
        KeyConditionExpression=Key(PK).eq(owner) & Key(SK).begins_with(VERSION_PREFIX),
        ScanIndexForward=False,
        Limit=HISTORY_LIMIT,
    )
    return [_saved(item) for item in response["Items"]]


def save(
    owner: str,
    content: dict[str, Any],
    *,
    by: str,
    editors: frozenset[str] = frozenset(),
    reset_id: str | None = None,
    now: datetime | None = None,
) -> tuple[Saved, bool]:
    """Store `content` as the owner's new version; (saved, created). Same content again: no new version."""
    previous = load_current(owner)
    if previous is not None and previous.content == content and previous.reset_id == reset_id:
        return previous, False
    version = previous.version + 1 if previous else 1
    saved = Saved(owner, version, content, _now_text(now), by, reset_id)
    record: dict[str, Any] = {
        "version": version,
        "content": storage.to_item(content),
        "saved_at": saved.saved_at,
        "saved_by": by,
    }
    if reset_id:
        record["reset_id"] = reset_id
    table_name = storage.table(PARTICIPATIONS).name
    items: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table_name,
                "Item": {PK: owner, SK: f"{VERSION_PREFIX}{version:06d}", **record},
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": PK},
            }
        },
        {
            "Put": {
                "TableName": table_name,
                "Item": {
                    PK: owner,
                    SK: CURRENT,
                    **record,
                    "territory_pk": TERRITORY_KEY,
                    "territory_sk": owner,
                },
                **_replacing(previous),
            }
        },
    ]
    declared = _declared_editors(owner)
    items += _editor_changes(table_name, owner, editors, declared)
    try:
        # The resource's client serialises plain Python values, as the Table API does.
        storage.dynamodb().meta.client.transact_write_items(TransactItems=cast(Any, items))
    except ClientError as error:
        if error.response["Error"]["Code"] == "TransactionCanceledException":
            raise Conflict("the declaration was changed at the same time; reload and save again") from error
        raise
    _withdraw_slots(owner, declared - editors)
    return saved, True


def _withdraw_slots(owner: str, editors: frozenset[str]) -> None:
    """The slots of editors the owner no longer shows go now, not when they expire: editor slots of an
    effecteur who refused their display must never be shown (domain.md), nor those of a dropped editor."""
    kind, _, identifier = owner.partition("#")
    number = siret_of(identifier)
    slot_owner = identifier if kind == "EFF" else (siret_idnst(number) if number else None)
    if slot_owner is None:
        return
    for editor in sorted(editors):
        slot_store.remove_source(editor, slot_owner)


def _replacing(previous: Saved | None) -> dict[str, Any]:
    if previous is None:
        return {"ConditionExpression": "attribute_not_exists(#pk)", "ExpressionAttributeNames": {"#pk": PK}}
    return {
        "ConditionExpression": "#version = :previous",
        "ExpressionAttributeNames": {"#version": "version"},
        "ExpressionAttributeValues": {":previous": previous.version},
    }


def _declared_editors(owner: str) -> frozenset[str]:
    response = storage.table(PARTICIPATIONS).query(
        KeyConditionExpression=Key(PK).eq(owner) & Key(SK).begins_with(EDITOR_PREFIX)
    )
    return frozenset(str(item[SK]).removeprefix(EDITOR_PREFIX) for item in response["Items"])


def _editor_changes(
    table_name: str, owner: str, wanted: frozenset[str], existing: frozenset[str]
) -> list[dict[str, Any]]:
    """Keep one item per shown editor (pattern 5: index `by_editor`) in step with the declaration; its
    sort key is the owner's id: an effecteur's national id, or an SOS association's SIRET."""
    owner_id = owner.partition("#")[2]
    changes: list[dict[str, Any]] = [
        {
            "Put": {
                "TableName": table_name,
                "Item": {
                    PK: owner,
                    SK: EDITOR_PREFIX + editor,
                    "editor_pk": declared_editor_key(editor),
                    "editor_sk": owner_id,
                },
            }
        }
        for editor in sorted(wanted - existing)
    ]
    changes += [
        {"Delete": {"TableName": table_name, "Key": {PK: owner, SK: EDITOR_PREFIX + editor}}}
        for editor in sorted(existing - wanted)
    ]
    return changes


def save_effecteur(
    national_id: str, declaration: Declaration, *, by: str, reset_id: str | None = None
) -> tuple[Saved, bool]:
    return save(
        effecteur_key(national_id),
        declaration.model_dump(mode="json"),
        by=by,
        editors=shown_editors(declaration),
        reset_id=reset_id,
    )


def save_structure(structure_id: str, declaration: StructureDeclaration, *, by: str) -> tuple[Saved, bool]:
    return save(
        structure_key(structure_id),
        declaration.model_dump(mode="json"),
        by=by,
        editors=polled_editors(declaration),
    )


def current_structure(structure_id: str) -> StructureDeclaration | None:
    """A structure's current declaration, None if it never declared."""
    saved = load_current(structure_key(structure_id))
    return StructureDeclaration.model_validate(saved.content) if saved else None


def current_owners(cursor: str | None, limit: int) -> tuple[list[Saved], str | None]:
    """A page of current declarations of the territory (pattern 15), and the cursor of the next page."""
    index = PARTICIPATIONS.index("by_territory")
    kwargs: dict[str, Any] = {
        "IndexName": index.name,
        "KeyConditionExpression": Key(index.partition_key).eq(TERRITORY_KEY),
        "Limit": limit,
    }
    if cursor:
        kwargs["ExclusiveStartKey"] = {
            index.partition_key: TERRITORY_KEY,
            index.sort_key: cursor,
            PK: cursor,
            SK: CURRENT,
        }
    page = storage.table(PARTICIPATIONS).query(**kwargs)
    last = page.get("LastEvaluatedKey")
    return [_saved(item) for item in page["Items"]], (str(last[index.sort_key]) if last else None)


def _now_text(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
