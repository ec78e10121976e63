"""The manual agenda's rules: what a valid schedule is, and how each edit changes a series.

Plain functions over the models of `sas_common.agenda.model`; each broken rule is a `RuleViolation` (422)
naming the field and the rule. `today` is the territory's local date: the past is never changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from datetime import datetime
from enum import StrEnum
from typing import Any

from sas_common.agenda.horizon import EARLIEST, HORIZON
from sas_common.agenda.model import (
    OCCURRENCE_FIELDS,
    AvailabilityInput,
    AvailabilityPatch,
    OccurrenceChange,
    Schedule,
    Series,
)
from sas_common.agenda.occurrences import clock_minutes, schedule_on
from sas_common.errors import RuleViolation
from sas_common.slots.model import SlotMode


class Rule(StrEnum):
    UNKNOWN_PLACE = "unknown_place"
    DATE_IN_PAST = "date_in_past"
    END_NOT_AFTER_START = "end_not_after_start"
    SLOT_MINUTES_REQUIRED = "slot_minutes_required"
    SLOT_LONGER_THAN_SPAN = "slot_longer_than_span"
    CAPACITY_REQUIRED = "capacity_required"
    NOT_FOR_MODE = "not_for_mode"
    UNTIL_BEFORE_DATE = "until_before_date"
    UNTIL_WITHOUT_RECURRENCE = "until_without_recurrence"
    DATE_REQUIRED = "date_required"
    NOT_AN_OCCURRENCE = "not_an_occurrence"
    SERIES_FIELD = "series_field"
    VALUE_REQUIRED = "value_required"
    NOTHING_TO_CHANGE = "nothing_to_change"
    BEYOND_HORIZON = "beyond_horizon"
    BEFORE_EARLIEST = "before_earliest"


def _broken(rule: Rule, field: str | None, message: str) -> RuleViolation:
    return RuleViolation(message, field=field, rule=rule.value)


def check_place(place_id: str, place_ids: Collection[str]) -> None:
    if place_id not in place_ids:
        raise _broken(Rule.UNKNOWN_PLACE, "place_id", f"'{place_id}' is not one of the effecteur's places")


def check_not_past(day: dt.date, today: dt.date, field: str = "date") -> None:
    if day < today:
        raise _broken(Rule.DATE_IN_PAST, field, f"{day} is in the past (today is {today}): it cannot change")


def check_horizon(day: dt.date, today: dt.date, field: str) -> None:
    """A day an agenda may name: from `EARLIEST` to `HORIZON` after today."""
    if day > today + HORIZON:
        raise _broken(
            Rule.BEYOND_HORIZON,
            field,
            f"{day} is more than {HORIZON.days} days ahead (until {today + HORIZON})",
        )
    if day < EARLIEST:
        raise _broken(Rule.BEFORE_EARLIEST, field, f"{day} is before {EARLIEST}")


def check_schedule(schedule: Schedule, first_day: dt.date) -> None:
    """A schedule's fields agree with each other (the field named is the one to fix)."""
    span = _checked_span(schedule)
    _check_mode(schedule, span)
    _check_until(schedule, first_day)


def _checked_span(schedule: Schedule) -> int:
    """The schedule's length in minutes, when it ends after it starts."""
    span = clock_minutes(schedule.end) - clock_minutes(schedule.start)
    if span <= 0:
        raise _broken(
            Rule.END_NOT_AFTER_START, "end", f"end {schedule.end} is not after start {schedule.start}"
        )
    return span


def _check_mode(schedule: Schedule, span: int) -> None:
    """Mode 'slots' needs slots that fit in the span; mode 'range' needs a capacity."""
    if schedule.mode is SlotMode.SLOTS:
        if schedule.slot_minutes is None:
            raise _broken(Rule.SLOT_MINUTES_REQUIRED, "slot_minutes", "mode 'slots' needs slot_minutes")
        if schedule.slot_minutes > span:
            raise _broken(
                Rule.SLOT_LONGER_THAN_SPAN,
                "slot_minutes",
                f"a {schedule.slot_minutes}-minute slot does not fit in {schedule.start}–{schedule.end}",
            )
    elif schedule.capacity is None:
        raise _broken(Rule.CAPACITY_REQUIRED, "capacity", "mode 'range' needs a capacity (patients, ≥ 1)")


def _check_until(schedule: Schedule, first_day: dt.date) -> None:
    """`until` ends a weekly recurrence, on or after its first day."""
    if schedule.until is not None:
        if not schedule.recurring:
            raise _broken(
                Rule.UNTIL_WITHOUT_RECURRENCE,
                "until",
                "until ends a weekly recurrence: give recurrence_weekdays",
            )
        if schedule.until < first_day:
            raise _broken(Rule.UNTIL_BEFORE_DATE, "until", f"until {schedule.until} is before {first_day}")


# The fields that belong to one mode only: given for the other mode, they are refused.
_MODE_FIELDS = {SlotMode.SLOTS: ("slot_minutes",), SlotMode.RANGE: ("capacity", "walk_in")}


def _check_mode_fields(mode: SlotMode, given: dict[str, Any]) -> None:
    for other, fields in _MODE_FIELDS.items():
        if other is mode:
            continue
        for field in fields:
            if given.get(field) not in (None, False):
                raise _broken(Rule.NOT_FOR_MODE, field, f"{field} is for mode '{other}', not '{mode}'")


def new_series(
    body: AvailabilityInput,
    *,
    identifier: str,
    national_id: str,
    place_ids: Collection[str],
    today: dt.date,
    now: datetime,
    by: str,
) -> Series:
    check_place(body.place_id, place_ids)
    check_not_past(body.date, today)
    check_horizon(body.date, today, "date")
    if body.until is not None:
        check_horizon(body.until, today, "until")
    _check_mode_fields(body.mode, body.model_dump())
    schedule = Schedule(
        effective_from=body.date,
        start=body.start,
        end=body.end,
        mode=body.mode,
        slot_minutes=body.slot_minutes,
        capacity=body.capacity,
        walk_in=body.walk_in,
        consultation_types=tuple(sorted(body.consultation_types)),
        recurrence_weekdays=tuple(sorted(body.recurrence_weekdays)),
        until=body.until,
    )
    check_schedule(schedule, body.date)
    return Series(
        id=identifier,
        national_id=national_id,
        place_id=body.place_id,
        date=body.date,
        revisions=(schedule,),
        created_at=now,
        updated_at=now,
        updated_by=by,
    )


def _given(patch: AvailabilityPatch) -> dict[str, Any]:
    """The fields the patch sets. `null` clears `until`; it means nothing for the mode's own fields
    (switching mode clears them); elsewhere a value is required."""
    given: dict[str, Any] = {}
    for field in patch.model_fields_set:
        value = getattr(patch, field)
        if value is None and field in ("slot_minutes", "capacity"):
            continue
        if value is None and field != "until":
            raise _broken(Rule.VALUE_REQUIRED, field, f"{field} cannot be null")
        given[field] = value
    if not given:
        raise _broken(Rule.NOTHING_TO_CHANGE, None, "the body changes nothing")
    return given


def _patched(schedule: Schedule, given: dict[str, Any], first_day: dt.date) -> Schedule:
    mode = given.get("mode", schedule.mode)
    _check_mode_fields(mode, given)
    values = schedule.model_dump()
    if mode is not schedule.mode:  # the previous mode's own fields do not carry over
        for field in _MODE_FIELDS[schedule.mode]:
            values[field] = Schedule.model_fields[field].default
    values.update(given)
    values["consultation_types"] = tuple(sorted(values["consultation_types"]))
    values["recurrence_weekdays"] = tuple(sorted(values["recurrence_weekdays"]))
    patched = Schedule.model_validate(values)
    check_schedule(patched, first_day)
    return patched


def edit_series(
    series: Series,
    patch: AvailabilityPatch,
    *,
    from_day: dt.date | None,
    today: dt.date,
    now: datetime,
    by: str,
) -> Series:
    """The change applies to the series' days from `from_day` (default: today) on; earlier days keep their
    schedule. Days changed on their own keep their own change."""
    start = _from_day(from_day, today)
    given = _given(patch)
    if given.get("until") is not None:
        check_horizon(given["until"], today, "until")
    effective = max(start, series.date)
    earlier = [s for s in series.revisions if s.effective_from < effective]
    in_force = next(
        (s for s in reversed(series.revisions) if s.effective_from <= effective), series.revisions[0]
    )
    later = [s for s in series.revisions if s.effective_from > effective]
    revised = [
        _patched(schedule, given, series.date)
        for schedule in [in_force.model_copy(update={"effective_from": effective}), *later]
    ]
    return _touched(series.model_copy(update={"revisions": (*earlier, *revised)}), now, by)


def edit_occurrence(
    series: Series, patch: AvailabilityPatch, *, day: dt.date | None, today: dt.date, now: datetime, by: str
) -> Series:
    """Change one day: its start, end or consultation types (the rest belongs to the series)."""
    given = _given(patch)
    for field in given:
        if field not in OCCURRENCE_FIELDS:
            raise _broken(
                Rule.SERIES_FIELD,
                field,
                f"{field} changes with scope=series; one occurrence may change "
                + ", ".join(sorted(OCCURRENCE_FIELDS)),
            )
    occurrence_day, schedule = _occurrence(series, day, today)
    before = series.changes.get(occurrence_day, OccurrenceChange())
    if "consultation_types" in given:
        given["consultation_types"] = tuple(sorted(given["consultation_types"]))
    change = OccurrenceChange.model_validate({**before.model_dump(), **given, "cancelled": False})
    effective = schedule.model_copy(
        update={
            "start": change.start or schedule.start,
            "end": change.end or schedule.end,
            "recurrence_weekdays": (),
            "until": None,
        }
    )
    check_schedule(effective, occurrence_day)
    changes = {**series.changes, occurrence_day: change}
    return _touched(series.model_copy(update={"changes": changes}), now, by)


def delete_occurrence(
    series: Series, *, day: dt.date | None, today: dt.date, now: datetime, by: str
) -> Series:
    """Cancel one day (cancelling it again changes nothing)."""
    if day is not None and series.changes.get(day, OccurrenceChange()).cancelled:
        check_not_past(day, today)
        return series
    occurrence_day, _ = _occurrence(series, day, today)
    changes = {**series.changes, occurrence_day: OccurrenceChange(cancelled=True)}
    return _touched(series.model_copy(update={"changes": changes}), now, by)


def delete_series(
    series: Series, *, from_day: dt.date | None, today: dt.date, now: datetime, by: str
) -> Series | None:
    """Delete the series from `from_day` (default: today) on; None when nothing of it is left to keep."""
    start = _from_day(from_day, today)
    if start <= series.date:
        return None
    if series.deleted_from is not None:
        start = min(start, series.deleted_from)
    changes = {day: change for day, change in series.changes.items() if day < start}
    return _touched(series.model_copy(update={"deleted_from": start, "changes": changes}), now, by)


def _from_day(from_day: dt.date | None, today: dt.date) -> dt.date:
    if from_day is None:
        return today
    check_not_past(from_day, today)
    check_horizon(from_day, today, "date")
    return from_day


def _occurrence(series: Series, day: dt.date | None, today: dt.date) -> tuple[dt.date, Schedule]:
    if day is None:
        raise _broken(Rule.DATE_REQUIRED, "date", "scope=occurrence needs the occurrence's date")
    check_not_past(day, today)
    check_horizon(day, today, "date")
    schedule = schedule_on(series, day)
    if schedule is None or series.changes.get(day, OccurrenceChange()).cancelled:
        raise _broken(Rule.NOT_AN_OCCURRENCE, "date", f"availability {series.id} has no occurrence on {day}")
    return day, schedule


def _touched(series: Series, now: datetime, by: str) -> Series:
    return series.model_copy(update={"updated_at": now, "updated_by": by})


def is_live(last_day: dt.date | None, today: dt.date) -> bool:
    """Whether a series still has days to come (the materialisation job visits live series only)."""
    return last_day is None or last_day >= today
