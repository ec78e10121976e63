"""The search's rules without AWS: the criteria and their limits, the order, the booking mode, what is
hidden, the cursor, the index partitions and how far each is read."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.unavailability import Period, Unavailability
from sas_common.effecteurs.model import Place, Position
from sas_common.errors import InvalidInput
from sas_common.geo import cell_floor_km, cell_of, covering_cells, distance_km, radius_floor_km
from sas_common.participation.rules import Declaration, StructureDeclaration, StructureKind
from sas_common.search import cursor, merge, ranking
from sas_common.search.query import MAX_QUERIES, read_slot_query
from sas_common.search.service import local_days, partitions
from sas_common.slots.keys import utc_text
from sas_common.slots.model import (
    BOOKED,
    ConsultationType,
    PartitionPage,
    Slot,
    Visibility,
    new_item,
    places_left,
)
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


# --- the adaptive read (sas_common.search.merge) ----------------------------------------------------------
#
# A search reads each index partition only as far as its page needs. Whatever the way the partitions are
# read, the order must be the one of every partition's earliest `PARTITION_LIMIT` slots read at once: the
# tests below page through an in-memory index with the merge and compare with that, page after page (each
# page a new search, as a cursor makes it), at several page sizes.


def east(km: float, of: Position = TOULOUSE) -> Position:
    return Position(lat=of.lat, lon=of.lon + km / 80.6)  # ≈ 80.6 km per degree of longitude here


class Index:
    """The search indexes as DynamoDB holds them (a partition's items in `start_sk` order), answering the
    merge's reads as `SlotStore.search_pages` does: the window's key range, `Limit`, where the previous read
    stopped, the owner filter (`Limit` counting the items read)."""

    def __init__(self, *slots: tuple[Slot, dict[str, Any]]) -> None:
        self.partitions: dict[tuple[str, str], list[tuple[str, Any]]] = {}
        for found, state in slots:
            item = {**new_item(found, PARIS), **state}
            for index, attribute in (("by_cell_day", "cell_day"), ("by_tele_day", "tele_day")):
                if attribute in item:
                    rows = self.partitions.setdefault((index, item[attribute]), [])
                    rows.append((item["start_sk"], indexed(wire_item(item))))
        for rows in self.partitions.values():
            rows.sort(key=lambda row: row[0])
        self.items_read = 0

    def rows(self, index: str, partition: str, asked: Any) -> list[tuple[str, Any]]:
        low, high = utc_text(asked.start), utc_text(asked.end)
        return [row for row in self.partitions.get((index, partition), []) if low <= row[0] <= high]

    def read(self, reads: Any, asked: Any) -> list[PartitionPage]:
        pages = []
        for read in reads:
            rows = self.rows(read.index_name, read.partition, asked)
            if read.after is not None:
                rows = [row for row in rows if row[0] > read.after["start_sk"]["S"]]
            page, more = rows[: read.limit], len(rows) > read.limit
            self.items_read += len(page)
            kept = [found for _, found in page if read.owner in (None, found.owner, found.doctor_id)]
            last = page[-1][0] if more else None
            pages.append(PartitionPage(kept, len(page), {"start_sk": {"S": last}} if last else None, last))
        return pages

    def everything(self, asked: Any) -> list[Any]:
        """The order as every partition's earliest `PARTITION_LIMIT` read at once gives it."""
        by_cell, by_tele = partitions(asked, PARIS)
        found: dict[tuple[str, str], Any] = {}
        for index, keys in (("by_cell_day", by_cell), ("by_tele_day", by_tele)):
            for key in keys:
                for _, slot_read in self.rows(index, key, asked)[: merge.PARTITION_LIMIT]:
                    candidate = ranking.candidate(slot_read, asked, NOW)
                    if candidate is not None:
                        found.setdefault((slot_read.pk, slot_read.sk), candidate)
        return ranking.ordered(list(found.values()), asked, NOW.date())

    def reader(self, asked: Any) -> merge.Reader:
        by_cell, by_tele = partitions(asked, PARIS)
        layout = merge.layout(asked, PARIS, by_cell, by_tele)
        return merge.Reader(asked, NOW, NOW.date(), layout, lambda reads: self.read(reads, asked))


def ids(candidates: list[Any]) -> list[str]:
    return [found.slot.slot_id for found in candidates]


def paged(index: Index, asked: Any, size: int) -> tuple[list[Any], int]:
    """Every candidate, page after page of `size` (a new search each page), and the items read for the
    first page."""
    seen: list[Any] = []
    first_page_reads = 0
    while True:
        before = index.items_read
        found = index.reader(asked)
        found.place(len(seen) + max(size, 25))
        page = found.take(len(seen), size)
        seen += page
        first_page_reads = first_page_reads or index.items_read - before
        if not found.more_after(len(seen)):
            return seen, first_page_reads


def assert_the_same_order(index: Index, asked: Any, sizes: tuple[int, ...] = (1, 7, 20, 100)) -> list[Any]:
    everything = index.everything(asked)
    for size in sizes:
        seen, _ = paged(index, asked, size)
        assert ids(seen) == ids(everything), size
    return everything


def series(national_id: str, where: Position, first: datetime, count: int, **changes: Any) -> list[Slot]:
    """`count` slots of a doctor, 5 minutes apart from `first`."""
    return [
        slot(
            national_id=national_id,
            slot_key=f"{national_id}-{n:03d}",
            position=where,
            start=first + timedelta(minutes=5 * n),
            end=first + timedelta(minutes=5 * n + 5),
            **changes,
        )
        for n in range(count)
    ]


def free(*slots: list[Slot], **state: Any) -> list[tuple[Slot, dict[str, Any]]]:
    return [(found, state) for group in slots for found in group]


def test_slots_hidden_early_in_a_partition_do_not_stop_the_read() -> None:
    near = series("810000000001", east(1), NOW + timedelta(hours=1), 90)
    held, other_specialty, shown = near[:30], near[30:60], near[60:]
    far = series("810000000002", east(-9), NOW + timedelta(minutes=30), 10)  # band 1, earlier
    index = Index(
        *free(held, **{BOOKED: 1}),
        *free([found.model_copy(update={"specialty_code": "SM26"}) for found in other_specialty]),
        *free(shown, far),
    )
    asked = query(radius_km="30", specialty="SM54")
    everything = assert_the_same_order(index, asked)
    assert ids(everything) == ids(everything[:30]) + ids(everything[30:])
    assert {found.slot.owner for found in everything[:30]} == {"810000000001"}  # band 0 first, though later
    assert [found.slot.start for found in everything[:30]] == [found.start for found in shown]


def test_a_near_partition_with_late_slots_comes_before_a_far_one_with_early_slots() -> None:
    near_late = series("810000000001", east(1), NOW + timedelta(hours=30), 30)  # band 0, the next day
    far_early = series("810000000002", east(-25), NOW + timedelta(hours=1), 120)  # band 3, another cell
    same_cell_far_early = series("810000000003", east(25), NOW + timedelta(hours=1), 120)  # band 3
    index = Index(*free(near_late, far_early, same_cell_far_early))
    asked = query(radius_km="30")
    everything = assert_the_same_order(index, asked)
    assert ids(everything[:30]) == [found.slot_id for found in near_late]
    first_page = index.reader(asked)
    assert ids(first_page.take(0, 20)) == ids(everything[:20])
    far_cell = next(found for found in first_page.partitions if found.key.startswith(cell_of(east(-25))))
    assert far_cell.read < len(far_early)  # in band 1 or beyond: not read to its end for band 0's page


def test_teleconsultations_beyond_a_crowded_cell_limit_are_found_through_their_day() -> None:
    instant = NOW + timedelta(hours=10)
    crowded = [
        slot(
            national_id="810000000001",
            slot_key=f"c-{n:03d}",
            position=east(1),
            start=instant,
            end=instant + timedelta(minutes=15),
        )
        for n in range(merge.PARTITION_LIMIT + 10)
    ]  # the cell's day holds more than the limit at one instant
    both = next(
        found
        for found in (
            slot(
                national_id="810000000009",  # sorts after the crowd at that instant: beyond the cell's limit
                slot_key=f"both-{n}",
                position=east(2),
                start=instant,
                end=instant + timedelta(minutes=15),
                consultation_types=(ConsultationType.CABINET, ConsultationType.TELECONSULTATION),
            )
            for n in range(10_000)
        )
        if all(_ties_before(found, other) for other in crowded[: merge.PARTITION_LIMIT])
    )  # first among the slots of that instant: on the first page
    remote = series(
        "810000000005",
        east(60),
        NOW + timedelta(hours=1),
        100,  # 8 hours of them before the crowd's instant
        consultation_types=(ConsultationType.TELECONSULTATION,),
    )
    index = Index(*free(crowded, [both], remote))
    asked = query(radius_km="30")
    everything = assert_the_same_order(index, asked, sizes=(20, 100))
    assert ids(everything)[0] == both.slot_id  # found through `TELE#<day>`: its cell's day stopped before it
    only_tele = assert_the_same_order(index, query(radius_km="30", consultation_type="teleconsultation"))
    assert both.slot_id in ids(only_tele)


def _ties_before(found: Slot, other: Slot) -> bool:
    return ranking.tie_break(f"{found.key['pk']}|{found.key['sk']}", NOW.date()) < ranking.tie_break(
        f"{other.key['pk']}|{other.key['sk']}", NOW.date()
    )


def test_the_treating_doctors_slots_come_first_wherever_they_are_read() -> None:
    crowd = free(
        *(series(f"81000000{n:04d}", east(1 + n / 10), NOW + timedelta(hours=1), 40) for n in range(8))
    )
    treating = series("810000000099", east(-25), NOW + timedelta(hours=40), 2)  # band 3, last hours
    on_duty = series(
        "312345678901234", east(22), NOW + timedelta(hours=20), 1, doctor_id="810000000099"
    )  # an SOS site's slot naming the treating doctor
    index = Index(*crowd, *free(treating, on_duty))
    asked = query(radius_km="30", treating_doctor="810000000099")
    everything = assert_the_same_order(index, asked)
    assert {found.slot.slot_id for found in everything[:3]} == {
        found.slot_id for found in [*treating, *on_duty]
    }


def test_cell_floors_are_never_above_the_distance_of_a_place_in_the_cell() -> None:
    rng = random.Random(31)
    for _ in range(300):
        center = Position(lat=rng.uniform(42.5, 45), lon=rng.uniform(-0.5, 3.5))
        radius = rng.choice([2.0, 5.0, 10.0, 30.0, 100.0])
        covering = set(covering_cells(center, radius))
        for _ in range(20):
            place = Position(
                lat=center.lat + rng.uniform(-1, 1) * (radius + 30) / 111, lon=center.lon + rng.uniform(-1, 1)
            )
            distance = distance_km(center, place)
            assert cell_floor_km(center, cell_of(place)) <= distance
            if cell_of(place) not in covering:
                assert radius_floor_km(radius) <= distance
