"""The directory's side of the `effecteurs` table: what an import reads and writes, and nothing else.

The import owns a fixed set of attributes on `EFF#<id>/PROFILE` and `EFF#<id>/PLACE#<place id>` (those
`entries.py` builds, `position`, `cell` and `geocoded` on places, and the bookkeeping ones below): new
items are put, existing ones are updated with
`SET`/`REMOVE` on those attributes only, so whatever else an item holds (the effecteur's info for the
regulator, the en-sus keys participation sets) is never overwritten. `dir_hash` is a digest of the
directory content an item was last written from; an item whose digest matches is not written again.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.effecteurs.store import PLACE_PREFIX, PROFILE, effecteur_pk
from sas_common.tables import EFFECTEURS, PK, SK

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

DIR_HASH = "dir_hash"  # digest of the directory content the item was written from
DIR_PLACES = "dir_places"  # on PROFILE: ids of the places the directory lists (a string set)
IN_DIRECTORY = "in_directory"  # on PLACE: false once the directory no longer lists it (never deleted)
# On PROFILE and PLACE: who made it known when the directory did not (`editor:<id>`, sas_common.ingest,
# with in_directory=false); an import that lists the effecteur sets in_directory and removes this.
KNOWN_FROM = "known_from"
GEOCODED = "geocoded"
UPDATED_AT = "dir_updated_at"

_READ = (PK, SK, DIR_HASH, DIR_PLACES, GEOCODED, IN_DIRECTORY)
BATCH_GET_LIMIT = 100
_RETRIES = 8

Key = tuple[str, str]


def profile_key(national_id: str) -> Key:
    return effecteur_pk(national_id), PROFILE


def place_key(national_id: str, place_id: str) -> Key:
    return effecteur_pk(national_id), PLACE_PREFIX + place_id


@dataclass(frozen=True)
class Stored:
    """What an import needs to know of an item already in the table."""

    dir_hash: str | None
    dir_places: frozenset[str]
    geocoded: bool | None
    in_directory: bool | None

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> Stored:
        geocoded, in_directory = item.get(GEOCODED), item.get(IN_DIRECTORY)
        return cls(
            dir_hash=str(item[DIR_HASH]) if DIR_HASH in item else None,
            dir_places=frozenset(str(p) for p in item.get(DIR_PLACES) or ()),
            geocoded=bool(geocoded) if geocoded is not None else None,
            in_directory=bool(in_directory) if in_directory is not None else None,
        )


def _chunks(keys: Sequence[Key], size: int) -> Iterator[Sequence[Key]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


class DirectoryTable:
    """Batched reads, batched puts and targeted updates, counting every item written (`writes`)."""

    def __init__(self, table: Table | None = None) -> None:
        self.table = table or storage.table(EFFECTEURS)
        self.writes = 0

    def read(self, keys: Iterable[Key]) -> dict[Key, Stored]:
        """The bookkeeping attributes of the items that exist among `keys` (BatchGetItem, consistent)."""
        unique = list(dict.fromkeys(keys))
        found: dict[Key, Stored] = {}
        names = {f"#r{i}": name for i, name in enumerate(_READ)}
        for chunk in _chunks(unique, BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self.table.name: {
                    "Keys": [{PK: pk, SK: sk} for pk, sk in chunk],
                    "ProjectionExpression": ", ".join(names),
                    "ExpressionAttributeNames": names,
                    "ConsistentRead": True,
                }
            }
            for attempt in range(_RETRIES):
                answer = storage.dynamodb().batch_get_item(RequestItems=request)
                for item in answer["Responses"].get(self.table.name, []):
                    found[(str(item[PK]), str(item[SK]))] = Stored.of(item)
                request = dict(answer.get("UnprocessedKeys") or {})
                if not request:
                    break
                time.sleep(min(0.05 * 2**attempt, 2.0))
            else:
                raise RuntimeError("DynamoDB left keys unprocessed after retries")
        return found

    def put_all(self, items: Sequence[dict[str, Any]]) -> None:
        if not items:
            return
        with self.table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=storage.to_item(item))
        self.writes += len(items)

    def update(
        self,
        key: Key,
        *,
        set_values: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        delete_from_set: Mapping[str, set[str]] | None = None,
        must_exist: bool = False,
    ) -> bool:
        """One UpdateItem touching only the attributes named; False when `must_exist` and it does not."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        clauses: list[str] = []

        def name_of(attribute: str) -> str:
            placeholder = f"#a{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value_of(value: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = storage.to_item(value)
            return placeholder

        if set_values:
            clauses.append("SET " + ", ".join(f"{name_of(a)} = {value_of(v)}" for a, v in set_values.items()))
        removed = [name_of(a) for a in remove]
        if removed:
            clauses.append("REMOVE " + ", ".join(removed))
        if delete_from_set:
            clauses.append(
                "DELETE " + ", ".join(f"{name_of(a)} {value_of(v)}" for a, v in delete_from_set.items())
            )
        if not clauses:
            return True
        condition = f"attribute_exists({name_of(PK)})" if must_exist else None
        request: dict[str, Any] = {
            "Key": {PK: key[0], SK: key[1]},
            "UpdateExpression": " ".join(clauses),
            "ExpressionAttributeNames": names,
        }
        if values:
            request["ExpressionAttributeValues"] = values
        if condition:
            request["ConditionExpression"] = condition
        try:
            self.table.update_item(**request)
        except ClientError as error:
            if must_exist and error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        self.writes += 1
        return True
