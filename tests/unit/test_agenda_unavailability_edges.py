"""A place's unavailability at its edges (issue 17): at most 3 periods, a period ending on the horizon, an
indefinite unavailability at the instant it starts, each broken rule by its code, `rule` and `field`.
"""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from sas_common.agenda.horizon import HORIZON
from sas_common.agenda.unavailability import (
    MAX_PERIODS,
    Period,
    Unavailability,
    UnavailabilityInput,
    UnavailabilityRule,
    check,
    resolve,
)
from sas_common.errors import RuleViolation

PARIS = ZoneInfo("Europe/Paris")
TODAY = dt.date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


def put(*spans: tuple[dt.date, dt.date], indefinite: bool = False) -> UnavailabilityInput:
    return UnavailabilityInput.model_validate(
        {
            "indefinite": indefinite,
            "periods": [{"from": a.isoformat(), "to": b.isoformat()} for a, b in spans],
        }
    )


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)


def broken(body: UnavailabilityInput) -> str | None:
    with pytest.raises(RuleViolation) as raised:
        check(body, TODAY)
    error = raised.value
    assert (error.code, error.status, error.field) == ("rule_violation", 422, "periods")
    assert isinstance(error.message, str)
    assert error.message
    return error.rule


def test_every_rule_has_its_stable_code() -> None:
    assert {rule.name: rule.value for rule in UnavailabilityRule} == {
        "TOO_MANY_PERIODS": "too_many_periods",
        "PERIOD_ORDER": "period_order",
        "OVERLAPPING_PERIODS": "overlapping_periods",
        "PERIOD_ENDED": "period_ended",
        "PERIOD_BEYOND_HORIZON": "period_beyond_horizon",
    }


@pytest.mark.parametrize(
    ("count", "rule"), [(2, None), (3, None), (4, "too_many_periods"), (50, "too_many_periods")]
)
def test_at_most_three_periods(count: int, rule: str | None) -> None:
    assert MAX_PERIODS == 3
    body = put(*((day(10 * i + 1), day(10 * i + 2)) for i in range(count)))
    if rule is None:
        check(body, TODAY)
    else:
        assert broken(body) == rule


def test_a_body_holds_at_most_fifty_periods() -> None:
    spans = [{"from": day(i).isoformat(), "to": day(i).isoformat()} for i in range(51)]
    with pytest.raises(ValidationError) as raised:
        UnavailabilityInput.model_validate({"periods": spans})
    assert [(e["type"], e["loc"]) for e in raised.value.errors()] == [("too_long", ("periods",))]


@pytest.mark.parametrize(
    ("span", "rule"),
    [
        ((day(1), day(0)), "period_order"),
        ((day(1), day(1)), None),
        ((day(-5), day(-1)), "period_ended"),
        ((day(-5), day(0)), None),  # ends today: under way
        ((day(1), TODAY + HORIZON - dt.timedelta(days=1)), None),
        ((day(1), TODAY + HORIZON), None),
        ((day(1), TODAY + HORIZON + dt.timedelta(days=1)), "period_beyond_horizon"),
    ],
)
def test_one_period_at_its_edges(span: tuple[dt.date, dt.date], rule: str | None) -> None:
    if rule is None:
        check(put(span), TODAY)
    else:
        assert broken(put(span)) == rule


@pytest.mark.parametrize(
    ("spans", "rule"),
    [
        ([(day(1), day(3)), (day(3), day(5))], "overlapping_periods"),  # sharing a day
        ([(day(1), day(3)), (day(4), day(5))], None),  # the next day
        ([(day(4), day(5)), (day(1), day(3))], None),  # in any order
        ([(day(4), day(9)), (day(1), day(4))], "overlapping_periods"),
    ],
)
def test_periods_may_touch_but_not_overlap(spans: list[tuple[dt.date, dt.date]], rule: str | None) -> None:
    if rule is None:
        check(put(*spans), TODAY)
    else:
        assert broken(put(*spans)) == rule


def test_a_resolved_unavailability_is_sorted_and_dated() -> None:
    later = NOW + timedelta(hours=1)
    resolved = resolve(
        put((day(20), day(21)), (day(1), day(2))), place_id="p1", previous=None, today=TODAY, now=later
    )
    assert resolved is not None
    assert [p.from_ for p in resolved.periods] == [day(1), day(20)]
    assert (resolved.place_id, resolved.updated_at, resolved.indefinite, resolved.since) == (
        "p1",
        later,
        False,
        None,
    )


def test_an_indefinite_flag_set_again_after_being_lifted_starts_anew() -> None:
    lifted = Unavailability(place_id="p1", indefinite=False, since=None)
    later = NOW + timedelta(days=1)
    again = resolve(put(indefinite=True), place_id="p1", previous=lifted, today=TODAY, now=later)
    assert again is not None
    assert again.since == later


@pytest.mark.parametrize(
    ("indefinite", "since", "moment", "active"),
    [
        (True, NOW, NOW - timedelta(seconds=1), False),
        (True, NOW, NOW, True),  # from the instant it is set
        (True, NOW, NOW + timedelta(days=400), True),
        (False, NOW, NOW + timedelta(hours=1), False),  # lifted: the instant is kept, nothing is active
        (True, None, NOW, False),
    ],
)
def test_indefinite_is_active_from_its_instant(
    indefinite: bool, since: datetime | None, moment: datetime, active: bool
) -> None:
    unavailability = Unavailability(place_id="p1", indefinite=indefinite, since=since)
    assert unavailability.active_at(moment, PARIS) is active


@pytest.mark.parametrize(
    ("indefinite", "end", "hidden"),
    [
        (True, NOW, False),  # an occurrence ending at the instant it is set is over
        (True, NOW + timedelta(seconds=1), True),
        (False, NOW + timedelta(hours=1), False),
    ],
)
def test_indefinite_hides_what_ends_after_its_instant(indefinite: bool, end: datetime, hidden: bool) -> None:
    unavailability = Unavailability(place_id="p1", indefinite=indefinite, since=NOW)
    assert unavailability.hides(TODAY, end) is hidden


def test_models_are_closed_and_immutable_and_periods_say_from() -> None:
    period = Period(from_=day(1), to=day(2))  # by name
    assert Period.model_validate({"from": day(1), "to": day(2)}) == period  # by alias
    assert period.model_dump() == {"from": day(1), "to": day(2)}
    assert period.covers(day(1))
    assert period.covers(day(2))
    assert not period.covers(day(3))
    for model, body in (
        (Period, {"from": day(1), "to": day(2)}),
        (UnavailabilityInput, {}),
        (Unavailability, {"place_id": "p1"}),
    ):
        with pytest.raises(ValidationError) as raised:
            model.model_validate({**body, "colour": "red"})
        assert raised.value.errors()[0]["type"] == "extra_forbidden"
        instance: Any = model.model_validate(body)
        with pytest.raises(ValidationError) as frozen:
            instance.to = day(9)
        assert frozen.value.errors()[0]["type"] == "frozen_instance"
    assert UnavailabilityInput().model_dump() == {"indefinite": False, "periods": []}
    assert (Unavailability(place_id="p1").indefinite, Unavailability(place_id="p1").since) == (False, None)
