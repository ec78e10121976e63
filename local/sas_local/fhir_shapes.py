"""Resources shaped as editors send them under the ANS SAS guide (docs/interop.md), as plain JSON dicts.

Used by the local editor double (`sas_local.fhir_editor`) and by the tests' samples; never deployed.
Each builder writes what the guide's examples write: profiles, typed identifiers, a contained Location.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sas_common.fhir.codes import (
    ACT_CODE_SYSTEM,
    APPOINTMENT_TYPE_SYSTEM,
    CPTS_CATEGORY,
    IDENTIFIER_TYPE_SYSTEM,
    SERVICE_TYPE_REFERENCE_EXTENSION,
    SLOT_TYPE_SYSTEM,
    SPECIALTY_SYSTEM,
    STRUCTURE_CATEGORY_SYSTEM,
)
from sas_common.identifiers import NATIONAL_ID_SYSTEM, STRUCTURE_ID_SYSTEM

PROFILE_BASE = "http://sas.fr/fhir/StructureDefinition/"
CONSULTATION_CODES = frozenset({"AMB", "VR", "HH"})
VISIBILITY_CODES = frozenset({"PUBLIC", "PRO", "SNP", "CPTS"})

Json = dict[str, Any]


def instant(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a FHIR instant carries its time zone")
    return moment.isoformat(timespec="seconds")


def _meta(profile: str) -> Json:
    return {"profile": [PROFILE_BASE + profile]}


def typed_identifier(system: str, value: str, type_code: str) -> Json:
    return {
        "type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": type_code}]},
        "system": system,
        "value": value,
    }


def _phone(phone: str | None) -> Json:
    return {"telecom": [{"system": "phone", "value": phone}]} if phone else {}


def reference(resource: Json) -> Json:
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def practitioner(
    resource_id: str, national_id: str, *, family: str | None = None, given: str | None = None
) -> Json:
    name = {"name": [{"family": family, **({"given": [given]} if given else {})}]} if family else {}
    return {
        "resourceType": "Practitioner",
        "id": resource_id,
        "meta": _meta("FrPractitionerAgregateur"),
        "identifier": [typed_identifier(NATIONAL_ID_SYSTEM, national_id, "IDNPS")],
        **name,
    }


def location(
    resource_id: str,
    *,
    name: str | None = None,
    line: str | None = None,
    postal_code: str | None = None,
    city: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    phone: str | None = None,
    managing_organization: Json | None = None,
) -> Json:
    address = {
        key: value
        for key, value in (("line", [line] if line else None), ("postalCode", postal_code), ("city", city))
        if value
    }
    return {
        "resourceType": "Location",
        "id": resource_id,
        "meta": _meta("FrLocationAgregateur"),
        **({"name": name} if name else {}),
        **_phone(phone),
        **({"address": address} if address else {}),
        **({"position": {"latitude": lat, "longitude": lon}} if lat is not None and lon is not None else {}),
        **({"managingOrganization": managing_organization} if managing_organization else {}),
    }


def practitioner_role(
    resource_id: str,
    practitioner_resource: Json,
    *,
    place: Json | None = None,
    structure_id: str | None = None,
    phone: str | None = None,
) -> Json:
    """The role at one place: the Location is contained, the structure named by identifier."""
    return {
        "resourceType": "PractitionerRole",
        "id": resource_id,
        "meta": _meta("FrPractitionerRoleExerciceAgregateur"),
        **({"contained": [place], "location": [{"reference": "#" + place["id"]}]} if place else {}),
        "practitioner": reference(practitioner_resource),
        **(
            {"organization": {"identifier": typed_identifier(STRUCTURE_ID_SYSTEM, structure_id, "IDNST")}}
            if structure_id
            else {}
        ),
        **_phone(phone),
    }


def organization(
    resource_id: str, structure_id: str, *, name: str | None = None, phone: str | None = None
) -> Json:
    return {
        "resourceType": "Organization",
        "id": resource_id,
        "identifier": [{"system": STRUCTURE_ID_SYSTEM, "value": structure_id}],
        **({"name": name} if name else {}),
        **_phone(phone),
    }


def healthcare_service(resource_id: str, provided_by: Json) -> Json:
    return {"resourceType": "HealthcareService", "id": resource_id, "providedBy": reference(provided_by)}


def schedule(resource_id: str, actors: Iterable[Json], *, profile: str = "FrScheduleAgregateur") -> Json:
    return {
        "resourceType": "Schedule",
        "id": resource_id,
        "meta": _meta(profile),
        "actor": [reference(actor) for actor in actors],
    }


def slot(
    resource_id: str,
    schedule_resource: Json,
    start: datetime,
    end: datetime,
    *,
    visibility: Sequence[str] = ("SNP",),
    consultation: Sequence[str] = ("AMB",),
    reasons: Sequence[str] = (),
    specialty: str | None = "SM54",
    walk_in: bool = False,
    booking_url: str | None = None,
    status: str = "free",
    services: Sequence[Json] = (),
) -> Json:
    service_types: list[Json] = [
        {"coding": [{"system": ACT_CODE_SYSTEM, "code": code}]} for code in consultation
    ]
    service_types += [
        {
            "extension": [{"url": SERVICE_TYPE_REFERENCE_EXTENSION, "valueReference": reference(service)}],
            "coding": [{"system": STRUCTURE_CATEGORY_SYSTEM, "code": CPTS_CATEGORY}],
        }
        for service in services
    ]
    service_types += [{"text": reason} for reason in reasons]
    return {
        "resourceType": "Slot",
        "id": resource_id,
        "meta": {
            **_meta("FrSlotAgregateur"),
            "security": [{"system": SLOT_TYPE_SYSTEM, "code": code} for code in visibility],
        },
        **({"serviceType": service_types} if service_types else {}),
        **(
            {"specialty": [{"coding": [{"system": SPECIALTY_SYSTEM, "code": specialty}]}]}
            if specialty
            else {}
        ),
        "appointmentType": {
            "coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": "WALKIN" if walk_in else "ROUTINE"}]
        },
        "schedule": reference(schedule_resource),
        "status": status,
        "start": instant(start),
        "end": instant(end),
        **({"comment": booking_url} if booking_url else {}),
    }


def entry(resource: Json, base_url: str, *, mode: str | None = None) -> Json:
    return {
        "fullUrl": f"{base_url.rstrip('/')}/{resource['resourceType']}/{resource['id']}",
        "resource": resource,
        **({"search": {"mode": mode}} if mode else {}),
    }


def searchset(entries: Sequence[Json], *, total: int, self_url: str | None = None) -> Json:
    return {
        "resourceType": "Bundle",
        "meta": _meta("BundleAgregateur"),
        "type": "searchset",
        "total": total,
        **({"link": [{"relation": "self", "url": self_url}]} if self_url else {}),
        "entry": list(entries),
    }
