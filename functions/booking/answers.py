"""The booking capability's HTTP answers: a booking as the regulator sees it (no patient data: there is
none to show)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sas_common.answers import is_none
from sas_common.booking.model import Booking, Flow, Status
from sas_common.booking.service import Callback
from sas_common.orientations.dashboard import OrientationPage
from sas_common.orientations.listing import Orientation
from sas_common.slots.model import slot_id

ANSWER = ConfigDict(extra="forbid", frozen=True)


class CallbackView(BaseModel):
    """For a phone booking: whom to call, and what the effecteur asks the regulator to know."""

    model_config = ANSWER

    phones: list[str] = Field(description="the numbers to call, the effecteur's own for regulators first")
    info: str | None = Field(description="the effecteur's information for regulators")
    call_hours: str | None = Field(description="when the effecteur can be reached")
    confirm_before: datetime = Field(
        description="the hold ends then (`expired`) unless the booking is confirmed or cancelled before"
    )


class BookingAnswer(BaseModel):
    model_config = ANSWER

    id: str
    flow: Flow = Field(description="`editor`: booked at the doctor's software; `phone_callback`: you phone")
    status: Status = Field(
        description="`pending` (editor being asked), `awaiting_confirmation` (you phone, then confirm or "
        "cancel), then `confirmed`, `failed`, `cancelled` or `expired` (final)"
    )
    slot_id: str
    start: datetime
    end: datetime
    effecteur: str = Field(description="the slot's owner: a national id, or an SOS association (`3`+SIRET)")
    doctor: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none, description="the doctor on duty")
    editor_id: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    place_id: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    reason: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="why it failed, was cancelled or expired"
    )
    editor_record: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="the editor's appointment (its Location), once booked"
    )
    callback: CallbackView | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, booking: Booking, callback: Callback | None, confirm_within: timedelta) -> Self:
        return cls(
            id=booking.id,
            flow=booking.flow,
            status=booking.status,
            slot_id=slot_id(booking.slot_pk, booking.slot_sk),
            start=booking.start,
            end=booking.end,
            effecteur=booking.owner,
            doctor=booking.doctor_id,
            editor_id=booking.editor_id,
            place_id=booking.place_id,
            reason=booking.reason,
            editor_record=booking.editor_record,
            callback=CallbackView(
                phones=callback.phones,
                info=callback.info,
                call_hours=callback.call_hours,
                confirm_before=booking.created_at + confirm_within,
            )
            if callback is not None
            else None,
            created_at=booking.created_at,
            updated_at=booking.updated_at,
        )


class OrientationView(BaseModel):
    """An orientation: a booking made on the platform, or an editor's record of an appointment (INT_R03)
    that no booking of the platform accounts for. Nothing of the patient."""

    model_config = ANSWER

    id: str = Field(description="the booking's id, or the record's (as in its Location)")
    kind: str = Field(description="`booking` or `appointment_record`")
    status: str = Field(
        description="a booking's status (confirmed, failed, …), or the record's (booked, fulfilled, noshow, "
        "cancelled, pending)"
    )
    effecteur: str = Field(description="the national id, or an SOS association's `3` + SIRET")
    start: str | None
    end: str | None
    flow: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    regulator: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    doctor: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none, description="an SOS doctor on duty")
    editor_id: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    place_id: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    editor_record: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)
    record_status: str | SkipJsonSchema[None] = Field(
        None,
        exclude_if=is_none,
        description="what the editor's record of the booking says now (booked, fulfilled, noshow, cancelled)",
    )
    done_at: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="when the effecteur marked the consultation as done"
    )
    created_at: str | SkipJsonSchema[None] = Field(None, exclude_if=is_none)

    @classmethod
    def of(cls, orientation: Orientation) -> Self:
        return cls.model_validate(asdict(orientation))


class OrientationsAnswer(BaseModel):
    model_config = ANSWER

    results: list[OrientationView]
    cursor: str | SkipJsonSchema[None] = Field(
        None, exclude_if=is_none, description="the next page's cursor; absent on the last page"
    )

    @classmethod
    def of(cls, page: OrientationPage) -> Self:
        return cls(results=[OrientationView.of(o) for o in page.results], cursor=page.cursor)
