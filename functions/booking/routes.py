"""The regulator's bookings (HTTP): book a slot found by search, follow it, confirm or cancel a phone booking.

Thin handlers: the request goes to `sas_common.booking.service`; the sequencing after the hold (the
editor's call, the wait for the regulator, the compensation) is the state machine's alone.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from booking import orientations, regulators
from booking.answers import BookingAnswer
from sas_common.answers import answers
from sas_common.api import new_router, principal, runtime
from sas_common.booking import service
from sas_common.booking.model import Booking, BookingRequest, Status
from sas_common.routes import BOOKING_CANCEL, BOOKING_CONFIRM, BOOKING_CREATE, BOOKING_GET
from sas_common.runtime import Runtime

router = new_router()
TAGS = ["booking"]

BookingIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$", description="a booking's id")
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=128,
        description="optional: a retry with the same key and body answers the booking first made, never a "
        "second one (kept 24 h); without it every request is a new attempt",
    ),
]
UNKNOWN = 404, "no such booking (`field`: booking_id)"
NOT_YOURS = 403, "the booking is another regulator's"


def _answer(rt: Runtime, booking: Booking) -> BookingAnswer:
    window = timedelta(seconds=rt.territory.phone_confirmation_seconds)
    return BookingAnswer.of(booking, service.callback(rt, booking), window)


@router.post(
    BOOKING_CREATE.resolver_path,
    status_code=201,
    summary=BOOKING_CREATE.summary,
    description="A level-2 editor's slot naming its doctor is booked at the editor (`flow: editor`, "
    "`pending` until the editor answers: follow it with GET). Any other slot is held while you phone "
    "(`flow: phone_callback`, `awaiting_confirmation`, with whom to call): confirm or cancel it before "
    "`callback.confirm_before`, or it expires and the slot is offered again. The patient's contact is "
    "for an editor booking only: passed to the editor, never stored.",
    tags=TAGS,
    responses=answers(
        BOOKING_CREATE,
        {201: "the booking (a replay with the same Idempotency-Key: the booking first made, as it is now)"},
        400,
        (404, "no such slot (`field`: slot_id): it expired, or the editor no longer offers it"),
        (
            409,
            "rule `slot_taken` (held or booked by another booking), `slot_ended`, `idempotency_key_reused` "
            "or `request_in_progress`",
        ),
        (422, "a field is malformed, or rule `contact_for_editor_only`"),
    ),
)
def create_booking(body: BookingRequest, idempotency_key: IdempotencyKey = None) -> BookingAnswer:
    rt = runtime(router)
    booking = service.book(rt, body, principal(router), idempotency_key, router.lambda_context)
    return _answer(rt, booking)


@router.get(
    BOOKING_GET.resolver_path,
    summary=BOOKING_GET.summary,
    tags=TAGS,
    responses=answers(BOOKING_GET, {200: "the booking as it is now"}, UNKNOWN, NOT_YOURS, 422),
)
def get_booking(booking_id: BookingIdPath) -> BookingAnswer:
    rt = runtime(router)
    return _answer(rt, service.read(rt, booking_id, principal(router)))


DECISION_ERRORS = (
    UNKNOWN,
    NOT_YOURS,
    (
        409,
        "rule `not_awaiting_confirmation` (an editor booking), `booking_final` (already confirmed, "
        "cancelled or expired) or `not_ready` (a moment after the booking: retry)",
    ),
    422,
)


@router.post(
    BOOKING_CONFIRM.resolver_path,
    summary=BOOKING_CONFIRM.summary,
    tags=TAGS,
    responses=answers(BOOKING_CONFIRM, {200: "the booking, confirmed"}, *DECISION_ERRORS),
)
def confirm_booking(booking_id: BookingIdPath) -> BookingAnswer:
    rt = runtime(router)
    return _answer(rt, service.decide(rt, booking_id, principal(router), Status.CONFIRMED))


@router.post(
    BOOKING_CANCEL.resolver_path,
    summary=BOOKING_CANCEL.summary,
    tags=TAGS,
    responses=answers(
        BOOKING_CANCEL, {200: "the booking, cancelled: its slot is offered again"}, *DECISION_ERRORS
    ),
)
def cancel_booking(booking_id: BookingIdPath) -> BookingAnswer:
    rt = runtime(router)
    return _answer(rt, service.decide(rt, booking_id, principal(router), Status.CANCELLED))


ROUTERS = (router, orientations.router, regulators.router)
