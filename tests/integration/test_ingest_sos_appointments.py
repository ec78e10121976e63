"""Flow INT_R03 from SOS Médecins editors (profile FrAppointmentSASSOS) through the HTTP API: a record naming
no doctor, only the operator, is kept for the SOS editor (and refused from any other editor), tied to the
association whose slot it is when the platform can tell, and linked to the platform's booking of that slot
whichever comes first. Nothing of the patient is stored.

Each test has its own SOS editor, association and regulator on the session's shared platform."""

from __future__ import annotations

import itertools
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from fhir_samples import EDITOR_SYSTEM, appointment
from sas_common import storage
from sas_common.booking.model import Booking, Flow, Status
from sas_common.fhir.appointment import Identifier
from sas_common.fhir.codes import APPOINTMENT_OPERATOR_EXTENSION
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.ingest.convert import slot_key
from sas_common.orientations import appointments
from sas_common.participation import service
from sas_common.participation.rules import StructureDeclaration
from sas_common.runtime import Runtime
from sas_common.slots.keys import source_pk, utc_text
from sas_common.slots.model import ConsultationType, Slot
from sas_common.stores.orientations import record_pk
from sas_common.tables import ORIENTATIONS, PK, structure_pk
from sas_common.territory import EditorConfig, EditorKind
from sas_local import fhir_shapes as shapes
from sas_local.fhir_editor import FakeEditor
from support import Client, TerritoryEditors

pytestmark = pytest.mark.usefixtures("platform")
PROFILE = "http://sas.fr/fhir/StructureDefinition/FrAppointmentSASSOS"
ADM = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "ADM"}]}
PATIENT_NAME = "Dupont-Secret"
_numbers = itertools.count(1)


def new_siret() -> str:
    return f"8{datetime.now(UTC):%H%M%S}{next(_numbers):07d}"


def new_regulator() -> str:
    return f"81{next(_numbers):04d}{datetime.now(UTC):%H%M%S}"


@pytest.fixture
def start() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)


@pytest.fixture
def sos(territory_editors: TerritoryEditors, fake: FakeEditor, rt: Runtime) -> tuple[EditorConfig, str]:
    """An SOS editor of the territory and an association (its `3` + SIRET) that listed it."""
    editor = territory_editors.add(fake, prefix="sos", kind=EditorKind.SOS)
    siret = new_siret()
    declaration = StructureDeclaration(
        kind="sos_medecins",
        structure_name="SOS Médecins Toulouse",
        participates=True,
        doctors=4,
        honour_two_hours_per_doctor=True,
        editors=[editor.id],
    )
    service.declare_structure(rt, siret, declaration, by="test")
    return editor, "3" + siret


def sos_record(
    start: datetime, regulator: str, *, status: str = "pending", slot_id: str | None = None
) -> tuple[dict[str, Any], str]:
    """An SOS record as the guide's example writes it: the operator, times, a participant of type ADM."""
    value = str(uuid.uuid4())
    body = appointment(
        meta={"profile": [PROFILE]},
        identifier=[{"system": EDITOR_SYSTEM, "value": value}],
        extension=[
            {
                "url": APPOINTMENT_OPERATOR_EXTENSION,
                "valueReference": {
                    "identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, regulator, "IDNPS")
                },
            }
        ],
        status=status,
        start=start.isoformat(),
        end=(start + timedelta(minutes=15)).isoformat(),
        participant=[{"type": [ADM], "status": "needs-action" if status == "pending" else "accepted"}],
    )
    if slot_id is not None:
        body["slot"] = [{"reference": f"Slot/{slot_id}"}]
    return body, value


def send(client: Client, editor_id: str, method: str, body: Any, query: str = "") -> Any:
    token = client.token("editor", f"{editor_id}-client", editor_id=editor_id)
    return client.request(
        method,
        "/fhir/Appointment" + query,
        body=json.dumps(body).encode(),
        headers={"content-type": "application/fhir+json"},
        token=token,
    )


def put(client: Client, editor_id: str, body: dict[str, Any], value: str, status: str) -> Any:
    changed = {**body, "status": status, "participant": [{"type": [ADM], "status": "accepted"}]}
    return send(client, editor_id, "PUT", changed, f"?identifier={EDITOR_SYSTEM}|{value}")


def meta_of(rt: Runtime, editor_id: str, value: str) -> dict[str, Any]:
    meta = appointments.load(rt, editor_id, Identifier(EDITOR_SYSTEM, value))
    assert meta is not None
    return meta


def items_of(rt: Runtime, editor_id: str, value: str) -> list[dict[str, Any]]:
    pk = record_pk(editor_id, appointments.appointment_id(Identifier(EDITOR_SYSTEM, value)))
    table = rt.aws.dynamodb.Table(rt.settings.table_name(ORIENTATIONS))
    return storage.query_all(table, KeyConditionExpression=Key(PK).eq(pk))


def issues(response: Any) -> list[tuple[str, str]]:
    return [(issue["severity"], issue["diagnostics"]) for issue in response.json()["issue"]]


def add_slot(rt: Runtime, editor: EditorConfig, owner: str, start: datetime, slot_id: str) -> None:
    """The association's slot as the platform holds it after a poll of the SOS editor."""
    slot = Slot(
        source=editor.id,
        national_id=owner,
        slot_key=slot_key(slot_id),
        start=start,
        end=start + timedelta(minutes=15),
        consultation_types=(ConsultationType.CABINET,),
        editor_id=editor.id,
        editor_level=int(editor.level),
    )
    rt.slots.replace_slots(editor.id, owner, start - timedelta(hours=1), start + timedelta(hours=1), [slot])


def add_booking(rt: Runtime, editor_id: str, owner: str, start: datetime, regulator: str) -> str:
    """The platform's booking of the association's slot by that regulator (a phone booking, confirmed)."""
    booking = Booking(
        id=uuid.uuid4().hex,
        flow=Flow.PHONE_CALLBACK,
        status=Status.CONFIRMED,
        regulator=regulator,
        slot_pk=source_pk(editor_id, owner),
        slot_sk=f"{utc_text(start)}#slot",
        owner=owner,
        source=editor_id,
        editor_id=editor_id,
        start=start,
        end=start + timedelta(minutes=15),
        created_at=start - timedelta(hours=1),
        updated_at=start - timedelta(hours=1),
    )
    rt.orientations.create_booking(booking, structure_pk(owner[1:]))
    return booking.id


def test_an_sos_record_naming_only_the_operator_is_kept_replayed_and_read_back(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, _ = sos
    body, value = sos_record(start, new_regulator())

    created = send(client, editor.id, "POST", body)
    assert created.status == 201, created.body
    location = created.headers["location"]
    assert location.startswith("/fhir/Appointment/")
    assert ("warning", issues(created)[1][1]) == issues(created)[1]
    assert "recorded for the editor only" in issues(created)[1][1]

    replay = send(client, editor.id, "POST", body)
    assert replay.status == 200, replay.body
    assert replay.headers["location"] == location
    assert sorted(str(item["sk"])[:7] for item in items_of(rt, editor.id, value)) == ["META", "STATUS#"]
    meta = meta_of(rt, editor.id, value)
    assert "national_id" not in meta
    assert "owner" not in meta
    assert "effecteur_pk" not in meta  # no one's orientations list it until it is tied

    token = client.token("editor", f"{editor.id}-client", editor_id=editor.id)
    read = client.get(location, token=token)
    assert read.status == 200, read.body
    resource = read.json()
    assert (resource["status"], resource["meta"]["versionId"]) == ("pending", "1")
    assert resource["identifier"] == [{"system": EDITOR_SYSTEM, "value": value}]
    assert resource["participant"] == [{"type": [ADM], "status": "needs-action"}]
    assert resource["start"] == utc_text(start)


def test_an_sos_record_goes_pending_booked_fulfilled_with_its_history(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, _ = sos
    body, value = sos_record(start, new_regulator())
    location = send(client, editor.id, "POST", body).headers["location"]

    for status in ("booked", "fulfilled"):
        updated = put(client, editor.id, body, value, status)
        assert updated.status == 200, updated.body
        assert updated.headers["location"] == location

    history = appointments.history(rt, editor.id, Identifier(EDITOR_SYSTEM, value))
    assert [item["status"] for item in history] == ["pending", "booked", "fulfilled"]
    token = client.token("editor", f"{editor.id}-client", editor_id=editor.id)
    resource = client.get(location, token=token).json()
    assert (resource["status"], resource["meta"]["versionId"]) == ("fulfilled", "3")
    assert resource["participant"] == [{"type": [ADM], "status": "accepted"}]


@pytest.mark.parametrize("kind", [EditorKind.PS, EditorKind.CPTS])
def test_a_record_naming_no_doctor_from_another_editor_is_still_422(
    rt: Runtime,
    client: Client,
    territory_editors: TerritoryEditors,
    fake: FakeEditor,
    start: datetime,
    kind: EditorKind,
) -> None:
    editor = territory_editors.add(fake, prefix=kind.value, kind=kind)
    body, value = sos_record(start, new_regulator())

    response = send(client, editor.id, "POST", body)

    assert response.status == 422, response.body
    assert "no participant is a doctor" in response.json()["issue"][0]["diagnostics"]
    assert items_of(rt, editor.id, value) == []


def test_a_record_of_a_known_sos_slot_carries_the_association(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    add_slot(rt, editor, association, start, "sos-slot-1")
    body, value = sos_record(start, new_regulator(), slot_id="sos-slot-1")

    created = send(client, editor.id, "POST", body)

    assert created.status == 201, created.body
    assert issues(created)[1] == ("information", f"tied to the SOS association {association}")
    meta = meta_of(rt, editor.id, value)
    assert (meta["owner"], meta["effecteur_pk"]) == (association, structure_pk(association[1:]))
    index = ORIENTATIONS.index("by_effecteur")
    table = rt.aws.dynamodb.Table(rt.settings.table_name(ORIENTATIONS))
    listed = table.query(
        IndexName=index.name, KeyConditionExpression=Key(index.partition_key).eq(meta["effecteur_pk"])
    )["Items"]
    assert [item["pk"] for item in listed] == [meta["pk"]]  # the association's orientations show it

    # The editor's later changes keep the association, though they no longer name the slot.
    del body["slot"]
    assert put(client, editor.id, body, value, "booked").status == 200
    meta = meta_of(rt, editor.id, value)
    assert (meta["status"], meta["owner"]) == ("booked", association)


def test_a_slot_of_an_association_that_did_not_list_the_editor_ties_nothing(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, _ = sos
    stranger = "3" + new_siret()  # holds the slot, but never listed this editor
    add_slot(rt, editor, stranger, start, "sos-slot-2")
    body, value = sos_record(start, new_regulator(), slot_id="sos-slot-2")

    created = send(client, editor.id, "POST", body)

    assert created.status == 201, created.body
    assert issues(created)[1][0] == "warning"
    assert "owner" not in meta_of(rt, editor.id, value)


def test_a_record_without_slot_is_tied_by_the_operators_booking(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    regulator = new_regulator()
    add_booking(rt, editor.id, association, start, regulator)
    add_booking(rt, "another-editor", "3" + new_siret(), start, regulator)  # not this editor's: ignored
    body, value = sos_record(start, regulator)

    assert send(client, editor.id, "POST", body).status == 201

    assert meta_of(rt, editor.id, value)["owner"] == association


def test_another_regulators_booking_ties_nothing(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    add_booking(rt, editor.id, association, start, new_regulator())
    body, value = sos_record(start, new_regulator())

    assert send(client, editor.id, "POST", body).status == 201

    assert "owner" not in meta_of(rt, editor.id, value)


def test_a_booking_of_the_associations_slot_made_first_is_linked_when_the_record_comes(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    add_slot(rt, editor, association, start, "sos-slot-3")
    assert appointments.booking_made(rt, editor.id, association, start, "sos-booking-1") is None
    body, value = sos_record(start, new_regulator(), slot_id="sos-slot-3")

    location = send(client, editor.id, "POST", body).headers["location"]

    assert meta_of(rt, editor.id, value)["booking_id"] == "sos-booking-1"
    # The booking's side finds the record too (the booking flow retried).
    found = appointments.booking_made(rt, editor.id, association, start, "sos-booking-1")
    assert location == f"/fhir/Appointment/{found}"


def test_a_record_that_came_first_is_found_by_the_booking_of_the_associations_slot(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    add_slot(rt, editor, association, start, "sos-slot-4")
    body, value = sos_record(start, new_regulator(), slot_id="sos-slot-4")
    location = send(client, editor.id, "POST", body).headers["location"]

    found = appointments.booking_made(rt, editor.id, association, start, "sos-booking-2")

    assert location == f"/fhir/Appointment/{found}"
    assert meta_of(rt, editor.id, value)["booking_id"] == "sos-booking-2"


def test_an_unattached_record_meets_no_booking(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, association = sos
    body, value = sos_record(start, new_regulator())
    send(client, editor.id, "POST", body)

    assert appointments.booking_made(rt, editor.id, association, start, "sos-booking-3") is None
    assert "booking_id" not in meta_of(rt, editor.id, value)


def test_nothing_of_a_patient_participant_is_stored(
    rt: Runtime, client: Client, sos: tuple[EditorConfig, str], start: datetime
) -> None:
    editor, _ = sos
    body, value = sos_record(start, new_regulator())
    body["contained"] = [{"resourceType": "Patient", "id": "pat", "name": [{"family": PATIENT_NAME}]}]
    body["participant"].append({"actor": {"reference": "#pat"}, "status": "accepted"})
    body["participant"].append({"actor": {"reference": "Patient/42", "display": PATIENT_NAME}})

    response = send(client, editor.id, "POST", body)

    assert response.status == 201, response.body
    items = items_of(rt, editor.id, value)
    assert len(items) == 2
    text = json.dumps(items, default=str)
    assert PATIENT_NAME not in text
    assert "Patient" not in text
    assert not any(name.startswith(("patient", "contained", "participant")) for i in items for name in i)
