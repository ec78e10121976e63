"""The orientations dashboards' rules, no I/O: the criteria of a listing (period, outcomes, page), its
continuation cursor, and an orientation as shown, from the stored items.

An orientation is a booking made on the platform (`BOOKING#…`) or an editor's INT_R03 record of an
appointment (`APPT#…`). A record linked to a booking (the same slot) is shown once, on the booking: its
status (`record_status`: booked, fulfilled, noshow, cancelled) tells what became of the orientation.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sas_common.booking.model import Status
from sas_common.errors import InvalidInput
from sas_common.tables import BOOKING_PREFIX, PK

DEFAULT_DAYS = 7  # by default, the last 7 days (today included)…
AHEAD_DAYS = 2  # …and the next 2: a slot is booked at most 48 h ahead, so a booking made today is listed
MAX_DAYS = 31
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
# Queries one listing request may send (day partitions visited, filtered pages): beyond, it answers what
# it found and a cursor.
MAX_QUERIES = 40
CURSOR_MAX = 2048
RECORD_STATUSES = frozenset({"booked", "fulfilled", "noshow", "cancelled", "pending"})
OUTCOMES = frozenset(status.value for status in Status) | RECORD_STATUSES


@dataclass(frozen=True)
class Listing:
    """What a dashboard asks: orientations starting in [start, end), with these outcomes (all when empty),
    a page of `page_size`, from `cursor`."""

    start: datetime
    end: datetime
    outcomes: frozenset[str]
    page_size: int
    cursor: Cursor | None

    @property
    def days(self) -> list[str]:
        """The UTC dates of the `by_day` partitions the period covers, in order."""
        first = self.start.astimezone(UTC).date()
        last = (self.end - timedelta(microseconds=1)).astimezone(UTC).date()
        return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: a `by_day` partition (None on the other indexes) and the index key the
    last Query stopped after (None: that partition from its start)."""

    day: str | None
    after: dict[str, str] | None

    def encode(self) -> str:
        raw = json.dumps({"day": self.day, "after": self.after}, separators=(",", ":"), sort_keys=True)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        problem = InvalidInput("not a cursor this listing gave", field="cursor")
        if len(text) > CURSOR_MAX:
            raise problem
        try:
            value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        except (binascii.Error, ValueError) as error:
            raise problem from error
        if not isinstance(value, dict) or set(value) != {"day", "after"}:
            raise problem
        day, after = value["day"], value["after"]
        if day is not None and not (isinstance(day, str) and _is_date(day)):
            raise problem
        if after is not None and not (
            isinstance(after, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in after.items())
        ):
            raise problem
        return cls(day, after)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def read_listing(params: Mapping[str, str], today: date, zone: ZoneInfo) -> Listing:
    """The criteria of `?from=&to=&outcome=&page_size=&cursor=`; 400 naming the parameter.

    `from` and `to` are the territory's local dates, both included (default: the last 7 days and the next
    2 — orientations are placed by their slot's start, at most 48 h ahead —; `from` alone: to the next 2
    days; `to` alone: the 7 days before it and the 2 after; at most 31 days); `outcome` one or several
    (comma-separated) booking statuses or record statuses."""
    last = _date(params, "to", today + timedelta(days=AHEAD_DAYS))
    first = _date(params, "from", last - timedelta(days=DEFAULT_DAYS - 1 + AHEAD_DAYS))
    if first > last:
        raise InvalidInput("`from` is after `to`", field="from")
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"a period of at most {MAX_DAYS} days", field="to")
    outcomes = frozenset(o.strip() for o in params.get("outcome", "").split(",") if o.strip())
    if unknown := sorted(outcomes - OUTCOMES):
        raise InvalidInput(f"unknown outcome(s) {', '.join(unknown)[:200]}", field="outcome")
    page_size = _page_size(params.get("page_size"))
    cursor = Cursor.decode(params["cursor"]) if params.get("cursor") else None
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last + timedelta(days=1), time(), zone)
    listing = Listing(start, end, outcomes, page_size, cursor)
    if cursor is not None and cursor.day is not None and cursor.day not in listing.days:
        raise InvalidInput("the cursor is not of this period", field="cursor")
    return listing


def _date(params: Mapping[str, str], name: str, default: date) -> date:
    text = params.get(name)
    if not text:
        return default
    if not _is_date(text):
        raise InvalidInput(f"`{name}`: a date YYYY-MM-DD", field=name)
    found = date.fromisoformat(text)
    if not date(2000, 1, 1) <= found <= date(2099, 12, 31):
        raise InvalidInput(f"`{name}`: a date between 2000 and 2099", field=name)
    return found


def _page_size(text: str | None) -> int:
    if not text:
        return DEFAULT_PAGE_SIZE
    if not (text.isdigit() and len(text) <= 3 and 1 <= int(text) <= MAX_PAGE_SIZE):
        raise InvalidInput(f"`page_size`: 1 to {MAX_PAGE_SIZE}", field="page_size")
    return int(text)


@dataclass(frozen=True)
class Orientation:
    """One orientation as the dashboards show it: no patient data (the platform has none)."""

    id: str
    kind: str  # "booking" or "appointment_record"
    status: str  # the booking's status, or the record's
    effecteur: str  # the national id, or an SOS association's `3` + SIRET
    start: str | None
    end: str | None
    flow: str | None = None  # a booking's: editor or phone_callback
    regulator: str | None = None
    doctor: str | None = None
    editor_id: str | None = None
    place_id: str | None = None
    editor_record: str | None = None  # the editor's appointment of a booking (its Location)
    record_status: str | None = None  # the linked INT_R03 record's status
    done_at: str | None = None  # the effecteur marked the consultation as done
    created_at: str | None = None


def is_shown(item: Mapping[str, Any]) -> bool:
    """A record linked to a booking is shown on the booking, not on its own."""
    return _is_booking(item) or not item.get("booking_id")


def orientation_of(item: Mapping[str, Any], record: Mapping[str, Any] | None = None) -> Orientation:
    """An index item as an orientation (`record`: the linked INT_R03 record of a booking, if any)."""
    if _is_booking(item):
        return Orientation(
            id=str(item["booking_id"]),
            kind="booking",
            status=str(item["status"]),
            effecteur=str(item["owner"]),
            start=_text(item.get("start")),
            end=_text(item.get("end")),
            flow=_text(item.get("flow")),
            regulator=_text(item.get("regulator")),
            doctor=_text(item.get("doctor_id")),
            editor_id=_text(item.get("editor_id")),
            place_id=_text(item.get("place_id")),
            editor_record=_text(item.get("editor_record")),
            record_status=_text(record.get("status")) if record else None,
            done_at=_text(item.get("done_at")),
            created_at=_text(item.get("created_at")),
        )
    return Orientation(
        id=str(item["appointment_id"]),
        kind="appointment_record",
        status=str(item["status"]),
        effecteur=str(item.get("national_id") or ""),
        start=_text(item.get("start")),
        end=_text(item.get("end")),
        regulator=_text(item.get("operator_value")),
        editor_id=_text(item.get("editor_id")),
        created_at=_text(item.get("created")),
    )


def _is_booking(item: Mapping[str, Any]) -> bool:
    return str(item.get(PK, "")).startswith(BOOKING_PREFIX)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
