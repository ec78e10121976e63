"""Effecteurs in the `effecteurs` table (keys documented in sas_common.tables)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from sas_common import storage
from sas_common.agenda.unavailability import Unavailability
from sas_common.effecteurs.model import Card, Effecteur, Place, RegulatorInfo
from sas_common.errors import NotFound
from sas_common.geo import cell_of
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
