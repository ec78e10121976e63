"""Flow INT_R03: an editor's appointment record → `AppointmentRecord`.

The platform keeps who booked (the operator), with whom (the doctor's national id), when, and the status.
It never keeps anything about the patient: patient participants and contained patients are dropped before
the record is even validated, and nothing of the patient is in the record or in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sas_common.fhir.codes import APPOINTMENT_OPERATOR_EXTENSION, IDENTIFIER_TYPE_SYSTEMS
from sas_common.fhir.errors import InvalidAppointment, RejectedAppointment
from sas_common.fhir.resources import MODELS, Resource, UnreadableResource, load_json, read_resource
from sas_common.identifiers import NATIONAL_ID_SYSTEM, is_national_id

_PERSON_TYPES = frozenset({"Patient", "RelatedPerson", "Person"})
# What a record may carry (it is stored: far below DynamoDB's 400 KB per item): identifiers' systems and
# values, slot references and how many, and instants within years a real appointment can have.
IDENTIFIER_MAX = 256
SLOT_REFERENCES_MAX = 10
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


class AppointmentStatus(StrEnum):
    """The statuses the flow carries (SOS may send `pending`); FHIR's others are refused."""

    BOOKED = "booked"
    FULFILLED = "fulfilled"
    NOSHOW = "noshow"
    CANCELLED = "cancelled"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Identifier:
    system: str | None
    value: str
    type_code: str | None = None  # IDNPS, INTRN…


@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    identifier: Identifier  # the editor's business identifier (its system, a unique value)
    status: AppointmentStatus
    start: datetime | None  # aware; absent only on a cancelled record
    end: datetime | None
    created: datetime | None  # aware; a date-only `created` is not kept
    operator: Identifier | None  # the regulator who booked (national id, or SAS technical id)
    national_id: str | None  # the doctor's; None only when the doctor is not required (an SOS record)
    editor_id: str | None = None  # Appointment.id on the editor's side
    slot_references: tuple[str, ...] = ()  # Appointment.slot, to match the platform's own booking


def parse_appointment(
    appointment_json: dict[str, Any] | bytes | str, *, doctor_required: bool = True
) -> AppointmentRecord:
    """Raises NotFhir (not a FHIR resource), InvalidAppointment (malformed: 400) or RejectedAppointment
    (well-formed but unusable in this flow: 422), each with the reason. Without `doctor_required` (an SOS
    editor's record, profile FrAppointmentSASSOS), a record naming no doctor has `national_id` None."""
    raw = load_json(appointment_json)
    if raw["resourceType"] != "Appointment":
        raise InvalidAppointment(f"expected an Appointment, got a {str(raw['resourceType'])[:64]}")
    try:
        appointment = read_resource(_without_patient(raw), MODELS["Appointment"])
    except UnreadableResource as exc:
        raise InvalidAppointment(str(exc)) from exc

    identifier = next((i for i in appointment.identifier or () if i.system and i.value), None)
    if identifier is None:
        raise RejectedAppointment(
            "the appointment has no identifier with a system and a value", field="Appointment.identifier"
        )
    try:
        status = AppointmentStatus(appointment.status)
    except ValueError:
        allowed = ", ".join(status.value for status in AppointmentStatus)
        raise RejectedAppointment(
            f"status {appointment.status!r} is not one of {allowed}", field="Appointment.status"
        ) from None
    start, end = appointment.start, appointment.end
    if (start is None or end is None) and status is not AppointmentStatus.CANCELLED:
        raise RejectedAppointment(
            f"a {status.value} appointment needs a start and an end", field="Appointment.start"
        )
    created = _aware(appointment.created)
    for name, moment in (("start", start), ("end", end), ("created", created)):
        _check_year(moment, f"Appointment.{name}")
    if start is not None and end is not None and end <= start:
        raise RejectedAppointment("the appointment ends by its start", field="Appointment.end")
    record = AppointmentRecord(
        identifier=Identifier(identifier.system, identifier.value, _type_code(identifier)),
        status=status,
        start=start,
        end=end,
        created=created,
        operator=_operator(appointment),
        national_id=_doctor(appointment, required=doctor_required),
        editor_id=appointment.id,
        slot_references=tuple(slot.reference for slot in appointment.slot or () if slot.reference),
    )
    _check_sizes(record)
    return record


def _check_year(moment: datetime | None, field: str) -> None:
    """An instant of a real appointment (the calendar's limits would overflow once in UTC)."""
    if moment is not None and not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise RejectedAppointment(
            f"{moment.isoformat()} is not between {EARLIEST_YEAR} and {LATEST_YEAR}", field=field
        )


def _check_sizes(record: AppointmentRecord) -> None:
    texts = {
        "Appointment.identifier": (record.identifier.system, record.identifier.value),
        "Appointment.extension": (record.operator.system, record.operator.value) if record.operator else (),
        "Appointment.id": (record.editor_id,),
        "Appointment.slot": record.slot_references,
    }
    for field, values in texts.items():
        if any(value is not None and len(value) > IDENTIFIER_MAX for value in values):
            raise RejectedAppointment(f"longer than {IDENTIFIER_MAX} characters", field=field)
    if len(record.slot_references) > SLOT_REFERENCES_MAX:
        raise RejectedAppointment(
            f"{len(record.slot_references)} slots referenced, at most {SLOT_REFERENCES_MAX}",
            field="Appointment.slot",
        )


def _without_patient(raw: dict[str, Any]) -> dict[str, Any]:
    """The record without its patient: patient participants and contained persons are dropped, and a
    participant without status gets `accepted` (the only status of the flow, the guide's examples omit it).
    Elements of the wrong shape are left for the model to refuse."""
    cleaned = dict(raw)
    persons: set[str] = set()
    if isinstance(raw.get("contained"), list):
        persons = {f"#{item.get('id')}" for item in raw["contained"] if _is_person(item)}
        cleaned["contained"] = [item for item in raw["contained"] if not _is_person(item)]
        if not cleaned["contained"]:
            del cleaned["contained"]
    if isinstance(raw.get("participant"), list):
        cleaned["participant"] = [
            {"status": "accepted", **participant} if isinstance(participant, dict) else participant
            for participant in raw["participant"]
            if not _names_a_person(participant, persons)
        ]
    return cleaned


def _is_person(item: Any) -> bool:
    return isinstance(item, dict) and item.get("resourceType") in _PERSON_TYPES


def _names_a_person(participant: Any, contained_persons: set[str]) -> bool:
    actor = participant.get("actor") if isinstance(participant, dict) else None
    if not isinstance(actor, dict):
        return False
    reference = actor.get("reference")
    if isinstance(reference, str):
        if reference in contained_persons:
            return True
        parts = reference.rstrip("/").split("/")
        if len(parts) >= 2 and parts[-2] in _PERSON_TYPES:
            return True
    return actor.get("type") in _PERSON_TYPES


def _doctor(appointment: Resource, *, required: bool) -> str | None:
    candidates = [
        participant.actor.identifier
        for participant in appointment.participant or ()
        if participant.actor is not None and participant.actor.identifier is not None
    ]
    found = {
        identifier.value
        for identifier in candidates
        if identifier.value and identifier.system in (NATIONAL_ID_SYSTEM, None)
    }
    doctors: set[str] = {value for value in found if is_national_id(value)}
    if not doctors and not required:
        return None
    if not doctors:
        shown = f" ({', '.join(sorted(found))} is not 8 + RPPS nor 0 + ADELI)" if found else ""
        raise RejectedAppointment(
            f"no participant is a doctor identified by a national id{shown}", field="Appointment.participant"
        )
    if len(doctors) > 1:
        raise RejectedAppointment(
            f"several doctors among the participants ({', '.join(sorted(doctors))})",
            field="Appointment.participant",
        )
    return doctors.pop()


def _operator(appointment: Resource) -> Identifier | None:
    extension = next(
        (item for item in appointment.extension or () if item.url == APPOINTMENT_OPERATOR_EXTENSION), None
    )
    reference = extension.valueReference if extension is not None else None
    identifier = reference.identifier if reference is not None else None
    if identifier is None or not identifier.value:
        return None
    return Identifier(identifier.system, identifier.value, _type_code(identifier))


def _type_code(identifier: Resource) -> str | None:
    codings = identifier.type.coding or () if identifier.type is not None else ()
    known = (None, *IDENTIFIER_TYPE_SYSTEMS)
    found: str | None = next((c.code for c in codings if c.code and c.system in known), None)
    return found


def _aware(moment: Any) -> datetime | None:
    return moment if isinstance(moment, datetime) and moment.tzinfo is not None else None
