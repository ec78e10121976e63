"""Visible minutes per ISO week at their edges (issue 17): overlapping, touching, nested and empty spans,
and the ISO week of the days around a year's end.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from sas_common.agenda.weekly import iso_week, visible_minutes, week_days

T = datetime(2026, 3, 10, 8, tzinfo=UTC)


def span(start: int, end: int) -> tuple[datetime, datetime]:
    """Minutes after T."""
    return T + timedelta(minutes=start), T + timedelta(minutes=end)


@pytest.mark.parametrize(
    ("spans", "minutes"),
    [
        ([], 0),
        ([span(0, 60)], 60),
        ([span(0, 60), span(30, 90)], 90),  # overlap counted once
        ([span(0, 60), span(60, 120)], 120),  # touching
        ([span(0, 60), span(61, 120)], 119),  # one minute apart
        ([span(0, 120), span(30, 60)], 120),  # nested
        ([span(30, 60), span(0, 120)], 120),  # nested, given in another order
        ([span(0, 60), span(10, 20), span(50, 90)], 90),
        ([span(0, 60), span(100, 130), span(120, 150)], 110),
        ([span(10, 10)], 0),  # empty
        ([span(20, 10)], 0),  # reversed: nothing
        ([span(0, 60), span(90, 80)], 60),
        ([(T, T + timedelta(seconds=90))], 1),  # whole minutes
        ([(T, T + timedelta(seconds=59))], 0),
    ],
)
def test_visible_minutes(spans: list[tuple[datetime, datetime]], minutes: int) -> None:
    assert visible_minutes(spans) == minutes


@pytest.mark.parametrize(
    ("day", "week", "monday"),
    [
        (dt.date(2026, 3, 10), "2026-W11", dt.date(2026, 3, 9)),
        (dt.date(2026, 1, 1), "2026-W01", dt.date(2025, 12, 29)),
        (dt.date(2027, 1, 3), "2026-W53", dt.date(2026, 12, 28)),
        (dt.date(2026, 3, 15), "2026-W11", dt.date(2026, 3, 9)),  # a Sunday
    ],
)
def test_iso_weeks(day: dt.date, week: str, monday: dt.date) -> None:
    assert iso_week(day) == week
    assert week_days(day) == (monday, monday + timedelta(days=6))
