"""What comes from outside is bounded before it is stored: directory lines, editors' texts and URLs,
appointment identifiers, request bodies (sas_common.bodies)."""

from __future__ import annotations

import base64
import json

import pytest

from fhir_samples import appointment
from sas_common.bodies import MAX_DEPTH, MAX_INTEGER_DIGITS, check_body
from sas_common.directory.extract import COLUMNS, MAX_LINE_CHARS, Rejection, read_line
from sas_common.errors import InvalidInput, UnsupportedMediaType
from sas_common.fhir.appointment import IDENTIFIER_MAX, SLOT_REFERENCES_MAX, Identifier, parse_appointment
from sas_common.fhir.errors import RejectedAppointment
from sas_common.fhir.model import Place as EditorPlace
from sas_common.fhir.model import PractitionerName
from sas_common.fhir.slot_mapping import URL_MAX, _web_url
from sas_common.ingest.convert import editor_doctor
from sas_common.ingest.places import new_place
from sas_common.orientations.appointments import appointment_id
from sas_common.routes import Body
from sas_common.slots.model import SLOT_TEXT_MAX


def test_a_directory_line_longer_than_any_real_one_is_rejected_not_stored() -> None:
    line = "|".join(["x" * MAX_LINE_CHARS] + [""] * len(COLUMNS))
    outcome = read_line(line, 7, ["31"])
    assert isinstance(outcome, Rejection)
    assert outcome.line == 7
    assert f"longer than {MAX_LINE_CHARS}" in outcome.reason


def test_an_editors_place_and_doctor_names_are_kept_within_bounds() -> None:
    long = "y" * (SLOT_TEXT_MAX * 10)
    place = EditorPlace(None, long, (long,), long, long, None, None, long)
    made = new_place("ed", "ed-1", place, None)
    for text in (made.name, made.address, made.postal_code, made.city, made.phone):
        assert text is not None
        assert len(text) == SLOT_TEXT_MAX
    doctor = editor_doctor("ed", "810000000001", PractitionerName(long, (long,)))
    assert len(doctor.last_name) == SLOT_TEXT_MAX
    assert doctor.first_name is not None
    assert len(doctor.first_name) == SLOT_TEXT_MAX


@pytest.mark.parametrize(
    ("length", "kept"), [(URL_MAX, True), (URL_MAX + 1, False)], ids=["at the bound", "one over"]
)
def test_a_booking_url_longer_than_a_browser_follows_is_dropped(length: int, kept: bool) -> None:
    url = "https://e.example/" + "a" * (length - len("https://e.example/"))
    assert (_web_url(url) == url) is kept


def test_appointment_ids_never_collide_across_the_separator() -> None:
    assert appointment_id(Identifier("urn:a|b", "c")) != appointment_id(Identifier("urn:a", "b|c"))
    assert appointment_id(Identifier(None, "v")) == appointment_id(Identifier("", "v"))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identifier": [{"system": "s" * (IDENTIFIER_MAX + 1), "value": "v"}]}, "Appointment.identifier"),
        ({"identifier": [{"system": "s", "value": "v" * (IDENTIFIER_MAX + 1)}]}, "Appointment.identifier"),
        ({"slot": [{"reference": f"Slot/{n}"} for n in range(SLOT_REFERENCES_MAX + 1)]}, "Appointment.slot"),
        ({"start": "1999-12-31T23:59:00+00:00"}, "Appointment.start"),
        ({"end": "2100-01-01T00:15:00+00:00"}, "Appointment.end"),
    ],
)
def test_an_appointment_record_is_bounded(changes: dict[str, object], field: str) -> None:
    with pytest.raises(RejectedAppointment) as refused:
        parse_appointment(json.dumps(appointment(**changes)))
    assert refused.value.field == field


def test_an_appointment_record_at_its_bounds_is_read() -> None:
    record = appointment(
        identifier=[{"system": "s" * IDENTIFIER_MAX, "value": "v" * IDENTIFIER_MAX}],
        slot=[{"reference": f"Slot/{n}"} for n in range(SLOT_REFERENCES_MAX)],
        start="2000-01-01T00:00:00+00:00",
        end="2099-12-31T23:59:00+00:00",
    )
    parsed = parse_appointment(json.dumps(record))
    assert len(parsed.slot_references) == SLOT_REFERENCES_MAX


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    ("kind", "content_type", "body", "error"),
    [
        (Body.JSON, "application/json", "{}", None),
        (Body.JSON, "application/json; charset=UTF-8", "{}", None),
        (Body.JSON, "Application/JSON", "{}", None),
        (Body.JSON, "application/fhir+json", "{}", UnsupportedMediaType),
        (Body.FHIR, "application/fhir+json", "{}", None),
        (Body.FHIR, "application/json+fhir", "{}", None),
        (Body.FHIR, "application/json", "{}", None),
        (Body.FHIR, "text/plain", "{}", UnsupportedMediaType),
        (Body.TEXT, "text/csv", "a|b|", None),
        (Body.TEXT, "application/json", "a|b|", UnsupportedMediaType),
        (Body.JSON, "application/json", nested(MAX_DEPTH), None),
        (Body.JSON, "application/json", nested(MAX_DEPTH + 1), InvalidInput),
        (Body.JSON, "application/json", "[" + "9" * MAX_INTEGER_DIGITS + "]", None),
        (Body.JSON, "application/json", "[" + "9" * (MAX_INTEGER_DIGITS + 1) + "]", InvalidInput),
        (Body.JSON, "application/json", '{"\\udfff": 1}', InvalidInput),
        (Body.JSON, "application/json", "   ", InvalidInput),
        (Body.NONE, None, "anything", None),
    ],
)
def test_a_body_is_checked_before_it_is_read(
    kind: Body, content_type: str | None, body: str, error: type[Exception] | None
) -> None:
    if error is None:
        check_body(kind, content_type, body, False)
    else:
        with pytest.raises(error):
            check_body(kind, content_type, body, False)


def test_a_base64_body_is_decoded_and_must_be_utf8() -> None:
    check_body(Body.JSON, "application/json", base64.b64encode(b"{}").decode(), True)
    with pytest.raises(InvalidInput, match="UTF-8"):
        check_body(Body.JSON, "application/json", base64.b64encode(b"\xff{}").decode(), True)
