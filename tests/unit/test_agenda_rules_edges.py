"""The manual agenda's rules at their edges (issue 17): each bound just inside, on and just outside, each
broken rule by its stable code, `rule` and `field` (never its message), and what every edit records.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime
from typing import Any

import pytest

from sas_common.agenda import rules
from sas_common.agenda.horizon import EARLIEST, HORIZON
from sas_common.agenda.model import AvailabilityInput, AvailabilityPatch, OccurrenceChange, Schedule, Series
from sas_common.errors import RuleViolation
from sas_common.slots.model import ConsultationType, SlotMode

TODAY = dt.date(2026, 3, 10)  # a Tuesday
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)
LATER = datetime(2026, 3, 10, 11, tzinfo=UTC)
MONDAY = dt.date(2026, 3, 2)
THURSDAY = dt.date(2026, 3, 12)


def body(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "place_id": "p1",
        "date": MONDAY.isoformat(),
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
        by="creator",
    )


def weekly(**changes: Any) -> Series:
    return new(recurrence_weekdays=[0, 3], **changes)  # Mondays and Thursdays from 2 March


def patch(**fields: Any) -> AvailabilityPatch:
    return AvailabilityPatch.model_validate(fields)


def broken(call: Any, *args: Any, **kwargs: Any) -> tuple[str | None, str | None]:
    """The `(rule, field)` of the rule violation the call raises, checked for what every one carries."""
    with pytest.raises(RuleViolation) as raised:
        call(*args, **kwargs)
    error = raised.value
    assert (error.code, error.status) == ("rule_violation", 422)
    assert isinstance(error.message, str)
    assert error.message
    return error.rule, error.field


def test_every_rule_has_its_stable_code() -> None:
    assert {rule.name: rule.value for rule in rules.Rule} == {
        "UNKNOWN_PLACE": "unknown_place",
        "DATE_IN_PAST": "date_in_past",
        "END_NOT_AFTER_START": "end_not_after_start",
        "SLOT_MINUTES_REQUIRED": "slot_minutes_required",
        "SLOT_LONGER_THAN_SPAN": "slot_longer_than_span",
        "CAPACITY_REQUIRED": "capacity_required",
        "NOT_FOR_MODE": "not_for_mode",
        "UNTIL_BEFORE_DATE": "until_before_date",
        "UNTIL_WITHOUT_RECURRENCE": "until_without_recurrence",
        "DATE_REQUIRED": "date_required",
        "NOT_AN_OCCURRENCE": "not_an_occurrence",
        "SERIES_FIELD": "series_field",
        "VALUE_REQUIRED": "value_required",
        "NOTHING_TO_CHANGE": "nothing_to_change",
        "BEYOND_HORIZON": "beyond_horizon",
        "BEFORE_EARLIEST": "before_earliest",
    }


# --- the horizon: from EARLIEST to HORIZON after today ---------------------------------------------------


@pytest.mark.parametrize(
    ("day", "rule"),
    [
        (TODAY + HORIZON - dt.timedelta(days=1), None),
        (TODAY + HORIZON, None),
        (TODAY + HORIZON + dt.timedelta(days=1), "beyond_horizon"),
        (EARLIEST + dt.timedelta(days=1), None),
        (EARLIEST, None),
        (EARLIEST - dt.timedelta(days=1), "before_earliest"),
    ],
)
@pytest.mark.parametrize("field", ["date", "until"])
def test_the_horizon_at_its_edges(day: dt.date, rule: str | None, field: str) -> None:
    if rule is None:
        rules.check_horizon(day, TODAY, field)
    else:
        assert broken(rules.check_horizon, day, TODAY, field) == (rule, field)


def test_the_horizon_is_two_leap_years_of_days() -> None:
    assert (dt.timedelta(days=732), dt.date(2000, 1, 1)) == (HORIZON, EARLIEST)


BEYOND = TODAY + HORIZON + dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("call", "field"),
    [
        pytest.param(lambda: new(today=TODAY, date=BEYOND.isoformat()), "date", id="new: first day"),
        pytest.param(
            lambda: new(
                today=TODAY, date=TODAY.isoformat(), recurrence_weekdays=[0], until=BEYOND.isoformat()
            ),
            "until",
            id="new: until",
        ),
        pytest.param(
            lambda: rules.edit_series(
                weekly(), patch(until=BEYOND), from_day=None, today=TODAY, now=NOW, by="t"
            ),
            "until",
            id="series edit: until",
        ),
        pytest.param(
            lambda: rules.edit_series(
                weekly(), patch(start="11:00"), from_day=BEYOND, today=TODAY, now=NOW, by="t"
            ),
            "date",
            id="series edit: from",
        ),
        pytest.param(
            lambda: rules.delete_series(weekly(), from_day=BEYOND, today=TODAY, now=NOW, by="t"),
            "date",
            id="series delete: from",
        ),
        pytest.param(
            lambda: rules.edit_occurrence(
                weekly(), patch(start="08:00"), day=BEYOND, today=TODAY, now=NOW, by="t"
            ),
            "date",
            id="occurrence edit",
        ),
        pytest.param(
            lambda: rules.delete_occurrence(weekly(), day=BEYOND, today=TODAY, now=NOW, by="t"),
            "date",
            id="occurrence delete",
        ),
    ],
)
def test_every_edit_refuses_a_day_beyond_the_horizon(call: Any, field: str) -> None:
    assert broken(call) == ("beyond_horizon", field)


def test_an_until_before_earliest_names_until() -> None:
    assert broken(new, today=TODAY, date=TODAY.isoformat(), recurrence_weekdays=[1], until="1999-12-31") == (
        "before_earliest",
        "until",
    )
    # On EARLIEST itself the horizon allows it; it is then before the first day.
    assert broken(new, today=TODAY, date=TODAY.isoformat(), recurrence_weekdays=[1], until="2000-01-01") == (
        "until_before_date",
        "until",
    )


# --- a schedule's own fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "slot_minutes", "rule"),
    [
        # across an hour: 09:50-10:05 is 15 minutes
        ("09:50", "10:05", 14, None),
        ("09:50", "10:05", 15, None),
        ("09:50", "10:05", 16, "slot_longer_than_span"),
        ("09:59", "10:04", 5, None),
        ("09:59", "10:03", 5, "slot_longer_than_span"),
        ("22:00", "24:00", 120, None),
        ("22:00", "24:00", 121, "slot_longer_than_span"),
        ("08:00", "12:00", 240, None),
    ],
)
def test_a_slot_fits_in_its_span(start: str, end: str, slot_minutes: int, rule: str | None) -> None:
    if rule is None:
        assert new(start=start, end=end, slot_minutes=slot_minutes).current.slot_minutes == slot_minutes
    else:
        assert broken(new, start=start, end=end, slot_minutes=slot_minutes) == (rule, "slot_minutes")


@pytest.mark.parametrize(
    ("start", "end", "valid"),
    [
        ("10:00", "10:01", True),
        ("10:00", "10:00", False),
        ("10:01", "10:00", False),
        ("00:00", "24:00", True),
    ],
)
def test_an_availability_ends_after_it_starts(start: str, end: str, valid: bool) -> None:
    range_mode: dict[str, Any] = {"mode": "range", "slot_minutes": ..., "capacity": 1}
    if valid:
        series = new(start=start, end=end, **range_mode)
        assert (series.current.start, series.current.end) == (start, end)
    else:
        assert broken(new, start=start, end=end, **range_mode) == ("end_not_after_start", "end")


@pytest.mark.parametrize(
    ("until", "rule"),
    [("2026-03-01", "until_before_date"), ("2026-03-02", None), ("2026-03-03", None)],
)
def test_a_recurrence_may_end_on_its_first_day(until: str, rule: str | None) -> None:
    if rule is None:
        assert new(recurrence_weekdays=[0], until=until).current.until == dt.date.fromisoformat(until)
    else:
        assert broken(new, recurrence_weekdays=[0], until=until) == (rule, "until")


@pytest.mark.parametrize(
    ("mode", "field", "value"),
    [("slots", "capacity", 2), ("slots", "walk_in", True), ("range", "slot_minutes", 15)],
)
def test_a_field_of_the_other_mode_is_refused(mode: str, field: str, value: Any) -> None:
    fields: dict[str, Any] = {"mode": mode, field: value}
    if mode == "range":
        fields["capacity"] = 3
    else:
        fields["slot_minutes"] = 15
    assert broken(new, **fields) == ("not_for_mode", field)
    series = weekly()
    if mode == "slots":
        assert broken(
            rules.edit_series, series, patch(**{field: value}), from_day=None, today=TODAY, now=NOW, by="t"
        ) == ("not_for_mode", field)


def test_a_new_range_keeps_its_capacity_and_walk_in() -> None:
    series = new(mode="range", slot_minutes=..., capacity=7, walk_in=True)
    current = series.current
    assert (current.mode, current.capacity, current.walk_in, current.slot_minutes) == (
        SlotMode.RANGE,
        7,
        True,
        None,
    )


def test_a_new_series_records_who_and_when() -> None:
    series = new(consultation_types=["teleconsultation", "domicile", "cabinet"], recurrence_weekdays=[3, 0])
    assert (series.created_at, series.updated_at, series.updated_by) == (NOW, NOW, "creator")
    assert series.current.consultation_types == (
        ConsultationType.CABINET,
        ConsultationType.DOMICILE,
        ConsultationType.TELECONSULTATION,
    )
    assert series.current.recurrence_weekdays == (0, 3)


# --- edits: what a patch carries ----------------------------------------------------------------------


@pytest.mark.parametrize("cleared", ["slot_minutes", "capacity"])
def test_a_null_for_a_modes_own_field_means_nothing(cleared: str) -> None:
    edited = rules.edit_series(
        weekly(),
        patch(
            **{cleared: None},
            start="11:00",
            end="13:00",
            consultation_types=["domicile"],
            recurrence_weekdays=[2],
            until="2026-06-01",
        ),
        from_day=None,
        today=TODAY,
        now=LATER,
        by="editor",
    )
    current = edited.current
    assert (current.start, current.end, current.slot_minutes) == ("11:00", "13:00", 15)
    assert (current.consultation_types, current.recurrence_weekdays) == ((ConsultationType.DOMICILE,), (2,))
    assert current.until == dt.date(2026, 6, 1)


@pytest.mark.parametrize("cleared", ["slot_minutes", "capacity"])
def test_only_nulls_of_a_modes_own_fields_change_nothing(cleared: str) -> None:
    assert broken(
        rules.edit_series, weekly(), patch(**{cleared: None}), from_day=None, today=TODAY, now=NOW, by="t"
    ) == ("nothing_to_change", None)


@pytest.mark.parametrize(
    "field", ["start", "end", "mode", "walk_in", "consultation_types", "recurrence_weekdays"]
)
def test_a_null_elsewhere_is_refused(field: str) -> None:
    assert broken(
        rules.edit_series, weekly(), patch(**{field: None}), from_day=None, today=TODAY, now=NOW, by="t"
    ) == ("value_required", field)


def test_every_edit_records_who_and_when() -> None:
    series = weekly()
    edits = [
        rules.edit_series(series, patch(start="11:00"), from_day=None, today=TODAY, now=LATER, by="editor"),
        rules.edit_occurrence(
            series, patch(start="08:00"), day=THURSDAY, today=TODAY, now=LATER, by="editor"
        ),
        rules.delete_occurrence(series, day=THURSDAY, today=TODAY, now=LATER, by="editor"),
        rules.delete_series(series, from_day=THURSDAY, today=TODAY, now=LATER, by="editor"),
    ]
    for edited in edits:
        assert edited is not None
        assert (edited.updated_at, edited.updated_by, edited.created_at) == (LATER, "editor", NOW)


def test_an_edit_from_the_day_a_revision_starts_revises_that_revision() -> None:
    once = rules.edit_series(weekly(), patch(start="11:00"), from_day=THURSDAY, today=TODAY, now=NOW, by="t")
    twice = rules.edit_series(once, patch(end="13:00"), from_day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert [(r.effective_from, r.start, r.end) for r in twice.revisions] == [
        (MONDAY, "10:00", "12:00"),
        (THURSDAY, "11:00", "13:00"),
    ]


def series_revised_later(first: dt.date) -> Series:
    """A series whose first revision starts after its first day (as an older item may be stored)."""
    schedule = Schedule(
        effective_from=first,
        start="10:00",
        end="12:00",
        mode=SlotMode.SLOTS,
        slot_minutes=15,
        consultation_types=(ConsultationType.CABINET,),
        recurrence_weekdays=(0, 3),
    )
    return Series(
        id="a1",
        national_id="810000000001",
        place_id="p1",
        date=MONDAY,
        revisions=(schedule,),
        created_at=NOW,
        updated_at=NOW,
        updated_by="t",
    )


def test_an_edit_before_the_first_revision_revises_the_first() -> None:
    series = series_revised_later(dt.date(2026, 3, 16))
    edited = rules.edit_series(series, patch(start="09:00"), from_day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert [(r.effective_from, r.start, r.end) for r in edited.revisions] == [
        (THURSDAY, "09:00", "12:00"),
        (dt.date(2026, 3, 16), "09:00", "12:00"),
    ]


def test_an_occurrence_edit_sorts_its_consultation_types_and_keeps_the_series_recurrence() -> None:
    edited = rules.edit_occurrence(
        weekly(until="2026-03-12"),
        patch(consultation_types=["teleconsultation", "domicile", "cabinet"]),
        day=THURSDAY,
        today=TODAY,
        now=NOW,
        by="t",
    )
    assert edited.changes[THURSDAY] == OccurrenceChange(
        consultation_types=(
            ConsultationType.CABINET,
            ConsultationType.DOMICILE,
            ConsultationType.TELECONSULTATION,
        )
    )
    assert edited.current.recurrence_weekdays == (0, 3)


# --- deleting a series -------------------------------------------------------------------------------------


def test_deleting_a_future_series_from_its_first_day_removes_it() -> None:
    future = new(date="2026-04-06", recurrence_weekdays=[0])
    assert rules.delete_series(future, from_day=dt.date(2026, 4, 6), today=TODAY, now=NOW, by="t") is None
    kept = rules.delete_series(future, from_day=dt.date(2026, 4, 7), today=TODAY, now=NOW, by="t")
    assert kept is not None
    assert kept.deleted_from == dt.date(2026, 4, 7)


def test_deleting_again_keeps_the_earlier_deletion() -> None:
    series = weekly(until="2026-12-31")
    first = rules.delete_series(series, from_day=dt.date(2026, 4, 1), today=TODAY, now=NOW, by="t")
    assert first is not None
    later = rules.delete_series(first, from_day=dt.date(2026, 5, 1), today=TODAY, now=NOW, by="t")
    earlier = rules.delete_series(first, from_day=dt.date(2026, 3, 20), today=TODAY, now=NOW, by="t")
    assert later is not None
    assert earlier is not None
    assert (later.deleted_from, earlier.deleted_from) == (dt.date(2026, 4, 1), dt.date(2026, 3, 20))
    assert later.current.until == dt.date(2026, 12, 31)  # an end date and a deletion, both kept


def test_deleting_a_series_drops_the_changes_from_that_day_on() -> None:
    series = weekly()
    for day in (THURSDAY, dt.date(2026, 3, 16), dt.date(2026, 3, 19)):
        series = rules.edit_occurrence(series, patch(start="08:00"), day=day, today=TODAY, now=NOW, by="t")
    deleted = rules.delete_series(series, from_day=dt.date(2026, 3, 16), today=TODAY, now=NOW, by="t")
    assert deleted is not None
    assert sorted(deleted.changes) == [THURSDAY]


def test_deleting_an_occurrence_cancels_that_day_only() -> None:
    deleted = rules.delete_occurrence(weekly(), day=THURSDAY, today=TODAY, now=NOW, by="t")
    assert deleted.changes == {THURSDAY: OccurrenceChange(cancelled=True)}
    assert broken(rules.delete_occurrence, weekly(), day=None, today=TODAY, now=NOW, by="t") == (
        "date_required",
        "date",
    )
    assert broken(
        rules.delete_occurrence, deleted, day=dt.date(2026, 3, 9), today=TODAY, now=NOW, by="t"
    ) == (
        "date_in_past",
        "date",
    )


def test_an_unknown_place_names_place_id() -> None:
    assert broken(new, place_id="p9") == ("unknown_place", "place_id")
    assert broken(new, date="2026-02-28") == ("date_in_past", "date")


@pytest.mark.parametrize(
    ("call", "rule", "field"),
    [
        pytest.param(lambda: new(slot_minutes=...), "slot_minutes_required", "slot_minutes", id="slots"),
        pytest.param(
            lambda: new(mode="range", slot_minutes=...), "capacity_required", "capacity", id="range"
        ),
        pytest.param(lambda: new(until="2026-05-01"), "until_without_recurrence", "until", id="until"),
        pytest.param(
            lambda: rules.edit_occurrence(
                weekly(), patch(capacity=4), day=THURSDAY, today=TODAY, now=NOW, by="t"
            ),
            "series_field",
            "capacity",
            id="series field",
        ),
        pytest.param(
            lambda: rules.edit_occurrence(
                weekly(), patch(start="08:00"), day=dt.date(2026, 3, 11), today=TODAY, now=NOW, by="t"
            ),
            "not_an_occurrence",
            "date",
            id="not an occurrence",
        ),
        pytest.param(
            lambda: rules.edit_series(weekly(), patch(), from_day=None, today=TODAY, now=NOW, by="t"),
            "nothing_to_change",
            None,
            id="nothing",
        ),
        pytest.param(
            lambda: rules.edit_occurrence(
                weekly(), patch(end="10:10"), day=THURSDAY, today=TODAY, now=NOW, by="t"
            ),
            "slot_longer_than_span",
            "slot_minutes",
            id="occurrence too short",
        ),
    ],
)
def test_every_rule_carries_its_code_rule_field_and_a_message(
    call: Any, rule: str, field: str | None
) -> None:
    assert broken(call) == (rule, field)
