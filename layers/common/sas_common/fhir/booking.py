"""The Appointment the platform posts to a level-2 editor to book one of its slots (docs/interop.md,
"End-to-end booking on a level-2 editor": the GAP "flux 6a" interaction), built as the guide writes it and
read back through the FHIR models before it is sent (strict in what we send).

The patient, when the regulator gave their phone or e-mail, is a contained Patient with those telecoms
only: the editor tells them. Nothing else of the patient exists on the platform.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sas_common.fhir.codes import (
    APPOINTMENT_OPERATOR_EXTENSION,
    IDENTIFIER_TYPE_SYSTEM,
    NATIONAL_ID_TYPE,
    SAS_TECHNICAL_ID_SYSTEM,
)
from sas_common.fhir.resources import MODELS, read_resource
from sas_common.identifiers import NATIONAL_ID_SYSTEM, is_national_id

PROFILE = "http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"
TECHNICAL_ID_TYPE = "INTRN"


def _typed(system: str, value: str, type_code: str) -> dict[str, Any]:
    return {
        "system": system,
        "value": value,
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": type_code}]},
    }


def operator_identifier(regulator: str) -> dict[str, Any]:
    """The regulator as the guide names them: their national id, or the platform's technical id."""
    if is_national_id(regulator):
        return _typed(NATIONAL_ID_SYSTEM, regulator, NATIONAL_ID_TYPE)
    return _typed(SAS_TECHNICAL_ID_SYSTEM, regulator, TECHNICAL_ID_TYPE)


def booking_appointment(
    *,
    slot_id: str,
    doctor: str,
    regulator: str,
    start: datetime,
    end: datetime,
    phone: str | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """The Appointment booking the editor's `Slot/<slot_id>` with `doctor` (national id) for the regulator."""
    participants: list[dict[str, Any]] = [
        {
            "actor": {"identifier": _typed(NATIONAL_ID_SYSTEM, doctor, NATIONAL_ID_TYPE)},
            "status": "accepted",
        }
    ]
    appointment: dict[str, Any] = {
        "resourceType": "Appointment",
        "meta": {"profile": [PROFILE]},
        "extension": [
            {
                "url": APPOINTMENT_OPERATOR_EXTENSION,
                "valueReference": {"identifier": operator_identifier(regulator)},
            }
        ],
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "start": start.isoformat(),
        "end": end.isoformat(),
        "participant": participants,
    }
    telecom = [
        {"system": system, "value": value} for system, value in (("phone", phone), ("email", email)) if value
    ]
    if telecom:
        appointment["contained"] = [{"resourceType": "Patient", "id": "patient", "telecom": telecom}]
        participants.append({"actor": {"reference": "#patient"}, "status": "accepted"})
    read_resource(appointment, MODELS["Appointment"])
    return appointment
