"""Liberal regulators' shifts and what they are paid (docs/domain.md, "Pay (avenant 9)"). Pure.

90 € per hour of regulation inside weekdays 08:00–20:00 and Saturday 08:00–12:00, territory time. Choices:
- **Public holidays are paid as Sundays: nothing at this rate.** Sundays, public holidays, nights and
  Saturday afternoons are the out-of-hours service's periods (permanence des soins ambulatoires, PDSA),
  which pays regulators by its own scheme; the 90 €/h of avenant 9 covers the daytime hours outside it. The
  holidays are the territory's (`holidays.py`: the eleven national ones, plus Alsace-Moselle's and the
  overseas departments' own). Bridge days are ordinary days.
- A shift is cut at the edges: only the minutes inside a paid window count (a shift 18:00–22:00 on a
  Tuesday is paid 2 h). Windows are local wall-clock times turned into instants in the territory's zone,
  and every length is measured between UTC instants, so a shift across a DST change counts the time that
  really passed (08:00–20:00 never contains the change itself in France: it happens at 02:00–03:00).
- A shift belongs to the month (local) of its start, and is counted whole in that month's statement, even
  the part after midnight on the 1st: statements never share a shift, so recomputing never double-counts.
- Times are whole minutes; a shift lasts at most 24 h and ends after it starts; a regulator's shifts never
  overlap (touching is fine: 08:00–12:00 then 12:00–14:00).
- A shift is logged or deleted only while its month is open: the month in progress. The statement of a
  month that has ended is final, exported at its end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sas_common.eligibility.holidays import is_public_holiday
from sas_common.eligibility.rules import Month
from sas_common.errors import RuleViolation

# An association's id: it prefixes the `by_month` sort key (`<association>#<regulator>#<start>`), so no `#`.
ASSOCIATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
RATE_PER_HOUR = Decimal(90)
MAX_SHIFT = timedelta(hours=24)
CENT = Decimal("0.01")
# Paid windows by weekday (Monday 0 … Sunday 6), local wall-clock.
WEEKDAY_WINDOW = (dt.time(8), dt.time(20))
SATURDAY_WINDOW = (dt.time(8), dt.time(12))


class ShiftRule:
    ENDS_BEFORE_START = "shift_ends_before_start"
    TOO_LONG = "shift_too_long"
    NOT_WHOLE_MINUTES = "shift_not_whole_minutes"
    OVERLAPS = "shift_overlaps"
    MONTH_CLOSED = "month_closed"


@dataclass(frozen=True)
class Shift:
    regulator_id: str
    association_id: str
    start: datetime  # UTC
    end: datetime  # UTC
    logged_at: str | None = None

    @property
    def id(self) -> str:
        return shift_id(self.start)

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def shift_id(start: datetime) -> str:
    """A shift's id among its regulator's: its start, UTC, compact (`20250314T0800Z`)."""
    return start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def start_of(identifier: str) -> datetime | None:
    """The start a shift id encodes; None when it is not one."""
    try:
        return datetime.strptime(identifier, "%Y%m%dT%H%MZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def check_times(start: datetime, end: datetime) -> None:
    """422 naming the rule: the end after the start, at most 24 h, whole minutes."""
    if end <= start:
        raise RuleViolation("a shift ends after it starts", field="end", rule=ShiftRule.ENDS_BEFORE_START)
    if end - start > MAX_SHIFT:
        raise RuleViolation("a shift lasts at most 24 hours", field="end", rule=ShiftRule.TOO_LONG)
    for name, moment in (("start", start), ("end", end)):
        if moment.second or moment.microsecond:
            raise RuleViolation("shift times are whole minutes", field=name, rule=ShiftRule.NOT_WHOLE_MINUTES)


def month_of(start: datetime, zone: ZoneInfo) -> Month:
    return Month.of(start.astimezone(zone).date())


def check_open(start: datetime, now: datetime, zone: ZoneInfo) -> None:
    """A shift is logged or deleted only in the month in progress (its start's local month)."""
    month, current = month_of(start, zone), month_of(now, zone)
    if month != current:
        when = "has ended" if month < current else "has not begun"
        raise RuleViolation(
            f"the month {month.label} {when}: shifts are logged and deleted within the month in progress "
            f"({current.label})",
            field="start",
            rule=ShiftRule.MONTH_CLOSED,
        )


def overlapping(start: datetime, end: datetime, others: Iterable[Shift]) -> Shift | None:
    """The first of `others` sharing time with [start, end) (shifts that only touch do not)."""
    return next((other for other in others if other.start < end and start < other.end), None)


def paid_windows(day: dt.date, departments: Collection[str]) -> list[tuple[dt.time, dt.time]]:
    """The day's paid window (local): weekdays 08–20, Saturday 08–12; none on Sundays and holidays."""
    if day.weekday() == 6 or is_public_holiday(day, departments):
        return []
    return [SATURDAY_WINDOW if day.weekday() == 5 else WEEKDAY_WINDOW]


def paid_minutes(start: datetime, end: datetime, zone: ZoneInfo, departments: Collection[str] = ()) -> int:
    """Minutes of [start, end) inside the paid windows of the local days it touches."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    seconds = 0.0
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for opens, closes in paid_windows(day, departments):
            window_start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
            window_end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
            seconds += max(0.0, (min(end, window_end) - max(start, window_start)).total_seconds())
    return int(seconds // 60)


def amount(minutes: int) -> Decimal:
    """90 € an hour, to the cent."""
    return (RATE_PER_HOUR * minutes / 60).quantize(CENT)


@dataclass(frozen=True)
class PaidShift:
    shift: Shift
    paid_minutes: int

    @property
    def amount(self) -> Decimal:
        return amount(self.paid_minutes)


def paid(shifts: Iterable[Shift], zone: ZoneInfo, departments: Collection[str] = ()) -> list[PaidShift]:
    return [PaidShift(s, paid_minutes(s.start, s.end, zone, departments)) for s in shifts]


@dataclass(frozen=True)
class RegulatorTotal:
    regulator_id: str
    association_id: str
    shifts: int
    minutes: int
    paid_minutes: int

    @property
    def amount(self) -> Decimal:
        return amount(self.paid_minutes)


def totals(shifts: Sequence[PaidShift]) -> list[RegulatorTotal]:
    """Per (association, regulator), in that order: the statement's lines."""
    grouped: dict[tuple[str, str], list[PaidShift]] = {}
    for one in shifts:
        grouped.setdefault((one.shift.association_id, one.shift.regulator_id), []).append(one)
    return [
        RegulatorTotal(
            regulator_id=regulator,
            association_id=association,
            shifts=len(group),
            minutes=sum(one.shift.minutes for one in group),
            paid_minutes=sum(one.paid_minutes for one in group),
        )
        for (association, regulator), group in sorted(grouped.items())
    ]
