"""What materialisation writes (pure part): the window, the manual slots and their search keys, the week's
visible hours."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.materialise import MATERIALISED_DAYS, manual_slots, week_minutes, window
from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.agenda.unavailability import Unavailability
from sas_common.agenda.weekly import iso_week, visible_minutes, week_days
from sas_common.effecteurs.model import Card, Place, Position
from sas_common.geo import cell_of
from sas_common.slots.model import ConsultationType, SlotMode, content_item, slot_id, slot_key_of, slot_of

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # Tuesday 10:00 local
TOULOUSE = Position(lat=43.6045, lon=1.4440)
CARD = Card(
    national_id="810000000001",
    last_name="MARTIN",
    specialty_code="SM54",
    places=[Place(id="p1", address="1 place du Capitole", position=TOULOUSE), Place(id="p2", address="?")],
)


def series(identifier: str = "a1", place_id: str = "p1", **fields: Any) -> Series:
    changes = fields.pop("changes", {})
    values: dict[str, Any] = {
        "effective_from": dt.date(2026, 3, 2),
        "start": "10:00",
        "end": "11:00",
        "mode": SlotMode.SLOTS,
        "slot_minutes": 30,
        "consultation_types": (ConsultationType.CABINET,),
        "recurrence_weekdays": (0, 1, 2, 3, 4),
    }
    values.update(fields)
    schedule = Schedule.model_validate(values)
    return Series(
        id=identifier,
        national_id=CARD.national_id,
        place_id=place_id,
        date=schedule.effective_from,
        revisions=(schedule,),
        changes=changes,
        created_at=NOW,
        updated_at=NOW,
        updated_by="t",
    )


def test_the_window_covers_today_and_the_next_days_in_local_time() -> None:
    span = window(NOW, PARIS)
    assert (span.first_day, span.last_day) == (
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 10) + timedelta(MATERIALISED_DAYS),
    )
    assert span.start == datetime(2026, 3, 9, 23, tzinfo=UTC)
    assert span.end - NOW >= timedelta(hours=48 + 24)


def test_slots_of_the_window_not_yet_ended() -> None:
    slots = manual_slots(CARD, [series()], {}, NOW + timedelta(minutes=31), PARIS)
    # Tuesday 10:00 has ended, 10:30 is under way (kept), then Wednesday to Friday: 2 slots a day.
    assert [s.start.astimezone(PARIS).strftime("%a %H:%M") for s in slots] == [
        "Tue 10:30",
        "Wed 10:00",
        "Wed 10:30",
        "Thu 10:00",
        "Thu 10:30",
        "Fri 10:00",
        "Fri 10:30",
    ]
    assert {s.slot_key for s in slots} == {"a1"}
    assert all(s.position == TOULOUSE and s.specialty_code == "SM54" for s in slots)


def test_unavailability_and_cancellations_hide_slots() -> None:
    hidden_thursday = {
        "p1": Unavailability.model_validate(
            {"place_id": "p1", "periods": [{"from": "2026-03-12", "to": "2026-03-12"}]}
        )
    }
    cancelled_wednesday = series(changes={dt.date(2026, 3, 11): OccurrenceChange(cancelled=True)})
    slots = manual_slots(CARD, [cancelled_wednesday], hidden_thursday, NOW, PARIS)
    assert sorted({s.start.astimezone(PARIS).strftime("%a") for s in slots}) == ["Fri", "Tue"]


def test_a_range_is_one_slot_with_its_capacity() -> None:
    plage = series(mode=SlotMode.RANGE, slot_minutes=None, capacity=4, walk_in=True)
    slots = manual_slots(CARD, [plage], {}, NOW, PARIS)
    assert len(slots) == 4  # Tuesday to Friday
    assert all((s.mode, s.capacity, s.walk_in) == (SlotMode.RANGE, 4, True) for s in slots)
    assert all(s.end - s.start == timedelta(hours=1) for s in slots)


@pytest.mark.parametrize(
    ("types", "position", "keys"),
    [
        ((ConsultationType.CABINET,), TOULOUSE, {"cell_day"}),
        ((ConsultationType.TELECONSULTATION,), TOULOUSE, {"tele_day"}),
        ((ConsultationType.CABINET, ConsultationType.TELECONSULTATION), TOULOUSE, {"cell_day", "tele_day"}),
        ((ConsultationType.DOMICILE,), None, set()),
        ((ConsultationType.DOMICILE, ConsultationType.TELECONSULTATION), None, {"tele_day"}),
    ],
)
def test_search_keys_of_a_slot(
    types: tuple[ConsultationType, ...], position: Position | None, keys: set[str]
) -> None:
    card = CARD.model_copy(update={"places": [Place(id="p1", address="x", position=position)]})
    [slot, *_] = manual_slots(card, [series(consultation_types=types)], {}, NOW, PARIS)
    item = content_item(slot, PARIS)
    assert {key for key in ("cell_day", "tele_day") if key in item} == keys
    if "cell_day" in keys:
        assert item["cell_day"] == f"{cell_of(TOULOUSE)}#2026-03-10"
    if "tele_day" in keys:
        assert item["tele_day"] == "TELE#2026-03-10"
    assert item["pk"] == "SRC#manual#810000000001"
    assert item["sk"] == "2026-03-10T09:00:00Z#a1"
    assert item["start_sk"].startswith("2026-03-10T09:00:00Z#810000000001#manual#")
    assert item["expiry_bucket"] == "EXP#2026-03-10T09"
    assert slot_of(item) == slot
    assert slot_key_of(slot.slot_id) == {"pk": item["pk"], "sk": item["sk"]}


def test_the_local_day_of_a_late_slot_is_the_territorys() -> None:
    late = series(start="23:30", end="24:00")
    [slot, *_] = manual_slots(CARD, [late], {}, NOW, PARIS)
    assert content_item(slot, PARIS)["cell_day"].endswith("#2026-03-10")  # 22:30 UTC, still the 10th in Paris


@pytest.mark.parametrize("identifier", ["", "not-base64!", slot_id("OTHER#x", "y"), slot_id("SRC#a", "")])
def test_what_is_not_a_slot_id(identifier: str) -> None:
    assert slot_key_of(identifier) is None


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 10, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spans", "minutes"),
    [
        ([], 0),
        ([(at(9), at(10))], 60),
        ([(at(9), at(10)), (at(9, 30), at(11))], 120),  # overlapping: counted once
        ([(at(9), at(10)), (at(10), at(11))], 120),
        ([(at(9), at(10)), (at(12), at(12, 30))], 90),
        ([(at(9), at(12)), (at(10), at(11))], 180),  # nested
        ([(at(10), at(9))], 0),
    ],
)
def test_visible_minutes_merge_overlaps(spans: list[tuple[datetime, datetime]], minutes: int) -> None:
    assert visible_minutes(spans) == minutes


@pytest.mark.parametrize(
    ("day", "week", "monday"),
    [
        (dt.date(2026, 3, 10), "2026-W11", dt.date(2026, 3, 9)),
        (dt.date(2026, 3, 29), "2026-W13", dt.date(2026, 3, 23)),  # a Sunday
        (dt.date(2027, 1, 1), "2026-W53", dt.date(2026, 12, 28)),
    ],
)
def test_iso_weeks(day: dt.date, week: str, monday: dt.date) -> None:
    assert iso_week(day) == week
    assert week_days(day) == (monday, monday + timedelta(days=6))


def test_week_minutes_count_visible_hours_once() -> None:
    slots_ = series()  # weekdays 10:00–11:00: 5 h
    overlapping_range = series(
        "a2",
        start="10:30",
        end="12:00",
        mode=SlotMode.RANGE,
        slot_minutes=None,
        capacity=2,
        recurrence_weekdays=(0,),
    )  # Monday: +1 h beyond the slots
    elsewhere = series("a3", place_id="p2", recurrence_weekdays=(2,))  # Wednesday at p2, hidden below
    partial = series("a4", start="14:00", end="14:50", slot_minutes=20, recurrence_weekdays=(4,))  # 40 min
    hidden = {"p2": Unavailability(place_id="p2", indefinite=True, since=NOW - timedelta(days=30))}
    assert week_minutes(
        [slots_, overlapping_range, elsewhere, partial], hidden, dt.date(2026, 3, 10), PARIS
    ) == (5 * 60 + 60 + 40)


def test_week_minutes_across_the_spring_change_are_wall_clock_hours() -> None:
    daily = series(recurrence_weekdays=(0, 1, 2, 3, 4, 5, 6), end="12:00")
    assert week_minutes([daily], {}, dt.date(2026, 3, 29), PARIS) == 7 * 120
