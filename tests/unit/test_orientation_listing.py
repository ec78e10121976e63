"""The orientations dashboards' criteria and cursor, and an orientation shaped from its items, table-driven
(the territory's local dates across the DST change included)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.errors import InvalidInput
from sas_common.orientations.listing import (
    DEFAULT_PAGE_SIZE,
    Cursor,
    is_shown,
    orientation_of,
    read_listing,
)

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 10, 28)


@pytest.mark.parametrize(
    ("params", "start", "end", "days"),
    [
        # the default: the last 7 days and the next 2, local midnights in UTC (winter time: +01:00)
        ({}, "2026-10-21T22:00:00+00:00", "2026-10-30T23:00:00+00:00", 10),
        # `to` alone: the 7 days before it and the 2 after; `from` alone: to the day after tomorrow
        ({"to": "2026-10-20"}, "2026-10-11T22:00:00+00:00", "2026-10-20T22:00:00+00:00", 10),
        ({"from": "2026-10-27"}, "2026-10-26T23:00:00+00:00", "2026-10-30T23:00:00+00:00", 5),
        # across the autumn change (25 October 2026): midnight is 22:00Z before it, 23:00Z after
        (
            {"from": "2026-10-24", "to": "2026-10-26"},
            "2026-10-23T22:00:00+00:00",
            "2026-10-26T23:00:00+00:00",
            4,
        ),
        # across the spring change (29 March 2026)
        (
            {"from": "2026-03-28", "to": "2026-03-29"},
            "2026-03-27T23:00:00+00:00",
            "2026-03-29T22:00:00+00:00",
            3,
        ),
        (
            {"from": "2026-10-01", "to": "2026-10-31"},
            "2026-09-30T22:00:00+00:00",
            "2026-10-31T23:00:00+00:00",
            32,
        ),
    ],
    ids=["default", "to-alone", "from-alone", "autumn-dst", "spring-dst", "31-days"],
)
def test_the_period_is_local_days_as_utc_instants_and_utc_day_partitions(
    params: dict[str, str], start: str, end: str, days: int
) -> None:
    listing = read_listing(params, TODAY, PARIS)

    assert (listing.start.astimezone(UTC).isoformat(), listing.end.astimezone(UTC).isoformat()) == (
        start,
        end,
    )
    assert len(listing.days) == days  # UTC dates touched by the local period
    assert listing.days == sorted(listing.days)
    assert listing.page_size == DEFAULT_PAGE_SIZE


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-10-10", "to": "2026-10-01"}, "from"),
        ({"from": "2026-09-01", "to": "2026-10-02"}, "to"),  # 32 days
        ({"from": "2026-10-1"}, "from"),
        ({"to": "2026-02-29"}, "to"),
        ({"to": "2100-01-01"}, "to"),
        ({"outcome": "confirmed,lost"}, "outcome"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "101"}, "page_size"),
        ({"page_size": "0050"}, "page_size"),
        ({"page_size": "-1"}, "page_size"),
        ({"cursor": "!!"}, "cursor"),
        ({"cursor": "x" * 3000}, "cursor"),
    ],
)
def test_bad_criteria_name_their_parameter(params: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        read_listing(params, TODAY, PARIS)
    assert refused.value.field == field


def test_outcomes_of_bookings_and_records_together() -> None:
    listing = read_listing({"outcome": "confirmed, fulfilled,noshow"}, TODAY, PARIS)
    assert listing.outcomes == {"confirmed", "fulfilled", "noshow"}


@pytest.mark.parametrize(
    "cursor",
    [Cursor("2026-10-27", None), Cursor("2026-10-27", {"pk": "BOOKING#1", "at_sk": "x"}), Cursor(None, None)],
)
def test_a_cursor_comes_back_as_it_was(cursor: Cursor) -> None:
    assert Cursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize(
    "text",
    [
        Cursor("2026-13-01", None).encode(),  # not a date
        Cursor("2026-10-27", None).encode()[:-3],  # cut
        "eyJkYXkiOjEsImFmdGVyIjpudWxsfQ",  # {"day":1,"after":null}
        "eyJkYXkiOm51bGwsImFmdGVyIjp7ImEiOjF9fQ",  # after with a number
        "eyJkYXkiOm51bGx9",  # a key missing
    ],
)
def test_a_tampered_cursor_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        Cursor.decode(text)


def test_a_cursor_of_another_period_is_refused() -> None:
    other = Cursor("2026-01-05", None).encode()
    with pytest.raises(InvalidInput) as refused:
        read_listing({"cursor": other}, TODAY, PARIS)
    assert refused.value.field == "cursor"


BOOKING: dict[str, Any] = {
    "pk": "BOOKING#b1",
    "booking_id": "b1",
    "status": "confirmed",
    "owner": "810000000001",
    "start": "2026-10-28T09:00:00Z",
    "end": "2026-10-28T09:20:00Z",
    "flow": "editor",
    "regulator": "reg-1",
    "editor_id": "ed",
    "appointment_id": "r1",
}
RECORD: dict[str, Any] = {
    "pk": "APPT#ed#r1",
    "appointment_id": "r1",
    "editor_id": "ed",
    "status": "fulfilled",
    "national_id": "810000000001",
    "start": "2026-10-28T09:00:00Z",
    "operator_value": "reg-1",
}


@pytest.mark.parametrize(
    ("item", "shown"),
    [
        (BOOKING, True),
        (RECORD, True),
        ({**RECORD, "booking_id": "b1"}, False),
        ({**BOOKING, "booking_id": "b1"}, True),
    ],
    ids=["booking", "record-alone", "record-of-a-booking", "booking-with-id"],
)
def test_a_record_of_a_booking_is_shown_on_the_booking_only(item: dict[str, Any], shown: bool) -> None:
    assert is_shown(item) is shown


def test_a_booking_shows_its_records_status() -> None:
    shown = orientation_of(BOOKING, RECORD)
    assert (shown.kind, shown.status, shown.record_status, shown.effecteur) == (
        "booking",
        "confirmed",
        "fulfilled",
        "810000000001",
    )
    assert orientation_of(BOOKING).record_status is None
    record = orientation_of(RECORD)
    assert (record.kind, record.id, record.regulator, record.flow) == (
        "appointment_record",
        "r1",
        "reg-1",
        None,
    )


def test_a_booking_made_today_is_in_the_default_period() -> None:
    # its slot starts at most 48 h from now: the default period runs to the end of the day after tomorrow
    listing = read_listing({}, TODAY, PARIS)
    assert listing.end == datetime(2026, 10, 31, tzinfo=PARIS)
