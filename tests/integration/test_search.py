"""The regulator's search over HTTP: manual and editor slots together, in the documented order, with the
right booking mode; what is hidden; the cursor; the limits; the en-sus directory.

Each test puts its doctors at a point of its own (a few km apart at most, far from the seed and the other
tests' Toulouse doctors) and searches a small radius around it, so the shared platform's other data never
shows in its results."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from fhir_samples import BASE
from sas_common.effecteurs.model import Effecteur, Place, Position
from sas_common.geo import distance_km
from sas_common.participation import service as participation
from sas_common.participation.rules import Declaration
from sas_common.participation.versions import Saved
from sas_common.runtime import Runtime
from sas_common.slots.model import BOOKED
from sas_common.tables import SLOTS, effecteur_pk
from sas_local import fhir_shapes as shapes
from sas_local.fhir_editor import FakeEditor
from support import Client, TerritoryEditors

DEMO_EDITOR = "demo-editor"  # level 2 in the demo territory
_ids = itertools.count(1)


TOULOUSE = Position(lat=43.6045, lon=1.4440)  # where the seed's and the other tests' doctors practise


def _spots_of_the_31() -> Iterator[Position]:
    """Points of the 31 at least 25 km from each other and from Toulouse."""
    for row, column in itertools.product(range(5), range(6)):
        point = Position(lat=42.95 + 0.22 * row, lon=0.60 + 0.25 * column)
        if distance_km(point, TOULOUSE) > 25:
            yield point


_spots = _spots_of_the_31()


@pytest.fixture
def spot() -> Position:
    """A point of this test's own: nothing else within 8 km of it but what the test puts there."""
    return next(_spots)


def at(spot: Position, km_east: float) -> Position:
    return Position(lat=spot.lat, lon=spot.lon + km_east / 81.0)  # ≈ 81 km per degree of longitude here


def doctor(rt: Runtime, where: Position, *, name: str = "TEST", specialty: str | None = "SM54") -> str:
    national_id = f"86{next(_ids):010d}"
    rt.effecteurs.put_effecteur(
        Effecteur(
            national_id=national_id,
            last_name=name,
            first_name="Doc",
            specialty_code=specialty,
            phone="0500000000",
        ),
        [Place(id="p1", address="1 rue du Test", postal_code="31160", city="Aspet", position=where)],
    )
    return national_id


def declare(rt: Runtime, national_id: str, *editors: str) -> None:
    declaration = (
        Declaration(
            participates=True, modality="individual", uses_interfaced_software=True, editors=list(editors)
        )
        if editors
        else Declaration(
            participates=True, modality="individual", uses_interfaced_software=False, honour_two_hours=True
        )
    )
    participation.save_effecteur(rt, national_id, declaration, by="test")


def start_in(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def editor_slots(
    national_id: str,
    where: Position,
    starts: list[datetime],
    *,
    tag: str,
    consultation: tuple[str, ...] = ("AMB",),
    booking_url: str | None = None,
    walk_in: bool = False,
    visibility: tuple[str, ...] = ("SNP",),
) -> list[dict[str, Any]]:
    person = shapes.practitioner(f"pra-{tag}", national_id, family="Editor", given="Doc")
    location = shapes.location(
        "loc",
        name="Cabinet",
        line="2 rue du Test",
        postal_code="31160",
        city="Aspet",
        lat=where.lat,
        lon=where.lon,
    )
    role = shapes.practitioner_role(f"role-{tag}", person, place=location, phone="+33561000009")
    schedule = shapes.schedule(f"sch-{tag}", [person, role])
    found = [
        shapes.slot(
            f"slot-{tag}-{n}",
            schedule,
            begin,
            begin + timedelta(minutes=15),
            consultation=consultation,
            booking_url=booking_url,
            walk_in=walk_in,
            visibility=visibility,
        )
        for n, begin in enumerate(starts)
    ]
    return [shapes.entry(slot, BASE, mode="match") for slot in found] + [
        shapes.entry(resource, BASE, mode="include") for resource in (schedule, person, role)
    ]


def push(client: Client, editor_id: str, *graphs: list[dict[str, Any]]) -> None:
    entries = [entry for graph in graphs for entry in graph]
    answer = client.push_bundle(
        editor_id, shapes.searchset(entries, total=sum(1 for e in entries if e["search"]["mode"] == "match"))
    )
    assert answer.status == 200, answer.body
    issues = answer.json()["issue"]
    assert all(issue["severity"] != "error" for issue in issues), issues


def manual_range(client: Client, national_id: str, day: str, start: str, end: str, **extra: Any) -> None:
    body = {
        "place_id": "p1",
        "date": day,
        "start": start,
        "end": end,
        "mode": "range",
        "capacity": 2,
        "consultation_types": ["cabinet"],
        **extra,
    }
    created = client.post(
        f"/effecteurs/{national_id}/availabilities",
        json_body=body,
        token=client.token("effecteur", national_id),
    )
    assert created.status == 201, created.body


def search(client: Client, where: Position, radius: float = 8, **params: str) -> dict[str, Any]:
    query = "&".join(
        f"{name}={quote(value)}"
        for name, value in {
            "lat": str(where.lat),
            "lon": str(where.lon),
            "radius_km": str(radius),
            **params,
        }.items()
    )
    answer = client.get(f"/search/slots?{query}", token=client.token("regulator", "reg-search"))
    assert answer.status == 200, answer.body
    body: dict[str, Any] = answer.json()
    return body


def mine(results: list[dict[str, Any]], *national_ids: str) -> list[dict[str, Any]]:
    return [r for r in results if r["effecteur"] and r["effecteur"]["national_id"] in national_ids]


@pytest.fixture
def level_one(territory_editors: TerritoryEditors) -> Iterator[str]:
    """A level-1 editor of the territory (slots only: redirect or phone)."""
    with FakeEditor() as fake:
        yield territory_editors.add(fake, prefix="level-one", level=1).id


def test_manual_and_editor_slots_come_together_with_their_booking_mode(
    client: Client, rt: Runtime, spot: Position, level_one: str
) -> None:
    manual, direct, redirect, phone = (doctor(rt, at(spot, km)) for km in (0.5, 1.0, 1.5, 2.0))
    declare(rt, manual)
    declare(rt, direct, DEMO_EDITOR)
    declare(rt, redirect, level_one)
    declare(rt, phone, level_one)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    manual_range(client, manual, tomorrow, "10:00", "12:00")
    soon = [start_in(3)]
    push(client, DEMO_EDITOR, editor_slots(direct, at(spot, 1.0), soon, tag=f"d{direct}"))
    push(
        client,
        level_one,
        editor_slots(
            redirect,
            at(spot, 1.5),
            soon,
            tag=f"r{redirect}",
            booking_url="https://book.example/s/1?origin=other&x=1",
        ),
        editor_slots(phone, at(spot, 2.0), soon, tag=f"p{phone}"),
    )
    results = mine(search(client, spot)["results"], manual, direct, redirect, phone)
    modes = {r["effecteur"]["national_id"]: (r["source"], r["booking"], r["booking_url"]) for r in results}
    assert modes == {
        manual: ("manual", "phone", None),
        direct: ("editor", "direct", None),
        redirect: ("editor", "redirect", "https://book.example/s/1?x=1&origin=sas"),
        phone: ("editor", "phone", None),
    }
    card = next(r for r in results if r["effecteur"]["national_id"] == direct)
    assert card["editor_id"] == DEMO_EDITOR
    assert card["editor_level"] == 2
    assert card["effecteur"]["modality"] == "individual"
    assert card["place"]["distance_km"] == pytest.approx(1.0, abs=0.1)


def test_the_order_is_treating_doctor_then_in_person_by_distance_band_then_start_then_teleconsultation(
    client: Client, rt: Runtime, spot: Position
) -> None:
    near, far, treating, tele = (doctor(rt, at(spot, km)) for km in (1.0, 7.0, 7.5, 0.2))
    for national_id in (near, far, treating, tele):
        declare(rt, national_id, DEMO_EDITOR)
    early, late = start_in(3), start_in(6)
    push(
        client,
        DEMO_EDITOR,
        editor_slots(near, at(spot, 1.0), [late], tag=f"n{near}"),
        editor_slots(far, at(spot, 7.0), [early], tag=f"f{far}"),
        editor_slots(treating, at(spot, 7.5), [late], tag=f"t{treating}"),
        editor_slots(tele, at(spot, 0.2), [early], tag=f"v{tele}", consultation=("VR",)),
    )
    order = [
        r["effecteur"]["national_id"]
        for r in mine(search(client, spot, treating_doctor=treating)["results"], near, far, treating, tele)
    ]
    assert order == [treating, near, far, tele]  # near (band 0-5) before far (5-10) though it starts later
    only_tele = mine(
        search(client, spot, consultation_type="teleconsultation")["results"], near, far, treating, tele
    )
    assert [r["effecteur"]["national_id"] for r in only_tele] == [tele]
    assert only_tele[0]["priority"] == "in_person"  # only teleconsultation asked: not put last


def test_teleconsultation_slots_come_from_anywhere_in_the_territory(
    client: Client, rt: Runtime, spot: Position
) -> None:
    far_away = Position(lat=43.75, lon=1.60)  # ≈ 100 km from the test's point
    remote, visit = doctor(rt, far_away), doctor(rt, far_away)
    declare(rt, remote, DEMO_EDITOR)
    declare(rt, visit, DEMO_EDITOR)
    push(
        client,
        DEMO_EDITOR,
        editor_slots(remote, far_away, [start_in(4)], tag=f"tele{remote}", consultation=("VR",)),
        editor_slots(visit, far_away, [start_in(4)], tag=f"amb{visit}"),
    )
    results = mine(search(client, spot, radius=5)["results"], remote, visit)
    assert [(r["effecteur"]["national_id"], r["priority"]) for r in results] == [(remote, "teleconsultation")]


def test_identical_slots_of_two_editors_interleave_day_after_day(
    client: Client, rt: Runtime, spot: Position, level_one: str
) -> None:
    pairs = [(doctor(rt, at(spot, 1.0)), doctor(rt, at(spot, 1.0))) for _ in range(6)]
    starts = [start_in(3 + hour) for hour in range(6)]
    for (one, other), begin in zip(pairs, starts, strict=True):
        declare(rt, one, DEMO_EDITOR)
        declare(rt, other, level_one)
        push(client, DEMO_EDITOR, editor_slots(one, at(spot, 1.0), [begin], tag=f"a{one}"))
        push(client, level_one, editor_slots(other, at(spot, 1.0), [begin], tag=f"b{other}"))
    results = search(client, spot)["results"]
    firsts = []
    for one, other in pairs:
        pair = [r["editor_id"] for r in mine(results, one, other)]
        assert len(pair) == 2
        firsts.append(pair[0])
    assert set(firsts) == {DEMO_EDITOR, level_one}, firsts  # neither editor always first


def test_what_must_be_hidden_is(client: Client, rt: Runtime, spot: Position) -> None:
    away, refused, held, full, shown = (doctor(rt, at(spot, 1.0)) for _ in range(5))
    for national_id in (away, refused, held, shown):
        declare(rt, national_id, DEMO_EDITOR)
    declare(rt, full)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    manual_range(client, full, tomorrow, "14:00", "16:00")
    soon = [start_in(5)]
    push(
        client,
        DEMO_EDITOR,
        *(editor_slots(n, at(spot, 1.0), soon, tag=f"h{n}") for n in (away, refused, held, shown)),
    )
    # the place of `away` is unavailable from now on
    editor_place = next(r for r in search(client, spot)["results"] if r["effecteur"]["national_id"] == away)[
        "place"
    ]["id"]
    token = client.token("effecteur", away)
    path = f"/effecteurs/{away}/places/{editor_place}/unavailability"
    closed = client.request("PUT", path, json_body={"indefinite": True}, token=token)
    assert closed.status == 200, closed.body
    # `refused`'s declaration no longer shows the editor, its slots not yet withdrawn (a race): still hidden
    _declaration_without_slot_withdrawal(rt, refused)
    # `held`'s slot is held by a booking; `full`'s range has no place left
    table = rt.aws.dynamodb.Table(rt.settings.table_name(SLOTS))
    for national_id, source in ((held, DEMO_EDITOR), (full, "manual")):
        for item in rt.slots.window_items(
            source, national_id, datetime.now(UTC), datetime.now(UTC) + timedelta(days=3)
        ):
            capacity = int(item.get("capacity") or 1)
            table.update_item(
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET #b = :n",
                ExpressionAttributeNames={"#b": BOOKED},
                ExpressionAttributeValues={":n": capacity},
            )
    results = mine(search(client, spot)["results"], away, refused, held, full, shown)
    assert [r["effecteur"]["national_id"] for r in results] == [shown]


def _declaration_without_slot_withdrawal(rt: Runtime, national_id: str) -> None:
    owner = effecteur_pk(national_id)
    previous = rt.participations.load_current(owner)
    assert previous is not None
    refused = Declaration(
        participates=True,
        modality="individual",
        uses_interfaced_software=True,
        editors=[DEMO_EDITOR],
        refuses_editor_slots=True,
        honour_two_hours=True,
    )
    saved = Saved(
        owner, previous.version + 1, refused.model_dump(mode="json"), "2026-01-01T00:00:00Z", "test"
    )
    rt.participations.save(previous, saved, editors=frozenset(), declared=frozenset({DEMO_EDITOR}))


def test_pages_follow_each_other_without_overlap(client: Client, rt: Runtime, spot: Position) -> None:
    national_id = doctor(rt, at(spot, 0.5))
    declare(rt, national_id, DEMO_EDITOR)
    push(
        client,
        DEMO_EDITOR,
        editor_slots(
            national_id, at(spot, 0.5), [start_in(2 + n / 4) for n in range(7)], tag=f"pg{national_id}"
        ),
    )
    everything = [r["slot_id"] for r in mine(search(client, spot, page_size="100")["results"], national_id)]
    assert len(everything) == 7
    seen: list[str] = []
    answer = search(client, spot, page_size="3")
    while True:
        seen += [r["slot_id"] for r in mine(answer["results"], national_id)]
        if answer["cursor"] is None:
            break
        answer = search(client, spot, page_size="3", cursor=answer["cursor"])
    assert seen == everything


def test_pages_follow_each_other_inside_a_partition_read_in_several_queries(
    client: Client, rt: Runtime, spot: Position
) -> None:
    """More slots in a cell's day than a search's first read of it takes, its earliest ones held, and
    teleconsultations among them: the search reads it Query after Query; pages of 7 still give exactly what
    a page of 100 gives, in the documented order."""
    near, far = doctor(rt, at(spot, 0.5)), doctor(rt, at(spot, 6.0))
    declare(rt, near, DEMO_EDITOR)
    declare(rt, far, DEMO_EDITOR)
    push(
        client,
        DEMO_EDITOR,
        editor_slots(near, at(spot, 0.5), [start_in(2 + n / 12) for n in range(48)], tag=f"a{near}"),
        editor_slots(
            far,
            at(spot, 6.0),
            [start_in(1 + n / 12) for n in range(12)],
            tag=f"b{far}",
            consultation=("AMB", "VR"),
        ),
    )
    table = rt.aws.dynamodb.Table(rt.settings.table_name(SLOTS))
    now = datetime.now(UTC)
    for item in rt.slots.window_items(DEMO_EDITOR, near, now, now + timedelta(days=1))[:20]:  # the earliest
        table.update_item(
            Key={"pk": item["pk"], "sk": item["sk"]},
            UpdateExpression="SET #b = :n",
            ExpressionAttributeNames={"#b": BOOKED},
            ExpressionAttributeValues={":n": 1},
        )
    one_page = mine(search(client, spot, page_size="100")["results"], near, far)
    assert [r["effecteur"]["national_id"] for r in one_page] == [near] * 28 + [far] * 12  # band 0, then 1
    seen: list[str] = []
    answer = search(client, spot, page_size="7")
    while True:
        seen += [r["slot_id"] for r in mine(answer["results"], near, far)]
        if answer["cursor"] is None:
            break
        answer = search(client, spot, page_size="7", cursor=answer["cursor"])
    assert seen == [r["slot_id"] for r in one_page]


def test_a_tampered_or_foreign_cursor_is_refused(client: Client, rt: Runtime, spot: Position) -> None:
    national_id = doctor(rt, at(spot, 0.5))
    declare(rt, national_id, DEMO_EDITOR)
    push(
        client,
        DEMO_EDITOR,
        editor_slots(national_id, at(spot, 0.5), [start_in(2), start_in(3)], tag=f"c{national_id}"),
    )
    cursor = search(client, spot, page_size="1")["cursor"]
    assert cursor
    payload, mac = cursor.split(".")
    token = client.token("regulator", "r")
    base = f"/search/slots?lat={spot.lat}&lon={spot.lon}&radius_km=8&page_size=1"
    for bad in (payload + "." + mac[::-1], "x" + cursor, "garbage", payload):
        refused = client.get(f"{base}&cursor={quote(bad)}", token=token)
        assert (refused.status, refused.json()["field"]) == (400, "cursor"), bad
    other = client.get(
        f"/search/slots?lat={spot.lat}&lon={spot.lon}&radius_km=9&page_size=1&cursor={quote(cursor)}",
        token=token,
    )
    assert (other.status, other.json()["field"]) == (400, "cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("lon=1.4", "lat"),
        ("lat=91&lon=1.4", "lat"),
        ("lat=43&lon=x", "lon"),
        ("lat=43&lon=1.4&radius_km=0", "radius_km"),
        ("lat=43&lon=1.4&radius_km=-3", "radius_km"),
        ("lat=43&lon=1.4&radius_km=101", "radius_km"),
        ("lat=43&lon=1.4&page_size=101", "page_size"),
        ("lat=43&lon=1.4&page_size=0", "page_size"),
        ("lat=43&lon=1.4&consultation_type=video", "consultation_type"),
        ("lat=43&lon=1.4&visibility=SECRET", "visibility"),
        ("lat=43&lon=1.4&walk_in=maybe", "walk_in"),
        ("lat=43&lon=1.4&treating_doctor=123", "treating_doctor"),
        ("lat=43&lon=1.4&from=2020-01-01T00:00:00%2B00:00&to=2020-01-02T00:00:00%2B00:00", "to"),
        ("lat=43&lon=1.4&from={later}&to={soon}", "from"),
        ("lat=43&lon=1.4&to={nine_days}", "to"),
        ("lat=43&lon=1.4&from=tomorrow", "from"),
        ("lat=43&lon=1.4&colour=blue", "colour"),
    ],
)
def test_bad_criteria_are_400_naming_the_parameter(client: Client, query: str, field: str) -> None:
    now = datetime.now(UTC)
    filled = query.format(
        later=quote((now + timedelta(hours=5)).isoformat()),
        soon=quote((now + timedelta(hours=2)).isoformat()),
        nine_days=quote((now + timedelta(days=9)).isoformat()),
    )
    answer = client.get(f"/search/slots?{filled}", token=client.token("regulator", "r"))
    assert answer.status == 400, answer.body
    assert answer.json()["field"] == field


@pytest.mark.parametrize(
    ("role", "claims"), [("effecteur", {}), ("editor", {"editor_id": DEMO_EDITOR}), ("territory_admin", {})]
)
def test_only_regulators_search(client: Client, role: str, claims: dict[str, str]) -> None:
    token = client.token(role, "810000000001", **claims)
    assert client.get("/search/slots?lat=43.6&lon=1.44", token=token).status == 403
    assert client.get("/search/en-sus?lat=43.6&lon=1.44", token=token).status == 403


def test_en_sus_shows_when_slots_are_few_and_only_participants(
    client: Client, rt: Runtime, spot: Position
) -> None:
    accepting, not_participating = doctor(rt, at(spot, 1.0), name="ENSUS"), doctor(rt, at(spot, 2.0))
    declare(rt, accepting)
    participation.save_effecteur(rt, not_participating, Declaration(), by="test")
    answer = search(client, spot, consultation_type="cabinet,domicile")  # no teleconsultation from anywhere
    assert answer["en_sus"] is not None
    listed = [entry["effecteur"]["national_id"] for entry in answer["en_sus"]]
    assert accepting in listed
    assert not_participating not in listed
    direct = client.get(
        f"/search/en-sus?lat={spot.lat}&lon={spot.lon}&radius_km=8", token=client.token("regulator", "r")
    )
    entries = [e for e in direct.json()["results"] if e["effecteur"]["national_id"] == accepting]
    assert entries[0]["place"]["distance_km"] == pytest.approx(1.0, abs=0.1)
    assert entries[0]["effecteur"]["modality"] == "individual"
