"""Effecteurs in the `effecteurs` table (keys documented in sas_common.tables)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.model import Card, Effecteur, Place, RegulatorInfo
from sas_common.errors import NotFound
from sas_common.geo import cell_of
from sas_common.settings import get_settings
from sas_common.tables import EFFECTEURS, PK, SK

PROFILE = "PROFILE"
PLACE_PREFIX = "PLACE#"
DELEGATE_PREFIX = "DELEGATE#"
UNAVAILABILITY_PREFIX = "UNAVAIL#"
# The card's items sort from DELEGATE# on (DELEGATE#, PLACE#, PROFILE, UNAVAIL#); availability series
# (AVAIL#) sort before and are not read with the card.
CARD_FROM = DELEGATE_PREFIX


def effecteur_pk(national_id: str) -> str:
    return f"EFF#{national_id}"


def structure_pk(structure_id: str) -> str:
    """A structure's partition (an SOS association's consultation sites are its places)."""
    return f"STRUCT#{structure_id}"


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in (PK, SK)}


def card_items(national_id: str) -> list[dict[str, Any]]:
    """The items of the effecteur's partition the card is made of: one Query (pattern 4), a few items."""
    condition = Key(PK).eq(effecteur_pk(national_id)) & Key(SK).gte(CARD_FROM)
    return storage.query_all(EFFECTEURS, KeyConditionExpression=condition)


def load_card(national_id: str) -> Card | None:
    items = card_items(national_id)
    profile = next((item for item in items if item[SK] == PROFILE), None)
    if profile is None:
        return None
    places = [Place.model_validate(_strip(item)) for item in items if str(item[SK]).startswith(PLACE_PREFIX)]
    delegates = frozenset(
        str(item["subject"])
        for item in items
        if str(item[SK]).startswith(DELEGATE_PREFIX) and item.get("status") == "approved"
    )
    unavailabilities = [
        Unavailability.model_validate(_strip(item))
        for item in items
        if str(item[SK]).startswith(UNAVAILABILITY_PREFIX)
    ]
    return Card.model_validate(
        {
            **_strip(profile),
            "places": places,
            "approved_delegates": delegates,
            "unavailabilities": unavailabilities,
        }
    )


def put_effecteur(effecteur: Effecteur, places: list[Place]) -> None:
    """Write a profile and its places in one batch."""
    pk = effecteur_pk(effecteur.national_id)
    with storage.table(EFFECTEURS).batch_writer() as batch:
        batch.put_item(Item={PK: pk, SK: PROFILE, **effecteur.model_dump(mode="json", exclude_none=True)})
        for place in places:
            batch.put_item(
                Item={
                    PK: pk,
                    SK: PLACE_PREFIX + place.id,
                    **storage.to_item(place.model_dump(mode="json", exclude_none=True)),
                }
            )


def update_regulator_info(national_id: str, info: RegulatorInfo) -> None:
    """Replace the info for the regulator; only that attribute, so a directory import never touches it."""
    try:
        storage.table(EFFECTEURS).update_item(
            Key={PK: effecteur_pk(national_id), SK: PROFILE},
            UpdateExpression="SET regulator_info = :info",
            ConditionExpression="attribute_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
            ExpressionAttributeValues={
                ":info": storage.to_item(info.model_dump(mode="json", exclude_none=True))
            },
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise NotFound(
                f"no effecteur {national_id} in this territory's directory", field="national_id"
            ) from error
        raise


def file_for_en_sus(card: Card, accepting: bool) -> None:
    """Put the effecteur's places in the en-sus directory (index `by_ensus_cell`, pattern 3), or take them
    out: only geocoded places still in the directory, of an effecteur who participates."""
    table = storage.table(EFFECTEURS)
    for place in card.places:
        key = {PK: effecteur_pk(card.national_id), SK: PLACE_PREFIX + place.id}
        if accepting and place.position is not None and place.in_directory:
            table.update_item(
                Key=key,
                UpdateExpression="SET ensus_cell = :cell, ensus_sk = :sk",
                ExpressionAttributeValues={
                    ":cell": cell_of(place.position),
                    ":sk": f"{card.national_id}#{place.id}",
                },
            )
        else:
            table.update_item(Key=key, UpdateExpression="REMOVE ensus_cell, ensus_sk")


# --- what an editor's answer makes known (sas_common.ingest) ---------------------------------------------

BATCH_GET_LIMIT = 100
_BATCH_GET_RETRIES = 8


def profile_and_places(pk: str) -> tuple[bool, list[Place]]:
    """Whether the partition has a profile, and its places: one Query, as places sort just before the
    profile (`PLACE#…` < `PROFILE`)."""
    condition = Key(PK).eq(pk) & Key(SK).between(PLACE_PREFIX, PROFILE)
    items = storage.query_all(EFFECTEURS, KeyConditionExpression=condition, ConsistentRead=True)
    places = [Place.model_validate(_strip(item)) for item in items if str(item[SK]).startswith(PLACE_PREFIX)]
    return any(item[SK] == PROFILE for item in items), places


def put_places(pk: str, places: Sequence[Place]) -> None:
    """Write new places in one batch; a geocoded one carries its cell, as the directory's places do."""
    if not places:
        return
    with storage.table(EFFECTEURS).batch_writer() as batch:
        for place in places:
            item = {PK: pk, SK: PLACE_PREFIX + place.id, **place.model_dump(mode="json", exclude_none=True)}
            if place.position is not None:
                item["cell"] = cell_of(place.position)
            batch.put_item(Item=storage.to_item(item))


def existing_profiles(national_ids: Iterable[str]) -> set[str]:
    """Which of these effecteurs have a profile: BatchGetItem on the keys only, 100 at a time."""
    wanted = list(dict.fromkeys(national_ids))
    name = get_settings().table_name(EFFECTEURS)
    found: set[str] = set()
    for first in range(0, len(wanted), BATCH_GET_LIMIT):
        keys = [{PK: effecteur_pk(n), SK: PROFILE} for n in wanted[first : first + BATCH_GET_LIMIT]]
        request: dict[str, Any] = {
            name: {"Keys": keys, "ProjectionExpression": "#pk", "ExpressionAttributeNames": {"#pk": PK}}
        }
        for attempt in range(_BATCH_GET_RETRIES):
            answer = storage.dynamodb().batch_get_item(RequestItems=request)
            found.update(str(item[PK]).removeprefix("EFF#") for item in answer["Responses"].get(name, []))
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError("DynamoDB left keys unprocessed after retries")
    return found


def create_profile(effecteur: Effecteur) -> bool:
    """Put a profile unless one exists (a directory import or another poll may have written it first)."""
    try:
        storage.table(EFFECTEURS).put_item(
            Item={
                PK: effecteur_pk(effecteur.national_id),
                SK: PROFILE,
                **storage.to_item(effecteur.model_dump(mode="json", exclude_none=True)),
            },
            ConditionExpression="attribute_not_exists(#pk)",
            ExpressionAttributeNames={"#pk": PK},
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise
    return True
