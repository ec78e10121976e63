"""Eligibility's use cases: an effecteur's and a structure's indicators, the regulators' shifts and
statements, and the exports (HTTP downloads and the scheduled job's files).

What each reads (docs/access-patterns.md):
- indicator 8: the owner's declaration versions and `WEEK#…` items of the ISO year (`participations`,
  patterns 13 and 15): two Queries;
- indicator 9: the effecteur's `by_effecteur` items of the quarter (`orientations`, pattern 14): one Query.
  The platform's bookings are items `BOOKING#<booking id> / META` carrying `effecteur_pk`, `at_sk =
  <start UTC>#<pk>` (the appointment's start), `booking_id`, `outcome` (`confirmed` counts; `pending`,
  `cancelled`, `expired`, `failed` do not) and `snp` (true); INT_R03 records are `APPT#… / META` with
  `status` and, once linked to a booking, its `booking_id` (sas_common.orientations.appointments);
- exports: the territory's current declarations page by page (`by_territory`, pattern 15), each page's names
  in one BatchGetItem and its effecteurs' Queries (weeks, orientations, and the history of a declaration
  past its first version) `EXPORT_CONCURRENCY` at a time: requests grow with the effecteurs, memory holds
  one page; shifts: the month's `by_month` partition, page by page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sas_common.auth import Principal, Role
from sas_common.eligibility import csv_export, shifts
from sas_common.eligibility.csv_export import EffecteurRow
from sas_common.eligibility.rules import (
    Indicator8,
    Indicator9,
    Month,
    Quarter,
    Version,
    effecteur_version,
    indicator_8,
    indicator_9,
    structure_version,
    week_records,
)
from sas_common.eligibility.shifts import PaidShift, RegulatorTotal, Shift
from sas_common.errors import Conflict, Forbidden, NotFound, RuleViolation, StaleWrite
from sas_common.jobs import EXPORT_ELIGIBILITY
from sas_common.participation.versions import Saved
from sas_common.tables import effecteur_pk, structure_pk

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

# Declarations read per page of an export, and the effecteurs of a page read at the same time.
EXPORT_PAGE = 100
EXPORT_CONCURRENCY = 8
# A shift is written again on a fresh read this many times when another write of the regulator's won.
WRITE_ATTEMPTS = 3


def local_today(rt: Runtime, now: datetime) -> dt.date:
    return now.astimezone(rt.territory.zone).date()


# --- indicators --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    owner: str  # EFF#<national id> or STRUCT#<structure id>
    quarter: Quarter
    current: Version | None  # the declaration in force now
    indicator_8: Indicator8
    indicator_9: Indicator9 | None  # effecteurs only


def _versions(saved: Sequence[Saved], structure: bool) -> list[Version]:
    read = structure_version if structure else effecteur_version
    return [read(one.saved_at, one.content) for one in saved]


def _history(rt: Runtime, current: Saved) -> list[Saved]:
    """The owner's versions; a first version is its own history (no Query)."""
    return [current] if current.version == 1 else rt.participations.version_history(current.owner)


def _indicator_8(
    rt: Runtime, owner: str, saved: Sequence[Saved], quarter: Quarter, today: dt.date, structure: bool
) -> tuple[list[Version], Indicator8]:
    versions = _versions(saved, structure)
    records = week_records(rt.participations.week_items(owner, quarter.year))
    return versions, indicator_8(versions, records, quarter, today, rt.territory.zone)


def _indicator_9(rt: Runtime, national_id: str, quarter: Quarter) -> Indicator9:
    start, end = quarter.bounds(rt.territory.zone)
    return indicator_9(quarter, rt.orientations.snp_items(effecteur_pk(national_id), start, end))


def _latest(versions: Sequence[Version]) -> Version | None:
    return max(versions, key=lambda version: version.saved_at, default=None)


def effecteur_eligibility(rt: Runtime, national_id: str, quarter: Quarter, now: datetime) -> Eligibility:
    """Indicator 8 (the ISO year so far, through the quarter) and indicator 9 (the quarter)."""
    owner = effecteur_pk(national_id)
    saved = rt.participations.version_history(owner)
    versions, eight = _indicator_8(rt, owner, saved, quarter, local_today(rt, now), structure=False)
    return Eligibility(owner, quarter, _latest(versions), eight, _indicator_9(rt, national_id, quarter))


def structure_eligibility(rt: Runtime, structure_id: str, quarter: Quarter, now: datetime) -> Eligibility:
    """A structure's indicator 8: its own weeks (`STRUCT#<id> / WEEK#…`: an association's SOS editor
    evidence; the hours of a structure's own agenda once it has one) against 2 h × its doctors. 404 when
    the structure never declared."""
    owner = structure_pk(structure_id)
    saved = rt.participations.version_history(owner)
    if not saved:
        raise NotFound(f"the structure {structure_id} has no declaration", field="structure_id")
    versions, eight = _indicator_8(rt, owner, saved, quarter, local_today(rt, now), structure=True)
    return Eligibility(owner, quarter, _latest(versions), eight, None)


# --- the quarterly export ----------------------------------------------------------------------------------


def _row(
    rt: Runtime, current: Saved, quarter: Quarter, today: dt.date, names: dict[str, Any]
) -> EffecteurRow:
    national_id = current.national_id or ""
    _, eight = _indicator_8(rt, current.owner, _history(rt, current), quarter, today, structure=False)
    latest = effecteur_version(current.saved_at, current.content)
    last_name, first_name = names.get(national_id, (None, None))
    return EffecteurRow(
        national_id=national_id,
        last_name=last_name,
        first_name=first_name,
        modality=latest.modality,
        participates=latest.participates,
        indicator_8=eight,
        indicator_9=_indicator_9(rt, national_id, quarter),
    )


@dataclass
class ExportPages:
    """Where an export is in the territory's declarations: the cursor of the next page (None before the
    first and after the last), and whether the last was read."""

    cursor: str | None = None
    done: bool = False


def quarter_rows(
    rt: Runtime,
    quarter: Quarter,
    now: datetime,
    *,
    pages: ExportPages | None = None,
    limit: int | None = None,
) -> Iterator[EffecteurRow]:
    """The effecteurs with a current declaration, page by page of the territory's declarations (pattern
    15): one page in memory, its effecteurs read `EXPORT_CONCURRENCY` at a time, in the index's order.
    From `pages.cursor` on (the first page when None), at most `limit` declarations (all when None);
    `pages` then tells where it stopped."""
    today = local_today(rt, now)
    pages = pages or ExportPages()
    left = limit
    with ThreadPoolExecutor(max_workers=EXPORT_CONCURRENCY) as pool:
        while not pages.done and (left is None or left > 0):
            size = EXPORT_PAGE if left is None else min(EXPORT_PAGE, left)
            page, pages.cursor = rt.participations.current_page(pages.cursor, size)
            pages.done = pages.cursor is None
            left = None if left is None else left - len(page)
            effecteurs = [saved for saved in page if saved.national_id is not None]
            names = rt.effecteurs.names(saved.national_id or "" for saved in effecteurs)
            yield from pool.map(partial(_row, rt, quarter=quarter, today=today, names=names), effecteurs)


def quarter_csv(
    rt: Runtime, quarter: Quarter, now: datetime, pages: ExportPages | None = None, limit: int | None = None
) -> Iterator[str]:
    """The quarter's CSV lines: the header first (unless continuing from a cursor), then one per effecteur."""
    if pages is None or pages.cursor is None:
        yield csv_export.line(csv_export.EFFECTEUR_COLUMNS)
    for row in quarter_rows(rt, quarter, now, pages=pages, limit=limit):
        yield csv_export.effecteur_line(row)


# --- regulators' shifts ------------------------------------------------------------------------------------


def _months(first: datetime, last: datetime, rt: Runtime) -> list[str]:
    zone = rt.territory.zone
    month, end = shifts.month_of(first, zone), shifts.month_of(last, zone)
    found = [month.label]
    while month < end:
        month = month.next()
        found.append(month.label)
    return found


def log_shift(
    rt: Runtime,
    caller: Principal,
    regulator_id: str,
    association_id: str,
    start: datetime,
    end: datetime,
    now: datetime,
) -> PaidShift:
    """Log a shift of the month in progress: 422 naming the rule (ends before it starts, over 24 h, not
    whole minutes, month closed, overlapping another of the regulator's); 403 when the caller's token
    names another association. Concurrent writes of one regulator are serialised (sas_common.stores.
    regulation): of two overlapping shifts logged at once, one is refused."""
    if caller.role is Role.REGULATOR and caller.structure_id and caller.structure_id != association_id:
        raise Forbidden("a regulator logs shifts for the association their account belongs to")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    shifts.check_times(start, end)
    zone = rt.territory.zone
    shifts.check_open(start, now, zone)
    shift = Shift(
        regulator_id, association_id, start, end, now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    month = shifts.month_of(start, zone).label
    checked = _months(start - shifts.MAX_SHIFT, end, rt)
    for _ in range(WRITE_ATTEMPTS):
        versions = rt.regulation.month_versions(regulator_id, checked)
        neighbours = rt.regulation.shifts_between(regulator_id, start - shifts.MAX_SHIFT, end)
        clash = shifts.overlapping(start, end, neighbours)
        if clash is not None:
            raise RuleViolation(
                f"this shift overlaps the shift {clash.id} ({clash.start.astimezone(zone):%Y-%m-%d %H:%M} – "
                f"{clash.end.astimezone(zone):%Y-%m-%d %H:%M})",
                field="start",
                rule=shifts.ShiftRule.OVERLAPS,
            )
        try:
            rt.regulation.add(shift, month, versions)
        except StaleWrite:
            continue
        return shifts.paid([shift], zone, rt.territory.departments)[0]
    raise Conflict("the regulator's shifts changed at the same time; send the shift again")


def delete_shift(rt: Runtime, regulator_id: str, identifier: str, now: datetime) -> None:
    start = shifts.start_of(identifier)
    if start is None or rt.regulation.load(regulator_id, start) is None:
        raise NotFound(f"no shift {identifier} of this regulator", field="shift_id")
    shifts.check_open(start, now, rt.territory.zone)
    if not rt.regulation.delete(regulator_id, start):
        raise NotFound(f"no shift {identifier} of this regulator", field="shift_id")


@dataclass(frozen=True)
class RegulatorMonth:
    regulator_id: str
    month: Month
    shifts: list[PaidShift]

    @property
    def totals(self) -> list[RegulatorTotal]:
        return shifts.totals(self.shifts)


def regulator_month(rt: Runtime, regulator_id: str, month: Month) -> RegulatorMonth:
    """The regulator's shifts of the month (by the local month of their start)."""
    zone = rt.territory.zone
    first, after = month.bounds(zone)
    found = rt.regulation.shifts_between(regulator_id, first, after - timedelta(seconds=1))
    return RegulatorMonth(regulator_id, month, shifts.paid(found, zone, rt.territory.departments))


@dataclass(frozen=True)
class Statement:
    association_id: str
    month: Month
    lines: list[RegulatorTotal]


def association_statement(rt: Runtime, association_id: str, month: Month) -> Statement:
    """An association's month: each regulator's shifts, hours logged, hours paid and amount."""
    if not re.fullmatch(shifts.ASSOCIATION_ID_PATTERN, association_id):
        raise RuleViolation(
            f"{association_id!r} is not an association's id", field="structure_id", rule="invalid_association"
        )
    found = rt.regulation.month_shifts(month.label, association_id)
    paid = shifts.paid(found, rt.territory.zone, rt.territory.departments)
    return Statement(association_id, month, shifts.totals(paid))


def month_csv(rt: Runtime, month: Month) -> Iterator[str]:
    """The territory's shifts of the month, one line each, page by page."""
    zone, departments = rt.territory.zone, rt.territory.departments
    yield csv_export.line(csv_export.SHIFT_COLUMNS)
    for shift in rt.regulation.month_shifts(month.label):
        yield csv_export.shift_line(month, shifts.paid([shift], zone, departments)[0], zone)


# --- the scheduled exports ---------------------------------------------------------------------------------


def quarter_key(quarter: Quarter) -> str:
    return f"effecteurs/{quarter.label}.csv"


def month_key(month: Month) -> str:
    return f"regulation/{month.label}.csv"


def export_quarter(rt: Runtime, quarter: Quarter, now: datetime) -> str:
    key = quarter_key(quarter)
    rt.exports.write(key, quarter_csv(rt, quarter, now))
    return key


def export_month(rt: Runtime, month: Month) -> str:
    key = month_key(month)
    rt.exports.write(key, month_csv(rt, month))
    return key


def closed_quarter(today: dt.date) -> Quarter:
    """The latest quarter whose export is final on `today` (its last ISO week over too)."""
    quarter = Quarter.of(today).previous()
    return quarter if today >= quarter.closing_day else quarter.previous()


def export_due(rt: Runtime, now: datetime, event: dict[str, Any] | None = None) -> dict[str, Any]:
    """The job: write the latest closed quarter and month unless the last run wrote them (`platform_state`
    cursor), and remember them; an event naming a period (`quarter`, `month`) writes that one now."""
    asked = _asked_periods(event or {})
    if asked is not None:
        return {"exported": [_export(rt, period, now) for period in asked]}
    today = local_today(rt, now)
    cursor = rt.state.load_cursor(EXPORT_ELIGIBILITY.name)
    quarter, month = closed_quarter(today), Month.of(today).previous()
    exported: list[str] = []
    if cursor.get("quarter") != quarter.label:
        exported.append(export_quarter(rt, quarter, now))
    if cursor.get("month") != month.label:
        exported.append(export_month(rt, month))
    if exported:
        rt.state.save_cursor(EXPORT_ELIGIBILITY.name, {"quarter": quarter.label, "month": month.label})
    return {"exported": exported, "quarter": quarter.label, "month": month.label}


def _asked_periods(event: dict[str, Any]) -> list[Quarter | Month] | None:
    asked: list[Quarter | Month] = []
    if event.get("quarter"):
        year, _, number = str(event["quarter"]).partition("-Q")
        asked.append(Quarter(int(year), int(number)))
    if event.get("month"):
        asked.append(Month.parse(str(event["month"])))
    return asked or None


def _export(rt: Runtime, period: Quarter | Month, now: datetime) -> str:
    return export_quarter(rt, period, now) if isinstance(period, Quarter) else export_month(rt, period)
