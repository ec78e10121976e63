"""Hostile input, each case found against the running platform: a clear 4xx naming the problem, never a 5xx,
and what was stored before is still there after."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from fhir_samples import appointment
from sas_common.runtime import Runtime
from sas_local.gateway import HttpResponse
from support import Client, new_effecteur

EDITOR = "demo-editor"
MANUAL = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}
JSON = {"content-type": "application/json"}
FHIR = {"content-type": "application/fhir+json"}


@pytest.fixture
def doctor(rt: Runtime, client: Client) -> str:
    """A doctor with a declaration and info for the regulator already stored."""
    national_id = new_effecteur(rt)
    token = client.token("effecteur", national_id)
    stored = client.request("PUT", f"/effecteurs/{national_id}/participation", json_body=MANUAL, token=token)
    assert stored.status == 200
    info = {"text": "call me", "phones": ["0600000000"]}
    saved = client.request("PUT", f"/effecteurs/{national_id}/regulator-info", json_body=info, token=token)
    assert saved.status == 200
    return national_id


def put(client: Client, path: str, national_id: str, body: bytes, headers: dict[str, str]) -> HttpResponse:
    token = client.token("effecteur", national_id)
    return client.request("PUT", path, body=body, headers=headers, token=token)


def unchanged(rt: Runtime, national_id: str) -> None:
    declaration = rt.participations.declaration(national_id)
    assert declaration is not None
    assert declaration.participates is True
    card = rt.effecteurs.load_card(national_id)
    assert card is not None
    assert card.regulator_info.text == "call me"


def refused(response: HttpResponse, status: int, *words: str) -> dict[str, Any]:
    assert response.status == status, response.body
    body: dict[str, Any] = response.json()
    assert all(word in body["message"] for word in words), body
    return body


NESTED = ("[" * 5000 + "]" * 5000).encode()
HUGE_INTEGER = ('{"participates": ' + "1" * 4400 + "}").encode()


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        pytest.param(NESTED, JSON, 400, ("nested",), id="nested 5000 deep"),
        pytest.param(HUGE_INTEGER, JSON, 400, ("more than 30 digits",), id="integer of 4400 digits"),
        pytest.param(b'{"participates": NaN}', JSON, 400, ("NaN",), id="NaN"),
        pytest.param(b'{"participates": 1e999}', JSON, 400, ("too large",), id="1e999"),
        pytest.param(b"", JSON, 400, ("empty",), id="no body"),
        pytest.param(b"\xff\xfe{}", JSON, 400, ("UTF-8",), id="not UTF-8"),
        pytest.param(
            b"--x--", {"content-type": "multipart/form-data; boundary=x"}, 415, ("application/json",)
        ),
        pytest.param(
            b"--x--", {"content-type": "multipart/form-data"}, 415, ("application/json",), id="no bound"
        ),
        pytest.param(b"participates=true", {"content-type": "application/x-www-form-urlencoded"}, 415, ()),
        pytest.param(json.dumps(MANUAL).encode(), {}, 415, ("without Content-Type",), id="no content type"),
        pytest.param(
            json.dumps(MANUAL).encode(),
            {"content-type": "application/json; charset=latin-1"},
            415,
            ("UTF-8",),
        ),
    ],
)
def test_a_declaration_that_is_not_a_json_document_is_refused_and_nothing_changes(
    rt: Runtime,
    client: Client,
    doctor: str,
    body: bytes,
    headers: dict[str, str],
    status: int,
    words: tuple[str, ...],
) -> None:
    response = put(client, f"/effecteurs/{doctor}/participation", doctor, body, headers)
    refused(response, status, *words)
    unchanged(rt, doctor)


def test_a_form_cannot_wipe_the_info_for_the_regulator(rt: Runtime, client: Client, doctor: str) -> None:
    headers = {"content-type": "multipart/form-data; boundary=x"}
    refused(put(client, f"/effecteurs/{doctor}/regulator-info", doctor, b"--x--", headers), 415)
    unchanged(rt, doctor)


def test_a_lone_surrogate_is_refused(rt: Runtime, client: Client, doctor: str) -> None:
    body = b'{"text": "\\ud800"}'
    refused(put(client, f"/effecteurs/{doctor}/regulator-info", doctor, body, JSON), 400, "surrogate")
    unchanged(rt, doctor)


@pytest.mark.parametrize(
    ("info", "field"),
    [
        ({"text": "x" * 500_000}, "text"),
        ({"phones": ["0600000000"] * 100_000}, "phones"),
        ({"phones": ["0" * 31]}, "phones.0"),
        ({"call_hours": "x" * 201}, "call_hours"),
        ({"text": "ok", "unknown": 1}, "unknown"),
    ],
)
def test_info_for_the_regulator_is_bounded(
    rt: Runtime, client: Client, doctor: str, info: dict[str, Any], field: str
) -> None:
    body = json.dumps(info).encode()
    response = put(client, f"/effecteurs/{doctor}/regulator-info", doctor, body, JSON)
    assert response.status == 422, response.body
    assert response.json()["field"] == field
    unchanged(rt, doctor)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uses_interfaced_software": True, "editors": ["e"] * 200_000}, "editors"),
        (
            {"modality": "cpts", "structure_name": "C", "structure_place_ids": ["p1"] * 100_000},
            "structure_place_ids",
        ),
        ({"uses_interfaced_software": True, "editors": ["x" * 41]}, "editors.0"),
    ],
)
def test_a_declarations_lists_are_bounded(
    rt: Runtime, client: Client, doctor: str, change: dict[str, Any], field: str
) -> None:
    body = json.dumps({**MANUAL, **change}).encode()
    response = put(client, f"/effecteurs/{doctor}/participation", doctor, body, JSON)
    assert response.status == 422, response.body[:300]
    assert response.json()["field"] == field
    unchanged(rt, doctor)


def test_a_place_or_editor_listed_twice_is_kept_once(client: Client, rt: Runtime) -> None:
    national_id = new_effecteur(rt)
    cpts = {**MANUAL, "modality": "cpts", "structure_name": "CPTS", "structure_place_ids": ["p1", "p1"]}
    saved = put(
        client, f"/effecteurs/{national_id}/participation", national_id, json.dumps(cpts).encode(), JSON
    )
    assert saved.status == 200, saved.body
    assert saved.json()["declaration"]["structure_place_ids"] == ["p1"]


@pytest.mark.parametrize("doctors", [5e-324, 1e-131, 0, -1, 2.005, 1000.01])
def test_a_structures_doctors_are_counted_to_the_hundredth(client: Client, doctors: float) -> None:
    manager = client.token("structure_manager", "m-hostile", structure_id="31CDS0099")
    body = {"kind": "cds", "structure_name": "CDS", "participates": False, "doctors": doctors}
    response = client.request("PUT", "/structures/31CDS0099/participation", json_body=body, token=manager)
    assert response.status == 422, response.body
    assert response.json()["field"] == "doctors"


def test_an_agenda_cannot_be_read_or_opened_years_ahead(client: Client, rt: Runtime) -> None:
    national_id = new_effecteur(rt)
    token = client.token("effecteur", national_id)
    put(client, f"/effecteurs/{national_id}/participation", national_id, json.dumps(MANUAL).encode(), JSON)
    today = datetime.now(UTC).date()
    evening = {
        "place_id": "p1",
        "date": today.isoformat(),
        "start": "20:00",
        "end": "24:00",
        "mode": "range",
        "capacity": 2,
        "consultation_types": ["cabinet"],
        "recurrence_weekdays": [0, 1, 2, 3, 4, 5, 6],
    }
    created = client.post(f"/effecteurs/{national_id}/availabilities", json_body=evening, token=token)
    assert created.status == 201, created.body
    far = client.get(f"/effecteurs/{national_id}/agenda?from=9999-12-01&to=9999-12-31", token=token)
    assert (far.status, far.json()["rule"], far.json()["field"]) == (422, "beyond_horizon", "from")
    past = client.get(f"/effecteurs/{national_id}/agenda?from=0001-01-01&to=0001-01-31", token=token)
    assert (past.status, past.json()["rule"]) == (422, "before_earliest")
    for key, day in (("date", date(9999, 12, 31)), ("until", today + timedelta(days=3 * 366))):
        body = {**evening, key: day.isoformat()}
        answer = client.post(f"/effecteurs/{national_id}/availabilities", json_body=body, token=token)
        assert (answer.status, answer.json()["rule"], answer.json()["field"]) == (422, "beyond_horizon", key)
    period = {"periods": [{"from": today.isoformat(), "to": "9999-12-31"}]}
    closed = client.request(
        "PUT", f"/effecteurs/{national_id}/places/p1/unavailability", json_body=period, token=token
    )
    assert (closed.status, closed.json()["rule"]) == (422, "period_beyond_horizon")


def push_record(
    client: Client, record: dict[str, Any], method: str = "POST", query: str = ""
) -> HttpResponse:
    token = client.token("editor", f"{EDITOR}-client", editor_id=EDITOR)
    body = json.dumps(record).encode()
    return client.request(method, f"/fhir/Appointment{query}", body=body, headers=FHIR, token=token)


def record_of(system: str, value: str, **changes: Any) -> dict[str, Any]:
    record = appointment(**changes)
    record["identifier"] = [{"system": system, "value": value}]
    record["participant"][0]["actor"]["identifier"]["value"] = "810000000001"  # a demo doctor
    return record


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": "0001-01-01T00:00:00+14:00", "end": "0001-01-01T00:15:00+14:00"}, "Appointment.start"),
        ({"start": "9999-12-31T23:00:00+14:00", "end": "9999-12-31T23:15:00+14:00"}, "Appointment.start"),
        ({"created": "9999-12-31T23:00:00+14:00"}, "Appointment.created"),
        ({"slot": [{"reference": f"Slot/{n}"} for n in range(50_000)]}, "Appointment.slot"),
    ],
)
def test_appointment_records_out_of_bounds_are_refused(
    client: Client, changes: dict[str, Any], field: str
) -> None:
    response = push_record(client, record_of("urn:oid:1.2.3", f"bounds-{field}", **changes))
    assert response.status == 422, response.body[:300]
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [field]


def test_an_appointment_identifier_system_is_bounded(client: Client) -> None:
    response = push_record(client, record_of("urn:" + "a" * 500_000, "v"))
    assert response.status == 422, response.body[:300]
    assert response.json()["issue"][0]["expression"] == ["Appointment.identifier"]


def test_identifiers_that_only_differ_across_the_separator_are_two_records(client: Client) -> None:
    one = push_record(client, record_of("urn:sep|b", "c"))
    other = push_record(client, record_of("urn:sep", "b|c"))
    assert (one.status, other.status) == (201, 201), (one.body, other.body)
    assert one.headers["location"] != other.headers["location"]


def test_a_fhir_body_nested_too_deep_is_an_operation_outcome(client: Client) -> None:
    token = client.token("editor", f"{EDITOR}-client", editor_id=EDITOR)
    response = client.request("POST", "/fhir/Bundle", body=NESTED, headers=FHIR, token=token)
    assert response.status == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "nested" in response.json()["issue"][0]["diagnostics"]


def test_an_editor_token_without_its_editor_is_asked_to_log_in(client: Client) -> None:
    token = client.token("editor", "someone")  # no editor_id claim
    response = client.request("POST", "/fhir/Bundle", body=b"{}", headers=FHIR, token=token)
    assert response.status == 401
    assert response.json()["issue"][0]["code"] == "login"


def test_a_delegate_is_recognised_whatever_the_case_of_their_address(client: Client, rt: Runtime) -> None:
    national_id = new_effecteur(rt)
    token = client.token("effecteur", national_id)
    wanted = {"last_name": "Durand", "first_name": "Ana", "city": "Albi", "email": "Ana.Durand@Example.org"}
    delegate = client.post(f"/effecteurs/{national_id}/delegates", json_body=wanted, token=token).json()
    admin = client.token("territory_admin", "admin")
    assert (
        client.post(f"/effecteurs/{national_id}/delegates/{delegate['id']}/approve", token=admin).status
        == 200
    )
    for subject in ("ana.durand@example.org", "ANA.DURAND@EXAMPLE.ORG"):
        reader = client.token("delegate", subject)
        assert (
            client.get(f"/effecteurs/{national_id}/agenda?from=2026-01-05&to=2026-01-06", token=reader).status
            == 200
        )


def test_ownership_is_checked_before_the_body(client: Client, rt: Runtime) -> None:
    stranger = client.token("structure_manager", "m-2", structure_id="31OTHER")
    national_id = new_effecteur(rt, structure_ids=["31MINE"])
    response = client.request(
        "PUT", f"/effecteurs/{national_id}/participation", json_body={"participates": "maybe"}, token=stranger
    )
    assert response.status == 403, response.body
    missing = client.request(
        "PUT", "/effecteurs/870000000000/participation", json_body={"participates": "maybe"}, token=stranger
    )
    assert missing.status == 404
    other_structure = client.request(
        "PUT", "/structures/31THEIRS/participation", json_body={"kind": "nope"}, token=stranger
    )
    assert other_structure.status == 403
