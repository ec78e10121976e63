"""A place's unavailability (indisponibilité): from now for an indefinite time, or up to 3 periods.

During it the place's occurrences are inactive: shown `active: false` in the agenda, never written to the
`slots` table, and the effecteur is not found in search for that place. Nothing has to happen when it
ends: each occurrence is judged against it when it is materialised, so reactivation is automatic.

Periods are local dates, both ends included. "Indefinite" starts at the instant it is set and stays until
the flag is removed; periods given with it are kept and apply once it is removed.
"""

from __future__ import annotations

import datetime as dt
import itertools
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_common.agenda.horizon import HORIZON
from sas_common.errors import RuleViolation

MAX_PERIODS = 3


class UnavailabilityRule(StrEnum):
    TOO_MANY_PERIODS = "too_many_periods"
    PERIOD_ORDER = "period_order"
    OVERLAPPING_PERIODS = "overlapping_periods"
    PERIOD_ENDED = "period_ended"
    PERIOD_BEYOND_HORIZON = "period_beyond_horizon"


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from", description="first day (local), included")
    to: dt.date = Field(description="last day (local), included")

    def covers(self, day: dt.date) -> bool:
        return self.from_ <= day <= self.to


class UnavailabilityInput(BaseModel):
    """`PUT /effecteurs/{national_id}/places/{place_id}/unavailability`: replaces the place's
    unavailability; `{indefinite: false, periods: []}` removes it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    indefinite: bool = Field(default=False, description="from now on, until unset")
    # The rule (at most 3) is checked with its own message; this bound only keeps bodies small.
    periods: list[Period] = Field(default_factory=list, max_length=50)


class Unavailability(BaseModel):
    """A place's unavailability as stored and shown on the card."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    place_id: str
    indefinite: bool = False
    since: AwareDatetime | None = None  # when the indefinite flag was set
    periods: tuple[Period, ...] = ()
    updated_at: AwareDatetime | None = None

    def hides(self, day: dt.date, end: datetime) -> bool:
        """Whether an occurrence on the local `day`, ending at `end`, is inactive."""
        if self.indefinite and self.since is not None and end > self.since:
            return True
        return any(period.covers(day) for period in self.periods)

    def active_at(self, moment: datetime, zone: ZoneInfo) -> bool:
        """Whether the place is unavailable at that instant (pattern 9, for search)."""
        if self.indefinite and self.since is not None and moment >= self.since:
            return True
        return any(period.covers(moment.astimezone(zone).date()) for period in self.periods)


def _broken(rule: UnavailabilityRule, message: str) -> RuleViolation:
    return RuleViolation(message, field="periods", rule=rule.value)


def check(body: UnavailabilityInput, today: dt.date) -> None:
    if len(body.periods) > MAX_PERIODS:
        raise _broken(
            UnavailabilityRule.TOO_MANY_PERIODS,
            f"at most {MAX_PERIODS} periods of unavailability per place ({len(body.periods)} given)",
        )
    for period in body.periods:
        if period.to < period.from_:
            raise _broken(
                UnavailabilityRule.PERIOD_ORDER, f"period {period.from_} → {period.to} ends before it starts"
            )
        if period.to < today:
            raise _broken(
                UnavailabilityRule.PERIOD_ENDED, f"period {period.from_} → {period.to} is already over"
            )
        if period.to > today + HORIZON:
            raise _broken(
                UnavailabilityRule.PERIOD_BEYOND_HORIZON,
                f"period {period.from_} → {period.to} ends more than {HORIZON.days} days ahead",
            )
    ordered = sorted(body.periods, key=lambda period: period.from_)
    for first, second in itertools.pairwise(ordered):
        if second.from_ <= first.to:
            raise _broken(
                UnavailabilityRule.OVERLAPPING_PERIODS,
                f"periods {first.from_} → {first.to} and {second.from_} → {second.to} overlap",
            )


def resolve(
    body: UnavailabilityInput,
    *,
    place_id: str,
    previous: Unavailability | None,
    today: dt.date,
    now: datetime,
) -> Unavailability | None:
    """The place's unavailability after the PUT (None: none left). Setting "indefinite" again keeps the
    instant it started."""
    check(body, today)
    if not body.indefinite and not body.periods:
        return None
    since = None
    if body.indefinite:
        since = previous.since if previous is not None and previous.indefinite and previous.since else now
    return Unavailability(
        place_id=place_id,
        indefinite=body.indefinite,
        since=since,
        periods=tuple(sorted(body.periods, key=lambda period: period.from_)),
        updated_at=now,
    )
