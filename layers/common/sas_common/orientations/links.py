"""Matching an editor's appointment record (INT_R03) with the platform's own booking of the same slot.

The booking flow books a level-2 editor's slot by posting an Appointment to the editor (interop.md,
"End-to-end booking"); the editor then reports that appointment back, and each status change, as INT_R03
records. A record does not carry the platform's booking id; what both sides know is the editor, the
doctor and the appointment's start. Either side may come first (the editor's record can arrive before the
booking flow has stored the editor's answer), so each writes its half of one item and reads the other half
in the same UpdateItem — no read-then-write race, and a retry writes the same:

    LINK#<editor id>#<national id>#<start, UTC> / META     booking_id, appointment_pk

The pair is what indicator 9 and the dashboards deduplicate on (pattern 14): a booking and the editor's
record of it count once. The item expires `KEEP` after the start; by then both sides have met.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sas_common import storage
from sas_common.slots.keys import utc_text
from sas_common.tables import ORIENTATIONS, PK, SK

LINK_PREFIX = "LINK#"
META = "META"
KEEP = timedelta(days=30)


def link_key(editor_id: str, national_id: str, start: datetime) -> dict[str, str]:
    return {PK: f"{LINK_PREFIX}{editor_id}#{national_id}#{utc_text(start)}", SK: META}


def _meet(key: dict[str, str], start: datetime, mine: str, value: str, theirs: str) -> str | None:
    """Write my half of the link, answer the other half (None while that side has not come)."""
    answer = storage.table(ORIENTATIONS).update_item(
        Key=key,
        UpdateExpression="SET #mine = :value, #ttl = if_not_exists(#ttl, :ttl)",
        ExpressionAttributeNames={"#mine": mine, "#ttl": "ttl"},
        ExpressionAttributeValues={":value": value, ":ttl": int((start + KEEP).timestamp())},
        ReturnValues="ALL_NEW",
    )
    other = answer.get("Attributes", {}).get(theirs)
    return str(other) if other is not None else None


def record_stored(editor_id: str, national_id: str, start: datetime, appointment_pk: str) -> str | None:
    """An editor's record of an appointment with this doctor at this start is stored under
    `appointment_pk`: the id of the platform's booking of that slot, if it made one."""
    key = link_key(editor_id, national_id, start)
    return _meet(key, start, "appointment_pk", appointment_pk, "booking_id")


def booking_made(editor_id: str, national_id: str, start: datetime, booking_id: str) -> str | None:
    """The platform booked this doctor's slot at this start on this editor: the partition of the editor's
    record of it (`orientations.appointments`), if it has already come."""
    key = link_key(editor_id, national_id, start)
    return _meet(key, start, "booking_id", booking_id, "appointment_pk")
