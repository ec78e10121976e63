"""The exports' CSV lines (sas_common.eligibility.csv_export): RFC 4180, a header, no formula a spreadsheet
would run."""

from __future__ import annotations

import csv
import datetime as dt
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sas_common.eligibility.csv_export import (
    EFFECTEUR_COLUMNS,
    SHIFT_COLUMNS,
    EffecteurRow,
    effecteur_line,
    line,
    shift_line,
)
from sas_common.eligibility.rules import Indicator8, Indicator9, Month, Quarter, Status, Week, WeekVerdict
from sas_common.eligibility.shifts import PaidShift, Shift

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("values", "text"),
    [
        (["a", "b"], "a,b\r\n"),
        (["Le Goff, Anne", 'dit "Nanou"'], '"Le Goff, Anne","dit ""Nanou"""\r\n'),
        (["=HYPERLINK(1)", "+1", "-1", "@x", "ok"], "'=HYPERLINK(1),'+1,'-1,'@x,ok\r\n"),
        ([None, True, False, 3], ",true,false,3\r\n"),
    ],
)
def test_lines(values: list[object], text: str) -> None:
    assert line(values) == text


def test_an_effecteur_line() -> None:
    quarter = Quarter(2025, 1)
    failing = Week("2025-W07", dt.date(2025, 2, 10), 0, 120, None, 0, WeekVerdict.SHORT)
    row = EffecteurRow(
        national_id="810000000001",
        last_name="MARTIN",
        first_name="Claire",
        modality="individual",
        participates=True,
        indicator_8=Indicator8(quarter, Status.NOT_MET, dt.date(2024, 12, 1), [failing]),
        indicator_9=Indicator9(quarter, count=16, bookings=10, records=8, linked=2),
    )
    [parsed] = list(csv.reader(io.StringIO(line(EFFECTEUR_COLUMNS) + effecteur_line(row))))[1:]
    assert dict(zip(EFFECTEUR_COLUMNS, parsed, strict=True)) == {
        "year": "2025",
        "quarter": "1",
        "national_id": "810000000001",
        "last_name": "MARTIN",
        "first_name": "Claire",
        "modality": "individual",
        "participates": "true",
        "indicator_8": "not_met",
        "indicator_8_failing_weeks": "2025-W07",
        "indicator_9_count": "16",
        "indicator_9_band": "16-25",
        "indicator_9_amount_eur": "210.00",
    }


def test_a_shift_line_in_territory_time() -> None:
    shift = Shift("r1", "asso", datetime(2025, 3, 14, 17, tzinfo=UTC), datetime(2025, 3, 14, 21, tzinfo=UTC))
    parsed = next(csv.reader(io.StringIO(shift_line(Month(2025, 3), PaidShift(shift, 120), PARIS))))
    assert dict(zip(SHIFT_COLUMNS, parsed, strict=True)) == {
        "month": "2025-03",
        "association_id": "asso",
        "regulator_id": "r1",
        "shift_id": "20250314T1700Z",
        "start": "2025-03-14T18:00:00+01:00",
        "end": "2025-03-14T22:00:00+01:00",
        "minutes": "240",
        "paid_minutes": "120",
        "amount_eur": "180.00",
    }
