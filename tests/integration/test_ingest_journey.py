"""Issue 4's journey over real HTTP, against what `make run` starts: the demo territory, with its editor's
FHIR test double listening where the territory file points it, and a second editor that is down.

An effecteur who declared the demo editor gets its slots after `/_local/jobs/poll-editors`; a push
replaces them; an appointment record is created, replayed, cancelled and read back; the down editor's
run fails and is reported while the other proceeds."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from fhir_samples import appointment, bundle, ps_graph
from local_process import free_port, local_platform
from sas_common.identifiers import NATIONAL_ID_SYSTEM
from sas_common.territory import load_territory, territory_path
from sas_local import fhir_shapes as shapes
from sas_local.demo_editor import afternoon_slots
from sas_local.seed import DEMO_EFFECTEURS

MARTIN, BERNARD = (effecteur.national_id for effecteur, _ in DEMO_EFFECTEURS)
EDITOR_SYSTEM = "urn:oid:1.2.3.4.5"


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    demo = json.loads(territory_path("demo").read_text(encoding="utf-8"))
    demo["editors"][0]["fhir_base_url"] = f"http://127.0.0.1:{free_port()}/fhir"
    down = {
        **demo["editors"][0],
        "id": "down-editor",
        "fhir_base_url": f"http://127.0.0.1:{free_port()}/fhir",
    }
    demo["editors"].append(down)
    territory = tmp_path_factory.mktemp("territory") / "demo.json"
    territory.write_text(json.dumps(demo), encoding="utf-8")
    with local_platform({"SAS_TERRITORY_CONFIG": str(territory)}) as (_, base, lines):
        assert any(line.startswith("demo editor (FHIR test double) on ") for line in lines)
        with httpx.Client(base_url=base, timeout=60) as client:
            yield client


def token(http: httpx.Client, role: str, sub: str, **claims: str) -> dict[str, str]:
    answer = http.post("/_local/token", json={"role": role, "sub": sub, **claims})
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def poll_runs(http: httpx.Client) -> dict[str, dict[str, Any]]:
    answer = http.post("/_local/jobs/poll-editors")
    assert answer.status_code == 200, answer.text
    return {run["editor_id"]: run for run in answer.json()["runs"]}


def test_poll_push_and_appointment_records_over_http(http: httpx.Client) -> None:
    zone = load_territory(territory_path("demo")).zone
    served = afternoon_slots(datetime.now(UTC), zone)
    # MARTIN now declares the editor that is down (an effecteur edits their own declaration).
    declared = http.put(
        f"/effecteurs/{MARTIN}/participation",
        json={
            "participates": True,
            "modality": "individual",
            "uses_interfaced_software": True,
            "editors": ["down-editor"],
        },
        headers=token(http, "effecteur", MARTIN),
    )
    assert declared.status_code == 200, declared.text

    runs = poll_runs(http)

    demo, down = runs["demo-editor"], runs["down-editor"]
    assert (demo["due"], demo["batches_done"], demo["failed_batches"]) == (1, 1, 0)
    assert demo["slots_received"] == demo["accepted"] == len(served) > 0
    assert (down["due"], down["failed_batches"], down["accepted"]) == (1, 1, 0)
    assert down["last_error"].startswith("connection error")
    assert down["breaker_state"] == "closed"  # one failure; five open it

    # The editor pushes BERNARD's slots for the whole window: what the poll brought there is replaced.
    first = datetime.now(UTC) + timedelta(hours=1)
    graph = ps_graph(BERNARD, slots=1, tag="push") + ps_graph(BERNARD, slots=1, tag="late")
    late_start = first + timedelta(hours=46)
    for entry, start in zip(
        [e for e in graph if e["resource"]["resourceType"] == "Slot"], (first, late_start), strict=True
    ):
        entry["resource"]["start"] = start.isoformat()
        entry["resource"]["end"] = (start + timedelta(minutes=15)).isoformat()
    editor = token(http, "editor", "demo-client", editor_id="demo-editor")
    pushed = http.post(
        "/fhir/Bundle",
        content=json.dumps(bundle(graph)),
        headers={**editor, "content-type": "application/fhir+json"},
    )
    assert pushed.status_code == 200, pushed.text
    notes = [issue["diagnostics"] for issue in pushed.json()["issue"]]
    assert notes[0] == "2 slot(s) accepted"
    replaced = [slot for slot in served if first <= slot.start < late_start + timedelta(minutes=15)]
    assert replaced  # the span holds at least tomorrow afternoon's slots
    assert (
        f"{len(replaced)} slot(s) held from this editor in the span and absent from the Bundle removed"
        in notes
    )

    # An appointment record: created, replayed, cancelled, read back where Location points.
    record = appointment(
        identifier=[{"system": EDITOR_SYSTEM, "value": "rdv-1"}],
        participant=[
            {"actor": {"identifier": shapes.typed_identifier(NATIONAL_ID_SYSTEM, BERNARD, "IDNPS")}}
        ],
    )
    fhir = {**editor, "content-type": "application/fhir+json"}
    created = http.post("/fhir/Appointment", content=json.dumps(record), headers=fhir)
    assert created.status_code == 201, created.text
    replay = http.post("/fhir/Appointment", content=json.dumps(record), headers=fhir)
    assert (replay.status_code, replay.headers["location"]) == (200, created.headers["location"])
    cancelled = http.put(
        f"/fhir/Appointment?identifier={EDITOR_SYSTEM}|rdv-1",
        content=json.dumps({**record, "status": "cancelled"}),
        headers=fhir,
    )
    assert cancelled.status_code == 200, cancelled.text
    read = http.get(created.headers["location"], headers=editor)
    assert read.status_code == 200, read.text
    assert (read.json()["status"], read.json()["meta"]["versionId"]) == ("cancelled", "2")


def test_the_demo_editors_slots_come_back_at_the_next_poll(http: httpx.Client) -> None:
    runs = poll_runs(http)
    assert runs["demo-editor"]["failed_batches"] == 0
    assert runs["demo-editor"]["accepted"] == runs["demo-editor"]["slots_received"] > 0
