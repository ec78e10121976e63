"""Every path that saves a declaration has all of its effects: the en-sus directory (index `by_ensus_cell`)
and the editors polled (index `by_editor`) follow the declaration, whether a doctor saves it or a territory
admin's reset does."""

from __future__ import annotations

from typing import Any

from sas_common.geo import cell_of
from sas_common.runtime import Runtime
from support import Client, new_effecteur

PARTICIPATING = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}
NOT_PARTICIPATING = {"participates": False, "uses_interfaced_software": False}
SYNCED = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": True,
    "editors": ["demo-editor"],
}


def declare(client: Client, national_id: str, body: dict[str, Any]) -> None:
    token = client.token("effecteur", national_id)
    answer = client.request("PUT", f"/effecteurs/{national_id}/participation", json_body=body, token=token)
    assert answer.status == 200, answer.body


def in_en_sus(rt: Runtime, national_id: str) -> bool:
    card = rt.effecteurs.load_card(national_id)
    assert card is not None
    place = card.places[0]
    assert place.position is not None
    filed = rt.effecteurs.en_sus_places(cell_of(place.position))
    return (national_id, place.id) in [(owner, filed_place.id) for owner, filed_place in filed]


def reset_everything(client: Client) -> None:
    admin = client.token("territory_admin", "admin")
    body: dict[str, Any] = {"limit": 100}
    while True:
        page = client.post("/participations/reset", json_body=body, token=admin)
        assert page.status == 200, page.body
        if page.json()["done"]:
            return
        body = {"limit": 100, "reset_id": page.json()["reset_id"], "cursor": page.json()["cursor"]}


def test_a_participating_doctor_is_in_en_sus_until_they_stop_participating(
    client: Client, rt: Runtime
) -> None:
    doctor = new_effecteur(rt)
    assert not in_en_sus(rt, doctor)
    declare(client, doctor, PARTICIPATING)
    assert in_en_sus(rt, doctor)
    declare(client, doctor, NOT_PARTICIPATING)
    assert not in_en_sus(rt, doctor)


def test_a_reset_takes_every_doctor_out_of_en_sus_and_stops_their_polls(client: Client, rt: Runtime) -> None:
    manual, synced = new_effecteur(rt), new_effecteur(rt)
    declare(client, manual, PARTICIPATING)
    declare(client, synced, SYNCED)
    assert in_en_sus(rt, manual)
    assert in_en_sus(rt, synced)
    assert synced in rt.participations.owners_showing("demo-editor")

    reset_everything(client)

    assert not in_en_sus(rt, manual)
    assert not in_en_sus(rt, synced)
    assert synced not in rt.participations.owners_showing("demo-editor")
    declaration = rt.participations.declaration(manual)
    assert declaration is not None
    assert declaration.participates is False
