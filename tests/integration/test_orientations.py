"""The orientations dashboards over HTTP: outcomes of bookings recorded without patient data, the territory's
listing for regulators (by period, outcome, effecteur, regulator; paginated), an effecteur's own, the
editor's INT_R03 record showing on the booking it records, and the effecteur marking a consultation done."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from bookings import book, editor_slot, follow, manual_availability, participating_doctor, regulator

from fhir_samples import EDITOR_SYSTEM, appointment
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.runtime import Runtime
from sas_common.slots.model import slot_key_of
from sas_common.territory import EditorConfig
from sas_local import fhir_shapes as shapes
from sas_local.fhir_editor import FakeEditor
from support import Client, TerritoryEditors


def listing(client: Client, token: str, path: str = "/orientations", **params: str) -> dict[str, Any]:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    answer = client.get(f"{path}?{query}", token=token)
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def every_page(
    client: Client, token: str, path: str = "/orientations", **params: str
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(200):
        page = listing(client, token, path, **params, **({"cursor": cursor} if cursor else {}))
        found.extend(page["results"])
        cursor = page.get("cursor")
        if cursor is None:
            return found
    raise AssertionError("the listing never ended")


@pytest.fixture
def outcomes(client: Client, rt: Runtime) -> tuple[str, dict[str, str]]:
    """One doctor's three phone bookings: confirmed, cancelled, and one left awaiting confirmation."""
    national_id = participating_doctor(rt)
    [first, second, third] = manual_availability(client, rt, national_id)[1][:3]
    token = regulator(client, "reg-dashboard")
    ids = {
        name: book(client, slot, token).json()["id"]
        for name, slot in zip(
            ("confirmed", "cancelled", "awaiting_confirmation"), (first, second, third), strict=True
        )
    }
    assert client.post(f"/bookings/{ids['confirmed']}/confirm", token=token).status == 200
    assert client.post(f"/bookings/{ids['cancelled']}/cancel", token=token).status == 200
    return national_id, ids


def test_the_territory_listing_shows_every_outcome_of_an_effecteur(
    client: Client, outcomes: tuple[str, dict[str, str]]
) -> None:
    national_id, ids = outcomes
    token = regulator(client, "reg-other")  # any regulator of the territory sees them

    found = every_page(client, token, effecteur=national_id, to=_in_days(2))

    assert {o["id"]: o["status"] for o in found} == {booking_id: s for s, booking_id in ids.items()}
    confirmed = next(o for o in found if o["id"] == ids["confirmed"])
    assert confirmed["kind"] == "booking"
    assert (confirmed["flow"], confirmed["regulator"], confirmed["effecteur"]) == (
        "phone_callback",
        "reg-dashboard",
        national_id,
    )
    assert [o["start"] for o in found] == sorted(o["start"] for o in found)


def test_outcome_regulator_and_paging(client: Client, outcomes: tuple[str, dict[str, str]]) -> None:
    national_id, ids = outcomes
    token = regulator(client)

    only = every_page(client, token, effecteur=national_id, outcome="confirmed,cancelled", to=_in_days(2))
    assert sorted(o["id"] for o in only) == sorted([ids["confirmed"], ids["cancelled"]])
    mine = every_page(client, token, regulator="reg-dashboard", to=_in_days(2))
    assert set(ids.values()) <= {o["id"] for o in mine}
    one_by_one = every_page(client, token, effecteur=national_id, page_size="1", to=_in_days(2))
    assert [o["id"] for o in one_by_one] == [
        o["id"] for o in every_page(client, token, effecteur=national_id, to=_in_days(2))
    ]
    # The whole territory, day by day: this effecteur's are among them, each once.
    territory = every_page(client, token, page_size="100", to=_in_days(2))
    seen = [o["id"] for o in territory if o["id"] in ids.values()]
    assert sorted(seen) == sorted(ids.values())


def test_an_effecteur_sees_their_own_and_no_one_elses(
    client: Client, rt: Runtime, outcomes: tuple[str, dict[str, str]]
) -> None:
    national_id, ids = outcomes
    own = client.token("effecteur", national_id)

    found = every_page(client, own, f"/effecteurs/{national_id}/orientations", to=_in_days(2))

    assert {o["id"] for o in found} == set(ids.values())
    other = participating_doctor(rt)
    refused = client.get(f"/effecteurs/{national_id}/orientations", token=client.token("effecteur", other))
    assert refused.status == 403
    assert client.get("/orientations", token=own).status == 403
    assert client.get(f"/effecteurs/{national_id}/orientations", token=regulator(client)).status == 403


def test_the_effecteur_marks_a_consultation_done_once(
    client: Client, rt: Runtime, outcomes: tuple[str, dict[str, str]]
) -> None:
    national_id, ids = outcomes
    own = client.token("effecteur", national_id)
    path = f"/effecteurs/{national_id}/orientations/{ids['confirmed']}/done"

    first = client.post(path, token=own)
    again = client.post(path, token=own)

    assert first.status == 200, first.body
    assert first.json()["done_at"] == again.json()["done_at"]
    [shown] = [
        o
        for o in every_page(client, own, f"/effecteurs/{national_id}/orientations", to=_in_days(2))
        if o["id"] == ids["confirmed"]
    ]
    assert shown["done_at"] == first.json()["done_at"]
    for not_done in (ids["cancelled"], ids["awaiting_confirmation"], "0123abcd"):
        refused = client.post(f"/effecteurs/{national_id}/orientations/{not_done}/done", token=own)
        assert (refused.status, refused.json()["field"]) == (404, "orientation_id")
    other = participating_doctor(rt)
    mine = client.token("effecteur", other)
    assert client.post(f"/effecteurs/{other}/orientations/{ids['confirmed']}/done", token=mine).status == 404


def test_the_editors_record_of_a_booking_shows_on_it(
    client: Client, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors
) -> None:
    """An editor booking confirmed, then the editor's INT_R03 record of it (booked, then fulfilled): one
    orientation, the record's status on it."""
    editor: EditorConfig = territory_editors.add(fake, read_timeout_seconds=1)
    slot, national_id = editor_slot(rt, fake, editor)
    token = regulator(client)
    booking_id = book(client, slot, token).json()["id"]
    booked = follow(client, booking_id, token)
    assert booked["status"] == "confirmed"
    key = slot_key_of(slot)
    assert key is not None
    value = str(uuid.uuid4())
    record = appointment(
        identifier=[{"system": EDITOR_SYSTEM, "value": value}],
        participant=[
            {"actor": {"identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, national_id, "IDNPS")}}
        ],
        start=booked["start"],
        end=booked["end"],
    )
    editor_token = client.token("editor", "client-1", editor_id=editor.id)

    created = _send(client, "POST", record, editor_token)
    listed = every_page(client, token, effecteur=national_id, to=_in_days(2))
    updated = _send(
        client, "PUT", {**record, "status": "fulfilled"}, editor_token, f"?identifier={EDITOR_SYSTEM}|{value}"
    )
    after = every_page(client, token, effecteur=national_id, to=_in_days(2))

    assert created.status == 201, created.body
    assert [(o["id"], o["record_status"]) for o in listed] == [(booking_id, "booked")]
    assert updated.status == 200, updated.body
    assert [(o["id"], o["kind"], o["record_status"]) for o in after] == [(booking_id, "booking", "fulfilled")]


def test_a_record_without_a_booking_is_an_orientation_of_its_own(client: Client, rt: Runtime) -> None:
    national_id = participating_doctor(rt)
    value = str(uuid.uuid4())
    start = datetime.now(UTC).replace(microsecond=0)
    record = appointment(
        identifier=[{"system": EDITOR_SYSTEM, "value": value}],
        participant=[
            {"actor": {"identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, national_id, "IDNPS")}}
        ],
        start=start.isoformat(),
        end=(start + timedelta(minutes=15)).isoformat(),
    )
    assert _send(client, "POST", record, client.token("editor", "c", editor_id="demo-editor")).status == 201

    [shown] = every_page(client, regulator(client), effecteur=national_id, to=_in_days(1))

    assert (shown["kind"], shown["status"], shown["editor_id"]) == (
        "appointment_record",
        "booked",
        "demo-editor",
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-12-10&to=2026-12-01", "from"),
        ("from=2026-01-01&to=2026-03-01", "to"),
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        ("from=1999-12-31", "from"),
        ("outcome=confirmed,won", "outcome"),
        ("page_size=0", "page_size"),
        ("page_size=101", "page_size"),
        ("page_size=1e2", "page_size"),
        ("cursor=%25%25%25", "cursor"),
        ("cursor=eyJkYXkiOiIxOTk5LTAxLTAxIiwiYWZ0ZXIiOm51bGx9", "cursor"),
        ("effecteur=12&", "effecteur"),
        ("effecteur=810000000001&regulator=r", "regulator"),
        ("regulator=" + "r" * 300, "regulator"),
    ],
)
def test_bad_criteria_are_400_naming_the_parameter(client: Client, query: str, field: str) -> None:
    answer = client.get(f"/orientations?{query}", token=regulator(client))

    assert (answer.status, answer.json()["field"]) == (400, field), answer.body


def _in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def _send(client: Client, method: str, body: Any, token: str, query: str = "") -> Any:
    return client.request(
        method,
        "/fhir/Appointment" + query,
        body=json.dumps(body).encode(),
        headers={"content-type": "application/fhir+json"},
        token=token,
    )
