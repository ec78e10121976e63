"""The agenda capability's HTTP answers: the bodies its routes answer with, and what each route documents.

A handler returns one of these models (or a domain model that is exactly the answer: `Card`, `Delegate`,
`ImportSummary`…), so powertools validates and serialises it and the OpenAPI document shows its schema.
Powertools serialises every field (no `exclude_none`): a field that the answer leaves out when it has no
value is declared with `exclude_if=is_none` (and `SkipJsonSchema[None]`, so the schema does not call it
nullable) rather than sent as `null`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Self
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.agenda import occurrences as computed
from sas_common.agenda.model import OccurrenceChange, Schedule, Series
from sas_common.agenda.service import in_force
from sas_common.agenda.unavailability import Unavailability
from sas_common.answers import is_none
from sas_common.effecteurs.model import RegulatorInfo
from sas_common.participation.service import ResetPage
from sas_common.participation.versions import Saved
from sas_common.slots.model import ConsultationType, SlotMode

ANSWER = ConfigDict(extra="forbid", frozen=True)


# --- effecteurs --------------------------------------------------------------------------------------------


class RegulatorInfoAnswer(BaseModel):
    model_config = ANSWER

    national_id: str = Field(description="the effecteur's national id")
    regulator_info: RegulatorInfo = Field(description="the info for the regulator, as saved")


# --- participation -----------------------------------------------------------------------------------------


class DeclarationVersion(BaseModel):
    """One saved version of a declaration."""

    model_config = ANSWER

    version: int = Field(description="1 for the first save, then +1 per change")
    saved_at: str = Field(description="when it was saved (UTC, ISO 8601)")
    saved_by: str = Field(description="the subject of the token that saved it")
    declaration: dict[str, Any] = Field(description="the declaration as saved (the body of the PUT)")
    reset_id: str | SkipJsonSchema[None] = Field(
        None,
        exclude_if=is_none,
        description="the territory-wide reset that saved it; absent for a save of the declarant's own",
    )

    @classmethod
    def of(cls, saved: Saved, **answer: Any) -> Self:
        """The version as answered, with the fields a subclass adds (`answer`)."""
        return cls(
            version=saved.version,
            saved_at=saved.saved_at,
            saved_by=saved.saved_by,
            declaration=saved.content,
            reset_id=saved.reset_id,
            **answer,
        )


class DeclarationAnswer(DeclarationVersion):
    """An effecteur's declaration after the save."""

    created: bool = Field(description="false: the same content as the current version, nothing was saved")
    editor_synced: bool = Field(description="the effecteur's slots come from an interfaced editor")
    manual_agenda_allowed: bool = Field(description="the effecteur may keep a manual agenda")


class ParticipationHistory(BaseModel):
    model_config = ANSWER

    current: DeclarationVersion | None = Field(description="the version in force; null if none was saved")
    history: list[DeclarationVersion] = Field(description="the versions before it, newest first")


class StructureDeclarationAnswer(DeclarationVersion):
    """A structure's declaration after the save."""

    created: bool = Field(description="false: the same content as the current version, nothing was saved")
    weekly_hours_required: float = Field(
        description="hours per week the structure commits to (0 if it does not participate)"
    )


class ResetPageAnswer(BaseModel):
    """One page of the territory-wide reset."""

    model_config = ANSWER

    reset_id: str = Field(description="send it with every next page of the same reset")
    reset: int = Field(description="declarations this page reset")
    seen: int = Field(description="declarations this page read")
    cursor: str | None = Field(description="send it to get the next page; null when done")
    done: bool = Field(description="no page left")

    @classmethod
    def of(cls, page: ResetPage) -> ResetPageAnswer:
        return cls(
            reset_id=page.reset_id,
            reset=page.reset,
            seen=page.seen,
            cursor=page.cursor,
            done=page.cursor is None,
        )


# --- manual agenda -----------------------------------------------------------------------------------------


class OccurrenceChangeView(BaseModel):
    """One day of a series changed on its own; only what changed is present."""

    model_config = ANSWER

    cancelled: bool = Field(description="the occurrence of that day is cancelled")
    start: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none, description="HH:MM, local time")
    end: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none, description="HH:MM (or 24:00)")
    consultation_types: tuple[ConsultationType, ...] | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="that day's consultation types"
    )

    @classmethod
    def of(cls, change: OccurrenceChange) -> OccurrenceChangeView:
        return cls(
            cancelled=change.cancelled,
            start=change.start,
            end=change.end,
            consultation_types=change.consultation_types,
        )


class SeriesView(BaseModel):
    """An availability (a series): its schedule in force today (or at its start), then every revision and
    every change of a single day."""

    model_config = ANSWER

    id: str = Field(description="the availability's id")
    place_id: str
    date: dt.date = Field(description="its first day (local)")
    deleted_from: dt.date | None = Field(description="deleted for the whole series from this day on")
    version: int = Field(description="counts the writes")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    updated_by: str = Field(description="the subject of the token that made the last change")
    start: str = Field(description="HH:MM, local time")
    end: str = Field(description="HH:MM (or 24:00), local time")
    mode: SlotMode
    slot_minutes: int | None = Field(description="slots mode: the length of a slot")
    capacity: int | None = Field(description="range mode: patients on the range")
    walk_in: bool = Field(description="range mode: patients may come without appointment")
    consultation_types: tuple[ConsultationType, ...]
    recurrence_weekdays: tuple[int, ...] = Field(description="weekly on these days (0 = Monday); empty: once")
    until: dt.date | None = Field(description="the recurrence's last day; null: no end")
    revisions: tuple[Schedule, ...] = Field(description="each schedule and the day it applies from")
    changes: dict[dt.date, OccurrenceChangeView] = Field(description="single days changed, by local date")

    @classmethod
    def of(cls, series: Series, today: dt.date) -> SeriesView:
        schedule = in_force(series, today)
        return cls(
            id=series.id,
            place_id=series.place_id,
            date=series.date,
            deleted_from=series.deleted_from,
            version=series.version,
            created_at=series.created_at,
            updated_at=series.updated_at,
            updated_by=series.updated_by,
            start=schedule.start,
            end=schedule.end,
            mode=schedule.mode,
            slot_minutes=schedule.slot_minutes,
            capacity=schedule.capacity,
            walk_in=schedule.walk_in,
            consultation_types=schedule.consultation_types,
            recurrence_weekdays=schedule.recurrence_weekdays,
            until=schedule.until,
            revisions=series.revisions,
            changes={day: OccurrenceChangeView.of(change) for day, change in series.changes.items()},
        )


class Occurrence(BaseModel):
    """One occurrence of an availability."""

    model_config = ANSWER

    availability_id: str
    date: dt.date = Field(description="the local day")
    start: str = Field(
        description="ISO 8601, with the territory's offset", json_schema_extra={"format": "date-time"}
    )
    end: str = Field(
        description="ISO 8601, with the territory's offset", json_schema_extra={"format": "date-time"}
    )
    mode: SlotMode
    slot_minutes: int | None = Field(description="slots mode: the length of a slot")
    capacity: int | None = Field(description="range mode: patients on the range")
    walk_in: bool
    consultation_types: tuple[ConsultationType, ...]
    place_id: str
    active: bool = Field(
        description="shown to regulators (false: manual agenda not allowed, or unavailability)"
    )
    recurring: bool
    modified: bool = Field(description="changed for this day only")

    @classmethod
    def of(cls, occurrence: computed.Occurrence, active: bool, zone: dt.tzinfo) -> Occurrence:
        return cls(
            availability_id=occurrence.availability_id,
            date=occurrence.date,
            # As `isoformat` writes it (an offset, never `Z`), as the agenda always answered.
            start=occurrence.start.astimezone(zone).isoformat(),
            end=occurrence.end.astimezone(zone).isoformat(),
            mode=occurrence.mode,
            slot_minutes=occurrence.slot_minutes,
            capacity=occurrence.capacity,
            walk_in=occurrence.walk_in,
            consultation_types=occurrence.consultation_types,
            place_id=occurrence.place_id,
            active=active,
            recurring=occurrence.recurring,
            modified=occurrence.modified,
        )


class AgendaAnswer(BaseModel):
    """The occurrences of a span of local days."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from", description="first local day, included")
    to: dt.date = Field(description="last local day, included")
    timezone: str = Field(description="the territory's time zone (IANA)")
    occurrences: list[Occurrence] = Field(description="by start")

    @classmethod
    def of(
        cls,
        first: dt.date,
        last: dt.date,
        zone: ZoneInfo,
        found: Iterable[tuple[computed.Occurrence, bool]],
    ) -> AgendaAnswer:
        """The answer for the span [first, last] in the territory's `zone`, from `service.agenda`."""
        return cls.model_validate(
            {
                "from": first,
                "to": last,
                "timezone": zone.key,
                "occurrences": [Occurrence.of(occurrence, active, zone) for occurrence, active in found],
            }
        )


class UnavailabilityAnswer(Unavailability):
    """A place's unavailability after the change; none left: not indefinite, no period, no `updated_at`."""

    updated_at: AwareDatetime | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="when it was last set; absent when there is none"
    )

    @classmethod
    def of(cls, place_id: str, found: Unavailability | None) -> UnavailabilityAnswer:
        if found is None:
            return cls(place_id=place_id)
        return cls(
            place_id=found.place_id,
            indefinite=found.indefinite,
            since=found.since,
            periods=found.periods,
            updated_at=found.updated_at,
        )
