"""Liberal regulators' pay as pure rules: French public holidays (computed), the paid windows in territory
time across DST, shifts cut at the edges, and the checks a shift passes before it is logged."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from sas_common.eligibility.holidays import easter_sunday, is_public_holiday, public_holidays
from sas_common.eligibility.shifts import (
    Shift,
    amount,
    check_open,
    check_times,
    overlapping,
    paid,
    paid_minutes,
    shift_id,
    start_of,
    totals,
)
from sas_common.errors import RuleViolation

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")


# --- holidays --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, dt.date(2000, 4, 23)),
        (2019, dt.date(2019, 4, 21)),
        (2024, dt.date(2024, 3, 31)),
        (2025, dt.date(2025, 4, 20)),
        (2026, dt.date(2026, 4, 5)),
        (2038, dt.date(2038, 4, 25)),  # the latest possible
        (2285, dt.date(2285, 3, 22)),  # the earliest possible
    ],
)
def test_easter(year: int, easter: dt.date) -> None:
    assert easter_sunday(year) == easter


def test_the_eleven_national_holidays_of_2025() -> None:
    assert sorted(public_holidays(2025)) == [
        dt.date(2025, 1, 1),
        dt.date(2025, 4, 21),  # Easter Monday
        dt.date(2025, 5, 1),
        dt.date(2025, 5, 8),
        dt.date(2025, 5, 29),  # Ascension
        dt.date(2025, 6, 9),  # Whit Monday
        dt.date(2025, 7, 14),
        dt.date(2025, 8, 15),
        dt.date(2025, 11, 1),
        dt.date(2025, 11, 11),
        dt.date(2025, 12, 25),
    ]
    assert public_holidays(2026)[dt.date(2026, 5, 14)] == "Ascension"
    assert public_holidays(2026)[dt.date(2026, 5, 25)] == "Lundi de Pentecôte"


def test_territories_add_their_own() -> None:
    assert not is_public_holiday(dt.date(2025, 4, 18), ["31"])  # Good Friday in Haute-Garonne
    assert is_public_holiday(dt.date(2025, 4, 18), ["67"])  # …and in Bas-Rhin
    assert is_public_holiday(dt.date(2025, 12, 26), ["57"])
    assert is_public_holiday(dt.date(2025, 12, 20), ["974"])  # La Réunion
    assert not is_public_holiday(dt.date(2025, 12, 20), ["31"])
    assert len(public_holidays(2025, ["971"])) == 12


# --- paid minutes ------------------------------------------------------------------------------------------


def local(text: str, zone: ZoneInfo = PARIS) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        # Tuesday 14 January 2025.
        pytest.param("2025-01-14T09:00", "2025-01-14T12:00", 180, id="inside a weekday"),
        pytest.param("2025-01-14T06:00", "2025-01-14T10:00", 120, id="across 08:00"),
        pytest.param("2025-01-14T18:00", "2025-01-14T22:00", 120, id="across 20:00"),
        pytest.param("2025-01-14T07:00", "2025-01-14T21:00", 720, id="around the whole day"),
        pytest.param("2025-01-14T20:00", "2025-01-15T08:00", 0, id="a night"),
        pytest.param("2025-01-14T19:00", "2025-01-15T09:00", 120, id="evening to morning"),
        pytest.param("2025-01-14T08:00", "2025-01-15T08:00", 720, id="24 hours"),
        # Saturday 18 January: 08:00-12:00 only.
        pytest.param("2025-01-18T10:00", "2025-01-18T14:00", 120, id="across Saturday noon"),
        pytest.param("2025-01-18T12:00", "2025-01-18T20:00", 0, id="a Saturday afternoon"),
        pytest.param("2025-01-17T19:00", "2025-01-18T09:00", 120, id="Friday evening to Saturday morning"),
        # Sunday 19 January, and public holidays, are not paid at this rate.
        pytest.param("2025-01-19T08:00", "2025-01-19T20:00", 0, id="a Sunday"),
        pytest.param("2025-05-01T08:00", "2025-05-01T20:00", 0, id="1 May, a Thursday"),
        pytest.param("2025-05-29T10:00", "2025-05-29T12:00", 0, id="Ascension"),
        pytest.param("2025-06-09T10:00", "2025-06-09T12:00", 0, id="Whit Monday"),
        pytest.param("2025-04-21T10:00", "2025-04-21T12:00", 0, id="Easter Monday"),
        pytest.param("2025-05-02T10:00", "2025-05-02T12:00", 120, id="a bridge day is an ordinary day"),
        pytest.param("2025-05-07T19:00", "2025-05-08T10:00", 60, id="the eve of 8 May"),
        # DST: Sunday 30 March 2025 (02:00 → 03:00) and Sunday 26 October 2025 (03:00 → 02:00).
        pytest.param("2025-03-29T10:00", "2025-03-30T10:00", 120, id="Saturday across the March change"),
        pytest.param("2025-03-30T20:00", "2025-03-31T10:00", 120, id="to the Monday after the change"),
        pytest.param("2025-10-25T10:00", "2025-10-26T09:00", 120, id="Saturday across the October change"),
        pytest.param("2025-03-28T18:00", "2025-03-28T20:00", 120, id="the Friday before"),
    ],
)
def test_paid_minutes(start: str, end: str, minutes: int) -> None:
    assert paid_minutes(local(start), local(end), PARIS, ["31"]) == minutes


def test_paid_windows_are_the_territorys_own_time() -> None:
    # 09:00-11:00 in La Réunion (UTC+4) is 05:00-07:00 UTC: paid there, whatever the UTC hours.
    start, end = local("2025-01-14T09:00", REUNION), local("2025-01-14T11:00", REUNION)
    assert paid_minutes(start.astimezone(UTC), end.astimezone(UTC), REUNION, ["974"]) == 120
    assert paid_minutes(start, end, PARIS) == 0  # 06:00-08:00 in Paris
    assert (
        paid_minutes(local("2025-12-20T09:00", REUNION), local("2025-12-20T11:00", REUNION), REUNION, ["974"])
        == 0
    )


def test_lengths_are_real_time_across_a_dst_change() -> None:
    # 01:00 → 04:00 on the March change day is 2 real hours, not 3.
    shift = Shift(
        "r", "a", local("2025-03-30T01:00").astimezone(UTC), local("2025-03-30T04:00").astimezone(UTC)
    )
    assert shift.minutes == 120


@pytest.mark.parametrize(
    ("minutes", "euros"), [(0, "0.00"), (60, "90.00"), (1, "1.50"), (90, "135.00"), (721, "1081.50")]
)
def test_amount(minutes: int, euros: str) -> None:
    assert amount(minutes) == Decimal(euros)


# --- checks ------------------------------------------------------------------------------------------------


T0 = datetime(2025, 1, 14, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("end", "rule"),
    [
        (T0, "shift_ends_before_start"),
        (T0 - timedelta(minutes=1), "shift_ends_before_start"),
        (T0 + timedelta(hours=24, minutes=1), "shift_too_long"),
        (T0 + timedelta(hours=2, seconds=30), "shift_not_whole_minutes"),
    ],
)
def test_bad_times(end: datetime, rule: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_times(T0, end)
    assert (refused.value.rule, refused.value.field) == (rule, "end")


def test_good_times() -> None:
    check_times(T0, T0 + timedelta(hours=24))
    check_times(T0, T0 + timedelta(minutes=1))


def test_a_day_longer_than_24_hours_in_october_is_too_long() -> None:
    # 10:00 Saturday → 10:00 Sunday across the October change is 25 real hours.
    with pytest.raises(RuleViolation, match="24 hours"):
        check_times(local("2025-10-25T10:00").astimezone(UTC), local("2025-10-26T10:00").astimezone(UTC))


def shift(start_hour: int, end_hour: int) -> Shift:
    return Shift("r", "a", T0.replace(hour=start_hour), T0.replace(hour=end_hour))


@pytest.mark.parametrize(
    ("start", "end", "clash"),
    [
        (10, 12, False),  # touching the next one
        (6, 8, False),  # touching this one
        (9, 11, True),
        (7, 9, True),
        (6, 13, True),
        (8, 10, True),
    ],
)
def test_overlaps(start: int, end: int, clash: bool) -> None:
    existing = [shift(8, 10), shift(12, 14)]
    found = overlapping(T0.replace(hour=start), T0.replace(hour=end), existing)
    assert (found is not None) == clash


@pytest.mark.parametrize(
    ("start", "now", "open_"),
    [
        ("2025-03-01T00:00", "2025-03-31T23:59", True),
        ("2025-02-28T23:59", "2025-03-01T00:00", False),  # the month before, one minute earlier
        ("2025-04-01T00:00", "2025-03-31T23:59", False),  # a month to come
    ],
)
def test_the_month_in_progress_is_the_only_open_one(start: str, now: str, open_: bool) -> None:
    if open_:
        check_open(local(start), local(now), PARIS)
        return
    with pytest.raises(RuleViolation) as refused:
        check_open(local(start), local(now), PARIS)
    assert refused.value.rule == "month_closed"


def test_shift_ids() -> None:
    assert shift_id(T0) == "20250114T0800Z"
    assert start_of("20250114T0800Z") == T0
    assert start_of("2025-01-14") is None


def test_totals_per_association_and_regulator() -> None:
    shifts = [
        Shift("r2", "asso", T0, T0 + timedelta(hours=2)),
        Shift("r1", "asso", T0, T0 + timedelta(hours=1)),
        Shift("r1", "asso", T0 + timedelta(days=1), T0 + timedelta(days=1, hours=3)),
        Shift("r1", "other", T0, T0 + timedelta(hours=1)),
    ]
    lines = totals(paid(shifts, PARIS))
    assert [(t.association_id, t.regulator_id, t.shifts, t.paid_minutes, t.amount) for t in lines] == [
        ("asso", "r1", 2, 240, Decimal("360.00")),
        ("asso", "r2", 1, 120, Decimal("180.00")),
        ("other", "r1", 1, 60, Decimal("90.00")),
    ]
