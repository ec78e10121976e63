"""The editor booking's step: post the Appointment to the level-2 editor and say what it answered.

201 (or 200): booked — the editor's record is where its `Location` points (or the answered Appointment's
id); a 2xx with neither (garbage) is not a booking: failed, the hold given back.
Any 4xx: refused, the reason being the OperationOutcome's diagnostics; 409, 410 and 422 also say the slot
is gone (taken, or no longer bookable), so it is no longer offered.
429, 5xx, a timeout or a connection error: `EditorBusy`, which the state machine retries with backoff, then
settles as failed with the hold given back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import httpx

from sas_common.fhir.booking import booking_appointment
from sas_common.ingest.client import EditorUnavailable, post_resource

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

REASON_MAX = 300
# What an editor answers when the slot is taken or can no longer be booked: it is no longer offered.
SLOT_GONE = frozenset({409, 410, 422})


class EditorBusy(Exception):
    """The editor did not answer usably this time: the state machine retries (its error name)."""


@dataclass(frozen=True)
class EditorAnswer:
    booked: bool
    record: str | None = None  # the editor's appointment (Location), when booked
    reason: str | None = None  # why not, when refused
    slot_gone: bool = False  # refused because the slot is taken or no longer bookable (409, 410, 422)

    def as_output(self) -> dict[str, Any]:
        return {
            "booked": self.booked,
            "record": self.record,
            "reason": self.reason,
            "slot_gone": self.slot_gone,
        }


def call_editor(
    rt: Runtime, booking_id: str, sealed_contact: str | None, transport: httpx.BaseTransport | None = None
) -> EditorAnswer:
    booking = rt.orientations.load_booking(booking_id)
    if booking is None or booking.editor_id is None:
        raise LookupError(f"no editor booking {booking_id}")
    editor = rt.territory.editor(booking.editor_id)
    if editor is None:
        return EditorAnswer(False, reason=f"editor {booking.editor_id} is no longer one of the territory's")
    contact: dict[str, str] = json.loads(rt.sealer.open(sealed_contact, booking_id)) if sealed_contact else {}
    appointment = booking_appointment(
        slot_id=booking.slot_sk.split("#", 1)[1],
        doctor=booking.doctor_id or booking.owner,
        regulator=booking.regulator,
        start=booking.start,
        end=booking.end,
        phone=contact.get("phone"),
        email=contact.get("email"),
    )
    url = str(editor.fhir_base_url).rstrip("/") + "/Appointment"
    try:
        response = post_resource(editor, url, appointment, transport)
    except (httpx.TimeoutException, httpx.TransportError, EditorUnavailable) as exc:
        raise EditorBusy(f"{booking.editor_id}: {exc.__class__.__name__}") from None
    answer = _answer(response)
    if answer.reason and contact:  # an editor echoing the patient's contact: it goes no further
        reason = answer.reason
        for value in contact.values():
            reason = reason.replace(value, "[patient contact]")
        answer = replace(answer, reason=reason)
    return answer


def _answer(response: httpx.Response) -> EditorAnswer:
    if response.status_code in (200, 201):
        record = response.headers.get("location") or _resource_id(response)
        if record is None:  # not what a booking answers: it cannot be taken as one
            return EditorAnswer(False, reason=f"HTTP {response.status_code} without the Appointment created")
        return EditorAnswer(True, record=record[:REASON_MAX])
    if response.status_code == 429 or response.status_code >= 500:
        raise EditorBusy(f"HTTP {response.status_code}")
    reason = f"HTTP {response.status_code}: {_diagnostics(response)}"
    return EditorAnswer(False, reason=reason, slot_gone=response.status_code in SLOT_GONE)


def _resource_id(response: httpx.Response) -> str | None:
    """`Appointment/<id>` of an answered Appointment resource, None for anything else."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or body.get("resourceType") != "Appointment":
        return None
    found = body.get("id")
    return f"Appointment/{found}" if isinstance(found, str) and found else None


def _diagnostics(response: httpx.Response) -> str:
    """What an OperationOutcome says (bounded); the body's start otherwise."""
    try:
        issues = response.json().get("issue", [])
        text = "; ".join(str(issue.get("diagnostics") or issue.get("code")) for issue in issues)
    except (ValueError, AttributeError):
        text = response.text
    return (text or "no reason given")[:REASON_MAX]
