"""Avenant 9's indicators 8 and 9 (docs/domain.md, "Pay (avenant 9)"), and the periods they are computed on.

Plain typed Python: what was stored comes in as values (declaration versions, weekly records, the
orientation items of a quarter) and the verdicts come out. No AWS here.

**Indicator 8** (1 400 € a year): participating and sharing slots, through an interfaced editor not refused
(no hour quota), or manually with at least 2 hours of visible availability in *every* ISO week (a structure:
2 h × its ETP or general practitioners). Choices made here:
- The year is the ISO year: weeks W01…W52 (or W53), Monday 00:00 to Sunday 24:00 in the territory's zone.
  A quarter's view judges the weeks of that ISO year whose Thursday falls on or before the quarter's last day
  (the ISO rule that puts a week in the year of its Thursday), so the fourth quarter's view is the year's.
- The weeks before the declaration date do not count against the effecteur: the date is the first version of
  the current unbroken run of participating versions, and a week counts from its Monday on (a declaration
  made on a Wednesday excuses that week).
- Each week is judged by the declaration in force at its end: manual (the frozen visible minutes of pattern
  13, at least the required minutes) or editor (editor slots were seen that week: `WEEK#…#EDITOR#…`
  evidence from ingest, no quota). A week with an interfaced editor that never sent a slot is
  `no_editor_slots`, and fails: automatic sharing has no quota, but it must share something.
- The current week is `in_progress` (with `on_track`), never failing before it ends; weeks to come are not
  listed.

**Indicator 9** (quarterly, by band): SNP patients taken in charge on a SAS call in the calendar quarter
(territory time), from the orientations' `by_effecteur` index. Counted: INT_R03 records `booked` or
`fulfilled`, and the platform's bookings whose `outcome` is `confirmed` (and `snp` not false). A record
linked to a booking (`booking_id`) is the same patient as that booking: the pair counts once. Cancelled,
no-show, pending, expired and failed count nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sas_common.errors import RuleViolation
from sas_common.participation.rules import (
    HOURS_PER_DOCTOR,
    Declaration,
    StructureDeclaration,
    polled_editors,
    shown_editors,
)

# The first year avenant 9's indicators apply to (signed 2022); earlier years are unknown periods.
FIRST_YEAR = 2022
REQUIRED_MINUTES = int(HOURS_PER_DOCTOR * 60)
INDICATOR_8_AMOUNT = Decimal("1400")
FUTURE_PERIOD = "future_period"


# --- periods ------------------------------------------------------------------------------------------------


def local_midnight(day: dt.date, zone: ZoneInfo) -> datetime:
    """The instant (UTC) a local day starts in the zone."""
    return datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1…4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is 1 to 4, not {self.number}")

    @classmethod
    def of(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of its first day to local midnight after its last."""
        return local_midnight(self.first_day, zone), local_midnight(self.next().first_day, zone)

    @property
    def closing_day(self) -> dt.date:
        """The first day on which everything the quarter holds is final: the day after its last, or the
        Monday after its last ISO week (the week of its last Thursday) when that week ends later."""
        last_thursday = next(day for day in _days(self.last_day - timedelta(days=6), 7) if day.weekday() == 3)
        return max(self.next().first_day, last_thursday + timedelta(days=4))

    def closes(self, zone: ZoneInfo) -> datetime:
        return local_midnight(self.closing_day, zone)


@dataclass(frozen=True, order=True)
class Month:
    year: int
    number: int  # 1…12

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 12:
            raise ValueError(f"a month is 1 to 12, not {self.number}")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`; ValueError otherwise."""
        year, dash, month = text.partition("-")
        if not (dash and len(year) == 4 and len(month) == 2 and year.isdigit() and month.isdigit()):
            raise ValueError(f"a month is written YYYY-MM, not {text!r}")
        return cls(int(year), int(month))

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.number:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.number, 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.number == 12 else Month(self.year, self.number + 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.number == 1 else Month(self.year, self.number - 1)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        return local_midnight(self.first_day, zone), local_midnight(self.next().first_day, zone)


def _days(first: dt.date, count: int) -> list[dt.date]:
    return [first + timedelta(days=n) for n in range(count)]


def asked_quarter(year: int | None, quarter: int | None, today: dt.date) -> Quarter:
    """The quarter a request asks (default: the current one; a past year without a quarter: its fourth),
    refused when it has not begun (422 `future_period`, naming `year` or `quarter`)."""
    current = Quarter.of(today)
    year = current.year if year is None else year
    if year > today.year:
        raise RuleViolation(f"the year {year} has not begun", field="year", rule=FUTURE_PERIOD)
    number = quarter if quarter is not None else (current.number if year == current.year else 4)
    asked = Quarter(year, number)
    if asked > current:
        raise RuleViolation(f"the quarter {asked.label} has not begun", field="quarter", rule=FUTURE_PERIOD)
    return asked


def asked_month(text: str | None, today: dt.date) -> Month:
    """The month a request asks (`YYYY-MM`, default the current one); 422 when malformed or to come."""
    if text is None:
        return Month.of(today)
    try:
        asked = Month.parse(text)
    except ValueError as exc:
        raise RuleViolation(str(exc), field="month", rule="invalid_month") from None
    if asked.year < FIRST_YEAR:
        raise RuleViolation(
            f"months before {FIRST_YEAR} are not covered", field="month", rule="invalid_month"
        )
    if asked > Month.of(today):
        raise RuleViolation(f"the month {asked.label} has not begun", field="month", rule=FUTURE_PERIOD)
    return asked


# --- indicator 8 -------------------------------------------------------------------------------------------


class Source(StrEnum):
    MANUAL = "manual"  # the manual agenda's visible hours
    EDITOR = "editor"  # an interfaced editor's slots


class WeekVerdict(StrEnum):
    MET = "met"
    SHORT = "short"  # manual: fewer visible minutes than required (0 when nothing was recorded)
    NO_EDITOR_SLOTS = "no_editor_slots"  # editor: no slot of the effecteur seen that week
    IN_PROGRESS = "in_progress"  # the current week
    BEFORE_DECLARATION = "before_declaration"  # not required: before the participation began


FAILING = frozenset({WeekVerdict.SHORT, WeekVerdict.NO_EDITOR_SLOTS})


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    IN_PROGRESS = "in_progress"  # nothing failed yet, and the period is not over
    NOT_PARTICIPATING = "not_participating"


@dataclass(frozen=True)
class Version:
    """A declaration version, as indicator 8 reads it."""

    saved_at: datetime  # aware
    participates: bool
    source: Source
    required_minutes: int  # per week, when manual
    modality: str | None = None


def saved_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def effecteur_version(saved_at: str, content: Mapping[str, Any]) -> Version:
    declaration = Declaration.model_validate(content)
    source = Source.EDITOR if shown_editors(declaration) else Source.MANUAL
    modality = declaration.modality.value if declaration.modality else None
    return Version(saved_instant(saved_at), declaration.participates, source, REQUIRED_MINUTES, modality)


def structure_version(saved_at: str, content: Mapping[str, Any]) -> Version:
    """A structure: 2 h per ETP (SOS) or per general practitioner (CDS); editor-sourced when a participating
    association lists its SOS editors."""
    declaration = StructureDeclaration.model_validate(content)
    source = Source.EDITOR if polled_editors(declaration) else Source.MANUAL
    required = round(REQUIRED_MINUTES * declaration.doctors)
    return Version(
        saved_instant(saved_at), declaration.participates, source, required, declaration.kind.value
    )


def participation_run(versions: Sequence[Version]) -> list[Version]:
    """The current unbroken run of participating versions (oldest first), empty when the latest version
    does not participate. `versions` in any order."""
    run: list[Version] = []
    for version in sorted(versions, key=lambda v: v.saved_at):
        run = [*run, version] if version.participates else []
    return run


@dataclass(frozen=True)
class WeekRecord:
    """What was stored of a week: the manual agenda's visible minutes (None: nothing recorded, i.e. no
    manual availability that week) and the editor slots seen (count of editors that showed slots)."""

    minutes: int | None = None
    editor_slots: int = 0


@dataclass(frozen=True)
class Week:
    label: str  # YYYY-Www
    monday: dt.date
    minutes: int
    required_minutes: int
    source: Source | None  # None before the declaration
    editor_slots: int
    verdict: WeekVerdict

    @property
    def on_track(self) -> bool:
        if self.source is Source.EDITOR:
            return self.editor_slots > 0
        return self.minutes >= self.required_minutes


def year_weeks(year: int, through: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays of the ISO year's weeks whose Thursday is on or before `through` and that have begun."""
    mondays: list[dt.date] = []
    monday = dt.date.fromisocalendar(year, 1, 1)
    while monday.isocalendar().year == year and monday + timedelta(days=3) <= through and monday <= today:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def in_force(run: Sequence[Version], moment: datetime) -> Version | None:
    """The version of the run in force at `moment` (the last saved before it)."""
    found = None
    for version in run:
        if version.saved_at < moment:
            found = version
    return found


def judge_week(
    monday: dt.date, version: Version | None, record: WeekRecord, today: dt.date, since: dt.date | None
) -> Week:
    minutes = record.minutes or 0
    label = week_label(monday)
    if version is None or since is None or monday < since:
        return Week(label, monday, minutes, 0, None, record.editor_slots, WeekVerdict.BEFORE_DECLARATION)
    editor = version.source is Source.EDITOR
    required = 0 if editor else version.required_minutes
    met = record.editor_slots > 0 if editor else minutes >= required
    if monday <= today < monday + timedelta(days=7):
        verdict = WeekVerdict.IN_PROGRESS
    elif met:
        verdict = WeekVerdict.MET
    else:
        verdict = WeekVerdict.NO_EDITOR_SLOTS if editor else WeekVerdict.SHORT
    return Week(label, monday, minutes, required, version.source, record.editor_slots, verdict)


@dataclass(frozen=True)
class Indicator8:
    quarter: Quarter  # the year so far, through this quarter
    status: Status
    since: dt.date | None  # the participation's declaration date (local)
    weeks: list[Week] = field(default_factory=list)

    @property
    def failing(self) -> list[Week]:
        return [week for week in self.weeks if week.verdict in FAILING]

    @property
    def amount(self) -> Decimal:
        """The year's fee: due once the fourth quarter's view is met (0 before, and when not met)."""
        final = self.quarter.number == 4 and self.status is Status.MET
        return INDICATOR_8_AMOUNT if final else Decimal(0)


def indicator_8(
    versions: Sequence[Version],
    records: Mapping[str, WeekRecord],
    quarter: Quarter,
    today: dt.date,
    zone: ZoneInfo,
) -> Indicator8:
    """Indicator 8 for the ISO year of `quarter`, through its last day (the year so far)."""
    run = participation_run(versions)
    since = run[0].saved_at.astimezone(zone).date() if run else None
    weeks = []
    for monday in year_weeks(quarter.year, quarter.last_day, today):
        week_end = local_midnight(monday + timedelta(days=7), zone)
        version = in_force(run, week_end)
        weeks.append(judge_week(monday, version, records.get(week_label(monday), WeekRecord()), today, since))
    return Indicator8(quarter, _status(run, weeks, quarter, today), since, weeks)


def _status(run: Sequence[Version], weeks: Sequence[Week], quarter: Quarter, today: dt.date) -> Status:
    if not run:
        return Status.NOT_PARTICIPATING
    if any(week.verdict in FAILING for week in weeks):
        return Status.NOT_MET
    return Status.MET if today >= quarter.closing_day else Status.IN_PROGRESS


def week_records(items: Iterable[Mapping[str, Any]]) -> dict[str, WeekRecord]:
    """Weekly records from the `WEEK#<YYYY-Www>` items (visible minutes) and their `#EDITOR#<editor id>`
    evidence items (one per editor whose slots were seen that week)."""
    minutes: dict[str, int] = {}
    editors: dict[str, int] = {}
    for item in items:
        week, _, editor = str(item["sk"]).removeprefix("WEEK#").partition("#EDITOR#")
        if editor:
            editors[week] = editors.get(week, 0) + 1
        else:
            minutes[week] = int(item.get("visible_minutes", 0))
    return {
        week: WeekRecord(minutes.get(week), editors.get(week, 0)) for week in sorted({*minutes, *editors})
    }


# --- indicator 9 -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    low: int
    high: int | None  # None: no upper bound
    amount: Decimal

    @property
    def label(self) -> str:
        if self.low == 0:
            return f"<{self.high + 1}" if self.high is not None else "all"
        return f">{self.low - 1}" if self.high is None else f"{self.low}-{self.high}"

    def holds(self, count: int) -> bool:
        return count >= self.low and (self.high is None or count <= self.high)


BANDS: tuple[Band, ...] = (
    Band(0, 4, Decimal(0)),
    Band(5, 15, Decimal(70)),
    Band(16, 25, Decimal(210)),
    Band(26, 35, Decimal(350)),
    Band(36, 45, Decimal(490)),
    Band(46, None, Decimal(630)),
)


def band_of(count: int) -> Band:
    if count < 0:
        raise ValueError("a count of patients is never negative")
    return next(band for band in BANDS if band.holds(count))


BOOKING_PREFIX = "BOOKING#"
RECORD_PREFIX = "APPT#"
COUNTED_RECORD_STATUSES = frozenset({"booked", "fulfilled"})
COUNTED_OUTCOME = "confirmed"


@dataclass(frozen=True)
class Indicator9:
    quarter: Quarter
    count: int  # patients: bookings and records, each link counted once
    bookings: int  # confirmed bookings
    records: int  # INT_R03 records booked or fulfilled
    linked: int  # of those records, the ones already counted through their booking

    @property
    def band(self) -> Band:
        return band_of(self.count)


def _booking_counted(item: Mapping[str, Any]) -> bool:
    return item.get("outcome") == COUNTED_OUTCOME and item.get("snp") is not False


def indicator_9(quarter: Quarter, items: Iterable[Mapping[str, Any]]) -> Indicator9:
    """Count the quarter's `by_effecteur` items (bookings and INT_R03 records): a link counts once."""
    bookings: set[str] = set()
    records: list[Mapping[str, Any]] = []
    for item in items:
        pk = str(item.get("pk", ""))
        if pk.startswith(BOOKING_PREFIX) and _booking_counted(item):
            bookings.add(str(item.get("booking_id") or pk.removeprefix(BOOKING_PREFIX)))
        elif pk.startswith(RECORD_PREFIX) and item.get("status") in COUNTED_RECORD_STATUSES:
            records.append(item)
    patients = set(bookings)
    linked = 0
    for record in records:
        booking_id = str(record.get("booking_id") or "")
        if booking_id and booking_id in bookings:
            linked += 1
        patients.add(booking_id or "record:" + str(record["pk"]))
    return Indicator9(quarter, len(patients), len(bookings), len(records), linked)
