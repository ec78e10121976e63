"""INT_R03 appointment records: what is kept, what is refused and why, and that no patient data passes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from fhir_samples import appointment
from sas_common.fhir.appointment import AppointmentStatus, Identifier, parse_appointment
from sas_common.fhir.codes import SAS_TECHNICAL_ID_SYSTEM
from sas_common.fhir.errors import FhirError, InvalidAppointment, NotFhir, RejectedAppointment
from sas_common.fhir.outcome import error_outcome

DOCTOR = "810100050075"
EDITOR_UUID = "b6e39355-8a61-4556-b340-36f7b95fec6a"
REGULATOR_UUID = "3f0c8a43-8a1e-4c8c-9f59-5b1f6e1d2a10"
FR_CORE_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
PATIENT_NAME = "Dupont-Secret"
PATIENT = {
    "resourceType": "Patient",
    "id": "pat",
    "name": [{"family": PATIENT_NAME, "given": ["Jeanne"]}],
    "telecom": [{"system": "phone", "value": "+33600000000"}],
    "birthDate": "1950-01-01",
}


def test_a_booked_record_keeps_who_booked_with_whom_and_when() -> None:
    record = parse_appointment(json.dumps(appointment(slot=[{"reference": "Slot/slot-7"}])).encode())

    assert record.identifier == Identifier(
        "urn:oid:1.1.111.1.11.1.1.1", "b6e39355-8a61-4556-b340-36f7b95fec6a"
    )
    assert record.status is AppointmentStatus.BOOKED
    assert record.start == datetime(2022, 9, 4, 13, 0, tzinfo=UTC)
    assert record.end == datetime(2022, 9, 4, 13, 15, tzinfo=UTC)
    assert record.created == datetime(2022, 9, 4, 9, 0, tzinfo=UTC)
    assert record.operator == Identifier("urn:oid:1.2.250.1.71.4.2.1", "3456780581/11242343", "IDNPS")
    assert record.national_id == DOCTOR
    assert record.editor_id == "1"
    assert record.slot_references == ("Slot/slot-7",)


@pytest.mark.parametrize("status", ["booked", "fulfilled", "noshow", "cancelled", "pending"])
def test_each_status_of_the_flow_is_recorded(status: str) -> None:
    assert parse_appointment(appointment(status=status)).status == AppointmentStatus(status)


def test_a_regulator_without_national_id_is_named_by_the_sas_technical_id() -> None:
    record = appointment()
    record["extension"][0]["valueReference"]["identifier"] = {
        "type": {
            "coding": [
                {"system": "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "code": "INTRN"}
            ]
        },
        "system": SAS_TECHNICAL_ID_SYSTEM,
        "value": "3f0c8a43-8a1e-4c8c-9f59-5b1f6e1d2a10",
    }

    operator = parse_appointment(record).operator

    assert operator == Identifier(SAS_TECHNICAL_ID_SYSTEM, "3f0c8a43-8a1e-4c8c-9f59-5b1f6e1d2a10", "INTRN")


def test_the_guide_example_without_systems_nor_participant_status_is_read() -> None:
    record = appointment(participant=[{"actor": {"identifier": {"value": DOCTOR}}}])
    del record["created"]
    del record["extension"]

    parsed = parse_appointment(record)

    assert (parsed.national_id, parsed.operator, parsed.created) == (DOCTOR, None, None)


def test_a_cancellation_may_omit_its_times() -> None:
    record = appointment(status="cancelled")
    del record["start"], record["end"]

    parsed = parse_appointment(record)

    assert (parsed.status, parsed.start, parsed.end) == (AppointmentStatus.CANCELLED, None, None)


def test_patient_data_never_comes_out() -> None:
    record = appointment(
        contained=[PATIENT],
        participant=[
            *appointment()["participant"],
            {"actor": {"reference": "#pat", "display": PATIENT_NAME}, "status": "accepted"},
            {"actor": {"reference": "Patient/123", "display": PATIENT_NAME}, "status": "accepted"},
            {"actor": {"type": "Patient", "identifier": {"value": "1500101234567"}}, "status": "accepted"},
        ],
        patient={"name": PATIENT_NAME, "phone": "+33600000000"},  # not FHIR: an editor's addition
        comment="rappeler au 06",
    )

    parsed = parse_appointment(record)

    assert parsed.national_id == DOCTOR
    assert PATIENT_NAME not in repr(parsed)
    assert "+336" not in repr(parsed)
    assert "rappeler" not in repr(parsed)


def test_a_malformed_patient_does_not_make_the_record_fail() -> None:
    record = appointment(contained=[{**PATIENT, "birthDate": "not a date"}])
    record["participant"].append({"actor": {"reference": "#pat"}, "status": "accepted"})

    assert parse_appointment(record).national_id == DOCTOR


def _without(name: str) -> dict[str, Any]:
    record = appointment()
    del record[name]
    return record


@pytest.mark.parametrize(
    ("record", "error", "words"),
    [
        (b"<Appointment/>", NotFhir, "not JSON"),
        (b'{"status": "booked"}', NotFhir, "resourceType"),
        (appointment(resourceType="Slot"), InvalidAppointment, "expected an Appointment"),
        (appointment(start="tomorrow"), InvalidAppointment, "Appointment.start"),
        (appointment(participant="doctor"), InvalidAppointment, "Appointment.participant"),
        (appointment(status="arrived"), RejectedAppointment, "status 'arrived'"),
        (appointment(status="proposed"), RejectedAppointment, "status 'proposed'"),
        (_without("identifier"), RejectedAppointment, "no identifier"),
        (appointment(identifier=[{"value": "no-system"}]), RejectedAppointment, "no identifier"),
        (_without("start"), RejectedAppointment, "needs a start and an end"),
        (appointment(end="2022-09-04T14:00:00+01:00"), RejectedAppointment, "ends by its start"),
        (appointment(participant=[]), RejectedAppointment, "no participant"),
        (
            appointment(participant=[{"actor": {"identifier": {"value": "12345"}}, "status": "accepted"}]),
            RejectedAppointment,
            r"12345 is not 8 \+ RPPS",
        ),
        (
            appointment(
                participant=[
                    {"actor": {"identifier": {"value": DOCTOR}}, "status": "accepted"},
                    {"actor": {"identifier": {"value": "810000000022"}}, "status": "accepted"},
                ]
            ),
            RejectedAppointment,
            "several doctors",
        ),
    ],
)
def test_a_record_that_cannot_be_used_says_why(record: Any, error: type[FhirError], words: str) -> None:
    with pytest.raises(error, match=words) as raised:
        parse_appointment(record)

    assert raised.value.status == (422 if error is RejectedAppointment else 400)


def test_a_malformed_record_answers_an_operation_outcome_without_patient_values() -> None:
    record = appointment(contained=[PATIENT], start=PATIENT_NAME)

    with pytest.raises(InvalidAppointment) as raised:
        parse_appointment(record)
    outcome = error_outcome(raised.value)

    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["severity"] == "error"
    assert outcome["issue"][0]["code"] == "invalid"
    assert PATIENT_NAME not in json.dumps(outcome)


def test_a_rule_breaking_record_answers_a_business_rule_outcome() -> None:
    with pytest.raises(RejectedAppointment) as raised:
        parse_appointment(appointment(status="waitlist"))

    issue = error_outcome(raised.value)["issue"][0]
    assert (issue["code"], issue["expression"]) == ("business-rule", ["Appointment.status"])
