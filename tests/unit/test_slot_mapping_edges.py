"""An editor's slot Bundle mapped at its edges (issue 17): a Schedule naming only a PractitionerRole, the
limits of a position, a place without a Location, the official name, the Schedule's specialties, the CPTS
extensions, the type of every reference followed, contained resources, and each rejection by its code.

Bundles are written out here, resource by resource, so that each test shows the one element it is about.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sas_common.effecteurs.model import Position
from sas_common.fhir.codes import (
    APPOINTMENT_TYPE_SYSTEM,
    IDENTIFIER_TYPE_SYSTEM,
    SERVICE_TYPE_REFERENCE_EXTENSION,
    SLOT_TYPE_SYSTEM,
    SPECIALTY_SYSTEM,
    SlotVisibility,
)
from sas_common.fhir.model import (
    CptsService,
    EditorSlot,
    MappingResult,
    Place,
    PractitionerName,
    RejectionCode,
    SosAssociation,
    Specialty,
)
from sas_common.fhir.slot_mapping import URL_MAX, map_slot_bundle
from sas_common.identifiers import NATIONAL_ID_SYSTEM, STRUCTURE_ID_SYSTEM
from sas_common.territory import EditorKind

Json = dict[str, Any]
DOCTOR = "810000000011"
OTHER = "810000000022"
SIRET = "34173748400020"
FINESS = "1950047225"  # `1` + FINESS
START = "2026-03-10T10:00:00+01:00"
END = "2026-03-10T10:15:00+01:00"


def national(value: str = DOCTOR) -> Json:
    return {"system": NATIONAL_ID_SYSTEM, "value": value}


def practitioner(rid: str = "pra", value: str = DOCTOR, **fields: Any) -> Json:
    return {"resourceType": "Practitioner", "id": rid, "identifier": [national(value)], **fields}


def organization(rid: str = "org", value: str = FINESS, **fields: Any) -> Json:
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"system": STRUCTURE_ID_SYSTEM, "value": value}],
        **fields,
    }


def schedule(*actors: Json, rid: str = "sch", **fields: Any) -> Json:
    return {"resourceType": "Schedule", "id": rid, "actor": list(actors), **fields}


def ref(resource_type: str, rid: str) -> Json:
    return {"reference": f"{resource_type}/{rid}"}


def slot(rid: str = "s1", schedule_ref: str = "Schedule/sch", **fields: Any) -> Json:
    return {
        "resourceType": "Slot",
        "id": rid,
        "meta": {"security": [{"system": SLOT_TYPE_SYSTEM, "code": "SNP"}]},
        "schedule": {"reference": schedule_ref},
        "status": "free",
        "start": START,
        "end": END,
        **fields,
    }


def mapped(*resources: Json, kind: EditorKind = EditorKind.PS) -> MappingResult:
    entries = [{"fullUrl": _url(r), "resource": copy.deepcopy(r)} for r in resources]
    return map_slot_bundle({"resourceType": "Bundle", "type": "searchset", "entry": entries}, kind)


def _url(resource: Json) -> str:
    return f"https://editor.example/fhir/{resource['resourceType']}/{resource.get('id', 'x')}"


def one(*resources: Json, kind: EditorKind = EditorKind.PS) -> EditorSlot:
    result = mapped(*resources, kind=kind)
    assert result.rejected == []
    [found] = result.slots
    return found


def rejected(*resources: Json, kind: EditorKind = EditorKind.PS) -> RejectionCode:
    """The code of the one rejection (the Slot's): what is asserted, never the reason's text."""
    result = mapped(*resources, kind=kind)
    assert result.slots == []
    [rejection] = result.rejected
    assert isinstance(rejection.reason, str)
    assert rejection.reason
    return rejection.code


# --- the practitioner: actors, or through the PractitionerRole ------------------------------------------


def test_a_schedule_naming_only_a_role_reaches_the_practitioner_through_it() -> None:
    role = {"resourceType": "PractitionerRole", "id": "role", "practitioner": ref("Practitioner", "pra")}
    name = [{"family": "Martin", "given": ["Claire"]}]
    found = one(slot(), schedule(ref("PractitionerRole", "role")), role, practitioner(name=name))
    assert (found.national_id, found.practitioner) == (DOCTOR, PractitionerName("Martin", ("Claire",)))


def test_a_role_may_name_its_practitioner_by_identifier() -> None:
    role = {"resourceType": "PractitionerRole", "id": "role", "practitioner": {"identifier": national()}}
    found = one(slot(), schedule(ref("PractitionerRole", "role")), role)
    assert (found.national_id, found.practitioner) == (DOCTOR, None)


def test_a_role_without_practitioner_names_nobody() -> None:
    role = {"resourceType": "PractitionerRole", "id": "role"}
    assert rejected(slot(), schedule(ref("PractitionerRole", "role")), role) is RejectionCode.NO_NATIONAL_ID


@pytest.mark.parametrize(
    "actor",
    [
        pytest.param(ref("Practitioner", "pra"), id="a Practitioner actor"),
        pytest.param({"type": "Practitioner", "identifier": national()}, id="an actor by identifier"),
        pytest.param({"identifier": national()}, id="an actor by identifier, no type"),
    ],
)
def test_the_schedules_own_practitioner_wins_over_the_roles(actor: Json) -> None:
    role = {"resourceType": "PractitionerRole", "id": "role", "practitioner": ref("Practitioner", "other")}
    resources = [slot(), schedule(actor, ref("PractitionerRole", "role")), role, practitioner()]
    found = one(*resources, practitioner("other", OTHER))
    assert found.national_id == DOCTOR


def test_an_actor_by_identifier_of_another_type_or_without_identifier_is_no_practitioner() -> None:
    actors = (
        {"type": "Location", "identifier": national(OTHER)},
        {"display": "Dr Martin"},
        ref("Practitioner", "pra"),
    )
    assert one(slot(), schedule(*actors), practitioner()).national_id == DOCTOR


@pytest.mark.parametrize(
    ("identifier", "national_id"),
    [
        ({"system": NATIONAL_ID_SYSTEM, "value": DOCTOR}, DOCTOR),
        # no system, the guide's typed identifier
        (
            {"type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "IDNPS"}]}, "value": DOCTOR},
            DOCTOR,
        ),
        ({"type": {"coding": [{"code": "IDNPS"}]}, "value": DOCTOR}, DOCTOR),
        ({"type": {"coding": [{"system": IDENTIFIER_TYPE_SYSTEM, "code": "IDNST"}]}, "value": DOCTOR}, None),
        ({"type": {"coding": [{"system": "urn:other", "code": "IDNPS"}]}, "value": DOCTOR}, None),
        ({"value": DOCTOR}, None),  # neither system nor type
        ({"system": "urn:other", "value": DOCTOR}, None),
        ({"system": NATIONAL_ID_SYSTEM, "value": "12345"}, None),  # not 8 + RPPS nor 0 + ADELI
    ],
)
def test_which_identifier_is_a_national_id(identifier: Json, national_id: str | None) -> None:
    resources = (slot(), schedule(ref("Practitioner", "pra")), practitioner(identifier=[identifier]))
    if national_id is None:
        assert rejected(*resources) is RejectionCode.NO_NATIONAL_ID
    else:
        assert one(*resources).national_id == national_id


def test_a_national_id_after_an_invalid_one_is_found() -> None:
    identifiers = [{"system": NATIONAL_ID_SYSTEM}, national("12"), national()]
    found = one(slot(), schedule(ref("Practitioner", "pra")), practitioner(identifier=identifiers))
    assert found.national_id == DOCTOR


def test_two_practitioners_are_ambiguous() -> None:
    actors = (ref("Practitioner", "pra"), ref("Practitioner", "other"))
    resources = (slot(), schedule(*actors), practitioner(), practitioner("other", OTHER))
    assert rejected(*resources) is RejectionCode.AMBIGUOUS_PRACTITIONER


# --- the practitioner's name -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        ([{"use": "usual", "family": "Usuel"}, {"use": "official", "family": "Officiel"}], ("Officiel", ())),
        ([{"use": "usual", "family": "Usuel"}, {"use": "maiden", "family": "Autre"}], ("Usuel", ())),
        ([{"use": "official", "given": ["Claire"]}], (None, ("Claire",))),
        ([{"family": "Martin"}], ("Martin", ())),
        ([{"family": "Martin", "given": ["Claire", "Anne"]}], ("Martin", ("Claire", "Anne"))),
        ([{"use": "official", "text": "Dr Martin"}], None),  # neither family nor given
        ([], None),
        (None, None),
    ],
)
def test_the_official_name_is_preferred(names: list[Json] | None, expected: tuple[Any, ...] | None) -> None:
    doctor = practitioner() if names is None else practitioner(name=names)
    found = one(slot(), schedule(ref("Practitioner", "pra")), doctor)
    assert found.practitioner == (None if expected is None else PractitionerName(*expected))


# --- where: the role's Location, the Schedule's, or the role alone ---------------------------------------


LOCATION: Json = {
    "resourceType": "Location",
    "id": "loc",
    "name": "Cabinet",
    "address": {"line": ["1 rue de Metz"], "postalCode": "31000", "city": "Toulouse"},
    "position": {"latitude": 43.6, "longitude": 1.44},
    "telecom": [{"system": "email", "value": "cabinet@example.org"}, {"system": "phone", "value": "+33561"}],
}


def role(**fields: Any) -> Json:
    return {
        "resourceType": "PractitionerRole",
        "id": "role",
        "practitioner": ref("Practitioner", "pra"),
        **fields,
    }


def place_of(*resources: Json) -> Place | None:
    return one(slot(), *resources, practitioner()).place


@pytest.mark.parametrize(
    ("fields", "place"),
    [
        (
            {"organization": {"identifier": {"system": STRUCTURE_ID_SYSTEM, "value": FINESS}}},
            Place(None, None, (), None, None, None, FINESS, None),
        ),
        (
            {"telecom": [{"system": "email", "value": "a@b.fr"}, {"system": "phone", "value": "+33102"}]},
            Place(None, None, (), None, None, None, None, "+33102"),
        ),
        (
            {
                "organization": {"identifier": {"system": STRUCTURE_ID_SYSTEM, "value": FINESS}},
                "telecom": [{"system": "phone", "value": "+33102"}],
            },
            Place(None, None, (), None, None, None, FINESS, "+33102"),
        ),
        ({"telecom": [{"system": "phone"}, {"system": "fax", "value": "+33999"}]}, None),
        ({}, None),
    ],
)
def test_a_place_from_the_roles_organization_or_phone_without_a_location(
    fields: Json, place: Place | None
) -> None:
    actors = schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role"))
    assert place_of(actors, role(**fields)) == place


def test_a_schedules_location_without_a_role() -> None:
    managing = {**LOCATION, "managingOrganization": ref("Organization", "org")}
    found = place_of(schedule(ref("Practitioner", "pra"), ref("Location", "loc")), managing, organization())
    assert found == Place(
        "Location/loc",
        "Cabinet",
        ("1 rue de Metz",),
        "31000",
        "Toulouse",
        Position(lat=43.6, lon=1.44),
        FINESS,
        "+33561",
    )


def test_the_roles_location_wins_and_the_roles_structure_and_phone_too() -> None:
    contained = {
        **LOCATION,
        "id": "inner",
        "name": "Cabinet du rôle",
        "managingOrganization": ref("Organization", "org"),
    }
    practitioner_role = role(
        contained=[contained],
        location=[{"reference": "#inner"}],
        organization={"identifier": {"system": STRUCTURE_ID_SYSTEM, "value": "3" + SIRET}},
        telecom=[{"system": "phone", "value": "+33100"}],
    )
    actors = schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role"), ref("Location", "loc"))
    found = place_of(actors, practitioner_role, LOCATION, organization())
    assert found is not None
    assert (found.location_id, found.name, found.structure_id, found.phone) == (
        "PractitionerRole/role#inner",
        "Cabinet du rôle",
        "3" + SIRET,
        "+33100",
    )


def test_a_location_without_address_and_the_locations_structure_when_the_role_has_none() -> None:
    bare = {"resourceType": "Location", "id": "loc", "managingOrganization": ref("Organization", "org")}
    practitioner_role = role(contained=[bare], location=[{"reference": "#loc"}])
    found = place_of(
        schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role")),
        practitioner_role,
        organization(),
    )
    assert found == Place("PractitionerRole/role#loc", None, (), None, None, None, FINESS, None)


def test_a_location_contained_in_a_resource_without_id_has_no_id() -> None:
    practitioner_role = role(contained=[LOCATION], location=[{"reference": "#loc"}])
    del practitioner_role["id"]
    actors = schedule(
        ref("Practitioner", "pra"), {"reference": "https://editor.example/fhir/PractitionerRole/x"}
    )
    found = place_of(actors, practitioner_role)
    assert found is not None
    assert (found.location_id, found.name) == (None, "Cabinet")


def test_a_location_contained_in_the_schedule() -> None:
    actors = schedule(ref("Practitioner", "pra"), {"reference": "#loc"}, contained=[LOCATION])
    found = place_of(actors)
    assert found is not None
    assert (found.location_id, found.name, found.phone) == ("Schedule/sch#loc", "Cabinet", "+33561")


@pytest.mark.parametrize(
    ("organization_field", "resources", "structure_id"),
    [
        ({"reference": "#org"}, [], FINESS),  # contained in the role
        (ref("Organization", "org"), [organization()], FINESS),
        # an identifier that is no structure id, then the Organization it references
        (
            {"reference": "Organization/org", "identifier": {"system": "urn:other", "value": "x"}},
            [organization()],
            FINESS,
        ),
        (
            {"identifier": {"system": "urn:other", "value": "x"}},
            [],
            None,
        ),  # by identifier, not a structure id
        (
            {"reference": "Organization/missing", "identifier": {"system": "urn:other", "value": "x"}},
            [],
            None,
        ),
        ({"display": "Cabinet"}, [], None),
    ],
)
def test_the_roles_structure(
    organization_field: Json, resources: list[Json], structure_id: str | None
) -> None:
    practitioner_role = role(
        organization=organization_field,
        contained=[organization()],
        telecom=[{"system": "phone", "value": "+33100"}],
    )
    found = place_of(
        schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role")), practitioner_role, *resources
    )
    assert found == Place(None, None, (), None, None, None, structure_id, "+33100")


def test_an_organization_identifier_without_value_is_skipped() -> None:
    org = {
        "resourceType": "Organization",
        "id": "org",
        "identifier": [
            {"system": STRUCTURE_ID_SYSTEM},
            {"system": "urn:other", "value": "x"},
            {"system": STRUCTURE_ID_SYSTEM, "value": FINESS},
        ],
    }
    practitioner_role = role(organization=ref("Organization", "org"))
    found = place_of(
        schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role")), practitioner_role, org
    )
    assert found == Place(None, None, (), None, None, None, FINESS, None)


# --- a position on Earth -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latitude", "longitude", "kept"),
    [
        (90, 180, True),
        (-90, -180, True),
        (89.9999, 179.9999, True),
        (90.0001, 0, False),
        (-90.0001, 0, False),
        (0, 180.0001, False),
        (0, -180.0001, False),
        (90.5, 0, False),
        (-90.5, 0, False),
        (0, 180.5, False),
        (0, -180.5, False),
        (91, 0, False),
        (0, 181, False),
    ],
)
def test_latitude_and_longitude_limits(latitude: float, longitude: float, kept: bool) -> None:
    located = {**LOCATION, "position": {"latitude": latitude, "longitude": longitude}}
    found = place_of(schedule(ref("Practitioner", "pra"), ref("Location", "loc")), located)
    assert found is not None
    assert found.position == (Position(lat=latitude, lon=longitude) if kept else None)


# --- specialties: the Slot's, else the role's, else the Schedule's -------------------------------------


def specialty(
    code: str | None = None,
    text: str | None = None,
    display: str | None = None,
    system: str = SPECIALTY_SYSTEM,
) -> Json:
    coding = {
        "system": system,
        **({"code": code} if code else {}),
        **({"display": display} if display else {}),
    }
    return {"coding": [coding], **({"text": text} if text else {})}


@pytest.mark.parametrize(
    ("on_slot", "on_role", "on_schedule", "expected"),
    [
        ([], [], [specialty("SM54")], (Specialty("SM54", None),)),
        ([], [specialty("SM26")], [specialty("SM54")], (Specialty("SM26", None),)),
        ([specialty("SM01")], [specialty("SM26")], [specialty("SM54")], (Specialty("SM01", None),)),
        ([], [], [], ()),
    ],
)
def test_specialties_from_the_slot_the_role_or_the_schedule(
    on_slot: list[Json], on_role: list[Json], on_schedule: list[Json], expected: tuple[Specialty, ...]
) -> None:
    sched = schedule(ref("PractitionerRole", "role"))
    practitioner_role = role()
    on_slot_resource = slot()
    for resource, concepts in (
        (sched, on_schedule),
        (practitioner_role, on_role),
        (on_slot_resource, on_slot),
    ):
        if concepts:
            resource["specialty"] = concepts
    found = one(on_slot_resource, sched, practitioner_role, practitioner())
    assert found.specialties == expected


@pytest.mark.parametrize(
    ("concepts", "expected"),
    [
        ([specialty("SM54", text="Médecine générale")], (Specialty("SM54", "Médecine générale"),)),
        ([specialty("SM54", display="Médecine générale")], (Specialty("SM54", "Médecine générale"),)),
        ([specialty("SM54", text="Texte", display="Affiché")], (Specialty("SM54", "Texte"),)),
        ([specialty("SM54"), specialty("SM26")], (Specialty("SM54", None), Specialty("SM26", None))),
        ([specialty("X1", display="Gériatrie", system="urn:editor")], (Specialty(None, "Gériatrie"),)),
        ([specialty(None, display="Sans code")], (Specialty(None, "Sans code"),)),  # TRE_R38 without code
        (
            [{"coding": [{"system": "urn:editor"}, {"system": "urn:x", "display": "Deuxième"}]}],
            (Specialty(None, "Deuxième"),),
        ),
        ([{"text": "Texte seul"}], (Specialty(None, "Texte seul"),)),
        ([{"coding": [{"system": "urn:editor", "code": "X"}]}], ()),
        ([specialty("SM54"), specialty("SM54")], (Specialty("SM54", None),)),
    ],
)
def test_a_specialty_is_a_tre_r38_code_else_the_editors_text(
    concepts: list[Json], expected: tuple[Specialty, ...]
) -> None:
    found = one(slot(specialty=concepts), schedule(ref("Practitioner", "pra")), practitioner())
    assert found.specialties == expected


def test_an_sos_site_keeps_the_schedules_specialties() -> None:
    found = one(*sos(schedule_fields={"specialty": [specialty("SM54")]}), kind=EditorKind.SOS)
    assert found.specialties == (Specialty("SM54", None),)


# --- CPTS: every serviceType extension naming a HealthcareService ---------------------------------------


def cpts_extension(reference: str = "HealthcareService/hcs") -> Json:
    return {"url": SERVICE_TYPE_REFERENCE_EXTENSION, "valueReference": {"reference": reference}}


def service(rid: str = "hcs", **fields: Any) -> Json:
    return {"resourceType": "HealthcareService", "id": rid, **fields}


def services_of(
    *extensions: Json, resources: tuple[Json, ...] = (), **slot_fields: Any
) -> tuple[CptsService, ...]:
    found = one(
        slot(serviceType=[{"extension": list(extensions)}], **slot_fields),
        schedule(ref("Practitioner", "pra")),
        practitioner(),
        *resources,
    )
    return found.cpts


def test_every_cpts_extension_is_read_not_only_the_first() -> None:
    skipped: list[Json] = [
        {"url": "urn:other", "valueString": "x"},
        {"url": SERVICE_TYPE_REFERENCE_EXTENSION, "valueString": "not a reference"},
        {"url": SERVICE_TYPE_REFERENCE_EXTENSION, "valueReference": {"identifier": {"value": "hcs"}}},
        {"url": "urn:other", "valueReference": {"reference": "HealthcareService/other"}},
    ]
    found = services_of(
        *skipped,
        cpts_extension(),
        cpts_extension("HealthcareService/second"),
        resources=(service(name="Premier"), service("second", name="Second")),
    )
    assert [(s.service_id, s.name) for s in found] == [("hcs", "Premier"), ("second", "Second")]


def test_a_cpts_service_provided_by_an_organization() -> None:
    provided = service(
        providedBy=ref("Organization", "org"), telecom=[{"system": "phone", "value": "+33200"}]
    )
    org = organization(name="CPTS Axe Majeur", telecom=[{"system": "phone", "value": "+33100"}])
    assert services_of(cpts_extension(), resources=(provided, org)) == (
        CptsService("hcs", FINESS, "CPTS Axe Majeur", "+33100"),
    )


@pytest.mark.parametrize(
    ("fields", "resources", "expected"),
    [
        # no organization: the service's own name and phone
        (
            {"name": "Service", "telecom": [{"system": "phone", "value": "+33200"}]},
            (),
            CptsService("hcs", None, "Service", "+33200"),
        ),
        # an organization without name or phone: the service's
        (
            {
                "name": "Service",
                "providedBy": ref("Organization", "org"),
                "telecom": [{"system": "phone", "value": "+33200"}],
            },
            (organization(),),
            CptsService("hcs", FINESS, "Service", "+33200"),
        ),
        # by identifier only, the Organization not in the Bundle
        (
            {
                "providedBy": {
                    "identifier": {"system": STRUCTURE_ID_SYSTEM, "value": FINESS},
                    "display": "CPTS",
                }
            },
            (),
            CptsService("hcs", FINESS, None, None),
        ),
        # contained in the service
        (
            {"providedBy": {"reference": "#org"}, "contained": [organization(name="Contenue")]},
            (),
            CptsService("hcs", FINESS, "Contenue", None),
        ),
    ],
)
def test_a_cpts_service_without_all_of_its_organization(
    fields: Json, resources: tuple[Json, ...], expected: CptsService
) -> None:
    assert services_of(cpts_extension(), resources=(service(**fields), *resources)) == (expected,)


def test_a_service_contained_in_the_slot() -> None:
    assert services_of(cpts_extension("#hcs"), contained=[service(name="Contenu")]) == (
        CptsService("hcs", None, "Contenu", None),
    )


# --- every reference followed has its type ------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "kind"),
    [
        pytest.param(
            (slot(schedule_ref="Practitioner/pra"), practitioner()), EditorKind.PS, id="slot.schedule"
        ),
        pytest.param(
            (
                slot(),
                schedule(ref("PractitionerRole", "role")),
                role(practitioner=ref("Organization", "org")),
                organization(),
            ),
            EditorKind.PS,
            id="role.practitioner",
        ),
        pytest.param(
            (
                slot(),
                schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role")),
                role(location=[ref("Practitioner", "pra")]),
                practitioner(),
            ),
            EditorKind.PS,
            id="role.location",
        ),
        pytest.param(
            (
                slot(serviceType=[{"extension": [cpts_extension("Location/loc")]}]),
                schedule(ref("Practitioner", "pra")),
                practitioner(),
                LOCATION,
            ),
            EditorKind.PS,
            id="serviceType extension",
        ),
        pytest.param(
            (
                slot(serviceType=[{"extension": [cpts_extension()]}]),
                schedule(ref("Practitioner", "pra")),
                practitioner(),
                service(providedBy=ref("Location", "loc")),
                LOCATION,
            ),
            EditorKind.PS,
            id="providedBy",
        ),
        pytest.param(
            (
                slot(),
                schedule(ref("Practitioner", "pra"), ref("PractitionerRole", "role")),
                role(organization=ref("Location", "loc")),
                practitioner(),
                LOCATION,
            ),
            EditorKind.PS,
            id="role.organization",
        ),
        pytest.param(
            (slot(), schedule(ref("Practitioner", "missing"))),
            EditorKind.PS,
            id="an actor not in the Bundle",
        ),
    ],
)
def test_a_reference_to_a_resource_of_another_type_is_broken(
    resources: tuple[Json, ...], kind: EditorKind
) -> None:
    assert rejected(*resources, kind=kind) is RejectionCode.BROKEN_REFERENCE


# --- SOS sites ---------------------------------------------------------------------------------------------


def sos(
    *doctors: Json,
    managing: Json | None = None,
    association: Json | None = None,
    schedule_fields: Json | None = None,
    extra_actors: tuple[Json, ...] = (),
) -> list[Json]:
    site = {
        "resourceType": "Location",
        "id": "site",
        "telecom": [{"system": "phone", "value": "+33193"}],
        "managingOrganization": managing if managing is not None else ref("Organization", "asso"),
    }
    org = (
        association
        if association is not None
        else organization("asso", "3" + SIRET, name="SOS", telecom=[{"system": "phone", "value": "+3336"}])
    )
    actors = [ref("Location", "site"), *(ref("Practitioner", d["id"]) for d in doctors), *extra_actors]
    return [slot(), schedule(*actors, **(schedule_fields or {})), site, org, *doctors]


def test_an_sos_association_named_only_by_identifier() -> None:
    managing = {"identifier": {"system": STRUCTURE_ID_SYSTEM, "value": "3" + SIRET}, "display": "SOS Rennes"}
    found = one(*sos(managing=managing, association=organization("unrelated")), kind=EditorKind.SOS)
    assert found.sos == SosAssociation(SIRET, "SOS Rennes", None)
    assert found.place is not None
    assert (found.place.structure_id, found.place.phone) == (SIRET, "+33193")


@pytest.mark.parametrize(
    ("managing", "association"),
    [
        pytest.param(
            {"display": "SOS"}, None, id="a managing organization with neither reference nor identifier"
        ),
        pytest.param(
            ref("Organization", "asso"),
            {
                "resourceType": "Organization",
                "id": "asso",
                "identifier": [{"system": "urn:other", "value": "3" + SIRET}],
            },
            id="a SIRET under another system",
        ),
        pytest.param(
            ref("Organization", "asso"),
            {"resourceType": "Organization", "id": "asso", "identifier": [{"system": STRUCTURE_ID_SYSTEM}]},
            id="an identifier without value",
        ),
    ],
)
def test_an_sos_site_without_a_siret(managing: Json, association: Json | None) -> None:
    assert (
        rejected(*sos(managing=managing, association=association), kind=EditorKind.SOS)
        is RejectionCode.NO_ASSOCIATION
    )


def test_an_sos_siret_without_system_is_read() -> None:
    association = {"resourceType": "Organization", "id": "asso", "identifier": [{"value": "3" + SIRET}]}
    found = one(*sos(association=association), kind=EditorKind.SOS)
    assert found.sos == SosAssociation(SIRET, None, None)


@pytest.mark.parametrize(
    ("doctors", "national_id", "name"),
    [
        # the same doctor twice: the first name given is kept
        (
            (
                practitioner("a", name=[{"family": "Premier"}]),
                practitioner("b", name=[{"family": "Second"}]),
            ),
            DOCTOR,
            PractitionerName("Premier"),
        ),
        (
            (practitioner("a"), practitioner("b", name=[{"family": "Nommé"}])),
            DOCTOR,
            PractitionerName("Nommé"),
        ),
        # a doctor without a valid national id is no doctor on duty
        (
            (practitioner("a", "123"), practitioner("b", name=[{"family": "Seul"}])),
            DOCTOR,
            PractitionerName("Seul"),
        ),
        ((practitioner("a"), practitioner("b", OTHER)), None, None),  # two doctors: none on duty
    ],
)
def test_the_doctor_on_duty_at_an_sos_site(
    doctors: tuple[Json, ...], national_id: str | None, name: PractitionerName | None
) -> None:
    found = one(*sos(*doctors), kind=EditorKind.SOS)
    assert (found.national_id, found.practitioner) == (national_id, name)


def test_an_sos_site_with_a_doctor_named_by_identifier_and_included() -> None:
    doctors = (practitioner("a", name=[{"family": "Durand"}]),)
    found = one(*sos(*doctors, extra_actors=({"identifier": national()},)), kind=EditorKind.SOS)
    assert (found.national_id, found.practitioner) == (DOCTOR, PractitionerName("Durand"))


# --- the envelope of each Slot --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full_url", "slot_id"),
    [("urn:uuid:1", "urn:uuid:1"), ("", None), (5, None), (None, None)],
)
def test_a_slot_without_id_is_named_by_its_full_url(full_url: Any, slot_id: str | None) -> None:
    bare = slot()
    del bare["id"]
    entries: list[Json] = [
        {"resource": bare, **({"fullUrl": full_url} if full_url is not None else {})},
        {
            "fullUrl": _url(schedule(ref("Practitioner", "pra"))),
            "resource": schedule(ref("Practitioner", "pra")),
        },
        {"fullUrl": _url(practitioner()), "resource": practitioner()},
    ]
    result = map_slot_bundle({"resourceType": "Bundle", "type": "searchset", "entry": entries}, EditorKind.PS)
    if slot_id is None:
        assert [r.code for r in result.rejected] == [RejectionCode.NO_SLOT_ID]
    else:
        assert [s.slot_id for s in result.slots] == [slot_id]


@pytest.mark.parametrize(
    ("appointment_type", "expected"),
    [
        ([], None),  # R5's list, empty
        ([{"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": "WALKIN"}]}], "WALKIN"),
        ({"coding": [{"system": APPOINTMENT_TYPE_SYSTEM, "code": "UNKNOWN"}]}, None),
        ({"coding": [{"code": "ROUTINE"}]}, "ROUTINE"),
        (None, None),
    ],
)
def test_the_appointment_type(appointment_type: Any, expected: str | None) -> None:
    fields = {} if appointment_type is None else {"appointmentType": appointment_type}
    found = one(slot(**fields), schedule(ref("Practitioner", "pra")), practitioner())
    assert (found.appointment_type.value if found.appointment_type else None) == expected


@pytest.mark.parametrize(
    ("meta", "visibility"),
    [
        (None, ()),  # no meta: no visibility
        (
            {
                "lastUpdated": "yesterday",
                "versionId": "not an id!",
                "source": "",
                "security": [{"system": SLOT_TYPE_SYSTEM, "code": "PRO"}],
            },
            ("PRO",),
        ),
        ({"lastUpdated": "not a date"}, ()),
    ],
)
def test_a_slots_bookkeeping_meta_is_never_read(meta: Json | None, visibility: tuple[str, ...]) -> None:
    bare = slot()
    del bare["meta"]
    if meta is not None:
        bare["meta"] = meta
    found = one(bare, schedule(ref("Practitioner", "pra")), practitioner())
    assert found.visibility == tuple(SlotVisibility(v) for v in visibility)


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("https://editor.example/rdv/1", True),
        ("  https://editor.example/rdv/1  ", True),
        ("HTTP://EDITOR.EXAMPLE/RDV", True),
        ("https://editor.example/rdv/1 2", False),  # a space
        ("https://editor.example/a b", False),
        ("ftp://editor.example/rdv", False),
        ("https://editor.example/" + "a" * (URL_MAX - 23), True),
        ("https://editor.example/" + "a" * (URL_MAX - 22), False),
    ],
)
def test_a_booking_url(comment: str, kept: bool) -> None:
    assert URL_MAX == 2048
    found = one(slot(comment=comment), schedule(ref("Practitioner", "pra")), practitioner())
    assert found.booking_url == (comment.strip() if kept else None)


def test_each_slot_keeps_its_own_id_and_booking_url() -> None:
    first = slot("s1", comment="https://editor.example/rdv/1")
    second = slot(
        "s2",
        comment="https://editor.example/rdv/2",
        start="2026-03-10T10:15:00+01:00",
        end="2026-03-10T10:30:00+01:00",
    )
    result = mapped(first, second, schedule(ref("Practitioner", "pra")), practitioner())
    assert [(s.slot_id, s.booking_url, s.start.isoformat()) for s in result.slots] == [
        ("s1", "https://editor.example/rdv/1", "2026-03-10T10:00:00+01:00"),
        ("s2", "https://editor.example/rdv/2", "2026-03-10T10:15:00+01:00"),
    ]


def test_a_practitioner_and_an_organization_contained_in_the_role() -> None:
    contained_location = {**LOCATION, "managingOrganization": {"reference": "#org"}}
    practitioner_role = role(
        practitioner={"reference": "#pra"},
        contained=[practitioner(name=[{"family": "Contenu"}]), contained_location, organization()],
        location=[{"reference": "#loc"}],
    )
    found = one(slot(), schedule(ref("PractitionerRole", "role")), practitioner_role)
    assert (found.national_id, found.practitioner) == (DOCTOR, PractitionerName("Contenu"))
    assert found.place is not None
    assert (found.place.location_id, found.place.structure_id) == ("PractitionerRole/role#loc", FINESS)


def test_an_sos_association_contained_in_its_site() -> None:
    resources = sos(managing={"reference": "#asso"}, association=organization("unrelated"))
    resources[2]["contained"] = [organization("asso", "3" + SIRET, name="Contenue")]
    found = one(*resources, kind=EditorKind.SOS)
    assert found.sos == SosAssociation(SIRET, "Contenue", None)


def test_an_sos_schedule_without_a_site_or_a_site_without_an_association() -> None:
    no_site = [slot(), schedule(ref("Practitioner", "pra")), practitioner()]
    assert rejected(*no_site, kind=EditorKind.SOS) is RejectionCode.NO_LOCATION
    site = {"resourceType": "Location", "id": "site"}
    assert rejected(slot(), schedule(ref("Location", "site")), site, kind=EditorKind.SOS) is (
        RejectionCode.NO_ASSOCIATION
    )


@pytest.mark.xfail(
    strict=True,
    reason="bug found by issue 17: `_web_url` refuses a space but keeps a URL holding a tab or a "
    "line break (FHIR strings allow them), which a redirect would carry into a Location header",
)
@pytest.mark.parametrize("control", ["\t", "\n", "\r\n"])
def test_a_booking_url_holding_a_control_character_is_dropped(control: str) -> None:
    comment = f"https://editor.example/rdv/1{control}X-Injected:1"
    found = one(slot(comment=comment), schedule(ref("Practitioner", "pra")), practitioner())
    assert found.booking_url is None
