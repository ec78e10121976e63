"""The local editor double over real HTTP: its answers are what the mapper reads, its faults are faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fhir.resources.R4B.bundle import Bundle

from sas_common.fhir.codes import ConsultationCode, SlotVisibility
from sas_common.fhir.errors import InvalidBundle, NotFhir
from sas_common.fhir.model import PractitionerName, RejectionCode
from sas_common.fhir.queries import build_slot_query, build_sos_query
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.territory import EditorKind
from sas_local.fhir_editor import FakeCpts, FakeEditor, FakePlace, FakeSlot

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
WINDOW = (NOW, NOW + timedelta(hours=48))
DOCTORS = ["810000000011", "810000000022", "810000000033"]
NOT_ASKED = "810000000044"
SIRET = "34173748400020"
PLACE = FakePlace("1 rue de Metz", "31000", "Toulouse", 43.6, 1.44, "312345678900011", "+33561000001")
SITE = FakePlace("320 avenue Patton", "35700", "Rennes", phone="+33193246789", name="Rennes Nord")


def at(hours: float, minutes: int = 15) -> tuple[datetime, datetime]:
    start = NOW + timedelta(hours=hours)
    return start, start + timedelta(minutes=minutes)


@pytest.fixture(scope="module")
def running() -> Iterator[FakeEditor]:
    with FakeEditor() as editor:
        yield editor


@pytest.fixture
def editor(running: FakeEditor) -> FakeEditor:
    running.clear()
    return running


def poll(editor: FakeEditor, national_ids: list[str], **options: object) -> httpx.Response:
    return httpx.get(build_slot_query(editor.base_url, national_ids, *WINDOW), **options)  # type: ignore[arg-type]


def test_a_search_for_three_doctors_returns_their_slots_mapped(editor: FakeEditor) -> None:
    first = editor.add_practitioner_slots(
        DOCTORS[0], [(*at(1), "SNP", "AMB"), (*at(2), "PUBLIC", "VR")], PLACE
    )
    second = editor.add_practitioner_slots(DOCTORS[1], [at(3)], PLACE, family="Durand", given="Paul")
    editor.add_practitioner_slots(NOT_ASKED, [at(1)], PLACE)
    editor.add_practitioner_slots(DOCTORS[0], [at(50), at(-1)], PLACE)  # outside the window

    response = poll(editor, DOCTORS)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/fhir+json"
    Bundle.model_validate(response.json())  # the double sends strict R4 (R4B) FHIR
    result = map_slot_bundle(response.content, EditorKind.PS)
    assert result.rejected == []
    assert result.total == 3
    assert {slot.slot_id: slot.national_id for slot in result.slots} == {
        first[0]: DOCTORS[0],
        first[1]: DOCTORS[0],
        second[0]: DOCTORS[1],
    }
    by_id = {slot.slot_id: slot for slot in result.slots}
    assert by_id[first[1]].visibility == (SlotVisibility.PUBLIC,)
    assert by_id[first[1]].consultation_types == (ConsultationCode.VR,)
    assert by_id[second[0]].practitioner == PractitionerName("Durand", ("Paul",))
    place = by_id[first[0]].place
    assert place is not None
    assert (place.city, place.structure_id, place.phone) == ("Toulouse", "312345678900011", "+33561000001")
    assert place.position is not None
    assert (place.position.lat, place.position.lon) == (43.6, 1.44)


def test_requests_are_recorded_with_the_identifiers_asked(editor: FakeEditor) -> None:
    poll(editor, DOCTORS[:2])
    poll(editor, DOCTORS[2:])

    assert [request.identifiers for request in editor.requests] == [DOCTORS[:2], DOCTORS[2:]]
    assert editor.requests[0].path == "/fhir/Slot"
    assert editor.requests[0].params["status"] == ["free"]


def test_more_than_25_doctors_in_one_request_is_refused(editor: FakeEditor) -> None:
    url = build_slot_query(editor.base_url, [f"8{n:011d}" for n in range(25)], *WINDOW)
    one_more = ",urn:oid:1.2.250.1.71.4.2.1%7C899999999999&status=free"

    response = httpx.get(url.replace("&status=free", one_more))

    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_a_slot_booked_elsewhere_leaves_the_next_answer(editor: FakeEditor) -> None:
    kept, gone = editor.add_practitioner_slots(DOCTORS[0], [at(1), at(2)], PLACE)
    editor.mark_busy(gone)

    result = map_slot_bundle(poll(editor, DOCTORS[:1]).content, EditorKind.PS)

    assert [slot.slot_id for slot in result.slots] == [kept]


def test_cpts_slots_come_with_their_service_when_asked(editor: FakeEditor) -> None:
    editor.add_practitioner_slots(
        DOCTORS[0], [FakeSlot(*at(1), visibility=("CPTS",))], PLACE, cpts=FakeCpts("1950047225", "CPTS Axe")
    )
    url = build_slot_query(editor.base_url, DOCTORS[:1], *WINDOW, with_services=True)

    [slot] = map_slot_bundle(httpx.get(url).content, EditorKind.CPTS).slots

    assert [(service.organization_id, service.name) for service in slot.cpts] == [("1950047225", "CPTS Axe")]


def test_an_sos_search_returns_the_sites_of_the_associations_asked(editor: FakeEditor) -> None:
    [slot_id] = editor.add_sos_site(SIRET, [at(2, 20)], SITE, association="SOS Médecins Rennes")
    editor.add_sos_site("39208046630001", [at(2)], SITE)

    response = httpx.get(build_sos_query(editor.base_url, [SIRET], *WINDOW))

    Bundle.model_validate(response.json())
    result = map_slot_bundle(response.content, EditorKind.SOS)
    assert result.rejected == []
    [slot] = result.slots
    assert slot.slot_id == slot_id
    assert slot.sos is not None
    assert (slot.sos.siret, slot.sos.name) == (SIRET, "SOS Médecins Rennes")
    assert slot.place is not None
    assert (slot.place.name, slot.place.city) == ("Rennes Nord", "Rennes")


# --- faults ------------------------------------------------------------------------------------------


def test_fail_with_answers_the_status_and_an_operation_outcome(editor: FakeEditor) -> None:
    editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)
    editor.fail_with(503, times=1)

    failed = poll(editor, DOCTORS[:1])
    recovered = poll(editor, DOCTORS[:1])

    assert failed.status_code == 503
    assert failed.json()["resourceType"] == "OperationOutcome"
    assert recovered.status_code == 200
    assert len(map_slot_bundle(recovered.content, EditorKind.PS).slots) == 1


def test_a_slow_editor_times_out(editor: FakeEditor) -> None:
    editor.delay(2.0, times=1)

    with pytest.raises(httpx.ReadTimeout):
        poll(editor, DOCTORS[:1], timeout=httpx.Timeout(1.0, read=0.2))

    assert poll(editor, DOCTORS[:1]).status_code == 200


def test_garbage_is_not_fhir(editor: FakeEditor) -> None:
    editor.garbage()

    response = poll(editor, DOCTORS[:1])

    assert response.status_code == 200
    with pytest.raises(NotFhir):
        map_slot_bundle(response.content, EditorKind.PS)


def test_a_wrong_resource_type_is_not_a_bundle(editor: FakeEditor) -> None:
    editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)
    editor.wrong_resource_type()

    response = poll(editor, DOCTORS[:1])

    with pytest.raises(InvalidBundle, match="expected a Bundle, got a Slot"):
        map_slot_bundle(response.content, EditorKind.PS)


@pytest.mark.parametrize("kind", [EditorKind.PS, EditorKind.SOS])
def test_broken_references_reject_every_slot(editor: FakeEditor, kind: EditorKind) -> None:
    editor.add_practitioner_slots(DOCTORS[0], [at(1), at(2)], PLACE)
    editor.add_sos_site(SIRET, [at(1), at(2)], SITE)
    editor.broken_references()
    if kind is EditorKind.SOS:
        url = build_sos_query(editor.base_url, [SIRET], *WINDOW)
    else:
        url = build_slot_query(editor.base_url, DOCTORS[:1], *WINDOW)

    result = map_slot_bundle(httpx.get(url).content, kind)

    assert result.slots == []
    assert [rejection.code for rejection in result.rejected] == [RejectionCode.BROKEN_REFERENCE] * 2


def test_healthy_clears_the_faults(editor: FakeEditor) -> None:
    editor.fail_with(500)
    editor.garbage()
    editor.healthy()

    assert poll(editor, DOCTORS[:1]).status_code == 200


# --- bookings (flux 6a) ------------------------------------------------------------------------------


def booking(slot_id: str) -> dict[str, object]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [
            {
                "actor": {"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": DOCTORS[0]}},
                "status": "accepted",
            }
        ],
    }


def test_a_booking_takes_the_slot_once(editor: FakeEditor) -> None:
    [slot_id] = editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)

    created = httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id))
    again = httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id))

    assert created.status_code == 201
    assert created.headers["location"].startswith(f"{editor.base_url}/Appointment/")
    assert again.status_code == 409
    assert again.json()["issue"][0]["code"] == "conflict"
    assert map_slot_bundle(poll(editor, DOCTORS[:1]).content, EditorKind.PS).slots == []
    assert len(editor.appointments) == 1


def test_bookings_can_be_refused_and_malformed_ones_are_400(editor: FakeEditor) -> None:
    [slot_id] = editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)
    editor.refuse_bookings(422)

    refused = httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id))
    editor.accept_bookings()
    malformed = httpx.post(f"{editor.base_url}/Appointment", content=b'{"resourceType": "Appointment"}')

    assert refused.status_code == 422
    assert refused.json()["resourceType"] == "OperationOutcome"
    assert malformed.status_code == 400
    assert httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id)).status_code == 201


def test_an_unknown_route_is_a_404_outcome(editor: FakeEditor) -> None:
    response = httpx.get(f"{editor.base_url}/Patient")

    assert response.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize(("mode", "status"), [("409", 409), ("422", 422), ("503", 503), ("201", 201)])
def test_bookings_are_answered_on_demand_over_http_and_searches_are_not(
    editor: FakeEditor, mode: str, status: int
) -> None:
    [slot_id] = editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)
    control = editor.base_url.removesuffix("/fhir") + "/_control/bookings"

    switched = httpx.post(control, json={"answer": mode})
    booked = httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id))

    assert (switched.status_code, switched.json()) == (200, {"bookings": mode})
    assert booked.status_code == status
    assert poll(editor, DOCTORS[:1]).status_code == 200
    assert len(editor.appointments) == (1 if status == 201 else 0)


def test_a_slow_booking_answer_waits(editor: FakeEditor, monkeypatch: pytest.MonkeyPatch) -> None:
    [slot_id] = editor.add_practitioner_slots(DOCTORS[0], [at(1)], PLACE)
    monkeypatch.setattr("sas_local.fhir_editor.SLOW_BOOKING_SECONDS", 0.5)
    editor.answer_bookings("slow")

    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{editor.base_url}/Appointment", json=booking(slot_id), timeout=0.2)


def test_an_unknown_booking_answer_is_refused(editor: FakeEditor) -> None:
    control = editor.base_url.removesuffix("/fhir") + "/_control/bookings"

    refused = httpx.post(control, json={"answer": "418"})

    assert refused.status_code == 400
    assert "unknown booking answer" in refused.json()["error"]
