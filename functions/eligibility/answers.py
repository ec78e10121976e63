"""The eligibility capability's HTTP answers: indicators 8 and 9, shifts and statements."""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel

from sas_common.eligibility.rules import Indicator8, Indicator9, Source, Status, Version, Week, WeekVerdict
from sas_common.eligibility.service import Eligibility, RegulatorMonth, Statement
from sas_common.eligibility.shifts import ASSOCIATION_ID_PATTERN, PaidShift, RegulatorTotal

ANSWER = ConfigDict(extra="forbid", frozen=True)


def euros(amount: Decimal) -> float:
    return float(amount)


def hours(minutes: int) -> float:
    return round(minutes / 60, 2)


class WeekView(BaseModel):
    model_config = ANSWER

    week: str = Field(description="ISO week, `YYYY-Www` (Monday to Sunday, territory time)")
    monday: dt.date
    hours: float = Field(description="visible manual hours, as frozen for that week (overlaps counted once)")
    required_hours: float = Field(
        description="what the week needs: 2 h (× doctors for a structure); 0 for an editor week"
    )
    source: Source | None = Field(
        description="manual: the SAS agenda's hours count; editor: editor slots must have been seen; none "
        "before the declaration"
    )
    editor_slots: int = Field(description="editors whose slots of this owner were seen visible that week")
    verdict: WeekVerdict = Field(
        description="met, short (too few hours), no_editor_slots (an interfaced editor never showed a slot), "
        "in_progress (the current week), before_declaration (not required)"
    )
    on_track: bool = Field(
        description="the week meets its requirement as it stands (useful while in progress)"
    )

    @classmethod
    def of(cls, week: Week) -> Self:
        return cls(
            week=week.label,
            monday=week.monday,
            hours=hours(week.minutes),
            required_hours=hours(week.required_minutes),
            source=week.source,
            editor_slots=week.editor_slots,
            verdict=week.verdict,
            on_track=week.on_track,
        )


class Indicator8View(BaseModel):
    """1 400 € a year: participating and sharing slots — through an interfaced editor not refused, or with at
    least 2 hours of visible availability in every ISO week (not an average)."""

    model_config = ANSWER

    year: int = Field(description="the ISO year")
    through: dt.date = Field(
        description="the last day judged: the quarter's (weeks whose Thursday is on or before it)"
    )
    status: Status = Field(
        description="met (the period is over and every required week met), not_met (a week failed), "
        "in_progress (none failed yet), not_participating"
    )
    declared_since: dt.date | None = Field(
        description="the day the current participation was declared: the weeks before it are not required"
    )
    failing_weeks: list[str] = Field(description="the weeks that failed, by name")
    amount_eur: float = Field(description="1400 once the fourth quarter's view is met, else 0")
    weeks: list[WeekView] = Field(description="every week of the year so far, the current one in progress")

    @classmethod
    def of(cls, indicator: Indicator8) -> Self:
        return cls(
            year=indicator.quarter.year,
            through=indicator.quarter.last_day,
            status=indicator.status,
            declared_since=indicator.since,
            failing_weeks=[week.label for week in indicator.failing],
            amount_eur=euros(indicator.amount),
            weeks=[WeekView.of(week) for week in indicator.weeks],
        )


class Indicator9View(BaseModel):
    """SNP patients taken in charge on a SAS call in the quarter, and the band they fall in."""

    model_config = ANSWER

    quarter: str = Field(description="`YYYY-Qn`, calendar quarter in territory time")
    count: int = Field(
        description="patients: confirmed bookings and INT_R03 records booked or fulfilled, a "
        "record linked to a counted booking counted once"
    )
    band: str = Field(description="<5, 5-15, 16-25, 26-35, 36-45 or >45")
    amount_eur: float = Field(description="0, 70, 210, 350, 490 or 630")
    bookings: int = Field(description="the platform's confirmed bookings")
    records: int = Field(description="editors' INT_R03 records booked or fulfilled")
    linked: int = Field(description="of those records, the ones linked to a counted booking (counted once)")

    @classmethod
    def of(cls, indicator: Indicator9) -> Self:
        band = indicator.band
        return cls(
            quarter=indicator.quarter.label,
            count=indicator.count,
            band=band.label,
            amount_eur=euros(band.amount),
            bookings=indicator.bookings,
            records=indicator.records,
            linked=indicator.linked,
        )


class ParticipationView(BaseModel):
    model_config = ANSWER

    participates: bool
    modality: str | None = Field(
        description="an effecteur's modality, or a structure's kind (cds, sos_medecins)"
    )
    source: Source = Field(description="how slots are shared now: manual agenda, or editor")
    required_hours_per_week: float = Field(description="manual sharing: 2 h (× doctors for a structure)")

    @classmethod
    def of(cls, version: Version | None) -> Self | None:
        if version is None:
            return None
        return cls(
            participates=version.participates,
            modality=version.modality,
            source=version.source,
            required_hours_per_week=hours(version.required_minutes),
        )


class EffecteurEligibilityAnswer(BaseModel):
    model_config = ANSWER

    national_id: str
    year: int
    quarter: int
    timezone: str = Field(description="the territory's: weeks, quarters and days are its")
    participation: ParticipationView | None = Field(
        description="the declaration in force; none if never declared"
    )
    indicator_8: Indicator8View
    indicator_9: Indicator9View

    @classmethod
    def of(cls, national_id: str, found: Eligibility, zone: ZoneInfo) -> Self:
        assert found.indicator_9 is not None
        return cls(
            national_id=national_id,
            year=found.quarter.year,
            quarter=found.quarter.number,
            timezone=zone.key,
            participation=ParticipationView.of(found.current),
            indicator_8=Indicator8View.of(found.indicator_8),
            indicator_9=Indicator9View.of(found.indicator_9),
        )


class StructureEligibilityAnswer(BaseModel):
    model_config = ANSWER

    structure_id: str
    year: int
    quarter: int
    timezone: str
    participation: ParticipationView | None
    indicator_8: Indicator8View = Field(
        description="the structure's weeks: its SOS editor's slots seen (no quota), or its own agenda's "
        "hours against 2 h × its doctors"
    )

    @classmethod
    def of(cls, structure_id: str, found: Eligibility, zone: ZoneInfo) -> Self:
        return cls(
            structure_id=structure_id,
            year=found.quarter.year,
            quarter=found.quarter.number,
            timezone=zone.key,
            participation=ParticipationView.of(found.current),
            indicator_8=Indicator8View.of(found.indicator_8),
        )


# --- regulators' shifts -----------------------------------------------------------------------------------

AssociationId = Annotated[
    str,
    Field(
        pattern=ASSOCIATION_ID_PATTERN,
        description="the regulators' association (its SIRET or the territory's id for it)",
    ),
]


class ShiftRequest(BaseModel):
    """`POST /regulators/{regulator_id}/shifts`: a shift of the month in progress, whole minutes."""

    model_config = ConfigDict(extra="forbid")

    start: AwareDatetime = Field(description="ISO 8601 with its offset")
    end: AwareDatetime = Field(description="ISO 8601 with its offset; after `start`, at most 24 h later")
    association_id: AssociationId


class ShiftView(BaseModel):
    model_config = ANSWER

    id: str = Field(description="what `DELETE …/shifts/{shift_id}` takes: the start, UTC, `YYYYMMDDTHHMMZ`")
    association_id: str
    start: datetime = Field(description="territory time, with its offset")
    end: datetime
    minutes: int = Field(description="the shift's length")
    paid_minutes: int = Field(
        description="inside weekdays 08:00–20:00 and Saturday 08:00–12:00, holidays excepted"
    )
    amount_eur: float = Field(description="90 € an hour paid")

    @classmethod
    def of(cls, one: PaidShift, zone: ZoneInfo) -> Self:
        shift = one.shift
        return cls(
            id=shift.id,
            association_id=shift.association_id,
            start=shift.start.astimezone(zone),
            end=shift.end.astimezone(zone),
            minutes=shift.minutes,
            paid_minutes=one.paid_minutes,
            amount_eur=euros(one.amount),
        )


class ShiftsAnswer(BaseModel):
    model_config = ANSWER

    regulator_id: str
    month: str = Field(description="`YYYY-MM`: the shifts starting in it (territory time)")
    shifts: list[ShiftView]
    minutes: int
    paid_minutes: int
    paid_hours: float
    amount_eur: float

    @classmethod
    def of(cls, found: RegulatorMonth, zone: ZoneInfo) -> Self:
        paid = sum(one.paid_minutes for one in found.shifts)
        return cls(
            regulator_id=found.regulator_id,
            month=found.month.label,
            shifts=[ShiftView.of(one, zone) for one in found.shifts],
            minutes=sum(one.shift.minutes for one in found.shifts),
            paid_minutes=paid,
            paid_hours=hours(paid),
            amount_eur=euros(sum((one.amount for one in found.shifts), Decimal(0))),
        )


class StatementLine(BaseModel):
    model_config = ANSWER

    regulator_id: str
    shifts: int
    minutes: int
    paid_minutes: int
    paid_hours: float
    amount_eur: float

    @classmethod
    def of(cls, total: RegulatorTotal) -> Self:
        return cls(
            regulator_id=total.regulator_id,
            shifts=total.shifts,
            minutes=total.minutes,
            paid_minutes=total.paid_minutes,
            paid_hours=hours(total.paid_minutes),
            amount_eur=euros(total.amount),
        )


class StatementAnswer(BaseModel):
    """What replaces the paper form: each regulator's month, and the association's total."""

    model_config = ANSWER

    association_id: str
    month: str
    regulators: list[StatementLine]
    paid_minutes: int
    paid_hours: float
    amount_eur: float

    @classmethod
    def of(cls, statement: Statement) -> Self:
        paid = sum(line.paid_minutes for line in statement.lines)
        return cls(
            association_id=statement.association_id,
            month=statement.month.label,
            regulators=[StatementLine.of(line) for line in statement.lines],
            paid_minutes=paid,
            paid_hours=hours(paid),
            amount_eur=euros(sum((line.amount for line in statement.lines), Decimal(0))),
        )


class CsvExport(RootModel[str]):
    """A CSV file: UTF-8, RFC 4180 (comma, CRLF, quotes doubled), the header line first; a text cell a
    spreadsheet would take for a formula is prefixed with `'`."""
