"""Editor Bundles and Appointments for the FHIR tests, built from the guide's shapes (sas_local.fhir_shapes).

Each `*_graph` returns the entries of one doctor / CPTS / SOS site, in the order an editor answers them
(the Slots first); `bundle` puts graphs together. Tests then break one element of a fresh Bundle.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sas_common.fhir.codes import APPOINTMENT_OPERATOR_EXTENSION
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_local import fhir_shapes as shapes
from sas_local.fhir_shapes import Json

BASE = "https://editor.example/fhir"
PARIS = ZoneInfo("Europe/Paris")
# Pushed and polled slots are taken only in the window now → now + 48 h: the samples start a few hours
# from now (on the hour, so that tests stay readable), whatever day the suite runs.
START = (datetime.now(PARIS) + timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
SLOT_LENGTH = timedelta(minutes=15)
DOCTOR = "810000000011"
OTHER_DOCTOR = "810000000022"
STRUCTURE = "312345678900011"  # `3` + SIRET
CPTS_STRUCTURE = "1950047225"  # `1` + FINESS
ASSOCIATION_SIRET = "34173748400020"
BOOKING_URL = "https://editor.example/rdv/1?from=sas"
EDITOR_SYSTEM = "urn:oid:1.1.111.1.11.1.1.1"  # an editor's own OID, as in the guide's examples


def ps_graph(
    national_id: str = DOCTOR,
    *,
    slots: int = 1,
    tag: str = "",
    place: bool = True,
    services: list[Json] | None = None,
    **slot_options: Any,
) -> list[Json]:
    """A doctor's free slots at one place: Slots (match), Schedule, Practitioner, PractitionerRole."""
    tag = tag or national_id
    doctor = shapes.practitioner(f"pra-{tag}", national_id, family="Martin", given="Claire")
    location = (
        shapes.location(
            "loc",
            name="Cabinet",
            line="1 rue de Metz",
            postal_code="31000",
            city="Toulouse",
            lat=43.6,
            lon=1.44,
        )
        if place
        else None
    )
    role = shapes.practitioner_role(
        f"role-{tag}", doctor, place=location, structure_id=STRUCTURE, phone="+33561000001"
    )
    schedule = shapes.schedule(f"sch-{tag}", [doctor, role])
    options: dict[str, Any] = {"booking_url": BOOKING_URL, **slot_options}
    found = [
        shapes.slot(
            f"slot-{tag}-{number}",
            schedule,
            START + number * SLOT_LENGTH,
            START + (number + 1) * SLOT_LENGTH,
            services=services or (),
            **options,
        )
        for number in range(slots)
    ]
    return [shapes.entry(slot, BASE, mode="match") for slot in found] + [
        shapes.entry(resource, BASE, mode="include") for resource in (schedule, doctor, role)
    ]


def cpts_graph(national_id: str = DOCTOR, *, slots: int = 1) -> list[Json]:
    """A doctor's CPTS slots: the PS graph, and a HealthcareService provided by the CPTS Organization."""
    cpts = shapes.organization("orga-cpts", CPTS_STRUCTURE, name="CPTS Axe Majeur", phone="+33102030405")
    service = shapes.healthcare_service("hcs-cpts", cpts)
    graph = ps_graph(national_id, slots=slots, services=[service], visibility=("PUBLIC", "CPTS"))
    return graph + [shapes.entry(resource, BASE, mode="include") for resource in (service, cpts)]


def sos_graph(
    siret: str = ASSOCIATION_SIRET,
    *,
    slots: int = 1,
    tag: str = "1",
    doctors: tuple[str, ...] = (),
    by_identifier: bool = False,
) -> list[Json]:
    """An SOS site: the Schedule (match), its Slots, Location and the association (include). `doctors`
    on duty are Schedule actors too: included Practitioners, or identifiers only (`by_identifier`)."""
    association = shapes.organization(f"orga-{siret}", "3" + siret, name="SOS Médecins Rennes", phone="+3336")
    site = shapes.location(
        f"site-{tag}",
        name="Centre de consultation Rennes Nord",
        line="320 avenue Patton",
        postal_code="35700",
        city="Rennes",
        phone="+33193246789",
        managing_organization=shapes.reference(association),
    )
    practitioners = [
        shapes.practitioner(f"pra-sos-{doctor}", doctor, family="Durand", given="Paul") for doctor in doctors
    ]
    schedule = shapes.schedule(
        f"sch-sos-{tag}", [site, *([] if by_identifier else practitioners)], profile="FrScheduleAgregateurSOS"
    )
    if by_identifier:
        schedule["actor"] += [
            {
                "type": "Practitioner",
                "identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, doctor, "IDNPS"),
            }
            for doctor in doctors
        ]
    found = [
        shapes.slot(
            f"slot-sos-{tag}-{number}",
            schedule,
            START + number * SLOT_LENGTH,
            START + (number + 1) * SLOT_LENGTH,
            visibility=("PUBLIC",),
            consultation=("VR",),
            specialty=None,
        )
        for number in range(slots)
    ]
    return (
        [shapes.entry(schedule, BASE, mode="match")]
        + [shapes.entry(slot, BASE, mode="include") for slot in found]
        + [shapes.entry(resource, BASE, mode="include") for resource in (site, association)]
        + ([] if by_identifier else [shapes.entry(doctor, BASE, mode="include") for doctor in practitioners])
    )


def bundle(*graphs: Iterable[Json]) -> Json:
    entries = [entry for graph in graphs for entry in graph]
    total = sum(1 for entry in entries if entry.get("search", {}).get("mode") == "match")
    return shapes.searchset(copy.deepcopy(entries), total=total)


def resource(of: Json, resource_type: str, number: int = 0) -> Json:
    """The `number`-th resource of a type in a Bundle, to break it in place."""
    found: list[Json] = [e["resource"] for e in of["entry"] if e["resource"]["resourceType"] == resource_type]
    return found[number]


def index_of(of: Json, resource_type: str, number: int = 0) -> int:
    positions = [i for i, e in enumerate(of["entry"]) if e["resource"]["resourceType"] == resource_type]
    return positions[number]


def appointment(**overrides: Any) -> Json:
    """An INT_R03 record as the guide's example writes it (booked, operator with a national id)."""
    record: Json = {
        "resourceType": "Appointment",
        "id": "1",
        "meta": {"profile": ["http://sas.fr/fhir/StructureDefinition/FrAppointmentSAS"]},
        "identifier": [
            {"system": "urn:oid:1.1.111.1.11.1.1.1", "value": "b6e39355-8a61-4556-b340-36f7b95fec6a"}
        ],
        "extension": [
            {
                "url": APPOINTMENT_OPERATOR_EXTENSION,
                "valueReference": {
                    "identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, "3456780581/11242343", "IDNPS")
                },
            }
        ],
        "status": "booked",
        "start": "2022-09-04T14:00:00+01:00",
        "end": "2022-09-04T14:15:00+01:00",
        "created": "2022-09-04T10:00:00+01:00",
        "participant": [
            {
                "actor": {"identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, "810100050075", "IDNPS")},
                "status": "accepted",
            }
        ],
    }
    record.update(overrides)
    return record
