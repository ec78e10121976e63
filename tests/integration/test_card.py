"""The effecteur's card: places as the directory and geocoding left them."""

from __future__ import annotations

from sas_common.runtime import Runtime
from sas_common.stores.effecteurs import PLACE_PREFIX
from sas_common.tables import EFFECTEURS, PK, SK, effecteur_pk
from support import Client, new_effecteur


def test_a_place_the_directory_withdrew_is_shown_flagged(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)).update_item(
        Key={PK: effecteur_pk(doctor), SK: PLACE_PREFIX + "p1"},
        UpdateExpression="SET in_directory = :no REMOVE #position",
        ExpressionAttributeNames={"#position": "position"},
        ExpressionAttributeValues={":no": False},
    )
    card = client.get(f"/effecteurs/{doctor}", token=client.token("regulator", "r")).json()
    place = card["places"][0]
    assert (place["id"], place["in_directory"], place["geocoded"]) == ("p1", False, False)


def test_a_geocoded_place_in_the_directory(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    place = client.get(f"/effecteurs/{doctor}", token=client.token("regulator", "r")).json()["places"][0]
    assert (place["in_directory"], place["geocoded"]) == (True, True)
    assert place["position"] == {"lat": 43.6045, "lon": 1.444}
