"""The `effecteurs` table: directory entries, places, delegates, manual agenda series, unavailability.

    EFF#<national id> / PROFILE                   names, specialty, phone, info for the regulator
    EFF#<national id> / PLACE#<place id>          a place of practice (address, position, cell, en-sus keys)
    EFF#<national id> / UNAVAIL#<place id>        a place's unavailability
    EFF#<national id> / AVAIL#<availability id>   a manual series, its revisions and day changes inside it
    EFF#<national id> / DELEGATE#<delegate id>    a delegate request or approval
    STRUCT#<structure id> / PROFILE | PLACE#…     a structure (an SOS association: its sites are its places)

A series is one item written whole under a condition on its `version`: two edits at the same time cannot
both win, and nothing is ever half-written. The directory import owns a fixed set of attributes on
PROFILE and PLACE items (`DirectoryTable`): it sets and removes those only, so what the effecteur entered
(their info for the regulator, the en-sus keys participation sets) is never overwritten.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key as KeyCondition

from sas_common import storage
from sas_common.agenda.model import Series
from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.delegates import Delegate, DelegateStatus
from sas_common.effecteurs.model import Card, Effecteur, Place, RegulatorInfo
from sas_common.errors import StaleWrite
from sas_common.geo import cell_of
from sas_common.stores.clients import AwsClients
from sas_common.tables import EFFECTEUR_PREFIX, EFFECTEURS, PK, SK, effecteur_pk

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

PROFILE = "PROFILE"
PLACE_PREFIX = "PLACE#"
DELEGATE_PREFIX = "DELEGATE#"
UNAVAILABILITY_PREFIX = "UNAVAIL#"
SERIES_PREFIX = "AVAIL#"
# The card's items sort from DELEGATE# on (DELEGATE#, PLACE#, PROFILE, UNAVAIL#); series (AVAIL#) sort
# before and are not read with the card.
CARD_FROM = DELEGATE_PREFIX
EN_SUS = EFFECTEURS.index("by_ensus_cell")
# The materialisation job's index: effecteurs with series that still have days to come (`agenda_pk =
# AGENDA`, `agenda_sk = <national id>`, set on live AVAIL# items only), read page by page, never scanned.
AGENDA_INDEX = EFFECTEURS.index("by_agenda")
AGENDA_KEY = "AGENDA"


def _strip(item: Mapping[str, Any], *also: str) -> dict[str, Any]:
    """An item's attributes as its model reads them: without the key, and without the attributes named."""
    return {k: v for k, v in item.items() if k not in (PK, SK, *also)}


class EffecteurStore:
    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name

    @cached_property
    def _table(self) -> Table:
        return self._aws.dynamodb.Table(self.table_name)

    # --- the card (pattern 4) ------------------------------------------------------------------------

    def load_card(self, national_id: str) -> Card | None:
        """Profile, places, unavailability and approved delegates: one Query of a few items."""
        condition = KeyCondition(PK).eq(effecteur_pk(national_id)) & KeyCondition(SK).gte(CARD_FROM)
        items = storage.query_all(self._table, KeyConditionExpression=condition)
        profile = next((item for item in items if item[SK] == PROFILE), None)
        if profile is None:
            return None

        def of_kind(prefix: str) -> list[dict[str, Any]]:
            return [item for item in items if str(item[SK]).startswith(prefix)]

        return Card.model_validate(
            {
                **_strip(profile),
                "places": [Place.model_validate(_strip(item)) for item in of_kind(PLACE_PREFIX)],
                "approved_delegates": frozenset(
                    str(item["subject"])
                    for item in of_kind(DELEGATE_PREFIX)
                    if item.get("status") == DelegateStatus.APPROVED.value
                ),
                "unavailabilities": [
                    Unavailability.model_validate(_strip(item)) for item in of_kind(UNAVAILABILITY_PREFIX)
                ],
            }
        )

    def exists(self, national_id: str) -> bool:
        """Is the effecteur in this territory's table: one GetItem on its profile, keys only."""
        found = self._table.get_item(
            Key={PK: effecteur_pk(national_id), SK: PROFILE},
            ProjectionExpression="#pk",
            ExpressionAttributeNames={"#pk": PK},
        )
        return "Item" in found

    def put_effecteur(self, effecteur: Effecteur, places: Sequence[Place]) -> None:
        """Write a profile and its places in one batch."""
        pk = effecteur_pk(effecteur.national_id)
        with self._table.batch_writer() as batch:
            batch.put_item(Item={PK: pk, SK: PROFILE, **effecteur.model_dump(mode="json", exclude_none=True)})
            for place in places:
                item = {
                    PK: pk,
                    SK: PLACE_PREFIX + place.id,
                    **place.model_dump(mode="json", exclude_none=True),
                }
                batch.put_item(Item=storage.to_item(item))

    def update_regulator_info(self, national_id: str, info: RegulatorInfo) -> bool:
        """Replace the info for the regulator, that attribute only (a directory import never touches it);
        False when the effecteur is unknown."""
        written = storage.unless_condition_fails(
            lambda: self._table.update_item(
                Key={PK: effecteur_pk(national_id), SK: PROFILE},
                UpdateExpression="SET regulator_info = :info",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
                ExpressionAttributeValues={
                    ":info": storage.to_item(info.model_dump(mode="json", exclude_none=True))
                },
            )
        )
        return written is not None

    def file_for_en_sus(self, card: Card, accepting: bool) -> None:
        """Put the effecteur's places in the en-sus directory (index `by_ensus_cell`, pattern 3), or take
        them out: only geocoded places still in the directory, of an effecteur who accepts extra patients."""
        for place in card.places:
            key = {PK: effecteur_pk(card.national_id), SK: PLACE_PREFIX + place.id}
            if accepting and place.position is not None and place.in_directory:
                self._table.update_item(
                    Key=key,
                    UpdateExpression="SET #cell = :cell, #sk = :sk",
                    ExpressionAttributeNames={"#cell": EN_SUS.partition_key, "#sk": EN_SUS.sort_key},
                    ExpressionAttributeValues={
                        ":cell": cell_of(place.position),
                        ":sk": f"{card.national_id}#{place.id}",
                    },
                )
            else:
                self._table.update_item(
                    Key=key,
                    UpdateExpression="REMOVE #cell, #sk",
                    ExpressionAttributeNames={"#cell": EN_SUS.partition_key, "#sk": EN_SUS.sort_key},
                )

    def en_sus_places(self, cell: str) -> list[tuple[str, Place]]:
        """(national id, place) of the en-sus directory's places in an h3 cell (pattern 3): one Query, the
        index projecting the whole place."""
        condition = KeyCondition(EN_SUS.partition_key).eq(cell)
        items = storage.query_all(self._table, IndexName=EN_SUS.name, KeyConditionExpression=condition)
        return [
            (str(item[PK]).removeprefix(EFFECTEUR_PREFIX), Place.model_validate(_strip(item)))
            for item in items
        ]

    def owner_items(
        self, owner_pks: Iterable[str], places: Iterable[tuple[str, str]]
    ) -> tuple[dict[str, Effecteur], dict[tuple[str, str], Place], dict[tuple[str, str], Unavailability]]:
        """What search shows of the owners of a page of slots, read together (BatchGetItem, 100 keys a
        request): their profiles, and each (owner, place)'s place and unavailability. Absent items are
        absent from the answers (an association has no profile)."""
        keys = [{PK: pk, SK: PROFILE} for pk in dict.fromkeys(owner_pks)]
        for pk, place_id in dict.fromkeys(places):
            keys += [{PK: pk, SK: PLACE_PREFIX + place_id}, {PK: pk, SK: UNAVAILABILITY_PREFIX + place_id}]
        profiles: dict[str, Effecteur] = {}
        found_places: dict[tuple[str, str], Place] = {}
        unavailability: dict[tuple[str, str], Unavailability] = {}
        for item in storage.batch_get_plain(self._aws.dynamodb_client, self.table_name, keys):
            pk, sk = str(item[PK]), str(item[SK])
            if sk == PROFILE:
                profiles[pk] = Effecteur.model_validate(_strip(item))
            elif sk.startswith(PLACE_PREFIX):
                found_places[(pk, sk.removeprefix(PLACE_PREFIX))] = Place.model_validate(_strip(item))
            else:
                unavailability[(pk, sk.removeprefix(UNAVAILABILITY_PREFIX))] = Unavailability.model_validate(
                    _strip(item)
                )
        return profiles, found_places, unavailability

    # --- what an editor's answer makes known (sas_common.ingest) -------------------------------------

    def profile_and_places(self, owner_pk: str) -> tuple[bool, list[Place]]:
        """Whether the partition has a profile, and its places: one Query, as places sort just before the
        profile (`PLACE#…` < `PROFILE`)."""
        condition = KeyCondition(PK).eq(owner_pk) & KeyCondition(SK).between(PLACE_PREFIX, PROFILE)
        items = storage.query_all(self._table, KeyConditionExpression=condition, ConsistentRead=True)
        places = [
            Place.model_validate(_strip(item)) for item in items if str(item[SK]).startswith(PLACE_PREFIX)
        ]
        return any(item[SK] == PROFILE for item in items), places

    def put_places(self, owner_pk: str, places: Sequence[Place]) -> None:
        """Write new places in one batch; a geocoded one carries its cell, as the directory's places do."""
        if not places:
            return
        with self._table.batch_writer() as batch:
            for place in places:
                item = {
                    PK: owner_pk,
                    SK: PLACE_PREFIX + place.id,
                    **place.model_dump(mode="json", exclude_none=True),
                }
                if place.position is not None:
                    item["cell"] = cell_of(place.position)
                batch.put_item(Item=storage.to_item(item))

    def existing_profiles(self, national_ids: Iterable[str]) -> set[str]:
        """Which of these effecteurs have a profile: BatchGetItem on the keys only."""
        wanted = list(dict.fromkeys(national_ids))
        keys = [{PK: effecteur_pk(national_id), SK: PROFILE} for national_id in wanted]
        found = storage.batch_get(
            self._aws.dynamodb,
            self.table_name,
            keys,
            ProjectionExpression="#pk",
            ExpressionAttributeNames={"#pk": PK},
        )
        by_pk = {effecteur_pk(national_id): national_id for national_id in wanted}
        return {by_pk[str(item[PK])] for item in found}

    def create_profile(self, effecteur: Effecteur) -> bool:
        """Put a profile unless one exists (a directory import or another poll may have written it first)."""
        item = {
            PK: effecteur_pk(effecteur.national_id),
            SK: PROFILE,
            **storage.to_item(effecteur.model_dump(mode="json", exclude_none=True)),
        }
        written = storage.unless_condition_fails(
            lambda: self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
            )
        )
        return written is not None

    # --- delegates --------------------------------------------------------------------------------------

    def _delegate_key(self, national_id: str, delegate_id: str) -> dict[str, str]:
        return {PK: effecteur_pk(national_id), SK: DELEGATE_PREFIX + delegate_id}

    def add_delegate(self, national_id: str, delegate: Delegate) -> bool:
        """Record a request unless one with its id exists (a replay); whether it was written. The subject a
        delegate logs in with is the request's e-mail, lower-cased."""
        item = {
            **self._delegate_key(national_id, delegate.id),
            **delegate.model_dump(mode="json", exclude_none=True),
            "subject": delegate.email.lower(),
        }
        written = storage.unless_condition_fails(
            lambda: self._table.put_item(
                Item=item,
                ConditionExpression="attribute_not_exists(#pk)",
                ExpressionAttributeNames={"#pk": PK},
            )
        )
        return written is not None

    def load_delegate(self, national_id: str, delegate_id: str) -> Delegate | None:
        item = self._table.get_item(
            Key=self._delegate_key(national_id, delegate_id), ConsistentRead=True
        ).get("Item")
        return Delegate.model_validate(_strip(item, "subject")) if item else None

    def approve_delegate(self, national_id: str, delegate_id: str, at: str) -> Delegate | None:
        """Mark a request approved (the first approval's time is kept); None when there is no such request."""
        answer = storage.unless_condition_fails(
            lambda: self._table.update_item(
                Key=self._delegate_key(national_id, delegate_id),
                UpdateExpression="SET #status = :approved, approved_at = if_not_exists(approved_at, :now)",
                ConditionExpression="attribute_exists(#pk)",
                ExpressionAttributeNames={"#status": "status", "#pk": PK},
                ExpressionAttributeValues={":approved": DelegateStatus.APPROVED.value, ":now": at},
                ReturnValues="ALL_NEW",
            )
        )
        return Delegate.model_validate(_strip(answer["Attributes"], "subject")) if answer else None

    # --- manual agenda series (pattern 8) ---------------------------------------------------------------

    def _series_key(self, national_id: str, availability_id: str) -> dict[str, str]:
        return {PK: effecteur_pk(national_id), SK: SERIES_PREFIX + availability_id}

    def _series_item(self, series: Series, live: bool) -> dict[str, Any]:
        item = {**self._series_key(series.national_id, series.id), **series.model_dump(mode="json")}
        if live:  # in the job's index (sparse: only live series carry its keys)
            item.update({AGENDA_INDEX.partition_key: AGENDA_KEY, AGENDA_INDEX.sort_key: series.national_id})
        return item

    @staticmethod
    def _series(item: Mapping[str, Any]) -> Series:
        return Series.model_validate(_strip(item, AGENDA_INDEX.partition_key, AGENDA_INDEX.sort_key))

    def _conditional(self, write: Any, **request: Any) -> None:
        """A conditional write; `StaleWrite` when the item changed since it was read (or exists already)."""
        if storage.unless_condition_fails(lambda: write(**request)) is None:
            raise StaleWrite(self.table_name)

    def load_series(self, national_id: str, availability_id: str) -> Series | None:
        item = self._table.get_item(
            Key=self._series_key(national_id, availability_id), ConsistentRead=True
        ).get("Item")
        return self._series(item) if item else None

    def list_series_indexed(self, national_id: str) -> list[tuple[Series, bool]]:
        """Every series of the effecteur (deleted days included; a few dozen items at most), each with
        whether it is in the job's index."""
        condition = KeyCondition(PK).eq(effecteur_pk(national_id)) & KeyCondition(SK).begins_with(
            SERIES_PREFIX
        )
        items = storage.query_all(self._table, KeyConditionExpression=condition, ConsistentRead=True)
        return [(self._series(item), AGENDA_INDEX.partition_key in item) for item in items]

    def list_series(self, national_id: str) -> list[Series]:
        return [series for series, _ in self.list_series_indexed(national_id)]

    def create_series(self, series: Series, *, live: bool) -> None:
        """Write a new series; `StaleWrite` if one with that id exists (a replayed create)."""
        self._conditional(
            self._table.put_item,
            Item=self._series_item(series, live),
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
        )

    def replace_series(self, series: Series, *, read_version: int, live: bool) -> Series:
        """Write the series over the version it was read at; `StaleWrite` if that is not the stored one."""
        saved = series.model_copy(update={"version": read_version + 1})
        self._conditional(
            self._table.put_item,
            Item=self._series_item(saved, live),
            ConditionExpression="#version = :read",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":read": read_version},
        )
        return saved

    def delete_series(self, national_id: str, availability_id: str, *, read_version: int) -> None:
        self._conditional(
            self._table.delete_item,
            Key=self._series_key(national_id, availability_id),
            ConditionExpression="#version = :read",
            ExpressionAttributeNames={"#version": "version"},
            ExpressionAttributeValues={":read": read_version},
        )

    def retire_series(self, series: Series) -> None:
        """Take a series without days to come out of the job's index (its content is kept)."""
        with contextlib.suppress(StaleWrite):  # changed meanwhile: that write decided whether it is live
            self._conditional(
                self._table.update_item,
                Key=self._series_key(series.national_id, series.id),
                UpdateExpression="REMOVE #index_pk, #index_sk",
                ConditionExpression="#version = :read",
                ExpressionAttributeNames={
                    "#index_pk": AGENDA_INDEX.partition_key,
                    "#index_sk": AGENDA_INDEX.sort_key,
                    "#version": "version",
                },
                ExpressionAttributeValues={":read": series.version},
            )

    def agenda_owners(self, after: str | None, limit: int) -> tuple[list[str], bool]:
        """A page of national ids having live series, in order, after `after`; and whether more may follow."""
        owner_key = KeyCondition(AGENDA_INDEX.partition_key).eq(AGENDA_KEY)
        condition = owner_key if after is None else owner_key & KeyCondition(AGENDA_INDEX.sort_key).gt(after)
        page = self._table.query(IndexName=AGENDA_INDEX.name, KeyConditionExpression=condition, Limit=limit)
        owners: list[str] = []
        for item in page["Items"]:
            owner = str(item[AGENDA_INDEX.sort_key])
            if not owners or owners[-1] != owner:  # one item per live series: an owner comes once per series
                owners.append(owner)
        return owners, "LastEvaluatedKey" in page

    # --- unavailability (pattern 9) ---------------------------------------------------------------------

    def load_unavailabilities(self, national_id: str) -> dict[str, Unavailability]:
        """The effecteur's unavailability by place id (strongly consistent: read right after a change)."""
        condition = KeyCondition(PK).eq(effecteur_pk(national_id)) & KeyCondition(SK).begins_with(
            UNAVAILABILITY_PREFIX
        )
        items = storage.query_all(self._table, KeyConditionExpression=condition, ConsistentRead=True)
        found = [Unavailability.model_validate(_strip(item)) for item in items]
        return {unavailability.place_id: unavailability for unavailability in found}

    def save_unavailability(
        self, national_id: str, place_id: str, unavailability: Unavailability | None
    ) -> None:
        key = {PK: effecteur_pk(national_id), SK: UNAVAILABILITY_PREFIX + place_id}
        if unavailability is None:
            self._table.delete_item(Key=key)
            return
        self._table.put_item(Item={**key, **unavailability.model_dump(mode="json", exclude_none=True)})

    # --- the directory import ---------------------------------------------------------------------------

    def directory_table(self) -> DirectoryTable:
        return DirectoryTable(self._aws, self.table_name)

    # --- eligibility: names for the exports ------------------------------------------------------------

    def names(self, national_ids: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
        """(last name, first name) of each effecteur found, 100 to a BatchGetItem."""
        keys = [{PK: effecteur_pk(national_id), SK: PROFILE} for national_id in dict.fromkeys(national_ids)]
        found = storage.batch_get(
            self._aws.dynamodb,
            self.table_name,
            keys,
            ProjectionExpression="#pk, last_name, first_name",
            ExpressionAttributeNames={"#pk": PK},
        )
        return {
            str(item[PK]).removeprefix(EFFECTEUR_PREFIX): (item.get("last_name"), item.get("first_name"))
            for item in found
        }


# The directory import's attributes (sas_common.directory.importer writes these and no others).
DIR_HASH = "dir_hash"  # digest of the directory content the item was written from
DIR_PLACES = "dir_places"  # on PROFILE: ids of the places the directory lists (a string set)
IN_DIRECTORY = "in_directory"  # on PLACE: false once the directory no longer lists it (never deleted)
# On PROFILE and PLACE: who made it known when the directory did not (`editor:<id>`, sas_common.ingest,
# with in_directory=false); an import that lists the effecteur sets in_directory and removes this.
KNOWN_FROM = "known_from"
GEOCODED = "geocoded"
UPDATED_AT = "dir_updated_at"
_DIRECTORY_READ = (PK, SK, DIR_HASH, DIR_PLACES, GEOCODED, IN_DIRECTORY)

ItemKey = tuple[str, str]


def profile_key(national_id: str) -> ItemKey:
    return effecteur_pk(national_id), PROFILE


def place_key(national_id: str, place_id: str) -> ItemKey:
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


class DirectoryTable:
    """The directory import's side of the table: batched reads, batched puts and targeted updates of its
    own attributes, counting every item written (`writes`)."""

    def __init__(self, aws: AwsClients, table_name: str) -> None:
        self._aws = aws
        self.table_name = table_name
        self.writes = 0

    @cached_property
    def _table(self) -> Table:
        return self._aws.dynamodb.Table(self.table_name)

    def read(self, keys: Iterable[ItemKey]) -> dict[ItemKey, Stored]:
        """The bookkeeping attributes of the items that exist among `keys` (BatchGetItem, consistent)."""
        names = {f"#r{i}": name for i, name in enumerate(_DIRECTORY_READ)}
        items = storage.batch_get(
            self._aws.dynamodb,
            self.table_name,
            [{PK: pk, SK: sk} for pk, sk in dict.fromkeys(keys)],
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ConsistentRead=True,
        )
        return {(str(item[PK]), str(item[SK])): Stored.of(item) for item in items}

    def put_all(self, items: Sequence[dict[str, Any]]) -> None:
        if not items:
            return
        with self._table.batch_writer() as batch:
            for item in items:
                batch.put_item(Item=storage.to_item(item))
        self.writes += len(items)

    def update(
        self,
        key: ItemKey,
        *,
        set_values: Mapping[str, Any] | None = None,
        remove: Iterable[str] = (),
        delete_from_set: Mapping[str, set[str]] | None = None,
        must_exist: bool = False,
    ) -> bool:
        """One UpdateItem touching only the attributes named; False when `must_exist` and it does not."""
        request = _update_request(key, set_values or {}, list(remove), delete_from_set or {})
        if request is None:
            return True
        if must_exist:
            request["ConditionExpression"] = f"attribute_exists({_add_name(request, PK)})"
        if storage.unless_condition_fails(lambda: self._table.update_item(**request)) is None:
            return False
        self.writes += 1
        return True


def _add_name(request: dict[str, Any], attribute: str) -> str:
    names: dict[str, str] = request["ExpressionAttributeNames"]
    placeholder = f"#a{len(names)}"
    names[placeholder] = attribute
    return placeholder


def _update_request(
    key: ItemKey, set_values: Mapping[str, Any], remove: list[str], delete_from_set: Mapping[str, set[str]]
) -> dict[str, Any] | None:
    """The UpdateItem request for SET / REMOVE / DELETE clauses on these attributes; None when empty."""
    request: dict[str, Any] = {"Key": {PK: key[0], SK: key[1]}, "ExpressionAttributeNames": {}}
    values: dict[str, Any] = {}

    def value_of(value: Any) -> str:
        placeholder = f":v{len(values)}"
        values[placeholder] = storage.to_item(value)
        return placeholder

    clauses = []
    if set_values:
        pairs = [f"{_add_name(request, a)} = {value_of(v)}" for a, v in set_values.items()]
        clauses.append("SET " + ", ".join(pairs))
    if remove:
        clauses.append("REMOVE " + ", ".join(_add_name(request, a) for a in remove))
    if delete_from_set:
        pairs = [f"{_add_name(request, a)} {value_of(v)}" for a, v in delete_from_set.items()]
        clauses.append("DELETE " + ", ".join(pairs))
    if not clauses:
        return None
    request["UpdateExpression"] = " ".join(clauses)
    if values:
        request["ExpressionAttributeValues"] = values
    return request
