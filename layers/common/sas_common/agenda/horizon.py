"""The days an agenda may name."""

from __future__ import annotations

import datetime as dt

# How far ahead an agenda is planned, and how far back it is read: days outside are refused (a first day,
# the end of a recurrence, a day edited or deleted, a period of unavailability, an agenda read), so
# occurrences are never computed near the calendar's limits and nobody opens slots years ahead by mistake.
HORIZON = dt.timedelta(days=2 * 366)
EARLIEST = dt.date(2000, 1, 1)
