"""Occurrences of a series: days, wall-clock times across daylight-saving changes, changes of one day."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.agenda.occurrences import instant, last_day, occurrence_on, occurrences, schedule_on
from sas_common.slots.model import ConsultationType, SlotMode

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CABINET = (ConsultationType.CABINET,)
# The 2026 changes in Europe/Paris: spring forward on Sunday 29 March (02:00 → 03:00), fall back on
# Sunday 25 October (03:00 → 02:00).
SPRING = dt.date(2026, 3, 29)
AUTUMN = dt.date(2026, 10, 25)


def schedule(**fields: object) -> Schedule:
    values: dict[str, object] = {
        "effective_from": dt.date(2026, 3, 1),
        "start": "10:00",
        "end": "12:00",
        "mode": SlotMode.SLOTS,
        "slot_minutes": 15,
        "consultation_types": CABINET,
    }
    values.update(fields)
    return Schedule.model_validate(values)


def series(*revisions: Schedule, **fields: object) -> Series:
    first = revisions[0] if revisions else schedule()
    values: dict[str, object] = {
        "id": "a1",
        "national_id": "810000000001",
        "place_id": "p1",
        "date": first.effective_from,
        "revisions": revisions or (first,),
        "created_at": NOW,
        "updated_at": NOW,
        "updated_by": "t",
    }
    values.update(fields)
    return Series.model_validate(values)


@pytest.mark.parametrize(
    ("day", "clock", "expected_utc", "expected_local"),
    [
        (dt.date(2026, 1, 15), "10:00", "2026-01-15T09:00:00+00:00", "2026-01-15T10:00:00+01:00"),
        (dt.date(2026, 7, 15), "10:00", "2026-07-15T08:00:00+00:00", "2026-07-15T10:00:00+02:00"),
        # Spring-forward day: 02:30 does not exist; read with the offset before the gap → 03:30 summer time.
        (SPRING, "02:30", "2026-03-29T01:30:00+00:00", "2026-03-29T03:30:00+02:00"),
        (SPRING, "10:00", "2026-03-29T08:00:00+00:00", "2026-03-29T10:00:00+02:00"),
        # Fall-back day: 02:30 exists twice; the first (summer time) is taken.
        (AUTUMN, "02:30", "2026-10-25T00:30:00+00:00", "2026-10-25T02:30:00+02:00"),
        (AUTUMN, "10:00", "2026-10-25T09:00:00+00:00", "2026-10-25T10:00:00+01:00"),
        # 24:00 is the midnight ending the day.
        (dt.date(2026, 1, 15), "24:00", "2026-01-15T23:00:00+00:00", "2026-01-16T00:00:00+01:00"),
    ],
)
def test_wall_clock_instants(day: dt.date, clock: str, expected_utc: str, expected_local: str) -> None:
    moment = instant(day, clock, PARIS)
    assert moment.isoformat() == expected_utc
    assert moment.astimezone(PARIS).isoformat() == expected_local


@pytest.mark.parametrize(
    ("first", "last", "offsets"),
    [
        (dt.date(2026, 3, 26), dt.date(2026, 4, 1), ["+01:00"] * 3 + ["+02:00"] * 4),
        (dt.date(2026, 10, 22), dt.date(2026, 10, 28), ["+02:00"] * 3 + ["+01:00"] * 4),
    ],
    ids=["spring-week", "autumn-week"],
)
def test_a_daily_10_00_stays_10_00_local_across_the_change(
    first: dt.date, last: dt.date, offsets: list[str]
) -> None:
    daily = series(schedule(effective_from=first, recurrence_weekdays=(0, 1, 2, 3, 4, 5, 6)))
    found = occurrences(daily, first, last, PARIS)
    assert [o.start.astimezone(PARIS).strftime("%H:%M%z") for o in found] == [
        "10:00" + offset.replace(":", "") for offset in offsets
    ]
    assert all((o.end - o.start).total_seconds() == 2 * 3600 for o in found)


@pytest.mark.parametrize(
    ("start", "end", "slot_starts"),
    [
        # Times in the gap (02:00–03:00) move forward by the gap: a span wholly inside it moves whole,
        ("02:15", "02:45", ["03:15", "03:30"]),
        # a span starting in it is shortened, and is empty when its end is where its start lands.
        ("02:30", "03:30", []),
        ("02:30", "04:00", ["03:30", "03:45"]),
        ("02:00", "04:00", ["03:00", "03:15", "03:30", "03:45"]),
        ("01:30", "03:30", ["01:30", "01:45", "03:00", "03:15"]),
    ],
)
def test_slots_on_the_spring_forward_day(start: str, end: str, slot_starts: list[str]) -> None:
    one_off = series(schedule(effective_from=SPRING, start=start, end=end))
    found = occurrences(one_off, SPRING, SPRING, PARIS)
    starts = [piece[0].astimezone(PARIS).strftime("%H:%M") for o in found for piece in o.slots()]
    assert starts == slot_starts


def test_slots_on_the_fall_back_day_run_in_real_time() -> None:
    one_off = series(schedule(effective_from=AUTUMN, start="02:30", end="03:30", slot_minutes=30))
    [occurrence] = occurrences(one_off, AUTUMN, AUTUMN, PARIS)
    assert [start.isoformat() for start, _ in occurrence.slots()] == [
        "2026-10-25T00:30:00+00:00",  # 02:30 summer time
        "2026-10-25T01:00:00+00:00",  # 02:00 winter time
        "2026-10-25T01:30:00+00:00",
        "2026-10-25T02:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("start", "end", "minutes", "count"),
    [
        ("10:00", "11:00", 15, 4),
        ("10:00", "11:00", 25, 2),
        ("10:00", "10:20", 20, 1),
        ("10:00", "11:00", 60, 1),
    ],
)
def test_a_last_partial_slot_is_dropped(start: str, end: str, minutes: int, count: int) -> None:
    one_off = series(schedule(start=start, end=end, slot_minutes=minutes))
    [occurrence] = occurrences(one_off, dt.date(2026, 3, 1), dt.date(2026, 3, 1), PARIS)
    assert len(occurrence.slots()) == count
    assert occurrence.visible_end == occurrence.start + dt.timedelta(minutes=count * minutes)


def test_a_range_is_one_piece() -> None:
    plage = series(schedule(mode=SlotMode.RANGE, slot_minutes=None, capacity=5))
    [occurrence] = occurrences(plage, dt.date(2026, 3, 1), dt.date(2026, 3, 1), PARIS)
    assert occurrence.slots() == [(occurrence.start, occurrence.end)]


MONDAY = dt.date(2026, 3, 2)


@pytest.mark.parametrize(
    ("fields", "day", "found"),
    [
        ({}, MONDAY, False),  # a one-off series (first day 1 March) only has its day
        ({}, dt.date(2026, 3, 1), True),
        ({"recurrence_weekdays": (0, 2)}, MONDAY, True),
        ({"recurrence_weekdays": (0, 2)}, dt.date(2026, 3, 3), False),  # Tuesday
        ({"recurrence_weekdays": (0, 2)}, dt.date(2026, 3, 4), True),  # Wednesday
        ({"recurrence_weekdays": (0,)}, dt.date(2026, 2, 23), False),  # before the first day
        ({"recurrence_weekdays": (0,), "until": dt.date(2026, 3, 9)}, dt.date(2026, 3, 9), True),
        ({"recurrence_weekdays": (0,), "until": dt.date(2026, 3, 9)}, dt.date(2026, 3, 16), False),
    ],
)
def test_which_days_a_series_has(fields: dict[str, object], day: dt.date, found: bool) -> None:
    assert (schedule_on(series(schedule(**fields)), day) is not None) is found


def test_revisions_apply_from_their_day_and_deletion_ends_the_series() -> None:
    weekly = series(
        schedule(recurrence_weekdays=(0,)),
        schedule(effective_from=dt.date(2026, 3, 16), start="14:00", end="15:00", recurrence_weekdays=(0,)),
        deleted_from=dt.date(2026, 3, 30),
    )
    found = occurrences(weekly, dt.date(2026, 3, 1), dt.date(2026, 4, 30), PARIS)
    assert [(o.date.isoformat(), o.start.astimezone(PARIS).strftime("%H:%M")) for o in found] == [
        ("2026-03-02", "10:00"),
        ("2026-03-09", "10:00"),
        ("2026-03-16", "14:00"),
        ("2026-03-23", "14:00"),
    ]
    assert last_day(weekly) == dt.date(2026, 3, 29)


def test_a_day_changed_on_its_own() -> None:
    weekly = series(
        schedule(recurrence_weekdays=(0,)),
        changes={
            MONDAY: OccurrenceChange(cancelled=True),
            dt.date(2026, 3, 9): OccurrenceChange(
                start="11:00", consultation_types=(ConsultationType.DOMICILE,)
            ),
        },
    )
    assert occurrence_on(weekly, MONDAY, PARIS) is None
    moved = occurrence_on(weekly, dt.date(2026, 3, 9), PARIS)
    assert moved is not None
    assert moved.modified
    assert moved.start.astimezone(PARIS).strftime("%H:%M") == "11:00"
    assert moved.end.astimezone(PARIS).strftime("%H:%M") == "12:00"
    assert moved.consultation_types == (ConsultationType.DOMICILE,)
    untouched = occurrence_on(weekly, dt.date(2026, 3, 16), PARIS)
    assert untouched is not None
    assert not untouched.modified


@pytest.mark.parametrize(
    ("fields", "deleted_from", "expected"),
    [
        ({}, None, dt.date(2026, 3, 1)),
        ({"recurrence_weekdays": (0,)}, None, None),
        ({"recurrence_weekdays": (0,), "until": dt.date(2026, 6, 1)}, None, dt.date(2026, 6, 1)),
        ({"recurrence_weekdays": (0,)}, dt.date(2026, 5, 1), dt.date(2026, 4, 30)),
    ],
)
def test_last_day(fields: dict[str, object], deleted_from: dt.date | None, expected: dt.date | None) -> None:
    assert last_day(series(schedule(**fields), deleted_from=deleted_from)) == expected
