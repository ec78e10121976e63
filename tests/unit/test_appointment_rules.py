"""Rules of INT_R03 records from SOS editors: who may name no doctor, which slots a record references, whose
appointment it is, whom it meets the platform's booking on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fhir_samples import appointment
from sas_common.booking.model import Booking, Flow, Status
from sas_common.fhir.appointment import parse_appointment
from sas_common.fhir.errors import RejectedAppointment
from sas_common.orientations import rules
from sas_common.territory import EditorKind

SIRET = "33417374840002"
ASSOCIATION = "3" + SIRET
DOCTOR = "810100050075"
START = datetime(2030, 1, 7, 9, 0, tzinfo=UTC)
ADM = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "ADM"}]}


@pytest.mark.parametrize(
    ("kind", "required"), [(EditorKind.SOS, False), (EditorKind.PS, True), (EditorKind.CPTS, True)]
)
def test_only_an_sos_editor_may_name_no_doctor(kind: EditorKind, required: bool) -> None:
    assert rules.doctor_required(kind) is required


def test_a_record_naming_no_doctor_is_read_when_no_doctor_is_required() -> None:
    record = appointment(status="pending", participant=[{"type": [ADM], "status": "needs-action"}])

    assert parse_appointment(record, doctor_required=False).national_id is None
    with pytest.raises(RejectedAppointment, match="no participant is a doctor"):
        parse_appointment(record)


def test_a_doctor_named_is_kept_and_two_are_refused_even_when_none_is_required() -> None:
    assert parse_appointment(appointment(), doctor_required=False).national_id == DOCTOR
    two = appointment(
        participant=[
            {"actor": {"identifier": {"value": DOCTOR}}},
            {"actor": {"identifier": {"value": "810000000022"}}},
        ]
    )
    with pytest.raises(RejectedAppointment, match="several doctors"):
        parse_appointment(two, doctor_required=False)


@pytest.mark.parametrize(
    ("references", "ids"),
    [
        (["Slot/s-1"], ("s-1",)),
        (["https://editor.example/fhir/Slot/s-1/_history/2"], ("s-1",)),
        (["Slot/s-1", "Slot/s-1", "Slot/s-2"], ("s-1", "s-2")),
        (["Slot/s-1/"], ("s-1",)),
        (["Schedule/s-1", "s-1", "Slot/", "Slot"], ()),
        ([], ()),
    ],
)
def test_the_editors_slot_ids_a_record_references(references: list[str], ids: tuple[str, ...]) -> None:
    assert rules.editor_slot_ids(references) == ids


@pytest.mark.parametrize(
    ("owner", "association"),
    [(ASSOCIATION, True), (SIRET, False), (DOCTOR, False), ("0123456789", False), ("3" + DOCTOR, False)],
)
def test_an_association_is_three_and_a_siret(owner: str, association: bool) -> None:
    assert rules.is_association(owner) is association


def test_the_associations_showing_an_editor_are_its_sirets() -> None:
    assert rules.associations([DOCTOR, SIRET, "12345678901234"]) == (ASSOCIATION, "312345678901234")
    assert rules.associations([DOCTOR]) == ()


def test_the_slot_keys_of_each_association_at_the_start() -> None:
    long_id = "x" * 300
    keys = rules.slot_keys("sos-1", [ASSOCIATION, "312345678901234"], ["s-1", long_id], START)

    assert keys[0] == {"pk": f"SRC#sos-1#{ASSOCIATION}", "sk": "2030-01-07T09:00:00Z#s-1"}
    assert [key["pk"] for key in keys] == [f"SRC#sos-1#{ASSOCIATION}"] * 2 + ["SRC#sos-1#312345678901234"] * 2
    assert keys[1]["sk"].startswith("2030-01-07T09:00:00Z#h-")  # as a poll keyed the long id
    assert rules.slot_keys("sos-1", [], ["s-1"], START) == []


@pytest.mark.parametrize(
    ("owners", "found"),
    [
        ([], None),
        ([ASSOCIATION], ASSOCIATION),
        ([ASSOCIATION, ASSOCIATION], ASSOCIATION),
        ([ASSOCIATION, "3" + "1" * 14], None),
    ],
)
def test_one_owner_or_none(owners: list[str], found: str | None) -> None:
    assert rules.the_one(owners) == found


def booking(**changes: Any) -> Booking:
    fields: dict[str, Any] = {
        "id": "b-1",
        "flow": Flow.PHONE_CALLBACK,
        "status": Status.CONFIRMED,
        "regulator": "810000000001",
        "slot_pk": f"SRC#sos-1#{ASSOCIATION}",
        "slot_sk": "2030-01-07T09:00:00Z#s-1",
        "owner": ASSOCIATION,
        "source": "sos-1",
        "editor_id": "sos-1",
        "start": START,
        "end": START + timedelta(minutes=15),
        "created_at": START,
        "updated_at": START,
    }
    return Booking(**{**fields, **changes})


@pytest.mark.parametrize(
    ("bookings", "found"),
    [
        ([booking()], ASSOCIATION),
        ([booking(editor_id=None)], ASSOCIATION),  # the slot's source is the editor
        ([booking(editor_id="other", source="other")], None),
        ([booking(owner=DOCTOR)], None),  # a doctor's slot: not an association's
        ([booking(), booking(id="b-2", owner="3" + "1" * 14)], None),  # two associations: ambiguous
        ([booking(), booking(id="b-2")], ASSOCIATION),
        ([], None),
    ],
)
def test_the_association_the_operator_booked(bookings: list[Booking], found: str | None) -> None:
    assert rules.booked_association(bookings, "sos-1") == found


@pytest.mark.parametrize(
    ("item", "owners"),
    [
        ({"owner": ASSOCIATION, "national_id": DOCTOR}, (ASSOCIATION, DOCTOR)),
        ({"owner": ASSOCIATION}, (ASSOCIATION,)),
        ({"national_id": DOCTOR}, (DOCTOR,)),
        ({"owner": DOCTOR, "national_id": DOCTOR}, (DOCTOR,)),
        ({}, ()),
    ],
)
def test_whom_a_record_meets_the_booking_on(item: dict[str, Any], owners: tuple[str, ...]) -> None:
    assert rules.link_owners(item) == owners
    assert rules.unattached(item) is (owners == ())


@pytest.mark.parametrize(
    ("status", "participant"),
    [
        ("pending", "needs-action"),
        ("booked", "accepted"),
        ("fulfilled", "accepted"),
        ("cancelled", "accepted"),
    ],
)
def test_the_participant_status_read_back(status: str, participant: str) -> None:
    assert rules.participant_status(status) == participant
