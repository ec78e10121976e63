"""Places unknown to the directory, made known from an editor's slots: created once, geocoded once, flagged,
kept by directory re-imports; the directory's practice used when the editor's place is it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from fhir_samples import START, bundle, ps_graph, resource
from sas_common.directory import DirectoryImport
from sas_common.effecteurs.model import Position
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.geocoding import AddressQuery, GazetteerGeocoder, Geocoder, geocoder_from_environment
from sas_common.ingest.apply import ApplySummary, apply_answer
from sas_common.ingest.convert import place_id
from sas_common.participation import service
from sas_common.participation.rules import Declaration
from sas_common.runtime import Runtime
from sas_common.stores.effecteurs import PLACE_PREFIX
from sas_common.tables import EFFECTEURS, PK, SK, effecteur_pk
from sas_common.territory import EditorConfig
from sas_local.extract_sample import HEADER, doctor_line
from support import Client, new_effecteur

pytestmark = pytest.mark.usefixtures("platform")
EDITOR_ID = "demo-editor"
WINDOW = (START - timedelta(hours=1), START + timedelta(hours=48))
EDITOR_POSITION = {"lat": 43.6, "lon": 1.44}  # what ps_graph's Location carries
P1_POSITION = {"lat": 43.6045, "lon": 1.444}  # new_effecteur's place p1


class CountingGeocoder:
    """The offline gazetteer, counting the addresses it is asked."""

    def __init__(self) -> None:
        self.inner = GazetteerGeocoder()
        self.asked: list[AddressQuery] = []

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.geocode_many([query])[0]

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        self.asked += queries
        return self.inner.geocode_many(queries)


def editor(rt: Runtime) -> EditorConfig:
    found = rt.territory.editor(EDITOR_ID)
    assert found is not None
    return found


def declare(rt: Runtime, national_id: str) -> str:
    declaration = Declaration(
        participates=True, modality="individual", uses_interfaced_software=True, editors=[EDITOR_ID]
    )
    service.save_effecteur(rt, national_id, declaration, by="test")
    return national_id


def graph_bundle(national_id: str, *, slots: int = 2, **location: Any) -> dict[str, Any]:
    """The PS graph, its contained Location changed (`position=None` drops the editor's position)."""
    found = bundle(ps_graph(national_id, slots=slots))
    contained = resource(found, "PractitionerRole")["contained"][0]
    for name, value in location.items():
        if value is None:
            contained.pop(name, None)
        else:
            contained[name] = value
    return found


def apply(rt: Runtime, national_id: str, body: dict[str, Any], geocoder: CountingGeocoder) -> ApplySummary:
    result = map_slot_bundle(body, editor(rt).kind)
    return apply_answer(rt, editor(rt), [national_id], *WINDOW, result, geocoder=geocoder)


def places(rt: Runtime, national_id: str) -> dict[str, dict[str, Any]]:
    condition = Key(PK).eq(effecteur_pk(national_id)) & Key(SK).begins_with(PLACE_PREFIX)
    found = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)).query(KeyConditionExpression=condition)[
        "Items"
    ]
    return {str(item[SK]).removeprefix(PLACE_PREFIX): item for item in found}


def slot_items(rt: Runtime, national_id: str) -> list[dict[str, Any]]:
    return rt.slots.window_items(EDITOR_ID, national_id, *WINDOW)


def import_for_31(rt: Runtime, geocoder: Geocoder) -> DirectoryImport:
    """A directory import for department 31 into the platform's table."""
    return DirectoryImport(("31",), geocoder, rt.effecteurs.directory_table())


def as_floats(position: dict[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in position.items()}


def editor_place_id(rt: Runtime, national_id: str) -> str:
    result = map_slot_bundle(bundle(ps_graph(national_id)), editor(rt).kind)
    found = place_id(EDITOR_ID, result.slots[0].place)
    assert found is not None
    return found


def test_an_unknown_place_is_made_from_the_editors_data_and_geocoded_once(
    rt: Runtime, client: Client
) -> None:
    national_id = declare(rt, new_effecteur(rt))
    geocoder = CountingGeocoder()
    body = graph_bundle(national_id, position=None)

    first = apply(rt, national_id, body, geocoder)

    assert (first.places_created, first.places_not_geocoded, len(first.accepted)) == (1, 0, 2)
    assert len(geocoder.asked) == 1
    made_id = editor_place_id(rt, national_id)
    made = places(rt, national_id)[made_id]
    toulouse = GazetteerGeocoder().geocode(AddressQuery("1 rue de Metz", "31000", None, "Toulouse"))
    assert toulouse is not None
    assert {
        name: made.get(name) for name in ("address", "postal_code", "city", "phone", "structure_ids")
    } == {
        "address": "1 rue de Metz",
        "postal_code": "31000",
        "city": "Toulouse",
        "phone": "+33561000001",
        "structure_ids": ["312345678900011"],
    }
    assert (made["in_directory"], made["known_from"], made["geocoded"]) == (False, "editor:demo-editor", True)
    assert as_floats(made["position"]) == toulouse.model_dump()
    assert made["cell"]
    for item in slot_items(rt, national_id):
        assert (item["place_id"], as_floats(item["position"])) == (made_id, toulouse.model_dump())
        assert item["cell_day"].startswith(made["cell"])

    again = apply(rt, national_id, body, geocoder)
    assert (again.places_created, len(again.accepted)) == (0, 2)
    assert len(geocoder.asked) == 1  # found by id: not geocoded again

    card = client.get(f"/effecteurs/{national_id}", token=client.token("regulator", "r")).json()
    shown = {place["id"]: place for place in card["places"]}
    assert (shown[made_id]["in_directory"], shown[made_id]["known_from"]) == (False, "editor:demo-editor")
    assert (shown["p1"]["in_directory"], shown["p1"]["known_from"]) == (True, None)


def test_a_place_that_cannot_be_geocoded_is_kept_and_its_slots_are_out_of_distance_search(
    rt: Runtime,
) -> None:
    national_id = declare(rt, new_effecteur(rt))
    address = {"line": ["Lieu-dit inconnu"], "postalCode": "00000", "city": "Nulle-Part"}
    summary = apply(
        rt, national_id, graph_bundle(national_id, position=None, address=address), CountingGeocoder()
    )

    assert (summary.places_created, summary.places_not_geocoded) == (1, 1)
    made = places(rt, national_id)[editor_place_id(rt, national_id)]
    assert (made["geocoded"], made["in_directory"]) == (False, False)
    assert "position" not in made
    assert "cell" not in made
    items = slot_items(rt, national_id)
    assert len(items) == 2
    assert all("cell_day" not in item and "position" not in item for item in items)


@pytest.mark.parametrize(
    ("location", "position"),
    [({}, EDITOR_POSITION), ({"position": None}, P1_POSITION)],
    ids=["editor-position", "stored-position"],
)
def test_the_directorys_practice_is_the_editors_place(
    rt: Runtime, location: dict[str, Any], position: dict[str, float]
) -> None:
    # ps_graph names the structure `3` + SIRET 12345678900011; the directory lists the bare SIRET.
    national_id = declare(rt, new_effecteur(rt, structure_ids=["12345678900011"]))
    geocoder = CountingGeocoder()
    summary = apply(rt, national_id, graph_bundle(national_id, **location), geocoder)

    assert (summary.places_created, geocoder.asked) == (0, [])
    assert set(places(rt, national_id)) == {"p1"}
    assert [(item["place_id"], as_floats(item["position"])) for item in slot_items(rt, national_id)] == [
        ("p1", position)
    ] * 2


def test_a_directory_reimport_keeps_the_places_an_editor_made_known(rt: Runtime) -> None:
    rpps = "20000000777"
    national_id = "8" + rpps
    assert import_for_31(rt, GazetteerGeocoder()).run([HEADER, doctor_line(rpps)]).effecteurs == 1
    declare(rt, national_id)
    apply(rt, national_id, graph_bundle(national_id), CountingGeocoder())
    made_id = editor_place_id(rt, national_id)
    assert len(places(rt, national_id)) == 2

    moved = import_for_31(rt, geocoder_from_environment()).run(
        [HEADER, doctor_line(rpps, phone="0561999999", street_number="9")]
    )
    assert moved.withdrawn_places == 0
    made = places(rt, national_id)[made_id]
    assert (made["in_directory"], made["known_from"]) == (False, "editor:demo-editor")
    assert len(places(rt, national_id)) == 2


def test_a_push_reports_the_places_it_made_known(rt: Runtime, client: Client) -> None:
    national_id = declare(rt, new_effecteur(rt))
    body = graph_bundle(national_id, position=None, address={"line": ["x"], "postalCode": "00000"})
    response = client.push_bundle(EDITOR_ID, body)
    assert response.status == 200, response.body
    issues = response.json()["issue"]
    assert issues[0]["diagnostics"] == "2 slot(s) accepted"
    assert issues[1]["severity"] == "information"
    assert issues[1]["diagnostics"].startswith("1 place(s) not in the directory made known")
    assert "1 of them not geocoded" in issues[1]["diagnostics"]
