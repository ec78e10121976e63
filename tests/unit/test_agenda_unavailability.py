"""A place's unavailability: the rules of a PUT, what it hides, when it is over."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.unavailability import Unavailability, UnavailabilityInput, check, resolve
from sas_common.errors import RuleViolation

PARIS = ZoneInfo("Europe/Paris")
TODAY = dt.date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def periods(*spans: tuple[str, str]) -> list[dict[str, str]]:
    return [{"from": first, "to": last} for first, last in spans]


def put(indefinite: bool = False, *spans: tuple[str, str]) -> UnavailabilityInput:
    return UnavailabilityInput.model_validate({"indefinite": indefinite, "periods": periods(*spans)})


@pytest.mark.parametrize(
    ("spans", "rule"),
    [
        (
            [
                ("2026-03-11", "2026-03-12"),
                ("2026-04-01", "2026-04-02"),
                ("2026-05-01", "2026-05-02"),
                ("2026-06-01", "2026-06-02"),
            ],
            "too_many_periods",
        ),
        ([("2026-03-12", "2026-03-11")], "period_order"),
        ([("2026-03-11", "2026-03-20"), ("2026-03-20", "2026-03-25")], "overlapping_periods"),
        ([("2026-04-01", "2026-04-30"), ("2026-03-11", "2026-04-02")], "overlapping_periods"),
        ([("2026-03-01", "2026-03-09")], "period_ended"),
    ],
)
def test_periods_breaking_a_rule(spans: list[tuple[str, str]], rule: str) -> None:
    with pytest.raises(RuleViolation) as raised:
        check(put(False, *spans), TODAY)
    assert (raised.value.field, raised.value.rule) == ("periods", rule)


@pytest.mark.parametrize(
    "spans",
    [
        [],
        [("2026-03-10", "2026-03-10")],
        [("2026-03-01", "2026-03-10")],  # under way: it may be given again
        [("2026-03-11", "2026-03-12"), ("2026-03-13", "2026-03-14"), ("2026-05-01", "2026-05-31")],
    ],
)
def test_valid_periods(spans: list[tuple[str, str]]) -> None:
    check(put(False, *spans), TODAY)


def test_the_periods_field_is_called_from_in_json() -> None:
    body = put(False, ("2026-03-11", "2026-03-12"))
    assert body.model_dump(mode="json") == {
        "indefinite": False,
        "periods": periods(("2026-03-11", "2026-03-12")),
    }


def test_nothing_left_removes_the_unavailability() -> None:
    assert resolve(put(), place_id="p1", previous=None, today=TODAY, now=NOW) is None


def test_indefinite_starts_now_and_keeps_its_start_when_given_again() -> None:
    first = resolve(put(True), place_id="p1", previous=None, today=TODAY, now=NOW)
    assert first is not None
    assert first.since == NOW
    later = NOW + timedelta(days=2)
    again = resolve(
        put(True, ("2026-04-01", "2026-04-02")), place_id="p1", previous=first, today=TODAY, now=later
    )
    assert again is not None
    assert again.since == NOW
    assert len(again.periods) == 1
    lifted = resolve(
        put(False, ("2026-04-01", "2026-04-02")), place_id="p1", previous=again, today=TODAY, now=later
    )
    assert lifted is not None
    assert (lifted.indefinite, lifted.since) == (False, None)


def unavailable(**fields: Any) -> Unavailability:
    return Unavailability.model_validate({"place_id": "p1", **fields})


APRIL = periods(("2026-04-01", "2026-04-03"))


@pytest.mark.parametrize(
    ("fields", "day", "end", "hidden"),
    [
        ({"periods": APRIL}, dt.date(2026, 3, 31), datetime(2026, 3, 31, 10, tzinfo=UTC), False),
        ({"periods": APRIL}, dt.date(2026, 4, 1), datetime(2026, 4, 1, 10, tzinfo=UTC), True),
        ({"periods": APRIL}, dt.date(2026, 4, 3), datetime(2026, 4, 3, 10, tzinfo=UTC), True),
        ({"periods": APRIL}, dt.date(2026, 4, 4), datetime(2026, 4, 4, 10, tzinfo=UTC), False),  # reactivated
        ({"indefinite": True, "since": NOW}, TODAY, NOW - timedelta(minutes=1), False),  # ended before
        ({"indefinite": True, "since": NOW}, TODAY, NOW + timedelta(minutes=1), True),  # under way
        ({"indefinite": True, "since": NOW}, dt.date(2027, 1, 1), datetime(2027, 1, 1, tzinfo=UTC), True),
    ],
)
def test_what_an_unavailability_hides(
    fields: dict[str, Any], day: dt.date, end: datetime, hidden: bool
) -> None:
    assert unavailable(**fields).hides(day, end) is hidden


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (datetime(2026, 3, 31, 21, 59, tzinfo=UTC), False),  # 23:59 local on 31 March
        (datetime(2026, 3, 31, 22, 0, tzinfo=UTC), True),  # local midnight starting 1 April
        (datetime(2026, 4, 3, 21, 59, tzinfo=UTC), True),
        (datetime(2026, 4, 3, 22, 0, tzinfo=UTC), False),
    ],
)
def test_active_at_an_instant_uses_the_local_day(moment: datetime, active: bool) -> None:
    assert unavailable(periods=APRIL).active_at(moment, PARIS) is active
