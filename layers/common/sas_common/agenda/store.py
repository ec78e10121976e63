"""The manual agenda in the `effecteurs` table (series, unavailability) and the weekly visible hours in the
`participations` table (layouts in sas_common.tables).

A series is one item, its revisions and occurrence changes inside it, written whole under a condition on
its `version`: two edits at the same time cannot both win and nothing is ever half-written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.agenda.model import Series
from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.store import UNAVAILABILITY_PREFIX, effecteur_pk
from sas_common.tables import EFFECTEURS, PARTICIPATIONS, PK, PLATFORM_STATE, SK

SERIES_PREFIX = "AVAIL#"
WEEK_PREFIX = "WEEK#"
AGENDA_INDEX = EFFECTEURS.index("by_agenda")
AGENDA_KEY = "AGENDA"


class StaleVersion(Exception):
    """The item changed since it was read (or exists already, for a create)."""


def _conditional(write: Any, **kwargs: Any) -> None:
    try:
        write(**kwargs)
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise StaleVersion from error
        raise


def series_key(national_id: str, availability_id: str) -> dict[str, str]:
    return {PK: effecteur_pk(national_id), SK: SERIES_PREFIX + availability_id}


def _series_item(series: Series, live: bool) -> dict[str, Any]:
    item = {**series_key(series.national_id, series.id), **series.model_dump(mode="json")}
    if live:  # in the job's index (sparse: only live series carry its keys)
        item.update({AGENDA_INDEX.partition_key: AGENDA_KEY, AGENDA_INDEX.sort_key: series.national_id})
    return item


def _series(item: dict[str, Any]) -> Series:
    ignored = {PK, SK, AGENDA_INDEX.partition_key, AGENDA_INDEX.sort_key}
    return Series.model_validate({k: v for k, v in item.items() if k not in ignored})


def load_series(national_id: str, availability_id: str) -> Series | None:
    item = (
        storage.table(EFFECTEURS)
        .get_item(Key=series_key(national_id, availability_id), ConsistentRead=True)
        .get("Item")
    )
    return _series(item) if item else None


def list_series_indexed(national_id: str) -> list[tuple[Series, bool]]:
    """Every series of the effecteur (deleted days included; a few dozen items at most), each with
    whether it is in the job's index."""
    condition = Key(PK).eq(effecteur_pk(national_id)) & Key(SK).begins_with(SERIES_PREFIX)
    items = storage.query_all(EFFECTEURS, KeyConditionExpression=condition, ConsistentRead=True)
    return [(_series(item), AGENDA_INDEX.partition_key in item) for item in items]


def list_series(national_id: str) -> list[Series]:
    return [series for series, _ in list_series_indexed(national_id)]


def create_series(series: Series, *, live: bool) -> None:
    """Write a new series; `StaleVersion` if one with that id exists (a replayed create)."""
    _conditional(
        storage.table(EFFECTEURS).put_item,
        Item=_series_item(series, live),
        ConditionExpression="attribute_not_exists(#pk)",
        ExpressionAttributeNames={"#pk": PK},
    )


def replace_series(series: Series, *, read_version: int, live: bool) -> Series:
    """Write the series over the version it was read at; `StaleVersion` if that is not the stored one."""
    saved = series.model_copy(update={"version": read_version + 1})
    _conditional(
        storage.table(EFFECTEURS).put_item,
        Item=_series_item(saved, live),
        ConditionExpression="#version = :read",
        ExpressionAttributeNames={"#version": "version"},
        ExpressionAttributeValues={":read": read_version},
    )
    return saved


def delete_series(national_id: str, availability_id: str, *, read_version: int) -> None:
    _conditional(
        storage.table(EFFECTEURS).delete_item,
        Key=series_key(national_id, availability_id),
        ConditionExpression="#version = :read",
        ExpressionAttributeNames={"#version": "version"},
        ExpressionAttributeValues={":read": read_version},
    )


def retire(series: Series) -> None:
    """Take a series without days to come out of the job's index (its content is kept)."""
    # Changed meanwhile: that write decided whether it is live.
    with contextlib.suppress(StaleVersion):
        _conditional(
            storage.table(EFFECTEURS).update_item,
            Key=series_key(series.national_id, series.id),
            UpdateExpression="REMOVE #index_pk, #index_sk",
            ConditionExpression="#version = :read",
            ExpressionAttributeNames={
                "#index_pk": AGENDA_INDEX.partition_key,
                "#index_sk": AGENDA_INDEX.sort_key,
                "#version": "version",
            },
            ExpressionAttributeValues={":read": series.version},
        )


def agenda_owners(after: str | None, limit: int) -> tuple[list[str], bool]:
    """A page of national ids having live series, in order, after `after`; and whether more may follow."""
    owner_key = Key(AGENDA_INDEX.partition_key).eq(AGENDA_KEY)
    condition = owner_key if after is None else owner_key & Key(AGENDA_INDEX.sort_key).gt(after)
    page = storage.table(EFFECTEURS).query(
        IndexName=AGENDA_INDEX.name, KeyConditionExpression=condition, Limit=limit
    )
    owners: list[str] = []
    for item in page["Items"]:
        owner = str(item[AGENDA_INDEX.sort_key])
        if not owners or owners[-1] != owner:  # one item per live series: an owner comes once per series
            owners.append(owner)
    return owners, "LastEvaluatedKey" in page


def unavailability_key(national_id: str, place_id: str) -> dict[str, str]:
    return {PK: effecteur_pk(national_id), SK: UNAVAILABILITY_PREFIX + place_id}


def load_unavailabilities(national_id: str) -> dict[str, Unavailability]:
    """The effecteur's unavailability by place id (strongly consistent: read right after a change)."""
    condition = Key(PK).eq(effecteur_pk(national_id)) & Key(SK).begins_with(UNAVAILABILITY_PREFIX)
    page = storage.table(EFFECTEURS).query(KeyConditionExpression=condition, ConsistentRead=True)
    found = [
        Unavailability.model_validate({k: v for k, v in i.items() if k not in (PK, SK)})
        for i in page["Items"]
    ]
    return {unavailability.place_id: unavailability for unavailability in found}


def save_unavailability(national_id: str, place_id: str, unavailability: Unavailability | None) -> None:
    key = unavailability_key(national_id, place_id)
    if unavailability is None:
        storage.table(EFFECTEURS).delete_item(Key=key)
        return
    storage.table(EFFECTEURS).put_item(
        Item={**key, **unavailability.model_dump(mode="json", exclude_none=True)}
    )


def week_key(national_id: str, week: str) -> dict[str, str]:
    return {PK: effecteur_pk(national_id), SK: WEEK_PREFIX + week}


def save_week(national_id: str, week: str, first_day: dt.date, minutes: int, now: datetime) -> None:
    """The week's visible manual hours as they are now (pattern 13). Only the current week is ever
    written, so a week that is over keeps the value it had."""
    storage.table(PARTICIPATIONS).put_item(
        Item={
            **week_key(national_id, week),
            "week": week,
            "first_day": first_day.isoformat(),
            "visible_minutes": minutes,
            "computed_at": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def load_week(national_id: str, week: str) -> dict[str, Any] | None:
    item = (
        storage.table(PARTICIPATIONS)
        .get_item(Key=week_key(national_id, week), ConsistentRead=True)
        .get("Item")
    )
    return dict(item) if item else None


# The materialisation job's progress through the index (platform_state).
JOB_CURSOR_KEY = {PK: "JOB#materialise-agenda", SK: "CURSOR"}


def load_job_cursor() -> dict[str, Any]:
    return dict(
        storage.table(PLATFORM_STATE).get_item(Key=JOB_CURSOR_KEY, ConsistentRead=True).get("Item") or {}
    )


def save_job_cursor(day: dt.date, after: str | None, done: bool) -> None:
    item: dict[str, Any] = {**JOB_CURSOR_KEY, "day": day.isoformat(), "done": done}
    if after is not None:
        item["after"] = after
    storage.table(PLATFORM_STATE).put_item(Item=item)
