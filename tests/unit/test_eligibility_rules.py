"""Avenant 9's indicators as pure rules: periods, indicator 8's weeks and verdicts, indicator 9's bands and
counting (sas_common.eligibility.rules), table-driven at every edge."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.eligibility.rules import (
    BANDS,
    REQUIRED_MINUTES,
    Month,
    Quarter,
    Source,
    Status,
    Version,
    WeekRecord,
    WeekVerdict,
    asked_month,
    asked_quarter,
    band_of,
    effecteur_version,
    in_force,
    indicator_8,
    indicator_9,
    participation_run,
    structure_version,
    week_label,
    week_records,
    year_weeks,
)
from sas_common.errors import RuleViolation

PARIS = ZoneInfo("Europe/Paris")
Q1 = Quarter(2025, 1)


# --- indicator 9: the bands, at every edge ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "label", "amount"),
    [
        (0, "<5", 0),
        (4, "<5", 0),
        (5, "5-15", 70),
        (15, "5-15", 70),
        (16, "16-25", 210),
        (25, "16-25", 210),
        (26, "26-35", 350),
        (35, "26-35", 350),
        (36, "36-45", 490),
        (45, "36-45", 490),
        (46, ">45", 630),
        (1000, ">45", 630),
    ],
)
def test_each_band_edge(count: int, label: str, amount: int) -> None:
    band = band_of(count)
    assert (band.label, band.amount) == (label, Decimal(amount))


def test_the_bands_cover_every_count_once() -> None:
    for count in range(0, 60):
        assert sum(band.holds(count) for band in BANDS) == 1
    with pytest.raises(ValueError, match="negative"):
        band_of(-1)


def booking(booking_id: str, outcome: str = "confirmed", **extra: Any) -> dict[str, Any]:
    return {"pk": f"BOOKING#{booking_id}", "booking_id": booking_id, "outcome": outcome, "snp": True, **extra}


def record(name: str, status: str = "booked", booking_id: str | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"pk": f"APPT#demo-editor#{name}", "status": status}
    if booking_id:
        item["booking_id"] = booking_id
    return item


@pytest.mark.parametrize(
    ("items", "count", "linked"),
    [
        pytest.param([], 0, 0, id="nothing"),
        pytest.param([record("a"), record("b", "fulfilled")], 2, 0, id="booked and fulfilled records"),
        pytest.param(
            [record("a", "cancelled"), record("b", "noshow"), record("c", "pending")], 0, 0, id="not counted"
        ),
        pytest.param([booking("1"), booking("2", "pending")], 1, 0, id="confirmed booking only"),
        pytest.param(
            [booking(str(n), outcome) for n, outcome in enumerate(("cancelled", "expired", "failed"))],
            0,
            0,
            id="booking outcomes not counted",
        ),
        pytest.param([booking("1"), record("a", booking_id="1")], 1, 1, id="a link counts once"),
        pytest.param([record("a", booking_id="1"), booking("1")], 1, 1, id="whatever the order"),
        pytest.param(
            [booking("1", "pending"), record("a", booking_id="1")], 1, 0, id="the record of a pending booking"
        ),
        pytest.param(
            [booking("1"), record("a", "cancelled", booking_id="1")], 1, 0, id="a cancelled record's booking"
        ),
        pytest.param([booking("1", snp=False)], 0, 0, id="a booking not SNP"),
        pytest.param(
            [record("a", booking_id="9"), record("b", booking_id="9")], 1, 0, id="two records of one booking"
        ),
        pytest.param([{"pk": "LINK#x", "status": "booked"}], 0, 0, id="other items ignored"),
    ],
)
def test_indicator_9_counts_patients_once(items: list[dict[str, Any]], count: int, linked: int) -> None:
    found = indicator_9(Q1, items)
    assert (found.count, found.linked) == (count, linked)


def test_indicator_9_names_its_parts() -> None:
    found = indicator_9(Q1, [booking("1"), booking("2"), record("a", booking_id="1"), record("b")])
    assert (found.count, found.bookings, found.records, found.linked) == (3, 2, 2, 1)
    assert found.band.label == "<5"


# --- periods ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "first", "last", "closing"),
    [
        # 2025-Q1 ends on Monday 31 March; its last ISO week (Thursday 27 March) ended on the 30th.
        (Quarter(2025, 1), dt.date(2025, 1, 1), dt.date(2025, 3, 31), dt.date(2025, 4, 1)),
        # 2025-Q2 ends on Monday 30 June (Thursday 26 June's week ended on the 29th).
        (Quarter(2025, 2), dt.date(2025, 4, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1)),
        # 2026-Q4 ends on Thursday 31 December: its week (2026-W53) ends on Sunday 3 January 2027.
        (Quarter(2026, 4), dt.date(2026, 10, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 4)),
        # 2024-Q3 ends on Monday 30 September.
        (Quarter(2024, 3), dt.date(2024, 7, 1), dt.date(2024, 9, 30), dt.date(2024, 10, 1)),
    ],
)
def test_quarters_and_when_they_close(
    quarter: Quarter, first: dt.date, last: dt.date, closing: dt.date
) -> None:
    assert (quarter.first_day, quarter.last_day, quarter.closing_day) == (first, last, closing)


def test_a_quarter_is_bounded_by_local_midnights() -> None:
    start, end = Quarter(2025, 2).bounds(PARIS)
    assert start == datetime(2025, 3, 31, 22, tzinfo=UTC)  # CEST: UTC+2
    assert end == datetime(2025, 6, 30, 22, tzinfo=UTC)
    assert Quarter(2025, 1).bounds(PARIS)[0] == datetime(2024, 12, 31, 23, tzinfo=UTC)  # CET


@pytest.mark.parametrize("number", [0, 5])
def test_unknown_quarters(number: int) -> None:
    with pytest.raises(ValueError, match="quarter"):
        Quarter(2025, number)


TODAY = dt.date(2026, 5, 14)  # 2026-Q2


@pytest.mark.parametrize(
    ("year", "quarter", "expected"),
    [
        (None, None, Quarter(2026, 2)),
        (2026, None, Quarter(2026, 2)),
        (2025, None, Quarter(2025, 4)),
        (2026, 1, Quarter(2026, 1)),
        (2026, 2, Quarter(2026, 2)),
    ],
)
def test_the_quarter_asked(year: int | None, quarter: int | None, expected: Quarter) -> None:
    assert asked_quarter(year, quarter, TODAY) == expected


@pytest.mark.parametrize(
    ("year", "quarter", "field"), [(2027, None, "year"), (2027, 1, "year"), (2026, 3, "quarter")]
)
def test_a_period_to_come_is_refused(year: int, quarter: int | None, field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        asked_quarter(year, quarter, TODAY)
    assert (refused.value.field, refused.value.rule) == (field, "future_period")


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("2026-06", "future_period"),
        ("2026-13", "invalid_month"),
        ("May", "invalid_month"),
        ("2021-12", "invalid_month"),
    ],
)
def test_bad_months(text: str, rule: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        asked_month(text, TODAY)
    assert (refused.value.field, refused.value.rule) == ("month", rule)


def test_months() -> None:
    assert asked_month(None, TODAY) == Month(2026, 5)
    assert asked_month("2026-05", TODAY).label == "2026-05"
    assert Month(2025, 12).next() == Month(2026, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert Month(2025, 10).bounds(PARIS) == (
        datetime(2025, 9, 30, 22, tzinfo=UTC),
        datetime(2025, 10, 31, 23, tzinfo=UTC),  # the DST change on the 26th
    )


# --- indicator 8 -----------------------------------------------------------------------------------------


def test_the_iso_year_weeks_through_a_quarter() -> None:
    mondays = year_weeks(2025, Q1.last_day, dt.date(2026, 1, 1))
    # 2025-W01 starts on Monday 30 December 2024; W13's Thursday is 27 March.
    assert (mondays[0], week_label(mondays[0])) == (dt.date(2024, 12, 30), "2025-W01")
    assert week_label(mondays[-1]) == "2025-W13"
    assert len(year_weeks(2026, Quarter(2026, 4).last_day, dt.date(2027, 6, 1))) == 53
    # Weeks that have not begun are not listed.
    assert [week_label(m) for m in year_weeks(2025, Q1.last_day, dt.date(2025, 1, 8))] == [
        "2025-W01",
        "2025-W02",
    ]


def at(day: dt.date, hour: int = 12) -> datetime:
    return datetime.combine(day, dt.time(hour), tzinfo=PARIS).astimezone(UTC)


def manual(day: dt.date, participates: bool = True, minutes: int = REQUIRED_MINUTES) -> Version:
    return Version(at(day), participates, Source.MANUAL, minutes, "individual")


def editor(day: dt.date) -> Version:
    return Version(at(day), True, Source.EDITOR, REQUIRED_MINUTES, "individual")


def weeks_of(minutes: dict[str, int]) -> dict[str, WeekRecord]:
    return {week: WeekRecord(value) for week, value in minutes.items()}


Q1_WEEKS = [f"2025-W{n:02d}" for n in range(1, 14)]
AFTER_Q1 = dt.date(2025, 5, 1)


def test_two_hours_in_every_week_meets_it() -> None:
    found = indicator_8(
        [manual(dt.date(2024, 12, 1))], weeks_of(dict.fromkeys(Q1_WEEKS, 120)), Q1, AFTER_Q1, PARIS
    )
    assert found.status is Status.MET
    assert [week.verdict for week in found.weeks] == [WeekVerdict.MET] * 13
    assert found.failing == []
    assert found.amount == 0  # the year's fee is due on its fourth quarter


def test_a_zero_hour_week_fails_and_is_named() -> None:
    records = weeks_of({week: 0 if week == "2025-W07" else 240 for week in Q1_WEEKS})
    found = indicator_8([manual(dt.date(2024, 12, 1))], records, Q1, AFTER_Q1, PARIS)
    assert found.status is Status.NOT_MET
    assert [week.label for week in found.failing] == ["2025-W07"]
    assert found.failing[0].verdict is WeekVerdict.SHORT


def test_not_an_average_and_a_week_never_recorded_is_zero() -> None:
    # 4 h one week and nothing recorded the next: short, whatever the average.
    records = weeks_of({week: 240 for week in Q1_WEEKS if week != "2025-W03"})
    found = indicator_8([manual(dt.date(2024, 12, 1))], records, Q1, AFTER_Q1, PARIS)
    assert [(week.label, week.minutes) for week in found.failing] == [("2025-W03", 0)]


@pytest.mark.parametrize(("minutes", "verdict"), [(119, WeekVerdict.SHORT), (120, WeekVerdict.MET)])
def test_the_two_hour_edge(minutes: int, verdict: WeekVerdict) -> None:
    records = weeks_of(dict.fromkeys(Q1_WEEKS, 120) | {"2025-W05": minutes})
    found = indicator_8([manual(dt.date(2024, 12, 1))], records, Q1, AFTER_Q1, PARIS)
    assert found.weeks[4].verdict is verdict


def test_weeks_before_the_declaration_do_not_count() -> None:
    # Declared on Wednesday 5 February (W06): W01-W06 are not required, W07 on are.
    records = weeks_of(dict.fromkeys(Q1_WEEKS[6:], 120))
    found = indicator_8([manual(dt.date(2025, 2, 5))], records, Q1, AFTER_Q1, PARIS)
    assert found.status is Status.MET
    assert found.since == dt.date(2025, 2, 5)
    assert [week.verdict for week in found.weeks[:6]] == [WeekVerdict.BEFORE_DECLARATION] * 6
    assert found.weeks[6].verdict is WeekVerdict.MET


def test_a_declaration_on_a_monday_counts_that_week() -> None:
    found = indicator_8([manual(dt.date(2025, 2, 3))], {}, Q1, AFTER_Q1, PARIS)
    assert found.failing[0].label == "2025-W06"


def test_the_current_week_is_in_progress_never_failing() -> None:
    today = dt.date(2025, 3, 12)  # Wednesday of W11
    records = weeks_of(dict.fromkeys(Q1_WEEKS[:10], 120) | {"2025-W11": 60})
    found = indicator_8([manual(dt.date(2024, 12, 1))], records, Q1, today, PARIS)
    assert found.status is Status.IN_PROGRESS
    current = found.weeks[-1]
    assert (current.label, current.verdict, current.on_track) == ("2025-W11", WeekVerdict.IN_PROGRESS, False)
    assert len(found.weeks) == 11  # weeks to come are not listed


def test_a_quarter_is_in_progress_until_it_closes() -> None:
    records = weeks_of(dict.fromkeys(Q1_WEEKS, 120))
    versions = [manual(dt.date(2024, 12, 1))]
    assert indicator_8(versions, records, Q1, dt.date(2025, 3, 31), PARIS).status is Status.IN_PROGRESS
    assert indicator_8(versions, records, Q1, dt.date(2025, 4, 1), PARIS).status is Status.MET


def test_an_interfaced_effecteur_passes_without_hours_when_editor_slots_were_seen() -> None:
    records = {week: WeekRecord(None, 1) for week in Q1_WEEKS}
    found = indicator_8([editor(dt.date(2024, 12, 1))], records, Q1, AFTER_Q1, PARIS)
    assert found.status is Status.MET
    assert {(week.source, week.required_minutes, week.minutes) for week in found.weeks} == {
        (Source.EDITOR, 0, 0)
    }


def test_an_editor_week_without_slots_is_visible_and_fails() -> None:
    records = {week: WeekRecord(None, 1) for week in Q1_WEEKS if week != "2025-W09"}
    found = indicator_8([editor(dt.date(2024, 12, 1))], records, Q1, AFTER_Q1, PARIS)
    assert [(week.label, week.verdict) for week in found.failing] == [
        ("2025-W09", WeekVerdict.NO_EDITOR_SLOTS)
    ]


def test_each_week_is_judged_by_the_declaration_in_force_at_its_end() -> None:
    # Manual until Wednesday 12 February (W07), then interfaced: W07 on needs editor slots, not hours.
    versions = [manual(dt.date(2024, 12, 1)), editor(dt.date(2025, 2, 12))]
    records = weeks_of(dict.fromkeys(Q1_WEEKS[:6], 120)) | {week: WeekRecord(0, 1) for week in Q1_WEEKS[6:]}
    found = indicator_8(versions, records, Q1, AFTER_Q1, PARIS)
    assert found.status is Status.MET
    assert [week.source for week in found.weeks] == [Source.MANUAL] * 6 + [Source.EDITOR] * 7


def test_not_participating_and_a_new_run_of_participation() -> None:
    assert indicator_8([], {}, Q1, AFTER_Q1, PARIS).status is Status.NOT_PARTICIPATING
    stopped = [manual(dt.date(2024, 12, 1)), manual(dt.date(2025, 2, 1), participates=False)]
    assert indicator_8(stopped, {}, Q1, AFTER_Q1, PARIS).status is Status.NOT_PARTICIPATING
    # Participating again from 3 March (W10): the weeks before are not held against them.
    again = [*stopped, manual(dt.date(2025, 3, 3))]
    run = participation_run(list(reversed(again)))
    assert [version.saved_at for version in run] == [again[2].saved_at]
    found = indicator_8(again, weeks_of(dict.fromkeys(Q1_WEEKS[9:], 120)), Q1, AFTER_Q1, PARIS)
    assert (found.status, found.since) == (Status.MET, dt.date(2025, 3, 3))


def test_the_fourth_quarter_met_is_worth_the_year() -> None:
    q4 = Quarter(2025, 4)
    weeks = [week_label(monday) for monday in year_weeks(2025, q4.last_day, dt.date(2026, 2, 1))]
    found = indicator_8(
        [manual(dt.date(2024, 12, 1))], weeks_of(dict.fromkeys(weeks, 120)), q4, dt.date(2026, 2, 1), PARIS
    )
    assert (found.status, found.amount, len(found.weeks)) == (Status.MET, Decimal(1400), 52)


def test_in_force() -> None:
    first, second = manual(dt.date(2025, 1, 1)), manual(dt.date(2025, 2, 1))
    assert in_force([first, second], at(dt.date(2025, 1, 15))) is first
    assert in_force([first, second], at(dt.date(2025, 3, 1))) is second
    assert in_force([first, second], at(dt.date(2024, 3, 1))) is None


def test_versions_read_from_declarations() -> None:
    interfaced = effecteur_version(
        "2025-01-02T10:00:00Z",
        {"participates": True, "modality": "individual", "uses_interfaced_software": True, "editors": ["e"]},
    )
    assert (interfaced.source, interfaced.participates, interfaced.modality) == (
        Source.EDITOR,
        True,
        "individual",
    )
    refused = effecteur_version(
        "2025-01-02T10:00:00Z",
        {
            "participates": True,
            "modality": "individual",
            "uses_interfaced_software": True,
            "editors": ["e"],
            "refuses_editor_slots": True,
            "honour_two_hours": True,
        },
    )
    assert refused.source is Source.MANUAL
    assert refused.saved_at == datetime(2025, 1, 2, 10, tzinfo=UTC)
    centre = structure_version(
        "2025-01-02T10:00:00Z",
        {
            "kind": "cds",
            "structure_name": "C",
            "participates": True,
            "doctors": 2.5,
            "honour_two_hours_per_doctor": True,
        },
    )
    assert (centre.source, centre.required_minutes, centre.modality) == (Source.MANUAL, 300, "cds")
    association = structure_version(
        "2025-01-02T10:00:00Z",
        {
            "kind": "sos_medecins",
            "structure_name": "S",
            "participates": True,
            "doctors": 3,
            "honour_two_hours_per_doctor": True,
            "editors": ["sos"],
        },
    )
    assert association.source is Source.EDITOR


def test_week_records_from_items() -> None:
    items: list[dict[str, Any]] = [
        {"sk": "WEEK#2025-W03", "visible_minutes": 90},
        {"sk": "WEEK#2025-W03#EDITOR#a"},
        {"sk": "WEEK#2025-W04#EDITOR#a"},
        {"sk": "WEEK#2025-W04#EDITOR#b"},
    ]
    assert week_records(items) == {"2025-W03": WeekRecord(90, 1), "2025-W04": WeekRecord(None, 2)}


def test_the_local_week_boundary_is_the_territorys() -> None:
    # A version saved on Sunday 23:30 in Paris (22:30 UTC) is in force for that week, not only the next.
    sunday_night = datetime(2025, 2, 9, 22, 30, tzinfo=UTC)  # Sunday 9 February, 23:30 CET
    version = Version(sunday_night, True, Source.MANUAL, REQUIRED_MINUTES)
    end_of_w06 = datetime.combine(dt.date(2025, 2, 10), dt.time(0), tzinfo=PARIS)
    assert in_force([version], end_of_w06) is version
    assert in_force([version], end_of_w06 - timedelta(hours=1)) is None
