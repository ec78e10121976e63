"""The manual agenda's shapes: the request bodies, and a series as stored (no AWS types here).

A series is one availability: a place, a first date and its schedule (wall-clock start and end in the
territory's zone, mode, consultation types, weekly recurrence). A schedule edited "for the whole series"
changes from a date on, so the series keeps one schedule per date it changed (`revisions`), and earlier
days keep theirs; "this occurrence only" is a change stored under that date (`changes`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from sas_common.identifiers import NationalId
from sas_common.slots.model import ConsultationType, SlotMode

# Wall-clock times to the minute, in the territory's zone. An end may be 24:00 (midnight at the end of the
# day), so that an evening availability can run to the end of the day.
START_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
END_PATTERN = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
MIN_SLOT_MINUTES = 5
MAX_SLOT_MINUTES = 240
MAX_CAPACITY = 500

StartClock = Annotated[str, Field(pattern=START_PATTERN, description="HH:MM, local time", examples=["10:00"])]
EndClock = Annotated[
    str, Field(pattern=END_PATTERN, description="HH:MM (or 24:00), local time", examples=["12:00"])
]
SlotMinutes = Annotated[int, Field(ge=MIN_SLOT_MINUTES, le=MAX_SLOT_MINUTES, description="slots mode")]
Capacity = Annotated[int, Field(ge=1, le=MAX_CAPACITY, description="range mode: patients on the range")]
Weekday = Annotated[int, Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")]
ConsultationTypes = Annotated[frozenset[ConsultationType], Field(min_length=1)]
PlaceId = Annotated[str, Field(min_length=1, max_length=64)]


class Scope(StrEnum):
    OCCURRENCE = "occurrence"
    SERIES = "series"


class AvailabilityInput(BaseModel):
    """`POST /effecteurs/{national_id}/availabilities`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    place_id: PlaceId
    date: dt.date = Field(description="the first day (local); not in the past")
    start: StartClock
    end: EndClock
    mode: SlotMode
    slot_minutes: SlotMinutes | None = None
    capacity: Capacity | None = None
    walk_in: bool = Field(default=False, description="range mode: patients may come without appointment")
    consultation_types: ConsultationTypes
    recurrence_weekdays: frozenset[Weekday] = Field(
        default_factory=frozenset,
        description="weekly recurrence on these days (0 = Monday); empty: this date only",
    )
    until: dt.date | None = Field(default=None, description="last day of a recurrence; none: no end")


class AvailabilityPatch(BaseModel):
    """`PATCH …/availabilities/{id}`: only the fields given change (`until: null` removes the end)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: StartClock | None = None
    end: EndClock | None = None
    mode: SlotMode | None = None
    slot_minutes: SlotMinutes | None = None
    capacity: Capacity | None = None
    walk_in: bool | None = None
    consultation_types: ConsultationTypes | None = None
    recurrence_weekdays: frozenset[Weekday] | None = None
    until: dt.date | None = None


# What "this occurrence only" may change; the rest is the series'.
OCCURRENCE_FIELDS = frozenset({"start", "end", "consultation_types"})


class Schedule(BaseModel):
    """What the series is from `effective_from` on (until the next revision)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    effective_from: dt.date
    start: str
    end: str
    mode: SlotMode
    slot_minutes: int | None = None
    capacity: int | None = None
    walk_in: bool = False
    consultation_types: tuple[ConsultationType, ...]
    recurrence_weekdays: tuple[int, ...] = ()
    until: dt.date | None = None

    @property
    def recurring(self) -> bool:
        return bool(self.recurrence_weekdays)


class OccurrenceChange(BaseModel):
    """One day of a series changed on its own: cancelled, or other times or consultation types."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cancelled: bool = False
    start: str | None = None
    end: str | None = None
    consultation_types: tuple[ConsultationType, ...] | None = None


class Series(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    national_id: NationalId
    place_id: str
    date: dt.date
    revisions: tuple[Schedule, ...] = Field(min_length=1)  # by effective_from; the first from `date`
    changes: dict[dt.date, OccurrenceChange] = Field(default_factory=dict)
    # Deleted "for the whole series" from this day on; earlier days are kept (the agenda's history).
    deleted_from: dt.date | None = None
    version: int = 1
    created_at: AwareDatetime
    updated_at: AwareDatetime
    updated_by: str

    @property
    def current(self) -> Schedule:
        return self.revisions[-1]
