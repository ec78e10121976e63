"""A series' occurrences at their edges (issue 17): the spring-forward gap that empties an occurrence, a
series with both an end date and a deletion, an occurrence too short for one slot, a day before the
first revision, midnight as an end, and the instants in UTC.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.agenda.occurrences import (
    MIDNIGHT_END,
    Occurrence,
    clock_minutes,
    instant,
    last_day,
    occurrence_on,
    occurrences,
    schedule_on,
)
from sas_common.slots.model import ConsultationType, SlotMode

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPRING = dt.date(2026, 3, 29)  # Sunday: 02:00 → 03:00 in Europe/Paris
FIRST = dt.date(2026, 3, 2)  # a Monday


def schedule(**fields: object) -> Schedule:
    values: dict[str, object] = {
        "effective_from": FIRST,
        "start": "10:00",
        "end": "12:00",
        "mode": SlotMode.SLOTS,
        "slot_minutes": 15,
        "consultation_types": (ConsultationType.CABINET,),
    }
    values.update(fields)
    return Schedule.model_validate(values)


def series(*revisions: Schedule, **fields: object) -> Series:
    values: dict[str, object] = {
        "id": "a1",
        "national_id": "810000000001",
        "place_id": "p1",
        "date": FIRST,
        "revisions": revisions or (schedule(),),
        "created_at": NOW,
        "updated_at": NOW,
        "updated_by": "t",
    }
    values.update(fields)
    return Series.model_validate(values)


def local(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%H:%M")


@pytest.mark.parametrize(("clock", "minutes"), [("00:00", 0), ("01:00", 60), ("10:05", 605), ("23:59", 1439)])
def test_clock_minutes(clock: str, minutes: int) -> None:
    assert clock_minutes(clock) == minutes
    assert clock_minutes(MIDNIGHT_END) == 1440


def test_instants_are_in_utc() -> None:
    moment = instant(dt.date(2026, 7, 15), "10:00", PARIS)
    assert moment.tzinfo is UTC
    assert moment == datetime(2026, 7, 15, 8, tzinfo=UTC)


def test_midnight_ends_the_day() -> None:
    assert MIDNIGHT_END == "24:00"
    assert instant(dt.date(2026, 7, 15), "24:00", PARIS) == datetime(2026, 7, 15, 22, tzinfo=UTC)
    found = occurrence_on(series(schedule(start="20:00", end="24:00")), FIRST, PARIS)
    assert found is not None
    assert found.end - found.start == timedelta(hours=4)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("02:30", "03:30", None),  # both ends read as 03:30: empty, no occurrence
        ("02:00", "03:00", None),
        ("02:15", "02:45", ("03:15", "03:45")),
        ("02:30", "03:31", ("03:30", "03:31")),  # one minute left
        ("02:30", "04:00", ("03:30", "04:00")),
        ("01:30", "03:30", ("01:30", "03:30")),  # one real hour
    ],
)
def test_the_spring_forward_gap(start: str, end: str, expected: tuple[str, str] | None) -> None:
    found = occurrence_on(
        series(schedule(effective_from=SPRING, start=start, end=end), date=SPRING), SPRING, PARIS
    )
    if expected is None:
        assert found is None
    else:
        assert found is not None
        assert (local(found.start), local(found.end)) == expected


def test_an_occurrence_says_whether_it_recurs() -> None:
    once = occurrence_on(series(), FIRST, PARIS)
    weekly = occurrence_on(series(schedule(recurrence_weekdays=(0,))), FIRST, PARIS)
    assert once is not None
    assert weekly is not None
    assert (once.recurring, weekly.recurring) == (False, True)
    assert (once.modified, once.availability_id, once.place_id, once.date) == (False, "a1", "p1", FIRST)


def test_a_series_with_an_end_date_and_a_deletion_ends_at_the_earlier() -> None:
    ends_first = series(
        schedule(recurrence_weekdays=(0,), until=dt.date(2026, 3, 16)), deleted_from=dt.date(2026, 4, 1)
    )
    deleted_first = series(
        schedule(recurrence_weekdays=(0,), until=dt.date(2026, 4, 30)), deleted_from=dt.date(2026, 3, 17)
    )
    assert last_day(ends_first) == dt.date(2026, 3, 16)
    assert last_day(deleted_first) == dt.date(2026, 3, 16)
    for both in (ends_first, deleted_first):
        days = [o.date for o in occurrences(both, FIRST, dt.date(2026, 5, 31), PARIS)]
        assert days == [FIRST, dt.date(2026, 3, 9), dt.date(2026, 3, 16)]


@pytest.mark.parametrize(
    ("fields", "last"),
    [
        ({}, FIRST),  # one day
        ({"deleted_from": dt.date(2026, 3, 3)}, FIRST),
        ({"revisions": (schedule(recurrence_weekdays=(0,)),)}, None),  # no end
        (
            {"revisions": (schedule(recurrence_weekdays=(0,)),), "deleted_from": dt.date(2026, 3, 20)},
            dt.date(2026, 3, 19),
        ),
    ],
)
def test_the_last_day_of_a_series(fields: dict[str, object], last: dt.date | None) -> None:
    assert last_day(series(**fields)) == last


def test_a_day_before_the_first_revision_has_no_schedule() -> None:
    later = series(schedule(effective_from=dt.date(2026, 3, 9), recurrence_weekdays=(0,)))
    assert schedule_on(later, FIRST) is None
    assert occurrence_on(later, FIRST, PARIS) is None
    assert schedule_on(later, dt.date(2026, 3, 9)) is not None


def occurrence(
    start: str, end: str, mode: SlotMode = SlotMode.SLOTS, slot_minutes: int | None = 15
) -> Occurrence:
    day = dt.date(2026, 7, 15)
    return Occurrence(
        availability_id="a1",
        place_id="p1",
        date=day,
        start=instant(day, start, PARIS),
        end=instant(day, end, PARIS),
        mode=mode,
        slot_minutes=slot_minutes,
        capacity=None,
        walk_in=False,
        consultation_types=(ConsultationType.CABINET,),
        recurring=False,
        modified=False,
    )


@pytest.mark.parametrize(
    ("start", "end", "slots", "visible_end"),
    [
        ("10:00", "10:10", [], "10:00"),  # too short for one 15-minute slot: nothing offered
        ("10:00", "10:14", [], "10:00"),
        ("10:00", "10:15", [("10:00", "10:15")], "10:15"),
        ("10:00", "10:50", [("10:00", "10:15"), ("10:15", "10:30"), ("10:30", "10:45")], "10:45"),
        ("09:50", "10:20", [("09:50", "10:05"), ("10:05", "10:20")], "10:20"),
    ],
)
def test_slots_are_cut_from_the_start(
    start: str, end: str, slots: list[tuple[str, str]], visible_end: str
) -> None:
    found = occurrence(start, end)
    assert [(local(a), local(b)) for a, b in found.slots()] == slots
    assert local(found.visible_end) == visible_end


@pytest.mark.parametrize(
    ("mode", "slot_minutes"),
    [(SlotMode.RANGE, None), (SlotMode.RANGE, 15), (SlotMode.SLOTS, None), (SlotMode.SLOTS, 0)],
)
def test_a_range_or_a_schedule_without_slot_length_is_one_piece(
    mode: SlotMode, slot_minutes: int | None
) -> None:
    found = occurrence("10:00", "10:50", mode, slot_minutes)
    assert found.slots() == [(found.start, found.end)]
    assert found.visible_end == found.end


def test_a_cancelled_day_and_a_changed_day() -> None:
    weekly = series(
        schedule(recurrence_weekdays=(0,)),
        changes={
            dt.date(2026, 3, 9): OccurrenceChange(cancelled=True),
            dt.date(2026, 3, 16): OccurrenceChange(start="11:00"),
        },
    )
    found = occurrences(weekly, FIRST, dt.date(2026, 3, 16), PARIS)
    assert [(o.date, local(o.start), o.modified) for o in found] == [
        (FIRST, "10:00", False),
        (dt.date(2026, 3, 16), "11:00", True),
    ]
