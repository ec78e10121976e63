"""Editor slots go as soon as their owner no longer shows that editor (docs/domain.md: editor slots of an
effecteur who refused their display must never be shown), not when they expire."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fhir_samples import START, bundle, ps_graph
from sas_common.runtime import Runtime
from support import Client, declaring

EDITOR_ID = "demo-editor"
SHOWN = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": True,
    "editors": [EDITOR_ID],
}


def stored(rt: Runtime, national_id: str) -> int:
    return len(
        rt.slots.window_items(EDITOR_ID, national_id, START - timedelta(hours=1), START + timedelta(hours=48))
    )


def with_editor_slots(rt: Runtime, client: Client) -> str:
    national_id = declaring(rt, EDITOR_ID)  # as SHOWN
    pushed = client.push_bundle(EDITOR_ID, bundle(ps_graph(national_id, slots=3, tag=national_id)))
    assert pushed.status == 200, pushed.body
    assert stored(rt, national_id) == 3
    return national_id


@pytest.mark.parametrize(
    ("change", "kept"),
    [
        ({"refuses_editor_slots": True, "honour_two_hours": True}, 0),  # refuses their display
        ({"uses_interfaced_software": False, "editors": [], "honour_two_hours": True}, 0),  # no software
        ({"forfait_reorientation": True}, 3),  # still shows the editor: nothing to remove
    ],
    ids=["refuses-display", "no-software", "unrelated-change"],
)
def test_a_declaration_that_stops_showing_an_editor_removes_its_slots(
    rt: Runtime, client: Client, change: dict[str, Any], kept: int
) -> None:
    national_id = with_editor_slots(rt, client)
    token = client.token("effecteur", national_id)

    response = client.request(
        "PUT", f"/effecteurs/{national_id}/participation", json_body={**SHOWN, **change}, token=token
    )

    assert response.status == 200, response.body
    assert stored(rt, national_id) == kept


def test_a_territory_reset_removes_every_editor_slot_of_the_declarations_it_resets(
    rt: Runtime, client: Client
) -> None:
    national_id = with_editor_slots(rt, client)
    admin = client.token("territory_admin", "admin-1")
    body: dict[str, Any] = {}
    for _ in range(1000):  # page by page, as an admin's client would
        page = client.post("/participations/reset", json_body=body, token=admin)
        assert page.status == 200, page.body
        if page.json()["done"]:
            break
        body = {"reset_id": page.json()["reset_id"], "cursor": page.json()["cursor"]}
    assert stored(rt, national_id) == 0
