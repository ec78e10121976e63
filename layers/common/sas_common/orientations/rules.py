"""Rules of the editors' appointment records (flow INT_R03) that need no storage: who may send a record
naming no doctor, which of the editor's slots a record references, and whose appointment it is.

An SOS Médecins editor's record (profile FrAppointmentSASSOS) names no practitioner: the regulator (the
operator), times and a status (`pending` while no doctor is assigned). Its slot, if the platform holds it,
belongs to the association (`3` + SIRET, sas_common.ingest.convert.owner_of); the record is tied to that
association, and meets the platform's booking of the association's slot on (editor, association, start).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sas_common.booking.model import Booking
from sas_common.fhir.appointment import AppointmentStatus
from sas_common.fhir.codes import siret_idnst, siret_of
from sas_common.ingest.convert import slot_key
from sas_common.slots.keys import source_pk, utc_text
from sas_common.tables import PK, SK
from sas_common.territory import EditorKind

SLOT_TYPE = "Slot"
HISTORY_MARK = "/_history/"
ACCEPTED = "accepted"
NEEDS_ACTION = "needs-action"


def doctor_required(kind: EditorKind) -> bool:
    """Only an SOS editor may send a record naming no doctor (the association's appointment, the doctor
    possibly not known yet); any other editor's record names the doctor it was booked with."""
    return kind is not EditorKind.SOS


def editor_slot_ids(references: Iterable[str]) -> tuple[str, ...]:
    """The editor's slot ids a record's `slot[].reference` names (`Slot/<id>`, relative or absolute, a
    version dropped), each once, in order; references to anything else are ignored."""
    ids: list[str] = []
    for reference in references:
        parts = reference.split(HISTORY_MARK)[0].rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] == SLOT_TYPE and parts[-1]:
            ids.append(parts[-1])
    return tuple(dict.fromkeys(ids))


def is_association(owner: str) -> bool:
    """A slot owner that is an SOS association (`3` + SIRET), not a doctor (a national id)."""
    siret = siret_of(owner)
    return siret is not None and siret != owner


def associations(owners_showing: Iterable[str]) -> tuple[str, ...]:
    """The associations among those showing an editor (index `by_editor`: national ids and bare SIRETs),
    as slot owners (`3` + SIRET)."""
    return tuple(siret_idnst(owner) for owner in owners_showing if siret_of(owner) == owner)


def slot_keys(
    editor_id: str, owners: Sequence[str], editor_slot_ids: Sequence[str], start: datetime
) -> list[dict[str, str]]:
    """The `slots` keys the editor's slots would have, for each possible owner, at the record's start."""
    return [
        {PK: source_pk(editor_id, owner), SK: f"{utc_text(start)}#{slot_key(slot_id)}"}
        for owner in owners
        for slot_id in editor_slot_ids
    ]


def the_one(owners: Iterable[str]) -> str | None:
    """The owner when exactly one is found; none, or several (ambiguous), is None."""
    distinct = set(owners)
    return distinct.pop() if len(distinct) == 1 else None


def booked_association(bookings: Iterable[Booking], editor_id: str) -> str | None:
    """The association whose slot of this editor the operator booked on the platform (their bookings at
    the record's start): one only, else None."""
    return the_one(
        booking.owner
        for booking in bookings
        if editor_id in (booking.editor_id, booking.source) and is_association(booking.owner)
    )


def link_owners(item: Mapping[str, Any]) -> tuple[str, ...]:
    """Whom a stored record meets the platform's booking on: its association, if known, then its doctor,
    if named (each once). A record with neither meets nothing yet."""
    owners = (item.get("owner"), item.get("national_id"))
    return tuple(dict.fromkeys(str(owner) for owner in owners if owner))


def unattached(item: Mapping[str, Any]) -> bool:
    """A record tied to no one but its editor: no association found, no doctor named."""
    return not link_owners(item)


def participant_status(status: str) -> str:
    """The participant's status a record reads back with: `needs-action` while pending, else accepted."""
    return NEEDS_ACTION if status == AppointmentStatus.PENDING.value else ACCEPTED
