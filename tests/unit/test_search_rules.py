"""The search's rules without AWS: the criteria and their limits, the order, the booking mode, what is
hidden, the cursor, the index partitions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.unavailability import Period, Unavailability
from sas_common.effecteurs.model import Place, Position
from sas_common.errors import InvalidInput
from sas_common.geo import covering_cells
from sas_common.participation.rules import Declaration, StructureDeclaration, StructureKind
from sas_common.search import cursor, ranking
from sas_common.search.query import MAX_QUERIES, read_slot_query
from sas_common.search.service import local_days, partitions
from sas_common.slots.model import BOOKED, ConsultationType, Slot, Visibility, new_item, places_left
from sas_common.storage import wire_item
from sas_common.stores.slots import indexed

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
TOULOUSE = Position(lat=43.6045, lon=1.444)
BASE = {"lat": "43.6045", "lon": "1.444"}


def query(**params: str) -> Any:
    return read_slot_query({**BASE, **params}, NOW)


def indexed_of(found: Slot, **state: Any) -> Any:
    """The slot as search reads it from its stored item (the production item and reader)."""
    return indexed(wire_item({**new_item(found, PARIS), **state}))


def slot(**changes: Any) -> Slot:
    fields: dict[str, Any] = {
        "source": "ed",
        "national_id": "810000000001",
        "slot_key": "s-1",
        "start": NOW + timedelta(hours=2),
        "end": NOW + timedelta(hours=2, minutes=15),
        "consultation_types": (ConsultationType.CABINET,),
        "visibility": (Visibility.SNP,),
        "position": TOULOUSE,
        "editor_id": "ed",
        "editor_level": 2,
        "specialty_code": "SM54",
    }
    return Slot.model_validate({**fields, **changes})


def test_the_window_is_now_to_48_hours_and_a_past_start_starts_now() -> None:
    default = query()
    assert (default.start, default.end) == (NOW, NOW + timedelta(hours=48))
    past = query(
        **{"from": (NOW - timedelta(hours=5)).isoformat(), "to": (NOW + timedelta(hours=1)).isoformat()}
    )
    assert (past.start, past.end) == (NOW, NOW + timedelta(hours=1))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"radius_km": "100.01"}, "radius_km"),
        ({"radius_km": "0"}, "radius_km"),
        ({"to": (NOW + timedelta(days=7, seconds=1)).isoformat()}, "to"),
        ({"to": NOW.isoformat()}, "to"),
        (
            {"from": (NOW + timedelta(hours=2)).isoformat(), "to": (NOW + timedelta(hours=2)).isoformat()},
            "from",
        ),
        ({"from": "2026-03-10T10:00:00"}, "from"),
        ({"page_size": "100.5"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"consultation_type": "cabinet,video"}, "consultation_type"),
        ({"specialty": "x" * 101}, "specialty"),
    ],
)
def test_criteria_beyond_their_limits_are_refused_naming_them(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        query(**params)
    assert refused.value.field == field


def test_criteria_at_their_limits_are_taken() -> None:
    at_limits = query(radius_km="100", page_size="100", to=(NOW + timedelta(days=7)).isoformat())
    assert (at_limits.area.radius_km, at_limits.page_size) == (100.0, 100)
    several = query(consultation_type="cabinet, domicile", visibility="PUBLIC,SNP", walk_in="TRUE")
    assert several.consultation_types == {ConsultationType.CABINET, ConsultationType.DOMICILE}
    assert several.visibility == {Visibility.PUBLIC, Visibility.SNP}
    assert several.walk_in is True


@pytest.mark.parametrize(
    ("distance", "band"),
    [(0.0, 0), (5.0, 0), (5.01, 1), (10.0, 1), (10.01, 2), (20.0, 2), (20.01, 3), (None, 3)],
)
def test_distance_bands_at_their_edges(distance: float | None, band: int) -> None:
    assert ranking.band(distance) == band


def test_the_groups_put_the_treating_doctor_first_and_teleconsultation_last() -> None:
    asked = query(treating_doctor="810000000009")
    treating = ranking.Candidate(indexed_of(slot(national_id="810000000009")), 9.0, False)
    in_person = ranking.Candidate(indexed_of(slot()), 1.0, False)
    tele = ranking.Candidate(
        indexed_of(slot(consultation_types=(ConsultationType.TELECONSULTATION,), position=None)), None, True
    )
    sos_on_duty = ranking.Candidate(
        indexed_of(slot(national_id="312345678901234", doctor_id="810000000009")), 3.0, False
    )
    assert [ranking.group(c, asked) for c in (treating, in_person, tele, sos_on_duty)] == [
        ranking.Group.TREATING_DOCTOR,
        ranking.Group.IN_PERSON,
        ranking.Group.TELECONSULTATION,
        ranking.Group.TREATING_DOCTOR,
    ]
    only_tele = query(consultation_type="teleconsultation")
    assert ranking.group(tele, only_tele) is ranking.Group.IN_PERSON


def test_equal_slots_are_ordered_by_a_hash_that_changes_with_the_day() -> None:
    first = ranking.Candidate(indexed_of(slot(source="ed-a", slot_key="same")), 1.0, False)
    second = ranking.Candidate(indexed_of(slot(source="ed-b", slot_key="same")), 1.0, False)
    asked = query()
    winners = {
        ranking.ordered([first, second], asked, date(2026, 3, day))[0].slot.source for day in range(1, 29)
    }
    assert winners == {"ed-a", "ed-b"}  # neither editor always first
    assert ranking.ordered([second, first], asked, date(2026, 3, 1)) == ranking.ordered(
        [first, second], asked, date(2026, 3, 1)
    )


@pytest.mark.parametrize(
    ("changes", "mode", "url"),
    [
        ({"editor_level": 2}, ranking.BookingMode.DIRECT, None),
        (
            {"editor_level": 1, "booking_url": "https://b.example/s?x=1"},
            ranking.BookingMode.REDIRECT,
            "https://b.example/s?x=1&origin=sas",
        ),
        (
            {"editor_level": 1, "booking_url": "https://b.example/s?origin=web"},
            ranking.BookingMode.REDIRECT,
            "https://b.example/s?origin=sas",
        ),
        ({"editor_level": 1}, ranking.BookingMode.PHONE, None),
        ({"source": "manual", "editor_id": None, "editor_level": None}, ranking.BookingMode.PHONE, None),
    ],
)
def test_the_booking_mode_follows_the_source_and_level(
    changes: dict[str, Any], mode: Any, url: str | None
) -> None:
    assert ranking.booking(slot(**changes)) == (mode, url)


@pytest.mark.parametrize(
    ("item", "left"),
    [
        ({"mode": "slots"}, 1),
        ({"mode": "slots", BOOKED: 1}, 0),
        ({"mode": "range", "capacity": 3, BOOKED: 2}, 1),
        ({"mode": "range", "capacity": 3, BOOKED: 3}, 0),
    ],
)
def test_places_left_count_holds_and_bookings(item: dict[str, Any], left: int) -> None:
    assert places_left(item) == left


def test_a_candidate_is_what_the_item_alone_allows() -> None:
    asked = query(radius_km="10")

    def found(changes: dict[str, Any], asked: Any = asked, **state: Any) -> Any:
        return ranking.candidate(indexed_of(slot(**changes), **state), asked, NOW)

    assert found({}) is not None
    assert found({}, **{BOOKED: 1}) is None
    far = Position(lat=44.6, lon=1.444)
    assert found({"position": far}) is None
    remote = found(
        {"position": far, "consultation_types": (ConsultationType.CABINET, ConsultationType.TELECONSULTATION)}
    )
    assert remote is not None  # too far to go, near enough to call
    assert remote.teleconsultation_only
    assert remote.distance_km is None
    assert found({"start": NOW + timedelta(hours=49), "end": NOW + timedelta(hours=50)}) is None
    assert found({"start": NOW - timedelta(minutes=30), "end": NOW}) is None  # ended
    assert found({"walk_in": True}, query(walk_in="false")) is None
    assert found({"specialty_code": "SM26"}, query(specialty="sm54")) is None
    assert found({"specialty_code": None, "specialty_text": "Médecine générale"}, query(specialty="générale"))


def facts(**changes: Any) -> ranking.OwnerFacts:
    values: dict[str, Any] = {
        "declaration": Declaration(
            participates=True, modality="individual", uses_interfaced_software=True, editors=["ed"]
        ),
        "place": Place(id="p1", address="1 rue", postal_code="31000"),
        "unavailability": None,
        "specialty_code": "SM54",
    }
    return ranking.OwnerFacts(**{**values, **changes})


@pytest.mark.parametrize(
    ("slot_changes", "fact_changes", "reason"),
    [
        ({}, {}, None),
        ({}, {"declaration": None}, ranking.Hidden.EDITOR_NOT_SHOWN),
        (
            {},
            {
                "declaration": Declaration(
                    participates=True,
                    modality="individual",
                    uses_interfaced_software=True,
                    editors=["ed"],
                    refuses_editor_slots=True,
                    honour_two_hours=True,
                )
            },
            ranking.Hidden.EDITOR_NOT_SHOWN,
        ),
        ({"source": "manual", "editor_id": None, "editor_level": None}, {"declaration": None}, None),
        (
            {},
            {"unavailability": Unavailability(place_id="p1", indefinite=True, since=NOW, updated_at=NOW)},
            ranking.Hidden.PLACE_UNAVAILABLE,
        ),
        (
            {},
            {
                "unavailability": Unavailability(
                    place_id="p1",
                    periods=(Period.model_validate({"from": "2026-03-11", "to": "2026-03-12"}),),
                    updated_at=NOW,
                )
            },
            None,
        ),
        (
            {},
            {"place": Place(id="p1", address="1 rue", postal_code="47000")},
            ranking.Hidden.OUTSIDE_TERRITORY,
        ),
        ({"specialty_code": None}, {"specialty_code": "SM26"}, ranking.Hidden.SPECIALTY),
    ],
)
def test_what_the_owners_items_hide(
    slot_changes: dict[str, Any], fact_changes: dict[str, Any], reason: Any
) -> None:
    asked = query(specialty="SM54")
    assert ranking.hidden(slot(**slot_changes), facts(**fact_changes), asked, ["31"], PARIS) == reason


def test_an_associations_slots_follow_its_declaration() -> None:
    association = StructureDeclaration(
        kind=StructureKind.SOS_MEDECINS,
        structure_name="SOS",
        participates=True,
        doctors=3,
        honour_two_hours_per_doctor=True,
        editors=["ed"],
    )
    assert ranking.shown(association) == {"ed"}
    assert ranking.shown(association.model_copy(update={"participates": False})) == frozenset()


def test_a_cursor_continues_only_its_search_and_cannot_be_forged() -> None:
    key = b"k" * 32
    made = cursor.encode(cursor.Position(40, NOW), "lat=1&lon=2", key)
    assert cursor.decode(made, "lat=1&lon=2", key) == cursor.Position(40, NOW)
    payload, mac = made.split(".")
    for bad, criteria, signing in (
        (made, "lat=1&lon=3", key),
        (made, "lat=1&lon=2", b"other" * 8),
        (f"{payload}.{mac[:-2]}", "lat=1&lon=2", key),
        ("nonsense", "lat=1&lon=2", key),
        ("", "lat=1&lon=2", key),
    ):
        with pytest.raises(InvalidInput) as refused:
            cursor.decode(bad, criteria, signing)
        assert refused.value.field == "cursor"


def test_a_search_reads_one_partition_per_cell_and_day_and_one_per_day_for_teleconsultation() -> None:
    asked = query(radius_km="30")
    by_cell, by_tele = partitions(asked, PARIS)
    days = local_days(asked.start, asked.end, PARIS)
    assert len(days) == 3  # 08:00 UTC → +48 h spans three local days
    assert len(by_cell) == len(covering_cells(TOULOUSE, 30)) * 3
    assert by_tele == [f"TELE#{day.isoformat()}" for day in days]
    assert partitions(query(consultation_type="teleconsultation"), PARIS)[0] == []
    assert partitions(query(consultation_type="cabinet"), PARIS)[1] == []


def test_the_widest_search_allowed_fits_the_query_budget() -> None:
    widest = query(radius_km="100", to=(NOW + timedelta(days=7)).isoformat())
    by_cell, by_tele = partitions(widest, PARIS)
    assert len(by_cell) + len(by_tele) <= MAX_QUERIES
