"""The booking's use cases: the regulator's requests (book, read, confirm, cancel) and the steps the state
machine runs (`booking_steps`: call the editor, keep the regulator's callback, settle the outcome).

`book` does the one step that must answer at once: it holds the slot (a conditional write: of two
regulators booking the same slot at the same moment, exactly one gets it, the other a 409 `slot_taken`),
records the booking and starts its execution, named after the booking. What follows is sequenced by the
state machine (infra/constructs/booking.py): the editor's call with its retries, the wait for the
regulator and its timeout, the compensation that gives the place back. The regulator's confirm or cancel
(`decide`) is recorded when it is made, so that it answers with the outcome, and then answers the
execution's wait; every outcome goes through `settle`, which is idempotent, so the execution's own settle
step and a retry find it done.

The patient's contact details are sealed with the territory's key before they enter the execution's input;
only the editor's call opens them, to send them to the editor. No table, log or execution history holds
them in clear.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sas_common.auth import Principal
from sas_common.booking import rules
from sas_common.booking.editor import REASON_MAX, call_editor
from sas_common.booking.model import Booking, BookingRequest, Flow, PatientContact, Status
from sas_common.errors import Conflict, Forbidden, NotFound, RuleViolation, StaleWrite
from sas_common.orientations import appointments
from sas_common.search.service import owner_pk
from sas_common.slots.model import Slot, slot_key_of
from sas_common.tables import PK, SK

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from sas_common.runtime import Runtime


@dataclass(frozen=True)
class Callback:
    """Whom the regulator phones for a phone booking: the doctor's number and their info for the regulator."""

    phones: list[str]
    info: str | None
    call_hours: str | None


def book(
    rt: Runtime,
    request: BookingRequest,
    regulator: Principal,
    idempotency_key: str | None = None,
    context: LambdaContext | None = None,
    now: datetime | None = None,
) -> Booking:
    """Hold the slot, record the booking, start its execution (see the module's doc).

    With an `idempotency_key`, a retry of the same request by the same regulator answers the booking the
    first one made (as it is now), never a second booking; the key with another request is a 409. Without
    one, every request is a new attempt."""
    if idempotency_key is None:
        return _book(rt, request, regulator, now or datetime.now(UTC))
    first = rt.idempotency.once(
        "booking",
        regulator.subject,
        idempotency_key,
        # What the key is checked against: the slot, never the patient's contact (not even hashed).
        {"slot_id": request.slot_id},
        lambda: {"id": _book(rt, request, regulator, now or datetime.now(UTC)).id},
        context,
    )
    return read(rt, str(first["id"]), regulator)


def _book(rt: Runtime, request: BookingRequest, regulator: Principal, now: datetime) -> Booking:
    slot = _slot(rt, request.slot_id, now)
    editor = rt.territory.editor(slot.source) if slot.editor_id else None
    flow = rules.flow_of(slot, editor)
    if request.patient_contact is not None and flow is not Flow.EDITOR:
        raise RuleViolation(
            "the patient's contact is passed to a level-2 editor only: this slot is booked by phone",
            field="patient_contact",
            rule="contact_for_editor_only",
        )
    booking_id = uuid.uuid4().hex
    pk, sk = slot.key[PK], slot.key[SK]
    if not rt.slots.hold(pk, sk, booking_id):
        raise Conflict("the slot was just taken: choose another", field="slot_id", rule="slot_taken")
    booking = Booking(
        id=booking_id,
        flow=flow,
        status=rules.FIRST_STATUS[flow],
        regulator=regulator.subject,
        slot_pk=pk,
        slot_sk=sk,
        owner=slot.national_id,
        doctor_id=slot.doctor_id,
        source=slot.source,
        editor_id=slot.editor_id,
        start=slot.start,
        end=slot.end,
        place_id=slot.place_id,
        created_at=now,
        updated_at=now,
    )
    try:
        rt.orientations.create_booking(booking, owner_pk(slot.national_id))
        sealed = _sealed(rt, request.patient_contact, booking_id)
        rt.workflows.start(
            booking_id,
            {
                "booking_id": booking_id,
                "flow": flow.value,
                "contact": sealed,
                "confirm_within_seconds": rt.territory.phone_confirmation_seconds,
            },
        )
    except Exception:
        rt.slots.release(pk, sk, booking_id)  # nothing else will: the execution did not start
        raise
    return booking


def _slot(rt: Runtime, slot_id: str, now: datetime) -> Slot:
    key = slot_key_of(slot_id)
    slot = rt.slots.load(key[PK], key[SK]) if key is not None else None
    if slot is None:
        raise NotFound("no such slot: it may have been taken or have expired; search again", field="slot_id")
    if slot.end <= now:
        raise Conflict("the slot is over", field="slot_id", rule="slot_ended")
    return slot


def _sealed(rt: Runtime, contact: PatientContact | None, booking_id: str) -> str | None:
    if contact is None or (contact.phone is None and contact.email is None):
        return None
    return rt.sealer.seal(contact.model_dump_json(exclude_none=True).encode(), booking_id)


def callback(rt: Runtime, booking: Booking) -> Callback | None:
    """For a phone booking: the number to call and the info for the regulator (the doctor's, or the SOS
    site's)."""
    if booking.flow is not Flow.PHONE_CALLBACK:
        return None
    profiles, places, _ = rt.effecteurs.owner_items(
        [owner_pk(booking.owner)], [(owner_pk(booking.owner), booking.place_id)] if booking.place_id else []
    )
    profile = profiles.get(owner_pk(booking.owner))
    place = places.get((owner_pk(booking.owner), booking.place_id or ""))
    phones = [
        *(profile.regulator_info.phones if profile else []),
        *([profile.phone] if profile and profile.phone else []),
    ]
    if place is not None and place.phone:
        phones.append(place.phone)
    info = profile.regulator_info if profile else None
    return Callback(
        list(dict.fromkeys(phones)), info.text if info else None, info.call_hours if info else None
    )


def read(rt: Runtime, booking_id: str, regulator: Principal) -> Booking:
    """A booking of this regulator's (404 unknown, 403 another regulator's)."""
    booking = rt.orientations.load_booking(booking_id)
    if booking is None:
        raise NotFound(f"no booking {booking_id}", field="booking_id")
    if booking.regulator != regulator.subject:
        raise Forbidden("this booking is another regulator's")
    return booking


def decide(rt: Runtime, booking_id: str, regulator: Principal, decision: Status) -> Booking:
    """The regulator's outcome of a phone booking (confirmed or cancelled).

    Recorded at once (a conditional write: if the hold expired a moment before, the booking stays
    expired and this is a 409), then handed to the booking's execution, whose settle step finds it done;
    an execution not yet waiting finds it done when it gets there (`run_step`, `await`)."""
    booking = read(rt, booking_id, regulator)
    rules.check_decision(booking.status)
    reason = "cancelled by the regulator" if decision is Status.CANCELLED else None
    settled = settle(rt, booking_id, decision, reason)
    if settled.status is not decision:
        rules.check_decision(settled.status)  # the 409 naming what it became meanwhile
    token = rt.orientations.callback(booking_id)
    if token is not None:
        rt.workflows.send_success(token, {"decision": decision.value})
    return settled


# --- the state machine's steps (booking_steps) -------------------------------------------------------------


def settle(
    rt: Runtime, booking_id: str, status: Status, reason: str | None = None, **changes: Any
) -> Booking:
    """Give a booking its outcome, and its slot what follows from it: confirmed keeps the place (the hold
    becomes a booking), failed, cancelled and expired give it back. Idempotent: a step retried after it
    wrote finds the booking settled and changes nothing."""
    for _ in range(3):
        booking = rt.orientations.load_booking(booking_id)
        if booking is None:
            raise LookupError(f"no booking {booking_id}")
        if booking.final:  # settled already (a retry, or the regulator's decision): the slot agrees
            _settle_slot(rt, booking)
            return booking
        rules.check_transition(booking.status, status)
        now = datetime.now(UTC)
        after = booking.model_copy(update={"status": status, "reason": reason, "updated_at": now, **changes})
        try:
            saved = rt.orientations.update_booking(booking, after)
        except StaleWrite:
            continue
        _settle_slot(rt, saved)
        return saved
    raise StaleWrite(booking_id)


def _settle_slot(rt: Runtime, booking: Booking) -> None:
    if booking.status is Status.CONFIRMED:
        rt.slots.confirm(booking.slot_pk, booking.slot_sk, booking.id)
    else:
        rt.slots.release(booking.slot_pk, booking.slot_sk, booking.id)


def run_step(rt: Runtime, step: Mapping[str, Any]) -> dict[str, Any]:
    """One task of the booking's state machine (infra/constructs/booking.py), by its `step`:

    - `call_editor`: post the Appointment to the editor; `{booked, record, reason}` (EditorBusy: retried);
    - `await`: keep the execution's task token, which the regulator's confirm or cancel answers;
    - `settle`: give the booking its outcome (`status`, `reason`, the editor's `record`; `slot_gone` when
      the editor refused the slot) and the slot what follows from it.
    """
    kind, booking_id = step.get("step"), str(step.get("booking_id") or "")
    if not booking_id:
        raise ValueError("a booking step without booking_id")
    if kind == "call_editor":
        contact = step.get("contact")
        return call_editor(rt, booking_id, str(contact) if contact else None).as_output()
    if kind == "await":
        token = str(step["token"])
        rt.orientations.set_callback(booking_id, token)
        booking = rt.orientations.load_booking(booking_id)
        if booking is not None and booking.final:  # decided before the execution got here
            rt.workflows.send_success(token, {"decision": booking.status.value})
        return {}
    if kind == "settle":
        reason, record = step.get("reason"), step.get("record")
        booking = settle(
            rt,
            booking_id,
            Status(str(step["status"])),
            str(reason)[:REASON_MAX] if reason else None,
            editor_record=str(record) if record else None,
        )
        _after_settled(rt, booking, slot_gone=bool(step.get("slot_gone")))
        return {"status": booking.status.value}
    raise ValueError(f"unknown booking step {kind!r}")


def _after_settled(rt: Runtime, booking: Booking, slot_gone: bool) -> None:
    """What follows an outcome beyond the booking and its slot (each idempotent, so a retried settle redoes
    it harmlessly): a confirmed booking of an editor's slot is linked to the editor's INT_R03 record of it;
    a slot the editor refused is no longer offered."""
    if booking.status is Status.CONFIRMED and booking.editor_id:
        # An editor's slot booked at the editor, or by phone (its software may send its record too); the
        # record meets the booking on the slot's owner: the doctor, or the SOS association.
        record = appointments.booking_made(rt, booking.editor_id, booking.owner, booking.start, booking.id)
        if record is not None and booking.appointment_id != record:
            rt.orientations.set_booking_record(booking.id, record)
    if slot_gone and booking.status is Status.FAILED:
        rt.slots.remove(booking.slot_pk, booking.slot_sk)
