"""SOS Médecins editors, end to end over real HTTP (the local FakeEditor): an association declares its SOS
editors, is polled by SIRET (10 per search), its sites' slots are stored as the association's with the doctor
on duty made known; slots of associations not asked or not declared are rejected; pushes follow the same
rules.

Each test uses its own editor id and association SIRETs on the session's shared platform."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from boto3.dynamodb.conditions import Key

from polling import poll_editor
from sas_common.fhir.model import RejectionCode
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest.apply import apply_answer
from sas_common.participation import service
from sas_common.participation.rules import StructureDeclaration
from sas_common.runtime import Runtime
from sas_common.stores.effecteurs import PLACE_PREFIX
from sas_common.tables import EFFECTEURS, PK, SK, structure_pk
from sas_common.territory import EditorConfig, EditorKind
from sas_local import fhir_shapes as shapes
from sas_local.fhir_editor import FakeDoctor, FakeEditor, FakePlace
from support import Client, TerritoryEditors, new_effecteur

pytestmark = pytest.mark.usefixtures("platform")
# A site with the editor's position, and one the platform geocodes (commune level, offline gazetteer).
NORTH = FakePlace(
    "12 avenue des Minimes", "31200", "Toulouse", 43.62, 1.43, None, "+33561000099", "Site Nord"
)
SOUTH = FakePlace("3 route d'Espagne", "31100", "Toulouse", None, None, None, "+33561000098", "Site Sud")
_numbers = itertools.count(1)


def sos_editor(territory_editors: TerritoryEditors, fake: FakeEditor, prefix: str = "sos") -> EditorConfig:
    """An SOS editor of the territory (an association may list only those), polling the test double."""
    return territory_editors.add(fake, prefix=prefix, kind=EditorKind.SOS)


def new_siret() -> str:
    return f"9{datetime.now(UTC):%H%M%S}{next(_numbers):07d}"


def new_doctor() -> str:
    return f"86{next(_numbers):04d}{datetime.now(UTC):%H%M%S}"


def declare(rt: Runtime, siret: str, *editors: str, participates: bool = True) -> None:
    declaration = StructureDeclaration(
        kind="sos_medecins",
        structure_name="SOS Médecins Toulouse",
        participates=participates,
        doctors=4,
        honour_two_hours_per_doctor=participates,
        editors=list(editors),
    )
    service.declare_structure(rt, siret, declaration, by="test")


def at(now: datetime, hours: float) -> tuple[datetime, datetime]:
    start = now + timedelta(hours=hours)
    return start, start + timedelta(minutes=20)


def stored(rt: Runtime, editor: EditorConfig, siret: str, now: datetime) -> list[dict[str, Any]]:
    return rt.slots.window_items(editor.id, "3" + siret, now, now + timedelta(hours=48))


def sites(rt: Runtime, siret: str) -> list[dict[str, Any]]:
    condition = Key(PK).eq(structure_pk(siret)) & Key(SK).begins_with(PLACE_PREFIX)
    table = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS))
    return table.query(KeyConditionExpression=condition)["Items"]


def test_an_association_is_polled_by_siret_and_its_sites_slots_are_its_own(
    rt: Runtime, territory_editors: TerritoryEditors, fake: FakeEditor, now: datetime, client: Client
) -> None:
    editor, siret, doctor = sos_editor(territory_editors, fake), new_siret(), new_doctor()
    declare(rt, siret, editor.id)
    on_duty = fake.add_sos_site(
        siret, [at(now, 1), at(now, 2)], NORTH, on_duty=FakeDoctor(doctor, "Durand", "Paul")
    )
    open_site = fake.add_sos_site(siret, [at(now, 3)], SOUTH)

    run = poll_editor(rt, editor, now)

    summary = run.as_dict()
    assert (summary["failed_batches"], summary["requested"], summary["accepted"], summary["rejected"]) == (
        0,
        1,
        3,
        0,
    )
    assert (summary["places_created"], summary["places_not_geocoded"]) == (2, 0)
    (request,) = fake.requests
    assert (request.path, request.identifiers) == ("/fhir/Schedule", ["3" + siret])
    items = {str(item["slot_key"]): item for item in stored(rt, editor, siret, now)}
    assert sorted(items) == sorted(on_duty + open_site)
    assert {key: items[key].get("doctor_id") for key in items} == {
        **dict.fromkeys(on_duty, doctor),
        **dict.fromkeys(open_site),
    }
    places = {str(place["name"]): place for place in sites(rt, siret)}
    assert set(places) == {"Site Nord", "Site Sud"}
    for place in places.values():
        assert (place["in_directory"], place["known_from"], place["geocoded"]) == (
            False,
            f"editor:{editor.id}",
            True,
        )
        assert place["structure_ids"] == [siret]
    assert {float(places["Site Nord"]["position"]["lat"])} == {43.62}  # the editor's own position
    assert all(items[key]["place_id"] == places["Site Nord"]["id"] for key in on_duty)
    assert all(
        items[key]["place_id"] == places["Site Sud"]["id"] and "cell_day" in items[key] for key in open_site
    )

    card = client.get(f"/effecteurs/{doctor}", token=client.token("regulator", "r")).json()
    assert (card["last_name"], card["first_name"]) == ("Durand", "Paul")
    assert (card["in_directory"], card["known_from"]) == (False, f"editor:{editor.id}")

    fake.mark_busy(on_duty[0])  # booked elsewhere: gone at the next poll, nothing made again
    second = poll_editor(rt, editor, now).as_dict()
    assert (second["accepted"], second["places_created"]) == (2, 0)
    assert sorted(str(item["slot_key"]) for item in stored(rt, editor, siret, now)) == sorted(
        [on_duty[1], *open_site]
    )


def test_associations_are_asked_ten_at_a_time(
    rt: Runtime, territory_editors: TerritoryEditors, fake: FakeEditor, now: datetime
) -> None:
    editor = sos_editor(territory_editors, fake)
    sirets = [new_siret() for _ in range(12)]
    for siret in sirets:
        declare(rt, siret, editor.id)
    fake.add_sos_site(sirets[11], [at(now, 1)], NORTH)

    run = poll_editor(rt, editor, now)

    assert [batch.requested for batch in run.batches] == [10, 2]
    assert sorted(len(request.identifiers) for request in fake.requests) == [2, 10]
    assert sorted(value for r in fake.requests for value in r.identifiers) == sorted("3" + s for s in sirets)
    assert run.as_dict()["accepted"] == 1


def test_only_participating_associations_that_list_the_editor_are_due(
    rt: Runtime, territory_editors: TerritoryEditors, fake: FakeEditor
) -> None:
    editor = sos_editor(territory_editors, fake)
    listed, other_editor, not_participating = new_siret(), new_siret(), new_siret()
    declare(rt, listed, editor.id)
    declare(rt, other_editor, sos_editor(territory_editors, fake, "some-other-sos-editor").id)
    declare(rt, not_participating, editor.id, participates=False)
    assert rt.participations.owners_showing(editor.id) == [listed]

    declare(rt, listed)  # the association takes the editor off its list: no longer polled
    assert rt.participations.owners_showing(editor.id) == []


def site_bundle(*sirets: str, start: datetime, doctor: str | None = None, slots: int = 2) -> dict[str, Any]:
    """An SOS editor's Bundle: one site per association, `slots` slots each, an hour apart."""
    entries: list[dict[str, Any]] = []
    for number, siret in enumerate(sirets):
        association = shapes.organization(f"org-{siret}", "3" + siret, name=f"SOS {number}")
        site = shapes.location(
            f"site-{siret}",
            name=f"Site {number}",
            line="12 avenue des Minimes",
            postal_code="31200",
            city="Toulouse",
            managing_organization=shapes.reference(association),
        )
        actors = [site]
        if doctor is not None:
            actors.append(shapes.practitioner(f"pra-{doctor}", doctor, family="Martin"))
        schedule = shapes.schedule(f"sch-{siret}", actors, profile="FrScheduleAgregateurSOS")
        found = [
            shapes.slot(
                f"slot-{siret}-{n}",
                schedule,
                start + timedelta(hours=n),
                start + timedelta(hours=n, minutes=20),
            )
            for n in range(slots)
        ]
        entries += [
            shapes.entry(resource, "https://sos.example/fhir")
            for resource in (schedule, *found, site, association, *actors[1:])
        ]
    return shapes.searchset(entries, total=len(sirets))


def test_slots_of_associations_not_asked_or_not_declared_are_rejected(
    rt: Runtime, territory_editors: TerritoryEditors, fake: FakeEditor, now: datetime
) -> None:
    editor = sos_editor(territory_editors, fake)
    asked, not_listing, undeclared, not_asked = new_siret(), new_siret(), new_siret(), new_siret()
    declare(rt, asked, editor.id)
    declare(rt, not_listing, sos_editor(territory_editors, fake, "some-other-sos-editor").id)
    declare(rt, not_asked, editor.id)
    body = site_bundle(asked, not_listing, undeclared, not_asked, start=now + timedelta(hours=1))
    result = map_slot_bundle(body, editor.kind)

    summary = apply_answer(
        rt, editor, [asked, not_listing, undeclared], now, now + timedelta(hours=48), result
    )

    assert {slot.sos.siret for slot in summary.accepted if slot.sos} == {asked}
    reasons = sorted(rejection.reason for rejection in summary.rejected)
    assert {rejection.code for rejection in summary.rejected} == {RejectionCode.NOT_DECLARED}
    assert len(reasons) == 6
    assert sum(f"association {not_asked} was not asked" in reason for reason in reasons) == 2
    assert sum(f"association {not_listing} did not declare" in reason for reason in reasons) == 2
    assert sum(f"association {undeclared} did not declare" in reason for reason in reasons) == 2
    assert set(summary.replaced) == {"3" + asked, "3" + not_listing}  # never declared: nothing to replace
    for siret in (not_listing, undeclared, not_asked):
        assert stored(rt, editor, siret, now) == []
    assert len(stored(rt, editor, asked, now)) == 2


@pytest.fixture
def territory_with(territory_editors: TerritoryEditors, fake: FakeEditor) -> EditorConfig:
    """The demo territory with one more editor, of kind sos (the demo file has none)."""
    return territory_editors.add(fake, prefix="sos", kind=EditorKind.SOS)


def push(client: Client, editor: EditorConfig, body: dict[str, Any]) -> dict[str, Any]:
    response = client.push_bundle(editor.id, body)
    assert response.status == 200, response.body
    outcome: dict[str, Any] = response.json()
    return outcome


def test_a_pushed_sos_bundle_follows_the_same_rules(
    rt: Runtime, client: Client, territory_with: EditorConfig, now: datetime
) -> None:
    editor, declared, undeclared, doctor = territory_with, new_siret(), new_siret(), new_doctor()
    declare(rt, declared, editor.id)

    first = push(
        client, editor, site_bundle(declared, undeclared, start=now + timedelta(hours=1), doctor=doctor)
    )

    assert first["issue"][0]["diagnostics"] == "2 slot(s) accepted"
    notes = [issue["diagnostics"] for issue in first["issue"] if issue["severity"] == "information"]
    assert any(note.startswith("1 place(s) not in the directory") for note in notes)
    assert any(note.startswith("1 doctor(s) on duty not in the directory") for note in notes)
    errors = [issue["diagnostics"] for issue in first["issue"] if issue["severity"] == "error"]
    assert len(errors) == 2
    assert all(error.startswith(f"not_declared: association {undeclared}") for error in errors)
    first_keys = sorted(str(item["slot_key"]) for item in stored(rt, editor, declared, now))
    assert first_keys == [f"slot-{declared}-0", f"slot-{declared}-1"]
    assert {item["doctor_id"] for item in stored(rt, editor, declared, now)} == {doctor}

    # The first slot again, now without a doctor: the span it covers is replaced, the second slot (after
    # that span) is kept as it was.
    push(client, editor, site_bundle(declared, start=now + timedelta(hours=1), slots=1))
    after = {str(item["slot_key"]): item for item in stored(rt, editor, declared, now)}
    assert sorted(after) == first_keys
    assert "doctor_id" not in after[f"slot-{declared}-0"]
    assert after[f"slot-{declared}-1"]["doctor_id"] == doctor


@pytest.mark.parametrize(
    ("structure_id", "body", "status", "rule"),
    [
        ("SIRET", {"editors": ["EDITOR"]}, 200, None),
        ("SIRET", {"editors": ["demo-editor"]}, 422, "unknown_editor"),  # a PS editor
        ("SIRET", {"editors": ["nowhere"]}, 422, "unknown_editor"),
        ("31SOS0001", {"editors": ["EDITOR"]}, 422, "structure_siret_required"),
        ("SIRET", {"kind": "cds", "editors": ["EDITOR"]}, 422, "structure_editors_sos_only"),
        ("31SOS0001", {}, 200, None),  # no editors: any structure id, as before
    ],
)
def test_a_structure_manager_lists_the_associations_sos_editors(
    rt: Runtime,
    client: Client,
    territory_with: EditorConfig,
    structure_id: str,
    body: dict[str, Any],
    status: int,
    rule: str | None,
) -> None:
    structure_id = new_siret() if structure_id == "SIRET" else structure_id
    editors = [territory_with.id if name == "EDITOR" else name for name in body.get("editors", [])]
    declaration = {
        "kind": "sos_medecins",
        "structure_name": "SOS Médecins Toulouse",
        "participates": True,
        "doctors": 6.5,
        "honour_two_hours_per_doctor": True,
        **body,
        "editors": editors,
    }
    manager = client.token("structure_manager", "m-sos", structure_id=structure_id)
    response = client.request(
        "PUT", f"/structures/{structure_id}/participation", json_body=declaration, token=manager
    )
    assert response.status == status, response.body
    if rule is not None:
        assert response.json()["rule"] == rule
    assert rt.participations.owners_showing(territory_with.id) == (
        [structure_id] if status == 200 and editors else []
    )


def test_a_doctor_cannot_list_an_sos_editor_in_their_own_declaration(
    rt: Runtime, client: Client, territory_with: EditorConfig
) -> None:
    national_id = new_effecteur(rt)
    declaration = {
        "participates": True,
        "modality": "individual",
        "uses_interfaced_software": True,
        "editors": [territory_with.id],
    }
    token = client.token("effecteur", national_id)
    response = client.request(
        "PUT", f"/effecteurs/{national_id}/participation", json_body=declaration, token=token
    )
    assert response.status == 422, response.body
    assert response.json()["rule"] == "unknown_editor"
    assert territory_with.id in response.json()["message"]


def test_an_association_that_drops_its_sos_editor_loses_that_editors_slots(
    rt: Runtime, territory_editors: TerritoryEditors, fake: FakeEditor, now: datetime
) -> None:
    editor, siret = sos_editor(territory_editors, fake), new_siret()
    declare(rt, siret, editor.id)
    fake.add_sos_site(siret, [at(now, 1), at(now, 2)], SOUTH)
    assert poll_editor(rt, editor, now).as_dict()["accepted"] == 2

    declare(rt, siret)  # the manager's new declaration lists no editor

    assert stored(rt, editor, siret, now) == []
    assert rt.participations.owners_showing(editor.id) == []
