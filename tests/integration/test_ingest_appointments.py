"""Flow INT_R03 through the HTTP API: create, replay, conditional update, history, errors, no patient data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from boto3.dynamodb.conditions import Key

from fhir_samples import EDITOR_SYSTEM, appointment
from sas_common import storage
from sas_common.fhir.appointment import Identifier, parse_appointment
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.orientations import appointments
from sas_common.runtime import Runtime
from sas_common.stores.orientations import link_key, record_pk
from sas_common.tables import ORIENTATIONS, PK
from sas_local import fhir_shapes as shapes
from support import Client, new_effecteur

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.service_resource import Table

EDITOR_ID = "demo-editor"
PATIENT_NAME = "Dupont-Secret"


def record_for(national_id: str, **overrides: Any) -> tuple[dict[str, Any], str]:
    value = str(uuid.uuid4())
    doctor = {"actor": {"identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, national_id, "IDNPS")}}
    body = appointment(
        identifier=[{"system": EDITOR_SYSTEM, "value": value}],
        participant=[doctor],
        **overrides,
    )
    return body, value


def send(client: Client, method: str, body: Any, *, query: str = "", token: str | None = None) -> Any:
    token = token or client.token("editor", "client-1", editor_id=EDITOR_ID)
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.request(
        method,
        "/fhir/Appointment" + query,
        body=raw,
        headers={"content-type": "application/fhir+json"},
        token=token,
    )


def orientations_table(rt: Runtime) -> Table:
    return rt.aws.dynamodb.Table(rt.settings.table_name(ORIENTATIONS))


def items_of(rt: Runtime, value: str) -> list[dict[str, Any]]:
    pk = record_pk(EDITOR_ID, appointments.appointment_id(Identifier(EDITOR_SYSTEM, value)))
    return storage.query_all(orientations_table(rt), KeyConditionExpression=Key(PK).eq(pk))


def test_create_then_replay_does_not_duplicate(rt: Runtime, client: Client) -> None:
    body, value = record_for(new_effecteur(rt))
    created = send(client, "POST", body)
    assert created.status == 201, created.body
    location = created.headers["location"]
    assert location.startswith("/fhir/Appointment/")
    assert created.json()["resourceType"] == "OperationOutcome"

    replay = send(client, "POST", body)
    assert replay.status == 200, replay.body
    assert replay.headers["location"] == location
    assert sorted(str(item["sk"])[:7] for item in items_of(rt, value)) == ["META", "STATUS#"]


def test_conditional_update_records_the_status_history(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id)
    location = send(client, "POST", body).headers["location"]

    cancelled = {**body, "status": "cancelled"}
    query = f"?identifier={EDITOR_SYSTEM}|{value}"
    updated = send(client, "PUT", cancelled, query=query)
    assert updated.status == 200, updated.body
    assert updated.headers["location"] == location
    again = send(client, "PUT", cancelled, query=query)
    assert again.status == 200

    statuses = [
        item["status"] for item in appointments.history(rt, EDITOR_ID, Identifier(EDITOR_SYSTEM, value))
    ]
    assert statuses == ["booked", "cancelled"]
    meta = appointments.load(rt, EDITOR_ID, Identifier(EDITOR_SYSTEM, value))
    assert meta is not None
    assert (meta["status"], meta["version"], meta["effecteur_pk"]) == ("cancelled", 2, f"EFF#{national_id}")

    index = ORIENTATIONS.index("by_effecteur")
    listed = orientations_table(rt).query(
        IndexName=index.name, KeyConditionExpression=Key(index.partition_key).eq(f"EFF#{national_id}")
    )["Items"]
    assert [item["sk"] for item in listed] == ["META"]  # once per record, not per status


def test_conditional_update_creates_when_absent(rt: Runtime, client: Client) -> None:
    body, value = record_for(new_effecteur(rt))
    response = send(client, "PUT", body, query=f"?identifier={EDITOR_SYSTEM}|{value}")
    assert response.status == 201, response.body
    assert response.headers["location"].startswith("/fhir/Appointment/")


@pytest.mark.parametrize(
    "query", ["", "?identifier=", "?identifier=no-separator", "?identifier=urn:oid:1.2|other-value"]
)
def test_conditional_update_needs_the_body_identifier_in_the_query(
    rt: Runtime, client: Client, query: str
) -> None:
    body, _ = record_for(new_effecteur(rt))
    response = send(client, "PUT", body, query=query)
    assert response.status == 400, response.body
    assert response.json()["resourceType"] == "OperationOutcome"


def test_no_patient_data_is_stored(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id)
    patient = {"resourceType": "Patient", "id": "pat", "name": [{"family": PATIENT_NAME}]}
    body["contained"] = [patient]
    body["participant"].append({"actor": {"reference": "#pat"}, "status": "accepted"})
    body["participant"].append({"actor": {"reference": "Patient/42", "display": PATIENT_NAME}})
    assert send(client, "POST", body).status == 201
    items = items_of(rt, value)
    assert len(items) == 2
    text = json.dumps(items, default=str)
    assert PATIENT_NAME not in text
    assert "Patient" not in text
    assert not any(name.startswith(("patient", "contained", "participant")) for i in items for name in i)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"not json", 400),
        (b'{"resourceType": "Bundle"}', 400),
        (b'{"resourceType": "Appointment", "status": 12}', 400),
    ],
)
def test_malformed_is_400_operation_outcome(client: Client, raw: bytes, status: int) -> None:
    response = send(client, "POST", raw)
    assert response.status == status, response.body
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert response.json()["resourceType"] == "OperationOutcome"


def test_rule_breaking_records_are_422(rt: Runtime, client: Client) -> None:
    body, _ = record_for(new_effecteur(rt), status="proposed")
    response = send(client, "POST", body)
    assert response.status == 422, response.body
    assert response.json()["issue"][0]["code"] == "business-rule"


def test_a_doctor_unknown_to_the_directory_is_422(rt: Runtime, client: Client) -> None:
    body, value = record_for("870999999998")
    response = send(client, "POST", body)
    assert response.status == 422, response.body
    assert "not in the platform's directory" in response.json()["issue"][0]["diagnostics"]
    assert items_of(rt, value) == []


def test_only_editors_send_records(rt: Runtime, client: Client) -> None:
    body, _ = record_for(new_effecteur(rt))
    response = send(client, "POST", body, token=client.token("regulator", "reg-1"))
    assert response.status == 403
    assert response.json()["resourceType"] == "OperationOutcome"


def test_the_location_reads_the_record_back_as_the_editor_changes_it(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id)
    body["participant"].append({"actor": {"reference": "Patient/42", "display": PATIENT_NAME}})
    location = send(client, "POST", body).headers["location"]
    editor_token = client.token("editor", "client-1", editor_id=EDITOR_ID)

    booked = client.get(location, token=editor_token)
    assert booked.status == 200, booked.body
    assert booked.headers["content-type"].startswith("application/fhir+json")
    resource = booked.json()
    assert (resource["resourceType"], resource["status"], resource["meta"]["versionId"]) == (
        "Appointment",
        "booked",
        "1",
    )
    assert resource["identifier"] == [{"system": EDITOR_SYSTEM, "value": value}]
    assert resource["participant"][0]["actor"]["identifier"]["value"] == national_id
    assert PATIENT_NAME.encode() not in booked.body
    assert len(resource["participant"]) == 1  # the doctor only

    send(client, "PUT", {**body, "status": "cancelled"}, query=f"?identifier={EDITOR_SYSTEM}|{value}")
    cancelled = client.get(location, token=editor_token).json()
    assert (cancelled["status"], cancelled["meta"]["versionId"]) == ("cancelled", "2")


@pytest.mark.parametrize(
    ("path", "editor_id", "status"),
    [
        (None, "other-editor", 403),  # not an editor of the territory
        ("/fhir/Appointment/" + "0" * 32, EDITOR_ID, 404),
        ("/fhir/Appointment/not-an-id", EDITOR_ID, 400),
    ],
    ids=["unknown-editor", "unknown-record", "malformed-id"],
)
def test_reading_a_record_that_is_not_the_callers(
    rt: Runtime, client: Client, path: str | None, editor_id: str, status: int
) -> None:
    body, _ = record_for(new_effecteur(rt))
    location = path or send(client, "POST", body).headers["location"]
    response = client.get(location, token=client.token("editor", "client-2", editor_id=editor_id))
    assert response.status == status, response.body
    assert response.json()["resourceType"] == "OperationOutcome"


# The record's start (2022-09-04T14:00:00+01:00 in the sample) as the booking flow knows the slot's start.
BOOKED_START = datetime(2022, 9, 4, 13, 0, tzinfo=UTC)


def stored(rt: Runtime, value: str) -> dict[str, Any]:
    meta = appointments.load(rt, EDITOR_ID, Identifier(EDITOR_SYSTEM, value))
    assert meta is not None
    return meta


def test_a_record_arriving_after_the_platforms_booking_is_linked_to_it(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    assert appointments.booking_made(rt, EDITOR_ID, national_id, BOOKED_START, "booking-1") is None
    body, value = record_for(national_id)
    assert send(client, "POST", body).status == 201

    meta = stored(rt, value)
    assert meta["booking_id"] == "booking-1"
    # The editor's later changes keep the link, after its LINK item has expired too.
    orientations_table(rt).delete_item(Key=link_key(EDITOR_ID, national_id, BOOKED_START))
    send(client, "PUT", {**body, "status": "fulfilled"}, query=f"?identifier={EDITOR_SYSTEM}|{value}")
    meta = stored(rt, value)
    assert (meta["status"], meta["booking_id"]) == ("fulfilled", "booking-1")


def test_a_booking_made_after_the_record_came_finds_it(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id)
    location = send(client, "POST", body).headers["location"]

    found = appointments.booking_made(rt, EDITOR_ID, national_id, BOOKED_START, "booking-2")
    assert location == f"/fhir/Appointment/{found}"
    meta = stored(rt, value)
    assert meta["booking_id"] == "booking-2"
    # Made again (the booking flow retried): the same answer, nothing else changes.
    assert appointments.booking_made(rt, EDITOR_ID, national_id, BOOKED_START, "booking-2") == found


@pytest.mark.parametrize(
    ("editor_id", "start", "same_doctor"),
    [
        ("other-editor", BOOKED_START, True),
        (EDITOR_ID, BOOKED_START + timedelta(minutes=15), True),
        (EDITOR_ID, BOOKED_START, False),
    ],
    ids=["another-editor", "another-start", "another-doctor"],
)
def test_a_booking_of_another_slot_is_not_linked(
    rt: Runtime, client: Client, editor_id: str, start: datetime, same_doctor: bool
) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id)
    send(client, "POST", body)
    booked_doctor = national_id if same_doctor else new_effecteur(rt)
    assert appointments.booking_made(rt, editor_id, booked_doctor, start, "booking-3") is None
    meta = stored(rt, value)
    assert "booking_id" not in meta


def test_a_replay_completes_a_link_an_interrupted_create_left_undone(
    rt: Runtime, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    national_id = new_effecteur(rt)
    appointments.booking_made(rt, EDITOR_ID, national_id, BOOKED_START, "booking-4")
    body, value = record_for(national_id)

    def interrupted(*_: Any) -> str | None:
        raise RuntimeError("the function stopped here")

    with monkeypatch.context() as patched:
        patched.setattr(rt.orientations, "record_stored", interrupted)
        with pytest.raises(RuntimeError):
            appointments.create(rt, EDITOR_ID, parse_appointment(json.dumps(body)))
    meta = stored(rt, value)
    assert "booking_id" not in meta

    replay = send(client, "POST", body)
    assert replay.status == 200, replay.body
    meta = stored(rt, value)
    assert meta["booking_id"] == "booking-4"


def test_a_cancelled_record_without_times_links_to_nothing(rt: Runtime, client: Client) -> None:
    national_id = new_effecteur(rt)
    body, value = record_for(national_id, status="cancelled")
    del body["start"], body["end"]
    assert send(client, "POST", body).status == 201
    assert appointments.booking_made(rt, EDITOR_ID, national_id, BOOKED_START, "booking-5") is None
    meta = stored(rt, value)
    assert "booking_id" not in meta
