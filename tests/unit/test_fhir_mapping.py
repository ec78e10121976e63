"""Editor slot Bundles → EditorSlots: the three graphs, reference forms, each rejection, bad payloads."""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from fhir_samples import (
    ASSOCIATION_SIRET,
    BASE,
    BOOKING_URL,
    CPTS_STRUCTURE,
    DOCTOR,
    OTHER_DOCTOR,
    SLOT_LENGTH,
    START,
    STRUCTURE,
    bundle,
    cpts_graph,
    index_of,
    ps_graph,
    resource,
    sos_graph,
)
from sas_common.effecteurs.model import Position
from sas_common.errors import DomainError
from sas_common.fhir.codes import (
    SLOT_TYPE_SYSTEM,
    SPECIALTY_SYSTEM,
    AppointmentType,
    ConsultationCode,
    SlotVisibility,
)
from sas_common.fhir.errors import FhirError, InvalidBundle, NotFhir
from sas_common.fhir.model import (
    CptsService,
    MappingResult,
    Place,
    PractitionerName,
    RejectionCode,
    SosAssociation,
    Specialty,
)
from sas_common.fhir.outcome import mapping_outcome
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.territory import EditorKind
from sas_local import fhir_shapes as shapes

Json = dict[str, Any]


def slots_of(result: MappingResult) -> dict[str, str | None]:
    return {slot.slot_id: slot.national_id for slot in result.slots}


# --- the three graphs --------------------------------------------------------------------------------


def test_a_doctor_slot_keeps_every_element_the_platform_uses() -> None:
    result = map_slot_bundle(bundle(ps_graph(reasons=("Visite urgente",))), EditorKind.PS)

    assert result.rejected == []
    [slot] = result.slots
    assert slot.entry_index == 0
    assert slot.slot_id == f"slot-{DOCTOR}-0"
    assert slot.national_id == DOCTOR
    assert (slot.start, slot.end) == (START, START + SLOT_LENGTH)
    assert slot.start.utcoffset() == timedelta(hours=1)
    assert slot.visibility == (SlotVisibility.SNP,)
    assert slot.consultation_types == (ConsultationCode.AMB,)
    assert slot.reasons == ("Visite urgente",)
    assert slot.appointment_type is AppointmentType.ROUTINE
    assert not slot.walk_in
    assert slot.specialties == (Specialty("SM54", None),)
    assert slot.booking_url == BOOKING_URL
    assert slot.practitioner == PractitionerName("Martin", ("Claire",))
    assert slot.place == Place(
        location_id=f"PractitionerRole/role-{DOCTOR}#loc",
        name="Cabinet",
        address_lines=("1 rue de Metz",),
        postal_code="31000",
        city="Toulouse",
        position=Position(lat=43.6, lon=1.44),
        structure_id=STRUCTURE,
        phone="+33561000001",
    )
    assert slot.cpts == ()
    assert slot.sos is None
    assert result.total == 1


def test_a_cpts_slot_names_its_service_and_organization() -> None:
    result = map_slot_bundle(bundle(cpts_graph(slots=2)), EditorKind.CPTS)

    assert result.rejected == []
    assert len(result.slots) == 2
    for slot in result.slots:
        assert slot.national_id == DOCTOR
        assert slot.visibility == (SlotVisibility.PUBLIC, SlotVisibility.CPTS)
        assert slot.cpts == (CptsService("hcs-cpts", CPTS_STRUCTURE, "CPTS Axe Majeur", "+33102030405"),)


@pytest.mark.parametrize(
    ("doctors", "by_identifier", "national_id", "name"),
    [
        ((), False, None, None),  # a site slot: no one named
        ((DOCTOR,), False, DOCTOR, PractitionerName("Durand", ("Paul",))),
        ((DOCTOR,), True, DOCTOR, None),  # named by identifier only: no name to keep
        ((DOCTOR, OTHER_DOCTOR), False, None, None),  # several on duty: the site's slot
    ],
)
def test_an_sos_slot_keeps_the_doctor_on_duty_it_names(
    doctors: tuple[str, ...], by_identifier: bool, national_id: str | None, name: PractitionerName | None
) -> None:
    of = bundle(sos_graph(doctors=doctors, by_identifier=by_identifier))
    result = map_slot_bundle(of, EditorKind.SOS)
    assert result.rejected == []
    (slot,) = result.slots
    assert (slot.national_id, slot.practitioner) == (national_id, name)
    assert slot.sos is not None


def test_an_sos_slot_names_its_site_and_association() -> None:
    result = map_slot_bundle(bundle(sos_graph(slots=2)), EditorKind.SOS)

    assert result.rejected == []
    assert [slot.entry_index for slot in result.slots] == [1, 2]  # Slots are `include` after their Schedule
    slot = result.slots[0]
    assert slot.national_id is None
    assert slot.sos == SosAssociation(ASSOCIATION_SIRET, "SOS Médecins Rennes", "+3336")
    assert slot.place is not None
    assert slot.place.location_id == "Location/site-1"
    assert slot.place.name == "Centre de consultation Rennes Nord"
    assert (slot.place.address, slot.place.postal_code, slot.place.city) == (
        "320 avenue Patton",
        "35700",
        "Rennes",
    )
    assert slot.place.structure_id == ASSOCIATION_SIRET
    assert slot.place.phone == "+33193246789"
    assert slot.place.position is None
    assert slot.consultation_types == (ConsultationCode.VR,)
    assert result.total == 1  # the editor counts the matching Schedules


def test_a_bundle_of_several_doctors_keeps_each_slot_with_its_doctor() -> None:
    result = map_slot_bundle(bundle(ps_graph(slots=3), ps_graph(OTHER_DOCTOR, slots=2)), EditorKind.PS)

    assert list(slots_of(result).values()) == [DOCTOR] * 3 + [OTHER_DOCTOR] * 2


# --- reference forms ---------------------------------------------------------------------------------


def _absolute(of: Json) -> int:
    resource(of, "Slot")["schedule"]["reference"] = f"{BASE}/Schedule/sch-{DOCTOR}"
    return 0


def _absolute_elsewhere(of: Json) -> int:
    resource(of, "Slot")["schedule"]["reference"] = f"https://mirror.example/r4/Schedule/sch-{DOCTOR}"
    return 0


def _versioned(of: Json) -> int:
    resource(of, "Slot")["schedule"]["reference"] = f"Schedule/sch-{DOCTOR}/_history/3"
    return 0


def _uuid_full_urls(of: Json) -> int:
    """A pushed (transaction-style) Bundle: resources without ids, named by urn:uuid fullUrls."""
    uuids = {}
    for number, entry in enumerate(of["entry"]):
        named = f"{entry['resource']['resourceType']}/{entry['resource'].pop('id')}"
        uuids[named] = entry["fullUrl"] = f"urn:uuid:00000000-0000-4000-8000-{number:012d}"
    text = json.dumps(of)
    for named, uuid in uuids.items():
        text = text.replace(f'"{named}"', f'"{uuid}"')
    of.update(json.loads(text))
    return 0


def _contained_schedule(of: Json) -> int:
    """The Schedule inside the Slot; its actors are still Bundle entries."""
    slot, schedule = resource(of, "Slot"), resource(of, "Schedule")
    slot["contained"] = [schedule]
    slot["schedule"] = {"reference": f"#{schedule['id']}"}
    del of["entry"][index_of(of, "Schedule")]
    return 0


def _location_as_actor(of: Json) -> int:
    """No contained Location: the place is a Location actor of the Schedule."""
    role = resource(of, "PractitionerRole")
    place = role.pop("contained")[0]
    del role["location"]
    place["id"] = "cabinet"
    resource(of, "Schedule")["actor"].append({"reference": "Location/cabinet"})
    of["entry"].append(shapes.entry(place, BASE, mode="include"))
    return 0


@pytest.mark.parametrize(
    "rewrite",
    [_absolute, _absolute_elsewhere, _versioned, _uuid_full_urls, _contained_schedule, _location_as_actor],
)
def test_references_resolve_whatever_their_form(rewrite: Callable[[Json], int]) -> None:
    of = bundle(ps_graph())
    rewrite(of)

    result = map_slot_bundle(of, EditorKind.PS)

    assert result.rejected == []
    [slot] = result.slots
    assert slot.national_id == DOCTOR
    assert slot.place is not None
    assert (slot.place.city, slot.place.structure_id) == ("Toulouse", STRUCTURE)


# --- rejections: one bad entry, the others kept -------------------------------------------------------


def _no_schedule(of: Json) -> int:
    del resource(of, "Slot")["schedule"]
    return 0


def _logical_schedule(of: Json) -> int:
    resource(of, "Slot")["schedule"] = {"identifier": {"value": "agenda-1"}}
    return 0


def _schedule_not_included(of: Json) -> int:
    resource(of, "Slot")["schedule"]["reference"] = "Schedule/nowhere"
    return 0


def _schedule_is_a_practitioner(of: Json) -> int:
    resource(of, "Slot")["schedule"]["reference"] = f"Practitioner/pra-{DOCTOR}"
    return 0


def _practitioner_left_out(of: Json) -> int:
    del of["entry"][index_of(of, "Practitioner")]
    return 0


def _contained_location_missing(of: Json) -> int:
    resource(of, "PractitionerRole")["location"] = [{"reference": "#elsewhere"}]
    return 0


def _structure_not_included(of: Json) -> int:
    resource(of, "PractitionerRole")["organization"] = {"reference": "Organization/absent"}
    return 0


def _invalid_start(of: Json) -> int:
    resource(of, "Slot")["start"] = "tomorrow morning"
    return 0


def _zone_less_start(of: Json) -> int:
    resource(of, "Slot")["start"] = "2026-11-23T09:00:00"
    return 0


def _no_end(of: Json) -> int:
    del resource(of, "Slot")["end"]
    return 0


def _ends_before_start(of: Json) -> int:
    slot = resource(of, "Slot")
    slot["start"], slot["end"] = slot["end"], slot["start"]
    return 0


def _ends_at_start(of: Json) -> int:
    slot = resource(of, "Slot")
    slot["end"] = slot["start"]
    return 0


def _busy(of: Json) -> int:
    resource(of, "Slot")["status"] = "busy"
    return 0


def _no_id(of: Json) -> int:
    del resource(of, "Slot")["id"]
    del of["entry"][0]["fullUrl"]
    return 0


def _no_national_id(of: Json) -> int:
    resource(of, "Practitioner")["identifier"][0]["system"] = "https://editor.example/ids"
    return 0


def _malformed_national_id(of: Json) -> int:
    resource(of, "Practitioner")["identifier"][0]["value"] = "10101234567"
    return 0


def _no_practitioner(of: Json) -> int:
    resource(of, "Schedule")["actor"] = []
    return 0


def _two_practitioners(of: Json) -> int:
    second = shapes.practitioner("pra-second", "0123456789")
    resource(of, "Schedule")["actor"].append(shapes.reference(second))
    of["entry"].append(shapes.entry(second, BASE, mode="include"))
    return 0


def _invalid_practitioner(of: Json) -> int:
    resource(of, "Practitioner")["identifier"] = "810000000011"
    return index_of(of, "Practitioner")


def _patient(of: Json) -> int:
    of["entry"].append({"resource": {"resourceType": "Patient", "id": "p", "name": [{"family": "Secret"}]}})
    return len(of["entry"]) - 1


def _not_a_fhir_type(of: Json) -> int:
    of["entry"].append({"resource": {"resourceType": "Creneau", "id": "c"}})
    return len(of["entry"]) - 1


def _entry_without_resource(of: Json) -> int:
    of["entry"].append({"fullUrl": f"{BASE}/Slot/ghost"})
    return len(of["entry"]) - 1


def _duplicate(of: Json) -> int:
    of["entry"].append(of["entry"][0])
    return len(of["entry"]) - 1


@pytest.mark.parametrize(
    ("breaker", "code"),
    [
        (_no_schedule, RejectionCode.MISSING_SCHEDULE),
        (_logical_schedule, RejectionCode.MISSING_SCHEDULE),
        (_schedule_not_included, RejectionCode.BROKEN_REFERENCE),
        (_schedule_is_a_practitioner, RejectionCode.BROKEN_REFERENCE),
        (_practitioner_left_out, RejectionCode.BROKEN_REFERENCE),
        (_contained_location_missing, RejectionCode.BROKEN_REFERENCE),
        (_structure_not_included, RejectionCode.BROKEN_REFERENCE),
        (_invalid_start, RejectionCode.INVALID_RESOURCE),
        (_zone_less_start, RejectionCode.INVALID_RESOURCE),
        (_no_end, RejectionCode.INVALID_RESOURCE),
        (_ends_before_start, RejectionCode.INVALID_PERIOD),
        (_ends_at_start, RejectionCode.INVALID_PERIOD),
        (_busy, RejectionCode.NOT_FREE),
        (_no_id, RejectionCode.NO_SLOT_ID),
        (_no_national_id, RejectionCode.NO_NATIONAL_ID),
        (_malformed_national_id, RejectionCode.NO_NATIONAL_ID),
        (_no_practitioner, RejectionCode.NO_NATIONAL_ID),
        (_two_practitioners, RejectionCode.AMBIGUOUS_PRACTITIONER),
        (_invalid_practitioner, RejectionCode.INVALID_RESOURCE),
        (_patient, RejectionCode.UNEXPECTED_RESOURCE_TYPE),
        (_not_a_fhir_type, RejectionCode.UNEXPECTED_RESOURCE_TYPE),
        (_entry_without_resource, RejectionCode.UNREADABLE_ENTRY),
        (_duplicate, RejectionCode.DUPLICATE_SLOT),
    ],
)
def test_one_bad_entry_is_rejected_with_its_reason_and_the_others_kept(
    breaker: Callable[[Json], int], code: RejectionCode
) -> None:
    of = bundle(ps_graph(), ps_graph(OTHER_DOCTOR, slots=2))
    bad_index = breaker(of)

    result = map_slot_bundle(json.dumps(of).encode(), EditorKind.PS)

    assert code in {rejection.code for rejection in result.rejected if rejection.index == bad_index}
    assert all(rejection.reason for rejection in result.rejected)
    assert [rejection.index for rejection in result.rejected] == sorted(r.index for r in result.rejected)
    assert [n for n in slots_of(result).values() if n == OTHER_DOCTOR] == [OTHER_DOCTOR] * 2


def test_the_entry_of_an_invalid_included_resource_and_its_slots_are_both_rejected() -> None:
    of = bundle(ps_graph(), ps_graph(OTHER_DOCTOR))
    practitioner_index = _invalid_practitioner(of)

    result = map_slot_bundle(of, EditorKind.PS)

    assert [(r.index, r.code) for r in result.rejected] == [
        (0, RejectionCode.BROKEN_REFERENCE),
        (practitioner_index, RejectionCode.INVALID_RESOURCE),
    ]
    assert "Practitioner.identifier" in result.rejected[1].reason


def test_reasons_name_the_element_not_the_patient_data() -> None:
    of = bundle(ps_graph())
    _patient(of)

    result = map_slot_bundle(of, EditorKind.PS)

    assert "Secret" not in repr(result)
    assert result.rejected[0].reason == "unexpected resource type 'Patient'"


def _sos_without_location(of: Json) -> int:
    resource(of, "Schedule")["actor"] = []
    return 1


def _sos_without_managing_organization(of: Json) -> int:
    del resource(of, "Location")["managingOrganization"]
    return 1


def _sos_association_without_siret(of: Json) -> int:
    resource(of, "Organization")["identifier"] = [{"system": "https://editor.example/ids", "value": "A-35"}]
    return 1


def _sos_association_not_included(of: Json) -> int:
    del of["entry"][index_of(of, "Organization")]
    return 1


@pytest.mark.parametrize(
    ("breaker", "code"),
    [
        (_sos_without_location, RejectionCode.NO_LOCATION),
        (_sos_without_managing_organization, RejectionCode.NO_ASSOCIATION),
        (_sos_association_without_siret, RejectionCode.NO_ASSOCIATION),
        (_sos_association_not_included, RejectionCode.BROKEN_REFERENCE),
    ],
)
def test_an_sos_slot_needs_its_site_and_association(
    breaker: Callable[[Json], int], code: RejectionCode
) -> None:
    of = bundle(sos_graph(), sos_graph("39208046630001", tag="2"))
    bad_index = breaker(of)

    result = map_slot_bundle(of, EditorKind.SOS)

    assert [(r.index, r.code) for r in result.rejected] == [(bad_index, code)]
    assert [slot.sos.siret for slot in result.slots if slot.sos] == ["39208046630001"]


def test_a_cpts_slot_whose_service_is_missing_is_rejected() -> None:
    of = bundle(cpts_graph(), ps_graph(OTHER_DOCTOR))
    del of["entry"][index_of(of, "HealthcareService")]

    result = map_slot_bundle(of, EditorKind.CPTS)

    assert [(r.index, r.code) for r in result.rejected] == [(0, RejectionCode.BROKEN_REFERENCE)]
    assert "HealthcareService/hcs-cpts" in result.rejected[0].reason
    assert list(slots_of(result).values()) == [OTHER_DOCTOR]


def test_a_cpts_organization_named_only_by_identifier_is_kept() -> None:
    of = bundle(cpts_graph())
    del of["entry"][index_of(of, "Organization")]
    resource(of, "HealthcareService")["providedBy"] = {
        "reference": "Organization/orga-cpts",
        "identifier": {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": CPTS_STRUCTURE},
    }

    [slot] = map_slot_bundle(of, EditorKind.CPTS).slots

    assert slot.cpts == (CptsService("hcs-cpts", CPTS_STRUCTURE, None, None),)


@pytest.mark.parametrize(
    ("graph", "read_as", "code"),
    [
        (sos_graph(), EditorKind.PS, RejectionCode.NO_NATIONAL_ID),
        (ps_graph(), EditorKind.SOS, RejectionCode.NO_LOCATION),
    ],
)
def test_the_graph_followed_is_the_editor_kind(
    graph: list[Json], read_as: EditorKind, code: RejectionCode
) -> None:
    result = map_slot_bundle(bundle(graph), read_as)

    assert result.slots == []
    assert {r.code for r in result.rejected} == {code}


# --- liberal in what is accepted ---------------------------------------------------------------------


def test_elements_unknown_to_r4_are_dropped_not_fatal() -> None:
    of = bundle(ps_graph())
    resource(of, "Slot")["vendorRank"] = 3
    resource(of, "PractitionerRole")["contained"][0]["address"]["geo"] = {"x": 1}
    resource(of, "Practitioner")["rpps"] = {"nested": True}

    result = map_slot_bundle(of, EditorKind.PS)

    assert result.rejected == []
    assert result.slots[0].place is not None
    assert result.slots[0].place.city == "Toulouse"


def test_the_guide_examples_quirks_are_read() -> None:
    """appointmentType as a list (R5), no profiles, a national id typed IDNPS without its system."""
    of = bundle(ps_graph(walk_in=True))
    for entry in of["entry"]:
        entry["resource"].get("meta", {}).pop("profile", None)
    slot = resource(of, "Slot")
    slot["appointmentType"] = [slot["appointmentType"]]
    del resource(of, "Practitioner")["identifier"][0]["system"]

    result = map_slot_bundle(of, EditorKind.PS)

    assert result.rejected == []
    assert result.slots[0].walk_in
    assert result.slots[0].national_id == DOCTOR


def test_server_bookkeeping_in_meta_does_not_defeat_shared_reading() -> None:
    of = bundle(ps_graph(slots=3))
    for number, entry in enumerate(of["entry"][:3]):
        entry["resource"]["meta"].update(versionId=str(number), lastUpdated=f"2026-11-2{number}T10:00:00Z")

    result = map_slot_bundle(of, EditorKind.PS)

    assert len(result.slots) == 3
    assert result.slots[0].visibility == (SlotVisibility.SNP,)


def test_a_practitioner_named_by_identifier_only() -> None:
    of = bundle(ps_graph())
    schedule = resource(of, "Schedule")
    schedule["actor"][0] = {
        "type": "Practitioner",
        "identifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": DOCTOR},
    }
    del of["entry"][index_of(of, "Practitioner")]
    del resource(of, "PractitionerRole")["practitioner"]

    [slot] = map_slot_bundle(of, EditorKind.PS).slots

    assert (slot.national_id, slot.practitioner) == (DOCTOR, None)


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (
            [{"system": SLOT_TYPE_SYSTEM, "code": "PRO"}, {"code": "SNP"}],
            (SlotVisibility.PRO, SlotVisibility.SNP),
        ),
        ([{"system": SLOT_TYPE_SYSTEM, "code": "VIP"}], ()),
        ([{"system": "http://other.example", "code": "PUBLIC"}], ()),
        ([{"code": "CPTS"}, {"code": "CPTS"}], (SlotVisibility.CPTS,)),
    ],
)
def test_visibility_keeps_known_codes_of_the_guide_system(
    security: list[Json], expected: tuple[SlotVisibility, ...]
) -> None:
    of = bundle(ps_graph())
    resource(of, "Slot")["meta"]["security"] = security

    assert map_slot_bundle(of, EditorKind.PS).slots[0].visibility == expected


def test_consultation_types_reasons_and_text_specialty() -> None:
    of = bundle(
        ps_graph(
            consultation=("VR", "HH", "XX"), reasons=("Grippe", " Grippe ", "Certificat"), specialty=None
        )
    )
    resource(of, "Slot")["specialty"] = [{"text": "Médecine générale"}]

    [slot] = map_slot_bundle(of, EditorKind.PS).slots

    assert slot.consultation_types == (ConsultationCode.VR, ConsultationCode.HH)
    assert slot.reasons == ("Grippe", "Certificat")
    assert slot.specialties == (Specialty(None, "Médecine générale"),)


def test_the_role_specialty_stands_in_for_a_slot_without_one() -> None:
    of = bundle(ps_graph(specialty=None))
    resource(of, "PractitionerRole")["specialty"] = [
        {"coding": [{"system": SPECIALTY_SYSTEM, "code": "SM26"}]}
    ]

    assert map_slot_bundle(of, EditorKind.PS).slots[0].specialties == (Specialty("SM26", None),)


@pytest.mark.parametrize(
    ("comment", "kept"),
    [
        ("https://editor.example/rdv/9", "https://editor.example/rdv/9"),
        ("http://editor.example/rdv/9", "http://editor.example/rdv/9"),
        ("javascript:alert(1)", None),
        ("Appeler le secrétariat", None),
    ],
)
def test_only_web_booking_urls_are_kept(comment: str, kept: str | None) -> None:
    assert map_slot_bundle(bundle(ps_graph(booking_url=comment)), EditorKind.PS).slots[0].booking_url == kept


def test_a_position_off_the_earth_is_dropped() -> None:
    of = bundle(ps_graph())
    resource(of, "PractitionerRole")["contained"][0]["position"] = {"latitude": 143.6, "longitude": 1.44}

    place = map_slot_bundle(of, EditorKind.PS).slots[0].place
    assert place is not None
    assert (place.position, place.city) == (None, "Toulouse")


def test_slots_sharing_a_schedule_keep_their_own_codes_and_times() -> None:
    of = bundle(ps_graph(slots=3))
    resource(of, "Slot", 1)["meta"]["security"] = [{"system": SLOT_TYPE_SYSTEM, "code": "PUBLIC"}]
    resource(of, "Slot", 2)["start"] = "not an instant"

    result = map_slot_bundle(of, EditorKind.PS)

    assert [slot.visibility for slot in result.slots] == [(SlotVisibility.SNP,), (SlotVisibility.PUBLIC,)]
    assert [slot.start - START for slot in result.slots] == [timedelta(0), SLOT_LENGTH]
    assert [(r.index, r.code) for r in result.rejected] == [(2, RejectionCode.INVALID_RESOURCE)]
    assert "Slot.start" in result.rejected[0].reason


# --- the envelope ------------------------------------------------------------------------------------


def test_outcome_entries_next_link_and_total_are_read() -> None:
    of = bundle(ps_graph())
    of["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "warning", "code": "processing", "diagnostics": "2 unknown ids"}],
            },
            "search": {"mode": "outcome"},
        }
    )
    of["link"] = [{"relation": "next", "url": f"{BASE}/Slot?page=2"}]
    of["total"] = 40

    result = map_slot_bundle(of, EditorKind.PS)

    assert (len(result.slots), result.rejected, result.messages) == (1, [], ("2 unknown ids",))
    assert (result.next_url, result.total) == (f"{BASE}/Slot?page=2", 40)


def test_an_empty_searchset_is_a_success() -> None:
    result = map_slot_bundle(b'{"resourceType": "Bundle", "type": "searchset", "total": 0}', EditorKind.PS)

    assert (result.slots, result.rejected, result.total) == ([], [], 0)


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (b"<html>Bad gateway</html>", NotFhir),
        (b"\xff\xfe\x00", NotFhir),
        (b"[1, 2]", NotFhir),
        (b'"Bundle"', NotFhir),
        (b'{"type": "searchset"}', NotFhir),
        (b'{"resourceType": "Slot", "id": "1"}', InvalidBundle),
        (b'{"resourceType": "OperationOutcome", "issue": []}', InvalidBundle),
        (b'{"resourceType": "Bundle", "type": "searchset", "entry": {"resource": {}}}', InvalidBundle),
        (b'{"resourceType": "Bundle", "total": 1}', InvalidBundle),
        (b'{"resourceType": "Bundle", "type": "searchset", "total": "many"}', InvalidBundle),
    ],
)
def test_a_payload_that_is_not_a_bundle_fails_as_a_whole(payload: bytes, error: type[FhirError]) -> None:
    with pytest.raises(error) as raised:
        map_slot_bundle(payload, EditorKind.PS)

    assert isinstance(raised.value, DomainError)
    assert raised.value.status == 400
    assert raised.value.message
    assert gc.isenabled()  # paused while reading, restored even on failure


# --- the answer to a push ----------------------------------------------------------------------------


def test_the_push_outcome_lists_accepted_and_rejected_entries() -> None:
    of = bundle(ps_graph(slots=2), ps_graph(OTHER_DOCTOR))
    _busy(of)

    outcome = mapping_outcome(map_slot_bundle(of, EditorKind.PS))

    assert outcome["resourceType"] == "OperationOutcome"
    accepted, rejected = outcome["issue"]
    assert accepted["severity"] == "information"
    assert accepted["diagnostics"] == "2 slot(s) accepted"
    assert accepted["expression"] == ["Bundle.entry[1]", f"Bundle.entry[{index_of(of, 'Slot', 2)}]"]
    assert rejected["severity"] == "error"
    assert rejected["code"] == "business-rule"
    assert rejected["expression"] == ["Bundle.entry[0]"]
    assert rejected["diagnostics"].startswith("not_free: ")
