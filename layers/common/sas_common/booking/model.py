"""A booking: what the regulator asks, and the booking as recorded (no AWS types, nothing of the patient).

A booking is also the orientation the dashboards and indicator 9 read: who oriented (the regulator),
towards whom (the effecteur, or an SOS association), where and when (the place, the slot's start), by which
flow, with what outcome, and the editor's record of it when there is one. The patient's contact details are
never part of it: they are sealed for the editor's call and only the editor ever sees them in clear.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PHONE_PATTERN = r"^\+?[0-9 .()-]{6,20}$"
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Phone = Annotated[str, Field(pattern=PHONE_PATTERN)]


class Flow(StrEnum):
    EDITOR = "editor"  # a level-2 editor's slot: booked at the editor from the platform
    PHONE_CALLBACK = "phone_callback"  # the regulator phones, then confirms or cancels


class Status(StrEnum):
    PENDING = "pending"  # the slot is held; the editor is being asked
    AWAITING_CONFIRMATION = "awaiting_confirmation"  # the slot is held; the regulator phones the doctor
    CONFIRMED = "confirmed"
    FAILED = "failed"  # the editor refused or could not be reached: the hold is released
    CANCELLED = "cancelled"  # the regulator cancelled a phone booking: the hold is released
    EXPIRED = "expired"  # the regulator neither confirmed nor cancelled in time: the hold is released


FINAL = frozenset({Status.CONFIRMED, Status.FAILED, Status.CANCELLED, Status.EXPIRED})


class PatientContact(BaseModel):
    """Given for a level-2 editor's booking only, so that the editor can tell the patient: passed to the
    editor, never stored (sealed in transit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Never in a repr (a library logging the handler's arguments at DEBUG, an error message): the values
    # go to the editor only.
    phone: Phone | None = Field(None, repr=False)
    email: Email | None = Field(None, repr=False)


class BookingRequest(BaseModel):
    """`POST /bookings`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    slot_id: Annotated[str, Field(min_length=1, max_length=1200, description="a search result's `slot_id`")]
    patient_contact: PatientContact | None = Field(
        None,
        description="for an editor booking: the patient's phone and/or e-mail, passed to the editor only",
    )


class Booking(BaseModel):
    """A booking as recorded (`orientations`, `BOOKING#<id>`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    flow: Flow
    status: Status
    regulator: str  # the token's subject of the regulator who booked
    slot_pk: str
    slot_sk: str
    owner: str  # the slot's owner: a national id, or an association's `3` + SIRET
    doctor_id: str | None = None  # an SOS site's doctor on duty, if named
    source: str  # an editor id, or `manual`
    editor_id: str | None = None
    start: AwareDatetime
    end: AwareDatetime
    place_id: str | None = None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    reason: str | None = None  # why it failed, was cancelled or expired
    editor_record: str | None = None  # the editor's appointment id (its Location), once booked
    appointment_id: str | None = None  # the editor's INT_R03 record of it on the platform, once linked
    done_at: AwareDatetime | None = None  # the effecteur marked that the consultation took place
    version: int = 0

    @property
    def final(self) -> bool:
        return self.status in FINAL


class BookingEvent(BaseModel):
    """One change of a booking's status (its history)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: datetime
    status: Status
    reason: str | None = None
