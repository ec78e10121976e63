"""Participation declarations, info for the regulator and delegates, through the HTTP API."""

from __future__ import annotations

from typing import Any

import pytest

from sas_common.runtime import Runtime
from sas_common.tables import PARTICIPATIONS
from support import Client, new_effecteur

MANUAL = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}
SYNCED = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": True,
    "editors": ["demo-editor"],
}


def declare(client: Client, national_id: str, body: dict[str, Any], token: str | None = None) -> Any:
    token = token or client.token("effecteur", national_id)
    return client.request("PUT", f"/effecteurs/{national_id}/participation", json_body=body, token=token)


def editor_index(rt: Runtime, editor_id: str) -> set[str]:
    from boto3.dynamodb.conditions import Key

    index = PARTICIPATIONS.index("by_editor")
    items = rt.aws.dynamodb.Table(rt.settings.table_name(PARTICIPATIONS)).query(
        IndexName=index.name, KeyConditionExpression=Key(index.partition_key).eq(f"EDITOR#{editor_id}")
    )["Items"]
    return {str(item["editor_sk"]) for item in items}


def test_every_save_is_a_new_version_and_the_history_is_readable(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    first = declare(client, doctor, MANUAL)
    assert first.status == 200
    assert first.json()["version"] == 1
    assert first.json()["manual_agenda_allowed"] is True

    second = declare(client, doctor, SYNCED)
    assert (second.json()["version"], second.json()["editor_synced"]) == (2, True)

    replay = declare(client, doctor, SYNCED)  # a retried save: no new version
    assert (replay.json()["version"], replay.json()["created"]) == (2, False)

    history = client.get(
        f"/effecteurs/{doctor}/participation", token=client.token("territory_admin", "a")
    ).json()
    assert [entry["version"] for entry in history["history"]] == [2, 1]
    assert history["current"]["declaration"]["editors"] == ["demo-editor"]
    assert history["history"][1]["declaration"]["honour_two_hours"] is True


def test_declared_editors_are_indexed_and_follow_the_declaration(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    declare(client, doctor, SYNCED)
    assert doctor in editor_index(rt, "demo-editor")
    declare(client, doctor, {**SYNCED, "refuses_editor_slots": True, "honour_two_hours": True})
    assert doctor not in editor_index(rt, "demo-editor")  # refused: never polled, never shown


@pytest.mark.parametrize(
    ("body", "status", "rule_or_field"),
    [
        ({**MANUAL, "honour_two_hours": False}, 422, "honour_required_without_software"),
        ({**SYNCED, "editors": ["doctolib"]}, 422, "unknown_editor"),
        ({**MANUAL, "modality": "cpts"}, 422, "structure_required"),
        ({**MANUAL, "modality": "hospital"}, 422, "modality"),
        ({**MANUAL, "colour": "blue"}, 422, "colour"),
    ],
)
def test_broken_rules_are_422_naming_them_and_store_nothing(
    client: Client, rt: Runtime, body: dict[str, Any], status: int, rule_or_field: str
) -> None:
    doctor = new_effecteur(rt)
    response = declare(client, doctor, body)
    assert response.status == status
    answer = response.json()
    assert rule_or_field in (answer.get("rule"), answer.get("field"))
    assert rt.participations.declaration(doctor) is None


def test_malformed_json_is_400(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    response = client.request(
        "PUT",
        f"/effecteurs/{doctor}/participation",
        body=b'{"participates": tru',
        headers={"content-type": "application/json"},
        token=client.token("effecteur", doctor),
    )
    assert response.status == 400


@pytest.mark.parametrize(
    ("role", "sub", "structure", "status"),
    [
        ("effecteur", "self", None, 200),
        ("effecteur", "810000000002", None, 403),
        ("territory_admin", "admin", None, 200),
        ("structure_manager", "m", "31CDS0042", 200),
        ("structure_manager", "m", "31CDS9999", 403),
        ("regulator", "r", None, 403),
        ("delegate", "d@example.org", None, 403),
        ("editor", "e", None, 403),
    ],
)
def test_who_may_declare(
    client: Client, rt: Runtime, role: str, sub: str, structure: str | None, status: int
) -> None:
    doctor = new_effecteur(rt, structure_ids=["31CDS0042"])
    claims: dict[str, Any] = {"structure_id": structure} if structure else {}
    if role == "editor":
        claims["editor_id"] = "demo-editor"
    token = client.token(role, doctor if sub == "self" else sub, **claims)
    assert declare(client, doctor, MANUAL, token=token).status == status


def test_the_card_shows_the_current_declaration(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    declare(client, doctor, MANUAL)
    card = client.get(f"/effecteurs/{doctor}", token=client.token("regulator", "r")).json()
    assert card["participation"]["modality"] == "individual"
    assert "approved_delegates" not in card


def test_reset_brings_everyone_back_to_defaults_page_by_page(client: Client, rt: Runtime) -> None:
    doctors = [new_effecteur(rt) for _ in range(3)]
    for doctor in doctors:
        declare(client, doctor, MANUAL)
    admin = client.token("territory_admin", "admin")
    # About three pages, however many declarations the tests before this one left on the platform.
    declared = len(rt.participations.current_page(None, 1000)[0])
    limit = min(100, max(2, declared // 3 + 1))
    body: dict[str, Any] = {"limit": limit}
    pages = 0
    while True:
        page = client.post("/participations/reset", json_body=body, token=admin).json()
        pages += 1
        if page["done"]:
            break
        body = {"limit": limit, "reset_id": page["reset_id"], "cursor": page["cursor"]}
    assert pages >= 2
    for doctor in doctors:
        current = rt.participations.declaration(doctor)
        assert current is not None
        assert current.participates is False
        assert current.honour_two_hours is False
    again = client.post("/participations/reset", json_body={"reset_id": page["reset_id"]}, token=admin).json()
    assert again["seen"] > 0
    assert again["reset"] < again["seen"]
    assert (
        client.post("/participations/reset", json_body={}, token=client.token("effecteur", doctors[0])).status
        == 403
    )


def test_a_structure_declares_two_hours_per_doctor(client: Client) -> None:
    manager = client.token("structure_manager", "m-1", structure_id="31CDS0042")
    body = {
        "kind": "cds",
        "structure_name": "CDS Bagatelle",
        "participates": True,
        "doctors": 4,
        "honour_two_hours_per_doctor": True,
    }
    response = client.request("PUT", "/structures/31CDS0042/participation", json_body=body, token=manager)
    assert response.status == 200
    assert response.json()["weekly_hours_required"] == 8
    refused = client.request(
        "PUT",
        "/structures/31CDS0042/participation",
        json_body={**body, "honour_two_hours_per_doctor": False},
        token=manager,
    )
    assert (refused.status, refused.json()["rule"]) == (422, "structure_honour_required")
    other = client.request("PUT", "/structures/31SOS0001/participation", json_body=body, token=manager)
    assert other.status == 403


def test_regulator_info_is_refused_to_an_editor_synced_effecteur_but_not_to_the_territory(
    client: Client,
    rt: Runtime,
) -> None:
    doctor = new_effecteur(rt)
    info = {"text": "Appeler le midi", "phones": ["0600000000"], "call_hours": "12h-14h"}
    own = client.token("effecteur", doctor)
    assert (
        client.request("PUT", f"/effecteurs/{doctor}/regulator-info", json_body=info, token=own).status == 200
    )
    declare(client, doctor, SYNCED)
    refused = client.request("PUT", f"/effecteurs/{doctor}/regulator-info", json_body=info, token=own)
    assert refused.status == 409
    admin = client.token("territory_admin", "a")
    assert (
        client.request("PUT", f"/effecteurs/{doctor}/regulator-info", json_body=info, token=admin).status
        == 200
    )
    card = rt.effecteurs.load_card(doctor)
    assert card is not None
    assert card.regulator_info.call_hours == "12h-14h"


def test_a_delegate_acts_only_once_approved(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    request = {
        "last_name": "DURAND",
        "first_name": "Anne",
        "city": "Toulouse",
        "email": "Anne.Durand@example.org",
    }
    own = client.token("effecteur", doctor)
    created = client.post(f"/effecteurs/{doctor}/delegates", json_body=request, token=own)
    assert created.status == 201
    assert created.json()["status"] == "pending"
    replay = client.post(f"/effecteurs/{doctor}/delegates", json_body=request, token=own)
    assert (replay.status, replay.json()["id"]) == (200, created.json()["id"])

    delegate = client.token("delegate", "anne.durand@example.org")
    assert client.get(f"/effecteurs/{doctor}", token=delegate).status == 403

    path = f"/effecteurs/{doctor}/delegates/{created.json()['id']}/approve"
    assert client.post(path, token=own).status == 403  # only the territory approves
    approved = client.post(path, token=client.token("territory_admin", "a"))
    assert approved.json()["status"] == "approved"
    assert client.get(f"/effecteurs/{doctor}", token=delegate).status == 200
    other = new_effecteur(rt)
    assert client.get(f"/effecteurs/{other}", token=delegate).status == 403


@pytest.mark.parametrize(
    "body", [{"last_name": "X", "first_name": "Y", "city": "Z", "email": "not-an-email"}, {"last_name": "X"}]
)
def test_bad_delegate_requests_are_422(client: Client, rt: Runtime, body: dict[str, Any]) -> None:
    doctor = new_effecteur(rt)
    response = client.post(
        f"/effecteurs/{doctor}/delegates", json_body=body, token=client.token("effecteur", doctor)
    )
    assert response.status == 422


def test_declaring_an_editor_withdraws_the_manual_slots_at_once(client: Client, rt: Runtime) -> None:
    from datetime import UTC, datetime, timedelta

    doctor = new_effecteur(rt)
    own = client.token("effecteur", doctor)
    declare(client, doctor, MANUAL)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    body = {
        "place_id": "p1",
        "date": tomorrow,
        "start": "10:00",
        "end": "11:00",
        "mode": "slots",
        "slot_minutes": 20,
        "consultation_types": ["cabinet"],
    }
    assert client.post(f"/effecteurs/{doctor}/availabilities", json_body=body, token=own).status == 201
    window = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=3))
    assert len(rt.slots.window_items("manual", doctor, *window)) == 3

    declare(client, doctor, SYNCED)
    assert rt.slots.window_items("manual", doctor, *window) == []


def test_participating_files_the_places_in_the_en_sus_directory(client: Client, rt: Runtime) -> None:
    from boto3.dynamodb.conditions import Key

    from sas_common import geo, storage
    from sas_common.effecteurs.model import Position
    from sas_common.tables import EFFECTEURS

    doctor = new_effecteur(rt)
    index = EFFECTEURS.index("by_ensus_cell")
    cell = geo.cell_of(Position(lat=43.6045, lon=1.4440))

    def filed() -> bool:
        items = storage.query_all(
            rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)),
            IndexName=index.name,
            KeyConditionExpression=Key(index.partition_key).eq(cell),
        )
        return f"{doctor}#p1" in {item[index.sort_key] for item in items}

    declare(client, doctor, MANUAL)
    assert filed()
    declare(client, doctor, {"participates": False})
    assert not filed()
