"""A series' occurrences: which days, and at which instants (wall-clock times in the territory's zone).

Times are wall-clock: a weekly 10:00 is 10:00 local on both sides of a daylight-saving change, so each
occurrence is placed on its own day, never by adding weeks to an instant. Two local times are not
one instant, and are decided as RFC 5545 does (§3.3.5):
- a time that does not exist (the spring-forward gap, 02:00–03:00 in Europe/Paris on the last Sunday of
  March) is read with the offset before the gap, which moves it forward by the gap: 02:30 → 03:30. So
  that day 02:15–02:45 is 03:15–03:45, 02:30–04:00 is 03:30–04:00, and 02:30–03:30 is empty: an empty
  span has no occurrence;
- a time that exists twice (the autumn fall-back, 02:00–03:00 on the last Sunday of October) is the
  first one (summer time, `fold=0`): 02:30 → 02:30+02:00.
Instants are computed and compared in UTC (aware datetimes in one zone compare by wall clock in Python).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.slots.model import ConsultationType, SlotMode

MIDNIGHT_END = "24:00"


@dataclass(frozen=True)
class Occurrence:
    availability_id: str
    place_id: str
    date: dt.date  # the local day
    start: datetime  # UTC
    end: datetime  # UTC
    mode: SlotMode
    slot_minutes: int | None
    capacity: int | None
    walk_in: bool
    consultation_types: tuple[ConsultationType, ...]
    recurring: bool
    modified: bool  # changed for this day only

    def slots(self) -> list[tuple[datetime, datetime]]:
        """The bookable pieces: fixed slots cut from the start (a last partial slot is dropped), or the
        whole range."""
        if self.mode is SlotMode.RANGE or not self.slot_minutes:
            return [(self.start, self.end)]
        length = timedelta(minutes=self.slot_minutes)
        count = (self.end - self.start) // length
        return [(self.start + i * length, self.start + (i + 1) * length) for i in range(count)]

    @property
    def visible_end(self) -> datetime:
        """The end of what is actually offered (the last full slot's end in slots mode)."""
        pieces = self.slots()
        return pieces[-1][1] if pieces else self.start


def instant(day: dt.date, clock: str, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day (gap: moved forward; ambiguous: the first)."""
    if clock == MIDNIGHT_END:
        day, clock = day + timedelta(days=1), "00:00"
    local = datetime.combine(day, dt.time.fromisoformat(clock)).replace(tzinfo=zone)  # fold=0
    return local.astimezone(UTC)


def clock_minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def schedule_on(series: Series, day: dt.date) -> Schedule | None:
    """The schedule of the series if `day` is one of its days (cancellations aside), else None."""
    if day < series.date or (series.deleted_from is not None and day >= series.deleted_from):
        return None
    schedule = next((s for s in reversed(series.revisions) if s.effective_from <= day), None)
    if schedule is None:
        return None
    if not schedule.recurring:
        return schedule if day == series.date else None
    if schedule.until is not None and day > schedule.until:
        return None
    return schedule if day.weekday() in schedule.recurrence_weekdays else None


def occurrence_on(series: Series, day: dt.date, zone: ZoneInfo) -> Occurrence | None:
    schedule = schedule_on(series, day)
    if schedule is None:
        return None
    change = series.changes.get(day, OccurrenceChange())
    if change.cancelled:
        return None
    start = instant(day, change.start or schedule.start, zone)
    end = instant(day, change.end or schedule.end, zone)
    if end <= start:  # emptied by the spring-forward gap
        return None
    return Occurrence(
        availability_id=series.id,
        place_id=series.place_id,
        date=day,
        start=start,
        end=end,
        mode=schedule.mode,
        slot_minutes=schedule.slot_minutes,
        capacity=schedule.capacity,
        walk_in=schedule.walk_in,
        consultation_types=change.consultation_types or schedule.consultation_types,
        recurring=schedule.recurring,
        modified=series.changes.get(day) is not None,
    )


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def occurrences(series: Series, first: dt.date, last: dt.date, zone: ZoneInfo) -> list[Occurrence]:
    """The occurrences of the series on the local days [first, last]."""
    found = (occurrence_on(series, day, zone) for day in days(max(first, series.date), last))
    return [occurrence for occurrence in found if occurrence is not None]


def last_day(series: Series) -> dt.date | None:
    """The series' last possible day (None: no end). Never earlier than the true last day."""
    schedule = series.current
    last = schedule.until if schedule.recurring else series.date
    if series.deleted_from is not None:
        before_deletion = series.deleted_from - timedelta(days=1)
        last = before_deletion if last is None else min(last, before_deletion)
    return last
