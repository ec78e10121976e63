"""The manual agenda over HTTP on the local platform: availabilities, their occurrences across a
daylight-saving change, edits and deletions, unavailability, the slots written for search, and who may
do what."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.weekly import iso_week
from sas_common.effecteurs import delegates
from sas_common.effecteurs import service as effecteurs_service
from sas_common.effecteurs.model import Effecteur, Place, Position
from sas_common.participation import service as participation_service
from sas_common.participation.rules import Declaration, Modality
from sas_common.runtime import Runtime
from sas_common.slots.keys import MANUAL_SOURCE
from sas_common.stores.effecteurs import SERIES_PREFIX
from sas_common.tables import EFFECTEURS, PK, SK, effecteur_pk
from support import Client, new_effecteur

PARIS = ZoneInfo("Europe/Paris")
STRUCTURE = "31CDS0042"
OTHER_STRUCTURE = "31CDS0043"


def today() -> dt.date:
    return datetime.now(PARIS).date()


def tomorrow() -> dt.date:
    return today() + timedelta(days=1)


@pytest.fixture
def doctor(rt: Runtime) -> str:
    """A fresh effecteur: p1 in Toulouse (structure STRUCTURE), p2 in Blagnac (OTHER_STRUCTURE)."""
    national_id = new_effecteur(rt, structure_ids=[STRUCTURE])
    rt.effecteurs.put_effecteur(
        Effecteur(national_id=national_id, last_name="TEST", first_name="Test", profession_code="10"),
        [
            Place(
                id="p2",
                address="5 rue Pasteur",
                city="Blagnac",
                position=Position(lat=43.6370, lon=1.3900),
                structure_ids=[OTHER_STRUCTURE],
            )
        ],
    )
    return national_id


def body(day: dt.date, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "place_id": "p1",
        "date": day.isoformat(),
        "start": "10:00",
        "end": "11:00",
        "mode": "slots",
        "slot_minutes": 15,
        "consultation_types": ["cabinet", "teleconsultation"],
    }
    values.update(changes)
    return values


def create(client: Client, doctor: str, token: str, **changes: Any) -> dict[str, Any]:
    response = client.post(
        f"/effecteurs/{doctor}/availabilities",
        token=token,
        json_body=body(changes.pop("day", tomorrow()), **changes),
    )
    assert response.status == 201, response.body
    created: dict[str, Any] = response.json()
    return created


def agenda(client: Client, doctor: str, token: str, first: dt.date, last: dt.date) -> list[dict[str, Any]]:
    response = client.get(f"/effecteurs/{doctor}/agenda?from={first}&to={last}", token=token)
    assert response.status == 200, response.body
    occurrences: list[dict[str, Any]] = response.json()["occurrences"]
    return occurrences


def manual_slots(rt: Runtime, doctor: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    return rt.slots.window_items(MANUAL_SOURCE, doctor, now - timedelta(days=2), now + timedelta(days=10))


def next_dst_change(after: dt.date) -> dt.date:
    day = after
    while True:
        day += timedelta(days=1)
        noon, previous_noon = (
            datetime.combine(d, dt.time(12), PARIS) for d in (day, day - timedelta(days=1))
        )
        if noon.utcoffset() != previous_noon.utcoffset():
            return day


def test_a_weekly_10_00_stays_10_00_local_across_the_dst_change(client: Client, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    change = next_dst_change(today() + timedelta(days=7))
    first, last = change - timedelta(days=7), change + timedelta(days=7)
    created = create(
        client, doctor, token, day=first, recurrence_weekdays=[change.weekday()], start="10:00", end="12:00"
    )

    found = agenda(client, doctor, token, first, last)

    assert [o["date"] for o in found] == [first.isoformat(), change.isoformat(), last.isoformat()]
    assert {o["start"][11:19] for o in found} == {"10:00:00"}
    assert {o["end"][11:19] for o in found} == {"12:00:00"}
    offsets = [o["start"][19:] for o in found]
    assert offsets[0] != offsets[2]
    assert sorted({offsets[0], offsets[2]}) == ["+01:00", "+02:00"]
    assert all(o["availability_id"] == created["id"] and o["active"] and o["recurring"] for o in found)


def test_a_new_availability_is_materialised_into_slots(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    created = create(client, doctor, token)

    slots = manual_slots(rt, doctor)

    assert len(slots) == 4  # 10:00–11:00 in 15-minute slots
    assert {s["availability_id"] for s in slots} == {created["id"]}
    assert all(s["cell_day"].endswith(f"#{tomorrow()}") for s in slots)
    assert all(s["tele_day"] == f"TELE#{tomorrow()}" for s in slots)
    assert all(s["visibility"] == ["SNP"] and s["place_id"] == "p1" for s in slots)
    [occurrence] = agenda(client, doctor, token, tomorrow(), tomorrow())
    assert occurrence["start"] == datetime.combine(tomorrow(), dt.time(10), PARIS).isoformat()
    assert (occurrence["mode"], occurrence["slot_minutes"], occurrence["place_id"]) == ("slots", 15, "p1")


def test_a_range_is_one_slot_with_its_capacity(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    create(client, doctor, token, mode="range", slot_minutes=None, capacity=5, walk_in=True)
    [slot] = manual_slots(rt, doctor)
    assert (slot["mode"], slot["capacity"], slot["booked"], slot["walk_in"]) == ("range", 5, 0, True)


def test_edit_then_delete_one_occurrence_then_the_series(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    day = tomorrow()
    after = day + timedelta(days=1)
    created = create(client, doctor, token, day=day, recurrence_weekdays=list(range(7)))
    path = f"/effecteurs/{doctor}/availabilities/{created['id']}"

    edited = client.request(
        "PATCH",
        f"{path}?scope=occurrence&date={after}",
        token=token,
        json_body={"start": "09:00", "consultation_types": ["domicile"]},
    )
    assert edited.status == 200, edited.body
    assert edited.json()["changes"] == {
        after.isoformat(): {"cancelled": False, "start": "09:00", "consultation_types": ["domicile"]}
    }
    first, second, *_ = agenda(client, doctor, token, day, day + timedelta(days=6))
    assert (first["start"][11:16], first["modified"]) == ("10:00", False)
    assert (second["start"][11:16], second["consultation_types"], second["modified"]) == (
        "09:00",
        ["domicile"],
        True,
    )
    moved = [s for s in manual_slots(rt, doctor) if s["start"].startswith(str(after))]
    assert len(moved) == 8  # 09:00–11:00
    assert all("tele_day" not in s and s["consultation_types"] == ["domicile"] for s in moved)

    deleted = client.request("DELETE", f"{path}?scope=occurrence&date={day}", token=token)
    assert deleted.status == 204
    assert [o["date"] for o in agenda(client, doctor, token, day, after)] == [after.isoformat()]
    assert not [s for s in manual_slots(rt, doctor) if s["start"].startswith(str(day))]
    assert client.request("DELETE", f"{path}?scope=occurrence&date={day}", token=token).status == 204  # again

    assert client.request("DELETE", f"{path}?scope=series", token=token).status == 204
    assert agenda(client, doctor, token, day, day + timedelta(days=6)) == []
    assert manual_slots(rt, doctor) == []
    assert client.request("DELETE", f"{path}?scope=series", token=token).status == 404


def test_a_series_edit_changes_the_coming_days(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    created = create(client, doctor, token, recurrence_weekdays=list(range(7)))
    path = f"/effecteurs/{doctor}/availabilities/{created['id']}?scope=series"
    response = client.request("PATCH", path, token=token, json_body={"end": "12:00", "slot_minutes": 30})
    assert response.status == 200, response.body
    assert (response.json()["end"], response.json()["slot_minutes"], response.json()["version"]) == (
        "12:00",
        30,
        2,
    )
    assert {
        o["end"][11:16] for o in agenda(client, doctor, token, tomorrow(), tomorrow() + timedelta(days=3))
    } == {"12:00"}
    assert {s["end"][11:16] for s in manual_slots(rt, doctor)} >= {"10:30", "11:00"}  # 30-minute slots now


@pytest.mark.parametrize(
    ("query", "patch", "status", "field"),
    [
        ("scope=occurrence", {"start": "09:00"}, 422, "date"),
        ("scope=sometimes", {"start": "09:00"}, 422, "scope"),
        ("", {"start": "09:00"}, 422, "scope"),
        ("scope=series", {"end": "09:00"}, 422, "end"),
        ("scope=series", {"place_id": "p2"}, 422, "place_id"),
        ("scope=occurrence&date={tomorrow}", {"capacity": 3}, 422, "capacity"),
    ],
)
def test_an_edit_breaking_a_rule(
    client: Client, doctor: str, query: str, patch: dict[str, Any], status: int, field: str
) -> None:
    token = client.token("effecteur", doctor)
    created = create(client, doctor, token)
    path = f"/effecteurs/{doctor}/availabilities/{created['id']}?" + query.format(tomorrow=tomorrow())
    response = client.request("PATCH", path, token=token, json_body=patch)
    assert (response.status, response.json().get("field")) == (status, field), response.body


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"place_id": "p9"}, "place_id", "unknown_place"),
        ({"day": dt.date(2020, 1, 6)}, "date", "date_in_past"),
        ({"end": "10:00"}, "end", "end_not_after_start"),
        ({"mode": "range", "slot_minutes": None}, "capacity", "capacity_required"),
        ({"mode": "range", "slot_minutes": None, "capacity": 0}, "capacity", None),
        ({"consultation_types": []}, "consultation_types", None),
        ({"recurrence_weekdays": [7]}, "recurrence_weekdays.0", None),
        ({"start": "10h"}, "start", None),
        ({"unknown": 1}, "unknown", None),
    ],
)
def test_a_new_availability_breaking_a_rule_is_422_naming_the_field(
    client: Client, doctor: str, changes: dict[str, Any], field: str, rule: str | None
) -> None:
    day = changes.pop("day", tomorrow())
    response = client.post(
        f"/effecteurs/{doctor}/availabilities",
        token=client.token("effecteur", doctor),
        json_body=body(day, **changes),
    )
    assert response.status == 422, response.body
    assert response.json()["field"] == field
    assert response.json().get("rule") == rule


def test_malformed_json_is_400(client: Client, doctor: str) -> None:
    response = client.post(
        f"/effecteurs/{doctor}/availabilities",
        token=client.token("effecteur", doctor),
        body=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert response.status == 400


def test_a_replayed_create_with_an_idempotency_key_answers_the_first(
    client: Client, rt: Runtime, doctor: str
) -> None:
    token = client.token("effecteur", doctor)
    path = f"/effecteurs/{doctor}/availabilities"
    key = {"idempotency-key": "create-1"}
    first = client.post(path, token=token, json_body=body(tomorrow()), headers=key)
    again = client.post(path, token=token, json_body=body(tomorrow()), headers=key)
    assert (first.status, again.status) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert len(rt.effecteurs.list_series(doctor)) == 1
    other = client.post(path, token=token, json_body=body(tomorrow(), start="08:00"), headers=key)
    assert (other.status, other.json()["rule"]) == (409, "idempotency_key_reused")
    without_key = client.post(path, token=token, json_body=body(tomorrow()))
    assert without_key.status == 201  # overlapping availabilities are allowed
    assert len(rt.effecteurs.list_series(doctor)) == 2


def unavailability(client: Client, doctor: str, token: str, place: str = "p1", **payload: Any) -> Any:
    return client.request(
        "PUT", f"/effecteurs/{doctor}/places/{place}/unavailability", token=token, json_body=payload
    )


def test_an_unavailability_hides_occurrences_and_slots_until_it_is_lifted(
    client: Client, rt: Runtime, doctor: str
) -> None:
    token = client.token("effecteur", doctor)
    day = tomorrow()
    create(client, doctor, token, day=day, recurrence_weekdays=list(range(7)))
    create(client, doctor, token, day=day, place_id="p2")
    assert len(manual_slots(rt, doctor)) == 3 * 4 + 4  # p1: the window's days from tomorrow, p2: one

    period = unavailability(
        client, doctor, token, periods=[{"from": str(day), "to": str(day + timedelta(days=1))}]
    )
    assert period.status == 200, period.body
    assert period.json()["periods"] == [{"from": str(day), "to": str(day + timedelta(days=1))}]
    found = agenda(client, doctor, token, day, day + timedelta(days=2))
    assert sorted((o["date"], o["place_id"], o["active"]) for o in found) == [
        (str(day), "p1", False),
        (str(day), "p2", True),
        (str(day + timedelta(days=1)), "p1", False),
        (str(day + timedelta(days=2)), "p1", True),  # reactivated after the period
    ]
    assert {s["place_id"] for s in manual_slots(rt, doctor) if s["start"].startswith(str(day))} == {"p2"}
    card = client.get(f"/effecteurs/{doctor}", token=client.token("regulator", "r")).json()
    assert [u["place_id"] for u in card["unavailabilities"]] == ["p1"]

    indefinite = unavailability(client, doctor, token, indefinite=True)
    assert indefinite.status == 200
    assert indefinite.json()["since"] is not None
    assert {s["place_id"] for s in manual_slots(rt, doctor)} == {"p2"}

    lifted = unavailability(client, doctor, token, indefinite=False, periods=[])
    assert lifted.json() == {"place_id": "p1", "indefinite": False, "since": None, "periods": []}
    assert len(manual_slots(rt, doctor)) == 3 * 4 + 4
    assert all(o["active"] for o in agenda(client, doctor, token, day, day + timedelta(days=2)))


@pytest.mark.parametrize(
    ("periods", "rule"),
    [
        ([(1, 2), (4, 5), (7, 8), (10, 11)], "too_many_periods"),
        ([(1, 5), (5, 8)], "overlapping_periods"),
        ([(3, 2)], "period_order"),
        ([(-5, -2)], "period_ended"),
    ],
)
def test_an_unavailability_breaking_a_rule(
    client: Client, doctor: str, periods: list[tuple[int, int]], rule: str
) -> None:
    payload = [
        {"from": str(today() + timedelta(days=a)), "to": str(today() + timedelta(days=b))} for a, b in periods
    ]
    response = unavailability(client, doctor, client.token("effecteur", doctor), periods=payload)
    assert response.status == 422, response.body
    assert (response.json()["field"], response.json()["rule"]) == ("periods", rule)


def test_an_unavailability_of_an_unknown_place_is_404(client: Client, doctor: str) -> None:
    response = unavailability(client, doctor, client.token("effecteur", doctor), place="p9", indefinite=True)
    assert (response.status, response.json()["field"]) == (404, "place_id")


def test_the_current_weeks_visible_hours_are_recorded(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    create(
        client, doctor, token, day=today(), recurrence_weekdays=list(range(7)), end="12:00", slot_minutes=30
    )
    create(
        client,
        doctor,
        token,
        day=today(),
        recurrence_weekdays=list(range(7)),
        start="11:00",
        end="13:00",
        mode="range",
        slot_minutes=None,
        capacity=2,
    )  # overlaps the first by an hour
    week = rt.participations.load_week(doctor, iso_week(today()))
    assert week is not None
    assert week["visible_minutes"] == 3 * 60 * (7 - today().weekday())


def test_an_editor_synced_effecteur_is_refused_the_manual_agenda(
    client: Client, rt: Runtime, doctor: str
) -> None:
    token = client.token("effecteur", doctor)
    created = create(client, doctor, token)
    participation_service.save_effecteur(
        rt,
        doctor,
        Declaration(
            participates=True,
            modality=Modality.INDIVIDUAL,
            uses_interfaced_software=True,
            editors=["demo-editor"],
        ),
        by="test",
    )
    refused = client.post(f"/effecteurs/{doctor}/availabilities", token=token, json_body=body(tomorrow()))
    assert (refused.status, refused.json()["rule"]) == (409, "editor_synced")
    assert "booking software" in refused.json()["message"]
    path = f"/effecteurs/{doctor}/availabilities/{created['id']}"
    assert (
        client.request("PATCH", f"{path}?scope=series", token=token, json_body={"end": "12:00"}).status == 409
    )
    assert [o["active"] for o in agenda(client, doctor, token, tomorrow(), tomorrow())] == [False]
    assert client.request("DELETE", f"{path}?scope=series", token=token).status == 204  # clearing is allowed


def test_who_may_do_what(client: Client, rt: Runtime, doctor: str) -> None:
    path = f"/effecteurs/{doctor}/availabilities"
    own = client.token("effecteur", doctor)
    created = create(client, doctor, own)
    agenda_path = f"/effecteurs/{doctor}/agenda?from={tomorrow()}&to={tomorrow()}"

    other = client.token("effecteur", "810000000002")
    assert client.post(path, token=other, json_body=body(tomorrow())).status == 403
    assert client.get(agenda_path, token=other).status == 403

    regulator = client.token("regulator", "reg-1")
    assert client.get(agenda_path, token=regulator).status == 200
    assert client.post(path, token=regulator, json_body=body(tomorrow())).status == 403
    patch_path = f"{path}/{created['id']}?scope=series"
    assert client.request("PATCH", patch_path, token=regulator, json_body={"end": "12:00"}).status == 403

    email = f"delegate-{doctor}@example.org"
    delegate = client.token("delegate", email)
    assert client.post(path, token=delegate, json_body=body(tomorrow())).status == 403  # no request yet
    request, _ = effecteurs_service.request_delegate(
        rt, doctor, delegates.DelegateRequest(last_name="D", first_name="D", city="Toulouse", email=email)
    )
    assert client.post(path, token=delegate, json_body=body(tomorrow())).status == 403  # not approved
    effecteurs_service.approve_delegate(rt, doctor, request.id)
    assert client.post(path, token=delegate, json_body=body(tomorrow())).status == 201

    manager = client.token("structure_manager", "m-1", structure_id=STRUCTURE)
    assert client.post(path, token=manager, json_body=body(tomorrow())).status == 201
    assert client.post(path, token=manager, json_body=body(tomorrow(), place_id="p2")).status == 403
    assert unavailability(client, doctor, manager, place="p2", indefinite=True).status == 403
    stranger = client.token("structure_manager", "m-2", structure_id="31CDS9999")
    assert client.post(path, token=stranger, json_body=body(tomorrow())).status == 403

    assert (
        client.post("/effecteurs/819999999999/availabilities", token=own, json_body=body(tomorrow())).status
        == 404
    )
    missing = client.request("DELETE", f"{path}/nope?scope=series", token=own)
    assert (missing.status, missing.json()["field"]) == (404, "availability_id")


def test_the_agenda_span_is_bounded(client: Client, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    backwards = client.get(f"/effecteurs/{doctor}/agenda?from={tomorrow()}&to={today()}", token=token)
    assert (backwards.status, backwards.json()["field"]) == (422, "to")
    too_long = client.get(
        f"/effecteurs/{doctor}/agenda?from={today()}&to={today() + timedelta(days=400)}", token=token
    )
    assert (too_long.status, too_long.json()["field"]) == (422, "to")
    missing = client.get(f"/effecteurs/{doctor}/agenda?to={today()}", token=token)
    assert (missing.status, missing.json()["field"]) == (422, "from")


def test_the_series_item_is_written_whole_with_its_version(client: Client, rt: Runtime, doctor: str) -> None:
    token = client.token("effecteur", doctor)
    created = create(client, doctor, token, recurrence_weekdays=[0, 1, 2, 3, 4, 5, 6])
    path = f"/effecteurs/{doctor}/availabilities/{created['id']}"
    client.request(
        "PATCH", f"{path}?scope=occurrence&date={tomorrow()}", token=token, json_body={"end": "10:30"}
    )
    key = {PK: effecteur_pk(doctor), SK: SERIES_PREFIX + created["id"]}
    item = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)).get_item(Key=key)["Item"]
    assert item["version"] == 2
    assert item["agenda_pk"] == "AGENDA"
    assert item["changes"] == {
        str(tomorrow()): {"cancelled": False, "start": None, "end": "10:30", "consultation_types": None}
    }
