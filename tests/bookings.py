"""Booking on the local platform, as the tests of bookings and orientations drive it: slots to book (a
doctor's manual availability, or an editor double's slot polled in), a regulator's requests, and waiting
for a booking's execution to settle it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from polling import poll_editor
from sas_common.effecteurs.model import RegulatorInfo
from sas_common.participation import service as participation
from sas_common.participation.rules import Declaration
from sas_common.runtime import Runtime
from sas_common.slots.keys import MANUAL_SOURCE, source_pk, utc_text
from sas_common.slots.model import HOLD_PREFIX, slot_id, slot_key_of
from sas_common.tables import PK, SK
from sas_common.territory import EditorConfig
from sas_local.booking_flow import STATE_MACHINE_NAME
from sas_local.fhir_editor import FakeEditor, FakePlace
from sas_local.gateway import HttpResponse
from sas_local.lambdas import REGION
from support import Client, declaring, new_effecteur

WAIT_SECONDS = 20.0
FINAL = {"confirmed", "failed", "cancelled", "expired"}
PLACE = FakePlace("3 rue du Test", "31000", "Toulouse", lat=43.6, lon=1.44, phone="+33561000001")
SECRETARIAT = "+33561000002"


def regulator(client: Client, sub: str = "reg-booking") -> str:
    return client.token("regulator", sub)


def book(
    client: Client, slot: str, token: str, contact: dict[str, str] | None = None, key: str | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"slot_id": slot}
    if contact is not None:
        body["patient_contact"] = contact
    headers = {"idempotency-key": key} if key else None
    return client.post("/bookings", json_body=body, token=token, headers=headers)


def follow(client: Client, booking_id: str, token: str) -> dict[str, Any]:
    """The booking once its execution has settled it (GET until final)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        answer = client.get(f"/bookings/{booking_id}", token=token)
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.json()
        if body["status"] in FINAL:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"booking still {body['status']} after {WAIT_SECONDS} s")
        time.sleep(0.05)


def execution_status(booking_id: str) -> str:
    """The booking's execution's status once it has ended (it must end: none may stay running)."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = execution_arn(booking_id)
    deadline = time.monotonic() + WAIT_SECONDS
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        if time.monotonic() > deadline:
            raise AssertionError(f"execution {booking_id} still running")
        time.sleep(0.05)
    return status


def slot_item(rt: Runtime, slot: str) -> dict[str, Any]:
    key = slot_key_of(slot)
    assert key is not None
    item = rt.aws.dynamodb.Table(rt.slots.table_name).get_item(Key=key, ConsistentRead=True).get("Item")
    return dict(item) if item else {}


def holds(item: dict[str, Any]) -> dict[str, str]:
    return {name: str(value) for name, value in item.items() if name.startswith(HOLD_PREFIX)}


def editor_slot(rt: Runtime, fake: FakeEditor, editor: EditorConfig, hours: float = 3) -> tuple[str, str]:
    """A doctor showing `editor`'s slots, one free slot of theirs polled in; (slot id, national id)."""
    national_id = declaring(rt, editor.id)
    start = (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)
    [fake_id] = fake.add_practitioner_slots(national_id, [(start, start + timedelta(minutes=15))], PLACE)
    run = poll_editor(rt, editor, datetime.now(UTC))
    assert run.failed_batches == 0, run.as_dict()
    return slot_id(source_pk(editor.id, national_id), f"{utc_text(start)}#{fake_id}"), national_id


def manual_slots(
    client: Client, rt: Runtime, *, mode: str = "slots", capacity: int | None = None
) -> list[str]:
    """A participating doctor's manual availability tomorrow 10:00-11:00: its materialised slot ids."""
    return manual_availability(client, rt, participating_doctor(rt), mode=mode, capacity=capacity)[1]


def manual_availability(
    client: Client, rt: Runtime, national_id: str, *, mode: str = "slots", capacity: int | None = None
) -> tuple[str, list[str]]:
    """The doctor's availability tomorrow 10:00-11:00: its id and its materialised slot ids."""
    body: dict[str, Any] = {
        "place_id": "p1",
        "date": (datetime.now(UTC) + timedelta(days=1)).date().isoformat(),
        "start": "10:00",
        "end": "11:00",
        "mode": mode,
        "consultation_types": ["cabinet"],
        **({"slot_minutes": 20} if mode == "slots" else {"capacity": capacity}),
    }
    token = client.token("effecteur", national_id)
    created = client.post(f"/effecteurs/{national_id}/availabilities", json_body=body, token=token)
    assert created.status == 201, created.body
    pk = source_pk(MANUAL_SOURCE, national_id)
    items = rt.aws.dynamodb.Table(rt.slots.table_name).query(
        KeyConditionExpression=Key(PK).eq(pk), ConsistentRead=True
    )["Items"]
    return str(created.json()["id"]), [slot_id(pk, str(item[SK])) for item in items]


def participating_doctor(rt: Runtime) -> str:
    national_id = new_effecteur(rt)
    declaration = Declaration(
        participates=True, modality="individual", uses_interfaced_software=False, honour_two_hours=True
    )
    participation.save_effecteur(rt, national_id, declaration, by="test")
    rt.effecteurs.update_regulator_info(
        national_id, RegulatorInfo(text="Appeler le secrétariat", phones=[SECRETARIAT])
    )
    return national_id


def execution_arn(booking_id: str) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = next(
        m["stateMachineArn"]
        for m in sfn.list_state_machines()["stateMachines"]
        if m["name"] == STATE_MACHINE_NAME
    )
    return machine.replace(":stateMachine:", ":execution:") + f":{booking_id}"
