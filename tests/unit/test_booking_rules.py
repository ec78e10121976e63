"""The booking's rules, table-driven: which flow a slot takes, which status may follow which, when the
regulator may decide, and what an editor's answer to the booking means."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sas_common.booking import editor, rules
from sas_common.booking.model import FINAL, Flow, PatientContact, Status
from sas_common.errors import Conflict
from sas_common.slots.model import ConsultationType, Slot
from sas_common.territory import EditorConfig, EditorKind, EditorLevel

START = datetime(2026, 12, 4, 9, tzinfo=UTC)
DOCTOR = "810000000001"
ASSOCIATION = "312345678900012"


def slot(source: str = "ed", owner: str = DOCTOR, doctor: str | None = None) -> Slot:
    return Slot(
        source=source,
        national_id=owner,
        slot_key="k",
        start=START,
        end=START + timedelta(minutes=15),
        consultation_types=(ConsultationType.CABINET,),
        doctor_id=doctor,
        editor_id=None if source == "manual" else source,
    )


def editor_of(level: EditorLevel) -> EditorConfig:
    return EditorConfig(
        id="ed",
        name="Éditeur",
        kind=EditorKind.PS,
        level=level,
        fhir_base_url="https://editor.example/fhir",
        poll_every_minutes=5,
    )


L1, L2 = EditorLevel.SLOTS_ONLY, EditorLevel.END_TO_END_BOOKING


@pytest.mark.parametrize(
    ("source", "owner", "doctor", "level", "flow"),
    [
        ("manual", DOCTOR, None, None, Flow.PHONE_CALLBACK),
        ("ed", DOCTOR, None, L1, Flow.PHONE_CALLBACK),
        ("ed", DOCTOR, None, L2, Flow.EDITOR),
        ("ed", ASSOCIATION, None, L2, Flow.PHONE_CALLBACK),  # an SOS site, no doctor named
        ("ed", ASSOCIATION, DOCTOR, L2, Flow.EDITOR),  # an SOS site naming its doctor on duty
        ("ed", ASSOCIATION, DOCTOR, L1, Flow.PHONE_CALLBACK),
        ("ed", DOCTOR, None, None, Flow.PHONE_CALLBACK),  # the editor left the territory
    ],
    ids=["manual", "level-1", "level-2", "sos-no-doctor", "sos-doctor", "sos-level-1", "editor-gone"],
)
def test_the_flow_follows_the_slot(
    source: str, owner: str, doctor: str | None, level: EditorLevel | None, flow: Flow
) -> None:
    assert rules.flow_of(slot(source, owner, doctor), editor_of(level) if level else None) is flow


ALLOWED = {
    (Status.PENDING, Status.CONFIRMED),
    (Status.PENDING, Status.FAILED),
    (Status.AWAITING_CONFIRMATION, Status.CONFIRMED),
    (Status.AWAITING_CONFIRMATION, Status.CANCELLED),
    (Status.AWAITING_CONFIRMATION, Status.EXPIRED),
}


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("wanted", list(Status))
def test_which_status_may_follow_which(current: Status, wanted: Status) -> None:
    if (current, wanted) in ALLOWED:
        rules.check_transition(current, wanted)
        return
    with pytest.raises(Conflict) as refused:
        rules.check_transition(current, wanted)
    assert refused.value.rule == ("booking_final" if current in FINAL else "not_awaiting_confirmation")


@pytest.mark.parametrize(
    ("current", "rule"),
    [
        (Status.AWAITING_CONFIRMATION, None),
        (Status.PENDING, "not_awaiting_confirmation"),  # the editor's answer decides
        *((status, "booking_final") for status in sorted(FINAL)),
    ],
)
def test_the_regulator_decides_only_a_booking_awaiting_confirmation(
    current: Status, rule: str | None
) -> None:
    if rule is None:
        rules.check_decision(current)
        return
    with pytest.raises(Conflict) as refused:
        rules.check_decision(current)
    assert refused.value.rule == rule


def answer(status: int, body: object = None, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    return httpx.Response(status, content=content, headers=headers)


OUTCOME = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "diagnostics": "slot taken"}]}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (answer(201, {}, location="https://e/Appointment/1"), (True, "https://e/Appointment/1", None, False)),
        (answer(200, {"resourceType": "Appointment", "id": "a9"}), (True, "Appointment/a9", None, False)),
        (answer(201, {"resourceType": "Patient", "id": "p"}), (False, None, "HTTP 201 without", False)),
        (answer(200, b"<html>busy</html>"), (False, None, "HTTP 200 without", False)),
        (answer(409, OUTCOME), (False, None, "HTTP 409: slot taken", True)),
        (answer(410, OUTCOME), (False, None, "HTTP 410: slot taken", True)),
        (answer(422, OUTCOME), (False, None, "HTTP 422: slot taken", True)),
        (answer(400, b"bad request"), (False, None, "HTTP 400: bad request", False)),
        (answer(403, {"unexpected": 1}), (False, None, "HTTP 403: ", False)),
    ],
    ids=["201-location", "200-body", "201-not-appointment", "200-garbage", "409", "410", "422", "400", "403"],
)
def test_what_an_editors_answer_means(
    response: httpx.Response, expected: tuple[bool, str | None, str | None, bool]
) -> None:
    got = editor._answer(response)
    booked, record, reason, gone = expected
    assert (got.booked, got.record, got.slot_gone) == (booked, record, gone)
    if reason is None:
        assert got.reason is None
    else:
        assert got.reason is not None
        assert got.reason.startswith(reason)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_busy_editor_is_asked_again(status: int) -> None:
    with pytest.raises(editor.EditorBusy):
        editor._answer(answer(status, OUTCOME))


def test_a_long_reason_is_cut() -> None:
    long = {"issue": [{"diagnostics": "x" * 5000}]}
    got = editor._answer(answer(409, long))
    assert got.reason is not None
    assert len(got.reason) <= len("HTTP 409: ") + editor.REASON_MAX


def test_the_patients_contact_never_shows_in_a_repr() -> None:
    contact = PatientContact(phone="+33612345678", email="p@example.org")
    assert "612345678" not in repr(contact)
    assert "p@example.org" not in str(contact)
