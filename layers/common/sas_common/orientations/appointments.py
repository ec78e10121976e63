"""Editors' appointment records (flow INT_R03): create, conditional update, read, and the link with the
platform's own booking of the same slot (stored in `orientations`, sas_common.stores.orientations).

The record's key is the editor's business identifier, so the same create replayed finds the record already
there and writes nothing. Nothing about the patient is stored: `parse_appointment` drops it, and only the
fields of `_content` are written.

The public id (`Location: /fhir/Appointment/<id>`) is the identifier hash: FHIR ids are at most 64
characters, and an editor's system (its own OID) makes the value unique across editors in practice.
A record is linked to the platform's booking of the same slot (editor, doctor, start): once both have come,
whichever first, the record's META carries `booking_id`, and keeps it through updates. The pair is what
indicator 9 and the dashboards deduplicate on (pattern 14): a booking and the editor's record of it count
once.

An SOS editor's record may name no doctor (the handler parses it so, `rules.doctor_required`). An SOS
editor's record is tied to the association (`3` + SIRET) whose slot it is: the slot it references, looked
for among the associations that listed the editor (one BatchGetItem), else the operator's booking on the
platform of one of the editor's association slots at that start (one Query). The record then keeps
`owner` and sits in the association's `by_effecteur` partition, and meets the platform's booking on
(editor, association, start). When nothing ties it, it is recorded for the editor alone (`unattached`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sas_common.errors import Conflict, StaleWrite
from sas_common.fhir.appointment import AppointmentRecord, Identifier
from sas_common.fhir.errors import RejectedAppointment
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.orientations import rules
from sas_common.search.service import owner_pk
from sas_common.territory import EditorKind

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

LOCATION_PREFIX = "/fhir/Appointment/"
PARTICIPATION_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"


def appointment_id(identifier: Identifier) -> str:
    """A record's public id: a hash of the editor's business identifier, the pair (system, value) encoded
    unambiguously (as a JSON array: no separator a system or a value could contain)."""
    pair = json.dumps([identifier.system or "", identifier.value], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(pair.encode()).hexdigest()[:32]


def location(identifier: Identifier) -> str:
    return LOCATION_PREFIX + appointment_id(identifier)


@dataclass(frozen=True)
class Stored:
    location: str
    created: bool  # the record did not exist
    changed: bool  # something was written
    version: int
    status: str
    owner: str | None = None  # the SOS association the record is tied to
    unattached: bool = False  # tied to no one but its editor (no association found, no doctor named)


def _text(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def _now_text(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _content(record: AppointmentRecord) -> dict[str, Any]:
    """What is kept of a record: the editor's identifier, the doctor, the operator, times and status."""
    content: dict[str, Any] = {
        "identifier_system": record.identifier.system,
        "identifier_value": record.identifier.value,
        "identifier_type": record.identifier.type_code,
        "status": record.status.value,
        "start": _text(record.start),
        "end": _text(record.end),
        "created": _text(record.created),
        "national_id": record.national_id,
        "editor_resource_id": record.editor_id,
        "slot_references": list(record.slot_references) or None,
    }
    if record.operator is not None:
        content["operator_system"] = record.operator.system
        content["operator_value"] = record.operator.value
        content["operator_type"] = record.operator.type_code
    return {name: value for name, value in content.items() if value is not None}


def load(rt: Runtime, editor_id: str, identifier: Identifier) -> dict[str, Any] | None:
    return rt.orientations.load_record(editor_id, appointment_id(identifier))


def load_by_id(rt: Runtime, editor_id: str, record_id: str) -> dict[str, Any] | None:
    """A record by the id its Location carries, among this editor's only."""
    return rt.orientations.load_record(editor_id, record_id)


def as_fhir(item: dict[str, Any]) -> dict[str, Any]:
    """The stored record as an Appointment: what the platform holds (nothing of the patient: it has none)."""
    identifier = {"system": item.get("identifier_system"), "value": item["identifier_value"]}
    resource: dict[str, Any] = {
        "resourceType": "Appointment",
        "id": item["appointment_id"],
        "meta": {"versionId": str(item["version"]), "lastUpdated": item["updated_at"]},
        "identifier": [{key: value for key, value in identifier.items() if value}],
        "status": item["status"],
        "participant": [_participant(item)],
    }
    resource.update({name: item[name] for name in ("start", "end", "created") if item.get(name)})
    return resource


def _participant(item: dict[str, Any]) -> dict[str, Any]:
    """The doctor, or for an SOS record naming none the participant its profile has (type ADM)."""
    status = rules.participant_status(str(item["status"]))
    if item.get("national_id"):
        return {
            "actor": {"identifier": {"system": NATIONAL_ID_SYSTEM, "value": item["national_id"]}},
            "status": status,
        }
    return {"type": [{"coding": [{"system": PARTICIPATION_TYPE_SYSTEM, "code": "ADM"}]}], "status": status}


def history(rt: Runtime, editor_id: str, identifier: Identifier) -> list[dict[str, Any]]:
    """The record's STATUS items, oldest first."""
    return rt.orientations.record_history(editor_id, appointment_id(identifier))


def create(rt: Runtime, editor_id: str, record: AppointmentRecord, now: datetime | None = None) -> Stored:
    """Create the record; the same identifier again (a replay) writes nothing and answers created=False."""
    _require_known_doctor(rt, record)
    existing = load(rt, editor_id, record.identifier)
    if existing is not None:
        _link(rt, existing)  # a replay also completes a link an interrupted create left undone
        return _stored(existing, created=False, changed=False)
    return _write(rt, editor_id, record, None, now or datetime.now(UTC))


def upsert(rt: Runtime, editor_id: str, record: AppointmentRecord, now: datetime | None = None) -> Stored:
    """Conditional update on the identifier: create when absent, else the record as sent now."""
    _require_known_doctor(rt, record)
    existing = load(rt, editor_id, record.identifier)
    if existing is not None and _same(existing, record):
        _link(rt, existing)
        return _stored(existing, created=False, changed=False)
    return _write(rt, editor_id, record, existing, now or datetime.now(UTC))


def _require_known_doctor(rt: Runtime, record: AppointmentRecord) -> None:
    """The doctor must be in the platform's directory (that they declared this editor is not required:
    the record says what happened, whatever the declaration); an SOS record may name none."""
    if record.national_id is not None and not rt.effecteurs.exists(record.national_id):
        raise RejectedAppointment(
            f"the doctor {record.national_id} is not in the platform's directory",
            field="Appointment.participant",
        )


def booking_made(
    rt: Runtime, editor_id: str, national_id: str, start: datetime, booking_id: str
) -> str | None:
    """The booking flow's side of the link: the platform booked this doctor's slot at `start` on this
    editor. The id of the editor's record of it (as in its Location) if it has come — it then carries
    `booking_id` — else None, and the record takes the booking id when it comes."""
    record_id = rt.orientations.booking_made(editor_id, national_id, start, booking_id)
    if record_id is None:
        return None
    rt.orientations.set_record_booking(editor_id, record_id, booking_id)
    return record_id


def _link(rt: Runtime, item: dict[str, Any]) -> None:
    """The record's side of the link, until it has its booking (a record without a start has none)."""
    if item.get("booking_id") or not item.get("start"):
        return
    start = datetime.fromisoformat(str(item["start"]))
    editor_id, record_id = str(item["editor_id"]), str(item["appointment_id"])
    for owner in rules.link_owners(item):
        booking_id = rt.orientations.record_stored(editor_id, owner, start, record_id)
        if booking_id is not None:
            rt.orientations.set_record_booking(editor_id, record_id, booking_id)
            rt.orientations.set_booking_record(booking_id, record_id)
            item["booking_id"] = booking_id
            return


def _ownership(
    rt: Runtime, editor_id: str, record: AppointmentRecord, existing: dict[str, Any] | None
) -> dict[str, str]:
    """The association an SOS editor's record belongs to, kept once found (`owner` and its `by_effecteur`
    partition); nothing for other editors' records, nor when none is found."""
    owner = str(existing["owner"]) if existing and existing.get("owner") else None
    if owner is None and _is_sos(rt, editor_id):
        owner = association_of(rt, editor_id, record)
    return {"owner": owner, "effecteur_pk": owner_pk(owner)} if owner else {}


def _is_sos(rt: Runtime, editor_id: str) -> bool:
    editor = rt.territory.editor(editor_id)
    return editor is not None and editor.kind is EditorKind.SOS


def association_of(rt: Runtime, editor_id: str, record: AppointmentRecord) -> str | None:
    """The association (`3` + SIRET) whose slot an SOS editor's record is, if the platform can tell: the
    slot it references, else the operator's booking at its start; None otherwise."""
    if record.start is None:
        return None
    return _by_slot(rt, editor_id, record, record.start) or _by_operator_booking(
        rt, editor_id, record, record.start
    )


def _by_slot(rt: Runtime, editor_id: str, record: AppointmentRecord, start: datetime) -> str | None:
    """The owner of the referenced slot among the associations that listed this editor (the only owners
    of an SOS editor's slots): their keys at the record's start, read together."""
    slot_ids = rules.editor_slot_ids(record.slot_references)
    if not slot_ids:
        return None
    owners = rules.associations(rt.participations.owners_showing(editor_id))
    keys = rules.slot_keys(editor_id, owners, slot_ids, start)
    return rules.the_one(rt.slots.owners_found(keys)) if keys else None


def _by_operator_booking(
    rt: Runtime, editor_id: str, record: AppointmentRecord, start: datetime
) -> str | None:
    """The association whose slot of this editor the operator booked on the platform for that start."""
    if record.operator is None:
        return None
    bookings = rt.orientations.regulator_bookings_at(record.operator.value, start)
    return rules.booked_association(bookings, editor_id)


_CONTENT_NAMES = (
    "identifier_system",
    "identifier_value",
    "identifier_type",
    "status",
    "start",
    "end",
    "created",
    "national_id",
    "editor_resource_id",
    "slot_references",
    "operator_system",
    "operator_value",
    "operator_type",
)


def _same(existing: dict[str, Any], record: AppointmentRecord) -> bool:
    content = _content(record)
    return all(existing.get(name) == content.get(name) for name in _CONTENT_NAMES)


def _write(
    rt: Runtime, editor_id: str, record: AppointmentRecord, existing: dict[str, Any] | None, moment: datetime
) -> Stored:
    now = _now_text(moment)
    record_id = appointment_id(record.identifier)
    meta: dict[str, Any] = {
        **_content(record),
        "editor_id": editor_id,
        "appointment_id": record_id,
        "version": int(existing["version"]) + 1 if existing else 1,
        "received_at": str(existing["received_at"]) if existing else now,
        "updated_at": now,
    }
    if existing is not None and existing.get("booking_id"):
        meta["booking_id"] = existing["booking_id"]  # the link outlives the record's changes
    meta.update(_ownership(rt, editor_id, record, existing))
    at = _text(record.start) or (rt.orientations.record_at(existing) if existing else now)
    try:
        written = rt.orientations.write_record(editor_id, record_id, meta, previous=existing, at=at, now=now)
    except StaleWrite:
        if existing is None:
            # Created at the same time by a replay of the same create: that one won, this one is the replay.
            found = load(rt, editor_id, record.identifier)
            if found is not None:
                return _stored(found, created=False, changed=False)
        raise Conflict("the appointment record was changed at the same time; send it again") from None
    _link(rt, written)
    return _stored(written, created=existing is None, changed=True)


def _stored(item: dict[str, Any], *, created: bool, changed: bool) -> Stored:
    return Stored(
        location=LOCATION_PREFIX + str(item["appointment_id"]),
        created=created,
        changed=changed,
        version=int(item["version"]),
        status=str(item["status"]),
        owner=str(item["owner"]) if item.get("owner") else None,
        unattached=rules.unattached(item),
    )
