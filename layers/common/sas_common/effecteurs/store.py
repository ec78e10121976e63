"""Effecteurs in the `effecteurs` table (keys documented in sas_common.tables)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key

from sas_common import storage
from sas_common.effecteurs.model import Card, Effecteur, Place
from sas_common.tables import EFFECTEURS, PK, SK

PROFILE = "PROFILE"
PLACE_PREFIX = "PLACE#"


def effecteur_pk(national_id: str) -> str:
    return f"EFF#{national_id}"


def _strip(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in (PK, SK)}


def load_card(national_id: str) -> Card | None:
    """The effecteur's profile and places: one Query on the effecteur's partition (pattern 4)."""
    response = storage.table(EFFECTEURS).query(KeyConditionExpression=Key(PK).eq(effecteur_pk(national_id)))
    items = response["Items"]
    profile = next((item for item in items if item[SK] == PROFILE), None)
    if profile is None:
        return None
    places = [Place.model_validate(_strip(item)) for item in items if str(item[SK]).startswith(PLACE_PREFIX)]
    return Card.model_validate({**_strip(profile), "places": places})


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
