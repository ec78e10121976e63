"""Booking over HTTP on the local platform: each branch of the state machine (the CDK-synthesised ASL,
run by moto's interpreter, its Lambda tasks the booking function's steps), the hold that prevents a double
booking, the regulator's checks, the Idempotency-Key, and the patient's contact kept out of every table,
log and execution history.

Editor bookings go to the FHIR test double (`FakeEditor`), which answers POST Appointment as a level-2
editor does, or fails on demand.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from bookings import (
    SECRETARIAT,
    book,
    editor_slot,
    execution_arn,
    execution_status,
    follow,
    holds,
    manual_availability,
    manual_slots,
    participating_doctor,
    regulator,
    slot_item,
)
from botocore.stub import Stubber

from sas_common.auth import Principal, Role
from sas_common.booking import service
from sas_common.booking.model import BookingRequest
from sas_common.errors import Conflict
from sas_common.observability import logger
from sas_common.runtime import Runtime
from sas_common.slots.keys import MANUAL_SOURCE, source_pk
from sas_common.slots.model import BOOKED, HOLD_PREFIX, slot_id
from sas_common.stores.workflows import WorkflowStore
from sas_common.tables import TABLES, TableDef
from sas_common.territory import EditorConfig, TerritoryConfig
from sas_local.fhir_editor import FakeEditor
from sas_local.lambdas import REGION
from support import Client, TerritoryEditors

PHONE = "+33 6 12 34 56 78"
EMAIL = "patient.private@example.org"


# --- helpers ------------------------------------------------------------------------------------------------


@pytest.fixture
def editor(fake: FakeEditor, territory_editors: TerritoryEditors) -> EditorConfig:
    """A level-2 editor of the territory served by the test double, answering fast or not at all."""
    return territory_editors.add(fake, read_timeout_seconds=1)


# --- the editor flow ----------------------------------------------------------------------------------------


def test_a_level_two_slot_is_booked_at_the_editor_with_the_patients_contact(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig
) -> None:
    slot, national_id = editor_slot(rt, fake, editor)
    token = regulator(client)

    answer = book(client, slot, token, {"phone": PHONE, "email": EMAIL})

    assert answer.status == 201, answer.body
    created = answer.json()
    assert (created["flow"], created["status"], created["slot_id"]) == ("editor", "pending", slot)
    booking = follow(client, created["id"], token)
    assert booking["status"] == "confirmed", booking
    assert booking["editor_record"].endswith("/Appointment/appt-1")
    [sent] = fake.appointments
    assert sent["status"] == "booked"
    assert sent["contained"][0]["telecom"] == [
        {"system": "phone", "value": PHONE},
        {"system": "email", "value": EMAIL},
    ]
    assert national_id in json.dumps(sent["participant"])
    assert holds(slot_item(rt, slot)) == {HOLD_PREFIX + created["id"]: "booked"}
    assert execution_status(created["id"]) == "SUCCEEDED"


def _editor_requests(fake: FakeEditor) -> int:
    return sum(1 for request in fake.requests if request.method == "POST")


@pytest.mark.parametrize(
    ("refusal", "gone"), [(409, True), (422, True), (400, False)], ids=["409", "422", "400"]
)
def test_an_editor_refusal_fails_the_booking_with_its_reason(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig, refusal: int, gone: bool
) -> None:
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)
    fake.refuse_bookings(refusal)

    created = book(client, slot, token, {"phone": PHONE}).json()
    booking = follow(client, created["id"], token)

    assert booking["status"] == "failed"
    assert booking["reason"] == f"HTTP {refusal}: the editor refuses the booking"
    assert _editor_requests(fake) == 1  # a refusal is an answer: not retried
    item = slot_item(rt, slot)
    if gone:  # taken or unbookable at the editor: no longer offered
        assert item == {}
    else:  # our request was refused, not the slot: offered again
        assert (holds(item), item[BOOKED]) == ({}, 0)
    assert execution_status(created["id"]) == "SUCCEEDED"


def test_a_busy_editor_is_asked_again_then_books(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig
) -> None:
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)
    fake.fail_with(503, times=1)

    booking = follow(client, book(client, slot, token).json()["id"], token)

    assert booking["status"] == "confirmed"
    assert _editor_requests(fake) == 2


@pytest.mark.parametrize("fault", ["503", "429", "slow", "down"])
def test_an_editor_down_or_slow_fails_the_booking_and_gives_the_slot_back(
    client: Client, rt: Runtime, territory_editors: TerritoryEditors, fault: str
) -> None:
    fake = FakeEditor().start()  # its own: "down" stops it
    editor = territory_editors.add(fake, read_timeout_seconds=1)
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)
    if fault == "slow":
        fake.delay(1.5)  # beyond the editor's 1 s read timeout
    elif fault == "down":
        fake.stop()
    else:
        fake.fail_with(int(fault))

    created = book(client, slot, token, {"phone": PHONE}).json()
    booking = follow(client, created["id"], token)

    assert (booking["status"], booking["reason"]) == ("failed", "the editor could not be reached")
    item = slot_item(rt, slot)
    assert (holds(item), item[BOOKED]) == ({}, 0)  # offered again
    if fault != "down":
        assert _editor_requests(fake) == 3  # the first call and two retries
        fake.stop()
    assert execution_status(created["id"]) == "SUCCEEDED"


def test_a_garbage_answer_is_not_a_booking(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig
) -> None:
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)
    fake.garbage()

    booking = follow(client, book(client, slot, token).json()["id"], token)

    assert booking["status"] == "failed"
    assert "without the Appointment created" in booking["reason"]
    assert holds(slot_item(rt, slot)) == {}


def test_a_crash_of_the_editor_step_is_compensated(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task fails with an error the state machine does not retry (a bug, a KMS outage...): the
    booking fails and the hold is given back, nothing left pending."""
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)

    def crash(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the steps function crashed")

    monkeypatch.setattr(service, "call_editor", crash)
    created = book(client, slot, token, {"phone": PHONE}).json()
    booking = follow(client, created["id"], token)

    assert (booking["status"], booking["reason"]) == ("failed", "the editor could not be reached")
    item = slot_item(rt, slot)
    assert (holds(item), item[BOOKED]) == ({}, 0)
    assert fake.appointments == []
    assert execution_status(created["id"]) == "SUCCEEDED"


# --- the phone flow -----------------------------------------------------------------------------------------


def test_a_manual_slot_is_held_while_the_regulator_phones_then_confirmed(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)
    token = regulator(client)

    answer = book(client, slot, token)

    assert answer.status == 201, answer.body
    created = answer.json()
    assert (created["flow"], created["status"]) == ("phone_callback", "awaiting_confirmation")
    assert created["callback"]["phones"][0] == SECRETARIAT
    assert created["callback"]["info"] == "Appeler le secrétariat"
    confirm_before = datetime.fromisoformat(created["callback"]["confirm_before"])
    assert confirm_before == datetime.fromisoformat(created["created_at"]) + timedelta(minutes=15)
    assert holds(slot_item(rt, slot)) == {HOLD_PREFIX + created["id"]: "held"}

    confirmed = client.post(f"/bookings/{created['id']}/confirm", token=token)

    assert confirmed.status == 200, confirmed.body
    assert confirmed.json()["status"] == "confirmed"
    assert holds(slot_item(rt, slot)) == {HOLD_PREFIX + created["id"]: "booked"}
    assert execution_status(created["id"]) == "SUCCEEDED"
    for decision in ("confirm", "cancel"):  # the outcome is final
        again = client.post(f"/bookings/{created['id']}/{decision}", token=token)
        assert (again.status, again.json()["rule"]) == (409, "booking_final")
    assert follow(client, created["id"], token)["status"] == "confirmed"


def test_a_cancelled_phone_booking_gives_the_slot_back(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)
    token = regulator(client)
    created = book(client, slot, token).json()

    cancelled = client.post(f"/bookings/{created['id']}/cancel", token=token)

    assert cancelled.status == 200, cancelled.body
    assert (cancelled.json()["status"], cancelled.json()["reason"]) == (
        "cancelled",
        "cancelled by the regulator",
    )
    item = slot_item(rt, slot)
    assert (holds(item), item[BOOKED]) == ({}, 0)
    assert execution_status(created["id"]) == "SUCCEEDED"
    assert book(client, slot, token).status == 201  # offered again


def test_a_phone_booking_not_confirmed_in_time_expires(
    client: Client, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TerritoryConfig, "phone_confirmation_seconds", property(lambda _self: 1))
    [slot, *_] = manual_slots(client, rt)
    token = regulator(client)
    created = book(client, slot, token).json()

    booking = follow(client, created["id"], token)

    assert (booking["status"], booking["reason"]) == ("expired", "no confirmation in time")
    item = slot_item(rt, slot)
    assert (holds(item), item[BOOKED]) == ({}, 0)
    late = client.post(f"/bookings/{created['id']}/confirm", token=token)
    assert (late.status, late.json()["rule"]) == (409, "booking_final")
    assert execution_status(created["id"]) == "SUCCEEDED"


def test_a_held_slot_stays_when_its_availability_is_deleted(client: Client, rt: Runtime) -> None:
    """The doctor deletes the availability while the regulator phones: the other slots go, the held one
    stays (hidden from search) until the booking is decided."""
    national_id = participating_doctor(rt)
    availability, [held, other, *_] = manual_availability(client, rt, national_id)
    token = regulator(client)
    created = book(client, held, token).json()
    mine = client.token("effecteur", national_id)

    deleted = client.request(
        "DELETE", f"/effecteurs/{national_id}/availabilities/{availability}?scope=series", token=mine
    )

    assert deleted.status == 204, deleted.body
    assert slot_item(rt, other) == {}
    assert holds(slot_item(rt, held)) == {HOLD_PREFIX + created["id"]: "held"}
    assert client.post(f"/bookings/{created['id']}/confirm", token=token).json()["status"] == "confirmed"


def test_a_range_takes_as_many_bookings_as_its_capacity(client: Client, rt: Runtime) -> None:
    [slot] = manual_slots(client, rt, mode="range", capacity=3)
    token = regulator(client)

    answers = [book(client, slot, token) for _ in range(4)]

    assert [a.status for a in answers] == [201, 201, 201, 409]
    assert answers[3].json()["rule"] == "slot_taken"
    assert slot_item(rt, slot)[BOOKED] == 3
    client.post(f"/bookings/{answers[0].json()['id']}/cancel", token=token)
    assert slot_item(rt, slot)[BOOKED] == 2
    assert book(client, slot, token).status == 201  # the place given back is taken again


def test_a_level_one_editor_slot_is_booked_by_phone(
    client: Client, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors
) -> None:
    editor = territory_editors.add(fake, level=1)
    slot, _ = editor_slot(rt, fake, editor)

    answer = book(client, slot, regulator(client))

    assert (answer.status, answer.json()["flow"]) == (201, "phone_callback")
    assert answer.json()["callback"]["phones"]


def test_the_patients_contact_is_for_an_editor_booking_only(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)

    answer = book(client, slot, regulator(client), {"phone": PHONE})

    assert (answer.status, answer.json()["rule"]) == (422, "contact_for_editor_only")
    assert holds(slot_item(rt, slot)) == {}


# --- what is refused ----------------------------------------------------------------------------------------


def test_a_slot_already_held_is_taken(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)
    assert book(client, slot, regulator(client, "reg-a")).status == 201

    second = book(client, slot, regulator(client, "reg-b"))

    assert (second.status, second.json()["rule"], second.json()["field"]) == (409, "slot_taken", "slot_id")


@pytest.mark.parametrize(
    "slot",
    [
        slot_id(source_pk(MANUAL_SOURCE, "810000000000"), "2030-01-01T09:00:00Z#nothing"),
        "not-a-slot-id",
        "A" * 1200,
    ],
    ids=["unknown", "tampered", "long"],
)
def test_an_unknown_or_tampered_slot_is_404(client: Client, slot: str) -> None:
    answer = book(client, slot, regulator(client))

    assert (answer.status, answer.json()["field"]) == (404, "slot_id")


def test_a_slot_that_has_ended_is_refused(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)
    later = datetime.now(UTC) + timedelta(days=3)
    regulating = Principal(subject="reg-booking", role=Role.REGULATOR)

    with pytest.raises(Conflict) as refused:
        service.book(rt, BookingRequest(slot_id=slot), regulating, now=later)

    assert refused.value.rule == "slot_ended"
    assert holds(slot_item(rt, slot)) == {}


def test_only_the_regulator_who_booked_follows_a_booking(client: Client, rt: Runtime) -> None:
    [slot, *_] = manual_slots(client, rt)
    created = book(client, slot, regulator(client, "reg-owner")).json()
    other = regulator(client, "reg-other")

    for method, path in (("GET", ""), ("POST", "/confirm"), ("POST", "/cancel")):
        answer = client.request(method, f"/bookings/{created['id']}{path}", token=other)
        assert answer.status == 403, (path, answer.body)
    assert client.get("/bookings/0123abcd", token=other).status == 404
    assert client.get("/bookings/not-hex!", token=other).status == 422
    effecteur = client.token("effecteur", "810000000001")
    assert client.get(f"/bookings/{created['id']}", token=effecteur).status == 403


def test_an_editor_booking_is_not_confirmed_by_the_regulator(
    client: Client, rt: Runtime, fake: FakeEditor, editor: EditorConfig
) -> None:
    """Its outcome is the editor's answer (the rule on a pending one: tests/unit/test_booking_rules.py)."""
    slot, _ = editor_slot(rt, fake, editor)
    token = regulator(client)
    created = book(client, slot, token).json()
    assert follow(client, created["id"], token)["status"] == "confirmed"

    for decision in ("confirm", "cancel"):
        answer = client.post(f"/bookings/{created['id']}/{decision}", token=token)
        assert (answer.status, answer.json()["rule"]) == (409, "booking_final")
    assert holds(slot_item(rt, slot)) == {HOLD_PREFIX + created["id"]: "booked"}


# --- retries ------------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_idempotency_key_answers_the_same_booking(client: Client, rt: Runtime) -> None:
    [slot, other_slot, *_] = manual_slots(client, rt)
    token = regulator(client)

    first = book(client, slot, token, key="retry-1")
    again = book(client, slot, token, key="retry-1")

    assert (first.status, again.status) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert slot_item(rt, slot)[BOOKED] == 1
    reused = book(client, other_slot, token, key="retry-1")
    assert (reused.status, reused.json()["rule"]) == (409, "idempotency_key_reused")
    # The key is the regulator's: another regulator's same key is another request.
    assert book(client, other_slot, regulator(client, "reg-else"), key="retry-1").status == 201
    # Without a key, a second request is a second attempt: the slot is taken.
    assert book(client, slot, token).json()["rule"] == "slot_taken"


def test_a_failed_first_attempt_leaves_the_key_free(
    client: Client, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Step Functions refusing the start: 502, the hold given back, the key free for the retry."""
    [slot, *_] = manual_slots(client, rt)
    token = regulator(client)
    with monkeypatch.context() as broken:
        broken.setattr(WorkflowStore, "start", _unavailable(WorkflowStore.start))
        failed = book(client, slot, token, key="retry-2")
    assert (failed.status, failed.json()["error"]) == (502, "upstream_unavailable")
    assert holds(slot_item(rt, slot)) == {}

    retried = book(client, slot, token, key="retry-2")

    assert retried.status == 201, retried.body


def _unavailable(start: Any) -> Any:
    """`WorkflowStore.start` on a Step Functions client that answers ServiceUnavailable."""

    def start_unavailable(self: WorkflowStore, name: str, execution_input: Any) -> str:
        client = boto3.client("stepfunctions", region_name=REGION)
        stubber = Stubber(client)
        stubber.add_client_error("start_execution", "ServiceUnavailable", http_status_code=503)
        stubber.activate()
        self._aws.__dict__["stepfunctions"] = client
        try:
            return str(start(self, name, execution_input))
        finally:
            del self._aws.__dict__["stepfunctions"]

    return start_unavailable


# --- the patient's contact ---------------------------------------------------------------------------------


def test_the_patients_contact_is_in_no_table_log_or_execution_history(
    client: Client,
    rt: Runtime,
    fake: FakeEditor,
    editor: EditorConfig,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Booked, refused, and failed with the contact given, every function logging at DEBUG: the contact
    reached the editor, and is nowhere else (its digits, its e-mail's local part)."""
    caplog.set_level(logging.DEBUG)  # every logger, the functions' own included
    logger.setLevel(logging.DEBUG)
    token = regulator(client)
    contact = {"phone": PHONE, "email": EMAIL}
    booked_slot, _ = editor_slot(rt, fake, editor)
    refused_slot, _ = editor_slot(rt, fake, editor)
    busy_slot, _ = editor_slot(rt, fake, editor)
    try:
        ids = [book(client, booked_slot, token, contact, key="privacy-1").json()["id"]]
        follow(client, ids[0], token)
        fake.refuse_bookings(422)
        ids.append(book(client, refused_slot, token, contact).json()["id"])
        follow(client, ids[1], token)
        fake.accept_bookings()
        fake.fail_with(503)
        ids.append(book(client, busy_slot, token, contact).json()["id"])
        assert follow(client, ids[2], token)["status"] == "failed"
    finally:
        logger.setLevel(os.environ["POWERTOOLS_LOG_LEVEL"])
    assert len([a for a in fake.appointments if "contained" in a]) == 1  # it did reach the editor

    secrets = ("612345678", "6 12 34 56 78", EMAIL, EMAIL.split("@")[0])
    tables = {table.logical_name: _all_items(rt, table) for table in TABLES}
    assert any(ids[0] in json.dumps(items, default=str) for items in tables.values())  # the scan sees them
    histories = [_history(booking_id) for booking_id in ids]
    sealed = [_sealed_contact(booking_id) for booking_id in ids]
    assert all(sealed)  # the contact travelled in the executions, sealed: not even base64 of it is readable
    opened = b" ".join(base64.b64decode(value) for value in sealed)
    captured = capfd.readouterr()
    logs = captured.out + captured.err + caplog.text
    for secret in secrets:
        for name, items in tables.items():
            assert secret not in json.dumps(items, default=str), (secret, name)
        for history in histories:
            assert secret not in history
        assert secret not in logs
        assert secret.encode() not in opened


def _all_items(rt: Runtime, table: TableDef) -> list[dict[str, Any]]:
    """Every item of a table (a test's Scan: the platform never scans)."""
    found = rt.aws.dynamodb.Table(rt.settings.table_name(table))
    items: list[dict[str, Any]] = []
    start: dict[str, Any] = {}
    while True:
        page = found.scan(**start)
        items.extend(page["Items"])
        if "LastEvaluatedKey" not in page:
            return items
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def _sealed_contact(booking_id: str) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    described = sfn.describe_execution(executionArn=execution_arn(booking_id))
    return str(json.loads(described["input"])["contact"])


def _history(booking_id: str) -> str:
    """The execution's whole history, inputs and outputs included, once it has ended."""
    execution_status(booking_id)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = execution_arn(booking_id)
    described = sfn.describe_execution(executionArn=arn)
    events = sfn.get_execution_history(executionArn=arn, includeExecutionData=True)["events"]
    return json.dumps({"execution": described, "events": events}, default=str)
