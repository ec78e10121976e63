"""Editor slots applied to the platform: declarations filter, replace semantics, `POST /fhir/Bundle`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fhir_samples import SLOT_LENGTH, START, bundle, ps_graph, sos_graph
from sas_common.fhir.model import RejectionCode
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest.apply import apply_answer
from sas_common.participation import service
from sas_common.participation.rules import Declaration
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig, EditorKind
from support import Client, new_effecteur

pytestmark = pytest.mark.usefixtures("platform")  # apply_answer runs against the local platform's tables
EDITOR_ID = "demo-editor"
WINDOW = (START - timedelta(hours=1), START + timedelta(hours=48))


def editor(rt: Runtime) -> EditorConfig:
    found = rt.territory.editor(EDITOR_ID)
    assert found is not None
    return found


def declared(rt: Runtime, *, editors: list[str] | None = None, refuses: bool = False) -> str:
    national_id = new_effecteur(rt)
    declaration = Declaration(
        participates=True,
        modality="individual",
        uses_interfaced_software=True,
        editors=[EDITOR_ID] if editors is None else editors,
        refuses_editor_slots=refuses,
        honour_two_hours=refuses,
    )
    service.save_effecteur(rt, national_id, declaration, by="test")
    return national_id


def stored_keys(rt: Runtime, national_id: str) -> list[str]:
    return sorted(str(item["slot_key"]) for item in rt.slots.window_items(EDITOR_ID, national_id, *WINDOW))


# --- apply_answer ------------------------------------------------------------------------------------


def test_only_declared_effecteurs_get_slots(rt: Runtime) -> None:
    shown, other_editor, refused = declared(rt), declared(rt, editors=["other"]), declared(rt, refuses=True)
    unknown = "870999999999"
    graphs = [ps_graph(n, slots=2, tag=n) for n in (shown, other_editor, refused, unknown)]
    result = map_slot_bundle(bundle(*graphs), editor(rt).kind)
    summary = apply_answer(rt, editor(rt), [shown, other_editor, refused, unknown], *WINDOW, result)

    assert {slot.national_id for slot in summary.accepted} == {shown}
    codes = {r.code for r in summary.rejected}
    assert codes == {RejectionCode.NOT_DECLARED, RejectionCode.UNKNOWN_EFFECTEUR}
    assert sum(r.code is RejectionCode.NOT_DECLARED for r in summary.rejected) == 4
    assert stored_keys(rt, shown) == [f"slot-{shown}-0", f"slot-{shown}-1"]
    for national_id in (other_editor, refused, unknown):
        assert stored_keys(rt, national_id) == []
    assert unknown not in summary.replaced


def test_a_doctor_asked_without_slots_in_the_answer_loses_them(rt: Runtime) -> None:
    national_id = declared(rt)
    first = map_slot_bundle(bundle(ps_graph(national_id, slots=3)), editor(rt).kind)
    apply_answer(rt, editor(rt), [national_id], *WINDOW, first)
    assert len(stored_keys(rt, national_id)) == 3

    empty = map_slot_bundle(bundle(), editor(rt).kind)
    summary = apply_answer(rt, editor(rt), [national_id], *WINDOW, empty)
    assert stored_keys(rt, national_id) == []
    assert summary.replaced[national_id].deleted == 3


def test_slots_outside_the_window_or_of_doctors_not_asked_are_rejected(rt: Runtime) -> None:
    asked, not_asked = declared(rt), declared(rt)
    result = map_slot_bundle(bundle(ps_graph(asked, slots=2), ps_graph(not_asked)), editor(rt).kind)
    window = (START + SLOT_LENGTH, START + timedelta(hours=1))  # the first slot starts before it
    summary = apply_answer(rt, editor(rt), [asked], *window, result)
    assert [slot.slot_id for slot in summary.accepted] == [f"slot-{asked}-1"]
    codes = sorted(r.code.value for r in summary.rejected)
    assert codes == [RejectionCode.NOT_DECLARED.value, RejectionCode.OUTSIDE_WINDOW.value]
    assert stored_keys(rt, not_asked) == []


def test_sos_site_slots_applied_as_a_doctors_editor_are_rejected(rt: Runtime) -> None:
    # A PS editor is asked about doctors: a site's slot names none (SOS editors: test_ingest_sos.py).
    result = map_slot_bundle(bundle(sos_graph(slots=2)), EditorKind.SOS)
    assert len(result.slots) == 2
    summary = apply_answer(rt, editor(rt), [], *WINDOW, result)
    assert summary.accepted == []
    assert {r.code for r in summary.rejected} == {RejectionCode.NO_NATIONAL_ID}


# --- POST /fhir/Bundle -------------------------------------------------------------------------------


def push(client: Client, body: Any, *, token: str | None = None, raw: bytes | None = None) -> Any:
    if token is None:
        return client.push_bundle(EDITOR_ID, raw if raw is not None else body)
    data = raw if raw is not None else json.dumps(body).encode()
    return client.post(
        "/fhir/Bundle", body=data, headers={"content-type": "application/fhir+json"}, token=token
    )


def test_a_push_replaces_the_span_it_covers(rt: Runtime, client: Client) -> None:
    national_id = declared(rt)
    first = push(client, bundle(ps_graph(national_id, slots=3, tag="a")))
    assert first.status == 200, first.body
    assert stored_keys(rt, national_id) == [f"slot-a-{n}" for n in range(3)]

    second = push(client, bundle(ps_graph(national_id, slots=3, tag="b")))
    assert second.status == 200, second.body
    assert second.headers["content-type"].startswith("application/fhir+json")
    outcome = second.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["diagnostics"] == "3 slot(s) accepted"
    assert outcome["issue"][0]["expression"] == ["Bundle.entry[0]", "Bundle.entry[1]", "Bundle.entry[2]"]
    assert stored_keys(rt, national_id) == [f"slot-b-{n}" for n in range(3)]


def test_a_push_for_a_doctor_who_did_not_declare_the_editor_stores_nothing(
    rt: Runtime, client: Client
) -> None:
    shown, undeclared = declared(rt), new_effecteur(rt)
    response = push(client, bundle(ps_graph(shown, tag="s"), ps_graph(undeclared, tag="u")))
    assert response.status == 200, response.body
    issues = response.json()["issue"]
    assert issues[0]["expression"] == ["Bundle.entry[0]"]
    rejected = [issue for issue in issues if issue["severity"] == "error"]
    assert len(rejected) == 1
    assert rejected[0]["expression"] == ["Bundle.entry[4]"]
    assert rejected[0]["diagnostics"].startswith("not_declared: ")
    assert stored_keys(rt, undeclared) == []
    assert stored_keys(rt, shown) == ["slot-s-0"]


def test_an_empty_bundle_replaces_nothing(client: Client) -> None:
    response = push(client, bundle())
    assert response.status == 200, response.body
    assert response.json()["issue"][0]["diagnostics"] == "0 slot(s) accepted"


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b'{"no": "resourceType"}', b'{"resourceType": "Patient"}'],
)
def test_garbage_is_400_operation_outcome(client: Client, raw: bytes) -> None:
    response = push(client, None, raw=raw)
    assert response.status == 400, response.body
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"


@pytest.mark.parametrize(
    ("role", "claims"),
    [("regulator", {}), ("editor", {"editor_id": "not-in-territory"})],
)
def test_who_may_push(rt: Runtime, client: Client, role: str, claims: dict[str, str]) -> None:
    token = client.token(role, "someone", **claims)
    response = push(client, bundle(ps_graph(declared(rt))), token=token)
    assert response.status == 403, response.body
    assert response.json()["resourceType"] == "OperationOutcome"
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_other_routes_keep_the_platform_errors(rt: Runtime, client: Client) -> None:
    token = client.token("editor", "client-1", editor_id=EDITOR_ID)
    response = client.get(f"/effecteurs/{new_effecteur(rt)}", token=token)
    assert response.status == 403
    assert response.json()["error"] == "forbidden"


@pytest.mark.parametrize(
    ("shift", "kept"),
    [
        (timedelta(hours=-5), 0),
        (timedelta(hours=46), 3),
        (timedelta(hours=47, minutes=40), 2),
        (timedelta(days=3), 0),
    ],
    ids=["ended", "within-48h", "straddling-48h", "beyond-48h"],
)
def test_only_slots_starting_in_the_next_48_hours_are_taken(
    rt: Runtime, client: Client, shift: timedelta, kept: int
) -> None:
    """Slots start now + shift + 0/15/30 min; the platform aggregates what starts in now → now + 48 h."""
    national_id = declared(rt)
    graph = ps_graph(national_id, slots=3, tag="w")
    first = datetime.now(UTC) + shift
    for entry in graph:
        slot = entry["resource"]
        if slot["resourceType"] == "Slot":
            for bound in ("start", "end"):
                moved = datetime.fromisoformat(slot[bound]) - START + first
                slot[bound] = moved.isoformat()

    response = push(client, bundle(graph))

    assert response.status == 200, response.body
    issues = response.json()["issue"]
    assert issues[0]["diagnostics"] == f"{kept} slot(s) accepted"
    outside = [issue for issue in issues if issue["diagnostics"].startswith("outside_window: ")]
    assert len(outside) == 3 - kept
    assert (
        len(
            rt.slots.window_items(
                EDITOR_ID, national_id, START - timedelta(days=2), START + timedelta(days=4)
            )
        )
        == kept
    )


def test_a_push_naming_too_many_doctors_is_refused_whole(rt: Runtime, client: Client) -> None:
    shown = declared(rt)
    doctors = [shown] + [f"8{n:011d}" for n in range(7_000_000_001, 7_000_000_101)]  # 101 doctors
    response = push(client, bundle(*(ps_graph(doctor, tag=f"many-{n}") for n, doctor in enumerate(doctors))))
    assert response.status == 422, response.body
    [issue] = response.json()["issue"]
    assert "at most 100 doctors or associations, this one 101" in issue["diagnostics"]
    assert stored_keys(rt, shown) == []  # nothing applied
