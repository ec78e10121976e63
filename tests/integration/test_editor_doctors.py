"""Doctors an editor makes known (SOS doctors on duty the directory does not list): flagged on the card, never
overwriting a profile, and taken over by the next directory import that lists them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from sas_common.directory import DirectoryImport
from sas_common.fhir.model import PractitionerName
from sas_common.geocoding import GazetteerGeocoder
from sas_common.ingest.convert import editor_doctor
from sas_common.runtime import Runtime
from sas_common.stores.effecteurs import PROFILE
from sas_common.tables import EFFECTEURS, PK, SK, effecteur_pk
from sas_local.extract_sample import HEADER, doctor_line
from support import Client, new_effecteur

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

pytestmark = pytest.mark.usefixtures("platform")


def importing(rt: Runtime) -> DirectoryImport:
    """An import for department 31 with the gazetteer, into the platform's table."""
    return DirectoryImport(("31",), GazetteerGeocoder(), rt.effecteurs.directory_table())


def effecteurs_table(rt: Runtime) -> Table:
    return rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS))


def profile(rt: Runtime, national_id: str) -> dict[str, object]:
    item = effecteurs_table(rt).get_item(Key={PK: effecteur_pk(national_id), SK: PROFILE})["Item"]
    return dict(item)


@pytest.mark.parametrize(
    ("national_id", "name", "last_name", "first_name"),
    [
        ("820000000901", PractitionerName("Durand", ("Paul", "Marie")), "Durand", "Paul Marie"),
        ("820000000902", PractitionerName("Durand", ()), "Durand", None),
        ("820000000903", None, "", None),  # named by identifier only
    ],
)
def test_an_editor_made_doctor_is_shown_flagged_on_the_card(
    rt: Runtime,
    client: Client,
    national_id: str,
    name: PractitionerName | None,
    last_name: str,
    first_name: str | None,
) -> None:
    assert rt.effecteurs.create_profile(editor_doctor("sos-editor", national_id, name))

    card = client.get(f"/effecteurs/{national_id}", token=client.token("regulator", "r")).json()
    assert (card["last_name"], card["first_name"]) == (last_name, first_name)
    assert (card["in_directory"], card["known_from"]) == (False, "editor:sos-editor")
    assert card["places"] == []


def test_an_editor_never_overwrites_a_profile(rt: Runtime) -> None:
    known = new_effecteur(rt, last_name="CONNU")
    assert not rt.effecteurs.create_profile(editor_doctor("sos-editor", known, PractitionerName("Autre", ())))
    kept = profile(rt, known)
    assert kept["last_name"] == "CONNU"
    assert "known_from" not in kept


def test_a_directory_import_listing_the_doctor_takes_the_profile_over(rt: Runtime, client: Client) -> None:
    rpps = "20000000888"
    national_id = "8" + rpps
    assert rt.effecteurs.create_profile(
        editor_doctor("sos-editor", national_id, PractitionerName("Durand", ("P",)))
    )
    effecteurs_table(rt).update_item(  # what the effecteur may have entered meanwhile stays
        Key={PK: effecteur_pk(national_id), SK: PROFILE},
        UpdateExpression="SET regulator_info = :info",
        ExpressionAttributeValues={":info": {"text": "Appeler le standard", "phones": []}},
    )

    summary = importing(rt).run([HEADER, doctor_line(rpps)])

    assert summary.imported == 1
    taken_over = profile(rt, national_id)
    assert (taken_over["last_name"], taken_over["first_name"]) == (f"NOM{rpps[-4:]}", "Camille")
    assert taken_over["specialty_code"] == "SM54"
    assert taken_over["in_directory"] is True
    assert "known_from" not in taken_over
    card = client.get(f"/effecteurs/{national_id}", token=client.token("regulator", "r")).json()
    assert (card["in_directory"], card["known_from"]) == (True, None)
    assert card["regulator_info"]["text"] == "Appeler le standard"
    assert len(card["places"]) == 1

    again = importing(rt).run([HEADER, doctor_line(rpps)])
    assert (again.imported, again.writes) == (0, 0)  # and a re-import writes nothing, as before
