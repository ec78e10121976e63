"""The exports' CSV: one line per row, built as the rows come (never a whole file in hand). Pure.

RFC 4180 (comma, CRLF, quotes doubled), UTF-8, a header line first. A text cell that a spreadsheet would
read as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`.

*Effecteurs, per quarter* (`effecteurs/<YYYY>-Q<n>.csv`): one line per effecteur with a current
declaration in the territory (pattern 15), structures' declarations left out. Indicator 8 is the year so far,
through the quarter (its fourth quarter is the year's verdict).

*Regulation, per month* (`regulation/<YYYY-MM>.csv`): one line per shift, by association, regulator and
start; the statement's totals are their sums (the API's statements give them).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from sas_common.eligibility.rules import Indicator8, Indicator9, Month, Quarter
from sas_common.eligibility.shifts import PaidShift

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

EFFECTEUR_COLUMNS = (
    "year",
    "quarter",
    "national_id",
    "last_name",
    "first_name",
    "modality",
    "participates",
    "indicator_8",
    "indicator_8_failing_weeks",
    "indicator_9_count",
    "indicator_9_band",
    "indicator_9_amount_eur",
)
SHIFT_COLUMNS = (
    "month",
    "association_id",
    "regulator_id",
    "shift_id",
    "start",
    "end",
    "minutes",
    "paid_minutes",
    "amount_eur",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def line(values: Sequence[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(value) for value in values])
    return buffer.getvalue()


def money(value: Decimal) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class EffecteurRow:
    national_id: str
    last_name: str | None
    first_name: str | None
    modality: str | None
    participates: bool
    indicator_8: Indicator8
    indicator_9: Indicator9

    @property
    def quarter(self) -> Quarter:
        return self.indicator_9.quarter


def effecteur_line(row: EffecteurRow) -> str:
    band = row.indicator_9.band
    return line(
        (
            row.quarter.year,
            row.quarter.number,
            row.national_id,
            row.last_name,
            row.first_name,
            row.modality,
            row.participates,
            row.indicator_8.status.value,
            ";".join(week.label for week in row.indicator_8.failing),
            row.indicator_9.count,
            band.label,
            money(band.amount),
        )
    )


def shift_line(month: Month, one: PaidShift, zone: ZoneInfo) -> str:
    shift = one.shift
    return line(
        (
            month.label,
            shift.association_id,
            shift.regulator_id,
            shift.id,
            shift.start.astimezone(zone).isoformat(),
            shift.end.astimezone(zone).isoformat(),
            shift.minutes,
            one.paid_minutes,
            money(one.amount),
        )
    )
