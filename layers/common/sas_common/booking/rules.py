"""The booking's rules, no I/O: which flow a slot takes, and how a booking's status may change."""

from __future__ import annotations

from sas_common.booking.model import FINAL, Flow, Status
from sas_common.errors import Conflict
from sas_common.slots.keys import MANUAL_SOURCE
from sas_common.slots.model import Slot
from sas_common.territory import EditorConfig, EditorLevel

# What may follow what; anything else is refused (a confirm of a booking not awaiting one: 409).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.FAILED}),
    Status.AWAITING_CONFIRMATION: frozenset({Status.CONFIRMED, Status.CANCELLED, Status.EXPIRED}),
}
FIRST_STATUS = {Flow.EDITOR: Status.PENDING, Flow.PHONE_CALLBACK: Status.AWAITING_CONFIRMATION}


def flow_of(slot: Slot, editor: EditorConfig | None) -> Flow:
    """A level-2 editor's slot naming a doctor is booked at the editor; every other slot (manual, a
    level-1 editor's, an SOS site's without a doctor named) by phone."""
    if slot.source == MANUAL_SOURCE or editor is None or editor.level is not EditorLevel.END_TO_END_BOOKING:
        return Flow.PHONE_CALLBACK
    doctor = slot.doctor_id or (slot.national_id if not slot.national_id.startswith("3") else None)
    return Flow.EDITOR if doctor is not None else Flow.PHONE_CALLBACK


def check_transition(current: Status, wanted: Status) -> None:
    """Conflict (409) unless `wanted` may follow `current`: rule `booking_final` once the booking has its
    outcome, `not_awaiting_confirmation` for a confirm or cancel of a booking the editor handles."""
    if wanted in TRANSITIONS.get(current, frozenset()):
        return
    rule = "booking_final" if current in FINAL else "not_awaiting_confirmation"
    raise Conflict(
        f"the booking is {current.value}: it cannot become {wanted.value}", field="status", rule=rule
    )


def check_decision(current: Status) -> None:
    """Conflict (409) unless the regulator may decide now: only a phone booking awaiting confirmation is
    confirmed or cancelled by the regulator (an editor booking's outcome is the editor's answer)."""
    if current is Status.AWAITING_CONFIRMATION:
        return
    rule = "booking_final" if current in FINAL else "not_awaiting_confirmation"
    raise Conflict(f"the booking is {current.value}: it is not awaiting your confirmation", rule=rule)
