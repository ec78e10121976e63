"""The manual agenda's rules: a new availability, edits and deletions of one day or of the series."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sas_common.agenda import rules
from sas_common.agenda.model import AvailabilityInput, AvailabilityPatch, OccurrenceChange, Series
from sas_common.agenda.occurrences import occurrences
from sas_common.errors import RuleViolation
from sas_common.slots.model import ConsultationType, SlotMode

PARIS = ZoneInfo("Europe/Paris")
TODAY = dt.date(2026, 3, 10)  # a Tuesday
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def body(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "place_id": "p1",
        "date": "2026-03-02",
        "start": "10:00",
        "end": "12:00",
        "mode": "slots",
        "slot_minutes": 15,
        "consultation_types": ["cabinet"],
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not ...}


def new(today: dt.date = dt.date(2026, 3, 1), **changes: Any) -> Series:
    return rules.new_series(
        AvailabilityInput.model_validate(body(**changes)),
        identifier="a1",
        national_id="810000000001",
        place_ids=["p1", "p2"],
        today=today,
        now=NOW,
        by="t",
    )


def weekly(**changes: Any) -> Series:
    return new(recurrence_weekdays=[0, 3], **changes)  # Mondays and Thursdays from 2 March


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"place_id": "p9"}, "place_id", "unknown_place"),
        ({"date": "2026-02-28"}, "date", "date_in_past"),
        ({"end": "10:00"}, "end", "end_not_after_start"),
        ({"end": "09:00"}, "end", "end_not_after_start"),
        ({"slot_minutes": ...}, "slot_minutes", "slot_minutes_required"),
        ({"end": "10:10", "slot_minutes": 15}, "slot_minutes", "slot_longer_than_span"),
        ({"mode": "range", "slot_minutes": ...}, "capacity", "capacity_required"),
        ({"mode": "range", "capacity": 3}, "slot_minutes", "not_for_mode"),
        ({"capacity": 3}, "capacity", "not_for_mode"),
        ({"walk_in": True}, "walk_in", "not_for_mode"),
        ({"until": "2026-05-01"}, "until", "until_without_recurrence"),
        ({"recurrence_weekdays": [0], "until": "2026-03-01"}, "until", "until_before_date"),
    ],
)
def test_a_new_availability_breaking_a_rule(changes: dict[str, Any], field: str, rule: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        new(**changes)
    assert (raised.value.field, raised.value.rule) == (field, rule)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"date": "2026-03-01"},  # today
        {"mode": "range", "slot_minutes": ..., "capacity": 4, "walk_in": True},
        {"end": "24:00", "start": "20:00"},
        {"recurrence_weekdays": [6, 0], "until": "2026-12-31"},
        {"consultation_types": ["cabinet", "teleconsultation", "domicile"]},
        {"end": "10:15", "slot_minutes": 15},
    ],
)
def test_a_valid_new_availability(changes: dict[str, Any]) -> None:
    series = new(**changes)
    assert series.revisions[0].effective_from == series.date


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"consultation_types": []}, "consultation_types"),
        ({"consultation_types": ["video"]}, "consultation_types"),
        ({"recurrence_weekdays": [7]}, "recurrence_weekdays"),
        ({"slot_minutes": 3}, "slot_minutes"),
        ({"slot_minutes": 300}, "slot_minutes"),
        ({"capacity": 0}, "capacity"),
        ({"start": "25:00"}, "start"),
        ({"start": "24:00"}, "start"),
        ({"start": "10:00:00"}, "start"),
        ({"mode": "open"}, "mode"),
        ({"colour": "red"}, "colour"),
        ({"place_id": ...}, "place_id"),
    ],
)
def test_a_malformed_body_names_its_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        AvailabilityInput.model_validate(body(**changes))
    assert str(raised.value.errors()[0]["loc"][0]) == field


def patch(**fields: Any) -> AvailabilityPatch:
    return AvailabilityPatch.model_validate(fields)


def times(series: Series, first: dt.date, last: dt.date) -> list[tuple[str, str]]:
    return [
        (o.date.isoformat(), o.start.astimezone(PARIS).strftime("%H:%M"))
        for o in occurrences(series, first, last, PARIS)
    ]


def test_a_series_edit_changes_the_days_to_come_only() -> None:
    edited = rules.edit_series(weekly(), patch(start="11:00"), from_day=None, today=TODAY, now=NOW, by="t")
    assert times(edited, dt.date(2026, 3, 2), dt.date(2026, 3, 16)) == [
        ("2026-03-02", "10:00"),
        ("2026-03-05", "10:00"),
        ("2026-03-09", "10:00"),
        ("2026-03-12", "11:00"),
        ("2026-03-16", "11:00"),
    ]
    assert [r.effective_from for r in edited.revisions] == [dt.date(2026, 3, 2), TODAY]


def test_a_series_edit_from_a_later_day_also_revises_later_revisions() -> None:
    once = rules.edit_series(
        weekly(), patch(start="11:00"), from_day=dt.date(2026, 3, 20), today=TODAY, now=NOW, by="t"
    )
    twice = rules.edit_series(once, patch(end="13:00"), from_day=None, today=TODAY, now=NOW, by="t")
    assert [(r.effective_from.isoformat(), r.start, r.end) for r in twice.revisions] == [
        ("2026-03-02", "10:00", "12:00"),
        ("2026-03-10", "10:00", "13:00"),
        ("2026-03-20", "11:00", "13:00"),
    ]


def test_a_series_not_started_yet_is_revised_whole() -> None:
    future = new(date="2026-04-06", recurrence_weekdays=[0])
    edited = rules.edit_series(future, patch(start="08:00"), from_day=None, today=TODAY, now=NOW, by="t")
    assert [(r.effective_from.isoformat(), r.start) for r in edited.revisions] == [("2026-04-06", "08:00")]


def test_switching_mode_drops_the_other_modes_fields() -> None:
    edited = rules.edit_series(
        weekly(), patch(mode="range", capacity=6, walk_in=True), from_day=None, today=TODAY, now=NOW, by="t"
    )
    current = edited.current
    assert (current.mode, current.slot_minutes, current.capacity, current.walk_in) == (
        SlotMode.RANGE,
        None,
        6,
        True,
    )
    back = rules.edit_series(
        edited, patch(mode="slots", slot_minutes=30), from_day=None, today=TODAY, now=NOW, by="t"
    )
    assert (back.current.capacity, back.current.walk_in, back.current.slot_minutes) == (None, False, 30)


def test_until_null_removes_the_end() -> None:
    ending = weekly(until="2026-06-01")
    edited = rules.edit_series(ending, patch(until=None), from_day=None, today=TODAY, now=NOW, by="t")
    assert edited.current.until is None


@pytest.mark.parametrize(
    ("fields", "from_day", "field", "rule"),
    [
        ({}, None, None, "nothing_to_change"),
        ({"start": None}, None, "start", "value_required"),
        ({"end": "09:00"}, None, "end", "end_not_after_start"),
        ({"mode": "range"}, None, "capacity", "capacity_required"),
        ({"capacity": 3}, None, "capacity", "not_for_mode"),
        ({"start": "11:00"}, dt.date(2026, 3, 9), "date", "date_in_past"),
    ],
)
def test_a_series_edit_breaking_a_rule(
    fields: dict[str, Any], from_day: dt.date | None, field: str | None, rule: str
) -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.edit_series(weekly(), patch(**fields), from_day=from_day, today=TODAY, now=NOW, by="t")
    assert (raised.value.field, raised.value.rule) == (field, rule)


THURSDAY = dt.date(2026, 3, 12)


def test_an_occurrence_edit_changes_that_day_only() -> None:
    edited = rules.edit_occurrence(
        weekly(),
        patch(start="08:00", consultation_types=["domicile"]),
        day=THURSDAY,
        today=TODAY,
        now=NOW,
        by="t",
    )
    assert edited.changes == {
        THURSDAY: OccurrenceChange(start="08:00", consultation_types=(ConsultationType.DOMICILE,))
    }
    assert times(edited, THURSDAY, dt.date(2026, 3, 16)) == [("2026-03-12", "08:00"), ("2026-03-16", "10:00")]
    again = rules.edit_occurrence(edited, patch(end="09:00"), day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert again.changes[THURSDAY] == OccurrenceChange(
        start="08:00", end="09:00", consultation_types=(ConsultationType.DOMICILE,)
    )


@pytest.mark.parametrize(
    ("fields", "day", "field", "rule"),
    [
        ({"start": "08:00"}, None, "date", "date_required"),
        ({"start": "08:00"}, dt.date(2026, 3, 9), "date", "date_in_past"),
        ({"start": "08:00"}, dt.date(2026, 3, 11), "date", "not_an_occurrence"),  # a Wednesday
        ({"capacity": 4}, THURSDAY, "capacity", "series_field"),
        ({"recurrence_weekdays": [1]}, THURSDAY, "recurrence_weekdays", "series_field"),
        ({"start": "12:30"}, THURSDAY, "end", "end_not_after_start"),
        ({"end": "10:10"}, THURSDAY, "slot_minutes", "slot_longer_than_span"),
    ],
)
def test_an_occurrence_edit_breaking_a_rule(
    fields: dict[str, Any], day: dt.date | None, field: str, rule: str
) -> None:
    with pytest.raises(RuleViolation) as raised:
        rules.edit_occurrence(weekly(), patch(**fields), day=day, today=TODAY, now=NOW, by="t")
    assert (raised.value.field, raised.value.rule) == (field, rule)


def test_deleting_an_occurrence_cancels_that_day_and_is_idempotent() -> None:
    once = rules.delete_occurrence(weekly(), day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert times(once, THURSDAY, dt.date(2026, 3, 16)) == [("2026-03-16", "10:00")]
    assert rules.delete_occurrence(once, day=THURSDAY, today=TODAY, now=NOW, by="t") is once
    with pytest.raises(RuleViolation) as raised:
        rules.edit_occurrence(once, patch(start="08:00"), day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert raised.value.rule == "not_an_occurrence"


def test_deleting_the_series_keeps_the_past() -> None:
    deleted = rules.delete_series(weekly(), from_day=None, today=TODAY, now=NOW, by="t")
    assert deleted is not None
    assert deleted.deleted_from == TODAY
    assert times(deleted, dt.date(2026, 3, 1), dt.date(2026, 3, 31)) == [
        ("2026-03-02", "10:00"),
        ("2026-03-05", "10:00"),
        ("2026-03-09", "10:00"),
    ]


def test_deleting_a_series_not_started_yet_removes_it() -> None:
    future = new(date="2026-04-06", recurrence_weekdays=[0])
    assert rules.delete_series(future, from_day=None, today=TODAY, now=NOW, by="t") is None


@pytest.mark.parametrize(
    ("last_day", "live"),
    [(None, True), (TODAY, True), (dt.date(2026, 3, 9), False), (dt.date(2027, 1, 1), True)],
)
def test_live_series(last_day: dt.date | None, live: bool) -> None:
    assert rules.is_live(last_day, TODAY) is live
