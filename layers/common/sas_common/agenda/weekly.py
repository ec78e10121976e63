"""Visible manual hours per ISO week (pattern 13, indicator 8's "2 hours in every week").

The hours of a week are the union of its visible occurrences (overlapping availabilities count once; the
dropped end of a slots-mode occurrence does not count), in real elapsed time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from datetime import datetime, timedelta


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_days(day: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the day's ISO week."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def visible_minutes(spans: Iterable[tuple[datetime, datetime]]) -> int:
    """Minutes covered by the union of the spans."""
    total = timedelta()
    current: tuple[datetime, datetime] | None = None
    for start, end in sorted(span for span in spans if span[1] > span[0]):
        if current is not None and start <= current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            total += current[1] - current[0]
        current = (start, end)
    if current is not None:
        total += current[1] - current[0]
    return int(total.total_seconds() // 60)
