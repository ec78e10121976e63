"""Editor places → the owner's known place, or a new one made from the editor's data and geocoded once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from sas_common.effecteurs.model import Place, Position
from sas_common.fhir.model import Place as EditorPlace
from sas_common.geocoding import AddressQuery
from sas_common.ingest.convert import Placement, place_id
from sas_common.ingest.places import matching_place, resolve_places, structure_numbers

EDITOR = "ed-one"
OWNER = "EFF#810000000011"
HERE = Position(lat=43.6, lon=1.44)
GEOCODED = Position(lat=43.61, lon=1.43)
EDITOR_PLACE = EditorPlace(
    location_id="PractitionerRole/role-1#loc",
    name="Cabinet",
    address_lines=("12 B rue de la Paix",),
    postal_code="31000",
    city="Toulouse",
    position=None,
    structure_id="312345678900011",
    phone="+33561000001",
)
EDITOR_ID = place_id(EDITOR, EDITOR_PLACE)
DIRECTORY = Place(
    id="dir-structure",
    address="12 B rue de la Paix, Bâtiment A",
    postal_code="31000",
    city="TOULOUSE",
    position=HERE,
    structure_ids=["12345678900011", "R1"],
)
SAME_STREET = Place(id="dir-street", address="12 b Rue de la PAIX", postal_code="31000", position=HERE)
OTHER = Place(id="dir-other", address="3 allée Jean Jaurès", postal_code="31000", position=HERE)


class CountingGeocoder:
    def __init__(self, answer: Position | None = GEOCODED) -> None:
        self.answer = answer
        self.calls: list[list[AddressQuery]] = []

    def geocode(self, query: AddressQuery) -> Position | None:
        return self.geocode_many([query])[0]

    def geocode_many(self, queries: Sequence[AddressQuery]) -> list[Position | None]:
        self.calls.append(list(queries))
        return [self.answer for _ in queries]


@pytest.mark.parametrize(
    ("structure_id", "forms"),
    [
        ("312345678900011", {"312345678900011", "12345678900011"}),  # `3` + SIRET
        ("12345678900011", {"12345678900011"}),  # a bare SIRET
        ("1950047225", {"1950047225", "950047225"}),  # `1` + FINESS
        ("R123", {"R123"}),
    ],
)
def test_structure_numbers(structure_id: str, forms: set[str]) -> None:
    assert structure_numbers(structure_id) == forms


@pytest.mark.parametrize(
    ("known", "by_structure", "expected"),
    [
        ([OTHER, DIRECTORY], True, "dir-structure"),  # the directory's practice, by SIRET
        ([OTHER, SAME_STREET], True, "dir-street"),  # same street line and postal code
        ([DIRECTORY], False, "dir-structure"),  # SOS: not by structure, but the street still matches
        ([DIRECTORY.model_copy(update={"address": "1 rue Autre"})], False, None),
        ([SAME_STREET.model_copy(update={"postal_code": "31200"})], True, None),
        ([OTHER], True, None),
        ([], True, None),
    ],
)
def test_an_editor_place_matches_a_known_place(
    known: list[Place], by_structure: bool, expected: str | None
) -> None:
    assert EDITOR_ID is not None
    found = matching_place(known, EDITOR_ID, EDITOR_PLACE, by_structure=by_structure)
    assert (found.id if found else None) == expected


def test_the_editors_own_id_comes_first() -> None:
    assert EDITOR_ID is not None
    made_before = Place(id=EDITOR_ID, address="elsewhere", position=None)
    found = matching_place([DIRECTORY, made_before], EDITOR_ID, EDITOR_PLACE, by_structure=True)
    assert found is made_before


def test_a_known_place_is_used_with_the_editors_position_if_it_sends_one() -> None:
    geocoder = CountingGeocoder()
    with_position = dataclasses.replace(EDITOR_PLACE, position=GEOCODED)
    resolution = resolve_places(
        EDITOR, [(OWNER, EDITOR_PLACE)], {OWNER: [DIRECTORY]}, geocoder, by_structure=True
    )
    assert resolution.placement(EDITOR, OWNER, EDITOR_PLACE) == Placement("dir-structure", HERE)
    resolution = resolve_places(
        EDITOR, [(OWNER, with_position)], {OWNER: [DIRECTORY]}, geocoder, by_structure=True
    )
    assert resolution.placement(EDITOR, OWNER, with_position) == Placement("dir-structure", GEOCODED)
    assert (resolution.created, geocoder.calls) == ({}, [])


@pytest.mark.parametrize(
    ("editor_position", "geocoded_to", "position", "calls"),
    [
        (HERE, GEOCODED, HERE, 0),  # the editor's position: nothing asked
        (None, GEOCODED, GEOCODED, 1),
        (None, None, None, 1),  # cannot be placed: kept, not geocoded
    ],
)
def test_an_unknown_place_is_made_from_the_editors_data(
    editor_position: Position | None, geocoded_to: Position | None, position: Position | None, calls: int
) -> None:
    geocoder = CountingGeocoder(geocoded_to)
    place = dataclasses.replace(EDITOR_PLACE, position=editor_position)
    resolution = resolve_places(EDITOR, [(OWNER, place)] * 3, {OWNER: [OTHER]}, geocoder, by_structure=True)

    (made,) = resolution.created[OWNER]
    assert made.model_dump() == {
        "id": EDITOR_ID,
        "name": "Cabinet",
        "address": "12 B rue de la Paix",
        "postal_code": "31000",
        "city": "Toulouse",
        "commune_code": None,
        "position": position.model_dump() if position else None,
        "phone": "+33561000001",
        "structure_ids": ["312345678900011"],
        "in_directory": False,
        "geocoded": position is not None,
        "known_from": "editor:ed-one",
    }
    assert resolution.placement(EDITOR, OWNER, place) == Placement(made.id, position)
    assert len(geocoder.calls) == calls  # one call for the batch, whatever the number of slots
    assert (resolution.places_created, resolution.places_not_geocoded) == (1, int(position is None))


def test_new_places_of_a_batch_are_geocoded_in_one_call_and_bare_ones_not_at_all() -> None:
    geocoder = CountingGeocoder()
    second = dataclasses.replace(EDITOR_PLACE, location_id="Location/2", address_lines=("9 rue Neuve",))
    bare = EditorPlace("Location/3", None, (), None, None, None, "312345678900011", None)
    other_owner = "EFF#810000000022"
    wanted = [
        (OWNER, EDITOR_PLACE),
        (OWNER, second),
        (other_owner, EDITOR_PLACE),
        (OWNER, bare),
        (OWNER, None),
    ]
    resolution = resolve_places(EDITOR, wanted, {}, geocoder, by_structure=False)

    assert [len(call) for call in geocoder.calls] == [3]
    assert sorted(len(places) for places in resolution.created.values()) == [1, 3]
    assert resolution.placement(EDITOR, OWNER, bare) == Placement(str(place_id(EDITOR, bare)), None)
    assert resolution.placement(EDITOR, OWNER, None) is None
    assert resolution.places_not_geocoded == 1
