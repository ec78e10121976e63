"""Eligibility through the HTTP API: an effecteur's indicators 8 and 9, a structure's indicator 8, who may
read them, and the evidence ingest records for editor-shared weeks.

Periods are last year's (the territory's), so every week and quarter asked is over. Declarations are stored
with a past date through the participations store (a save through the use case is dated now)."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fhir_samples import bundle, ps_graph
from sas_common.agenda import service as agenda
from sas_common.agenda.materialise import materialise
from sas_common.agenda.model import AvailabilityInput
from sas_common.auth import Principal, Role
from sas_common.eligibility.evidence import record_editor_evidence
from sas_common.eligibility.rules import Quarter, week_label, year_weeks
from sas_common.fhir.appointment import AppointmentRecord, AppointmentStatus, Identifier
from sas_common.fhir.slot_mapping import map_slot_bundle
from sas_common.ingest.apply import apply_answer
from sas_common.orientations import appointments
from sas_common.participation.versions import Saved
from sas_common.runtime import Runtime
from sas_common.slots.keys import utc_text
from sas_common.tables import ORIENTATIONS, PARTICIPATIONS, effecteur_pk, structure_pk
from support import Client, declaring, new_effecteur

EDITOR_ID = "demo-editor"
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
    "editors": [EDITOR_ID],
}


@pytest.fixture
def year(rt: Runtime) -> int:
    """Last year, in the territory's time: every week of it is over."""
    return datetime.now(rt.territory.zone).year - 1


def q1_mondays(year: int) -> list[dt.date]:
    quarter = Quarter(year, 1)
    return year_weeks(year, quarter.last_day, quarter.closing_day)


def local(rt: Runtime, day: dt.date, hour: int = 12) -> datetime:
    return datetime.combine(day, dt.time(hour), tzinfo=rt.territory.zone)


def declared_on(rt: Runtime, owner: str, content: dict[str, Any], when: datetime, version: int = 1) -> None:
    """A declaration version saved at `when` (through the store: the use case dates a save now)."""
    previous = rt.participations.load_current(owner)
    saved = Saved(owner, version, content, utc_text(when), "test")
    rt.participations.save(previous, saved, editors=frozenset(), declared=frozenset())


def doctor_declared(rt: Runtime, content: dict[str, Any], year: int) -> str:
    national_id = new_effecteur(rt)
    declared_on(rt, effecteur_pk(national_id), content, local(rt, dt.date(year - 1, 12, 1)))
    return national_id


def weeks_of(rt: Runtime, national_id: str, minutes: dict[dt.date, int]) -> None:
    """What the agenda froze (pattern 13) for these weeks, by Monday."""
    for monday, value in minutes.items():
        rt.participations.save_week(national_id, week_label(monday), monday, value, local(rt, monday))


def eligibility(client: Client, national_id: str, token: str | None = None, **query: Any) -> Any:
    token = token or client.token("effecteur", national_id)
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return client.get(f"/effecteurs/{national_id}/eligibility?{params}", token=token)


# --- indicator 8 -------------------------------------------------------------------------------------------


def test_two_hours_in_every_week_passes(client: Client, rt: Runtime, year: int) -> None:
    doctor = doctor_declared(rt, MANUAL, year)
    weeks_of(rt, doctor, dict.fromkeys(q1_mondays(year), 120))
    response = eligibility(client, doctor, year=year, quarter=1)
    assert response.status == 200, response.body
    eight = response.json()["indicator_8"]
    assert (eight["status"], eight["failing_weeks"]) == ("met", [])
    assert {(week["verdict"], week["hours"], week["required_hours"]) for week in eight["weeks"]} == {
        ("met", 2.0, 2.0)
    }
    assert eight["weeks"][0]["week"] == f"{year}-W01"
    assert response.json()["participation"]["source"] == "manual"


def test_a_zero_hour_week_fails_and_is_named(client: Client, rt: Runtime, year: int) -> None:
    mondays = q1_mondays(year)
    doctor = doctor_declared(rt, MANUAL, year)
    weeks_of(rt, doctor, {monday: 0 if monday == mondays[4] else 180 for monday in mondays})
    eight = eligibility(client, doctor, year=year, quarter=1).json()["indicator_8"]
    assert eight["status"] == "not_met"
    assert eight["failing_weeks"] == [week_label(mondays[4])]
    assert eight["weeks"][4]["verdict"] == "short"


def dst_sunday(year: int) -> dt.date:
    """The last Sunday of March: clocks go from 02:00 to 03:00."""
    day = dt.date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_a_dst_week_is_counted_in_real_time(client: Client, rt: Runtime, year: int) -> None:
    # 01:00-04:00 on the March change day lasts 2 hours, not 3; that week's only availability.
    doctor = doctor_declared(rt, MANUAL, year)
    sunday = dst_sunday(year)
    card = rt.effecteurs.load_card(doctor)
    assert card is not None
    body = AvailabilityInput.model_validate(
        {
            "place_id": "p1",
            "date": sunday.isoformat(),
            "start": "01:00",
            "end": "04:00",
            "mode": "range",
            "capacity": 2,
            "consultation_types": ["cabinet"],
        }
    )
    owner = Principal(doctor, Role.EFFECTEUR)
    agenda.create(rt, card, owner, body, now=local(rt, sunday - timedelta(days=6), 9))
    materialise(rt, doctor, local(rt, sunday, 12))  # the job's visit that Sunday freezes the week
    weeks = eligibility(client, doctor, year=year, quarter=1).json()["indicator_8"]["weeks"]
    [week] = [week for week in weeks if week["week"] == week_label(sunday)]
    assert (week["hours"], week["verdict"]) == (2.0, "met")


def test_an_interfaced_doctor_passes_without_hours(client: Client, rt: Runtime, year: int) -> None:
    doctor = doctor_declared(rt, SYNCED, year)
    for monday in q1_mondays(year):
        record_editor_evidence(
            rt, EDITOR_ID, {effecteur_pk(doctor): 4}, local(rt, monday + timedelta(days=2))
        )
    answer = eligibility(client, doctor, year=year, quarter=1).json()
    assert answer["participation"]["source"] == "editor"
    eight = answer["indicator_8"]
    assert eight["status"] == "met"
    assert {(week["source"], week["hours"], week["editor_slots"]) for week in eight["weeks"]} == {
        ("editor", 0, 1)
    }


def test_an_editor_week_without_slots_is_visible(client: Client, rt: Runtime, year: int) -> None:
    mondays = q1_mondays(year)
    doctor = doctor_declared(rt, SYNCED, year)
    for monday in mondays[:3] + mondays[4:]:
        record_editor_evidence(rt, EDITOR_ID, {effecteur_pk(doctor): 1}, local(rt, monday))
    eight = eligibility(client, doctor, year=year, quarter=1).json()["indicator_8"]
    assert eight["failing_weeks"] == [week_label(mondays[3])]
    assert eight["weeks"][3]["verdict"] == "no_editor_slots"


def test_accepted_editor_slots_are_this_weeks_evidence(client: Client, rt: Runtime) -> None:
    doctor = declaring(rt, EDITOR_ID)
    editor = rt.territory.editor(EDITOR_ID)
    assert editor is not None
    now = datetime.now(UTC)
    result = map_slot_bundle(bundle(ps_graph(doctor, slots=3)), editor.kind)
    apply_answer(rt, editor, [doctor], now, now + timedelta(hours=48), result)
    this_week = week_label(now.astimezone(rt.territory.zone).date())
    items = rt.participations.week_items(effecteur_pk(doctor), int(this_week[:4]))
    [evidence] = [item for item in items if "#EDITOR#" in item["sk"]]
    assert evidence["sk"] == f"WEEK#{this_week}#EDITOR#{EDITOR_ID}"
    assert evidence["slots"] == 3
    weeks = eligibility(client, doctor).json()["indicator_8"]["weeks"]
    # Declared this week: the week shows its evidence, and is not required (a week counts from its Monday).
    assert (weeks[-1]["week"], weeks[-1]["editor_slots"]) == (this_week, 1)
    assert weeks[-1]["verdict"] == "before_declaration"


def test_a_doctor_who_never_declared(client: Client, rt: Runtime, year: int) -> None:
    doctor = new_effecteur(rt)
    answer = eligibility(client, doctor, year=year, quarter=2).json()
    assert answer["participation"] is None
    assert answer["indicator_8"]["status"] == "not_participating"
    assert answer["indicator_9"]["count"] == 0


# --- indicator 9 -------------------------------------------------------------------------------------------


def appointment(
    rt: Runtime, national_id: str, start: datetime, status: AppointmentStatus = AppointmentStatus.BOOKED
) -> str:
    """An INT_R03 record of the demo editor; its id."""
    identifier = Identifier("urn:oid:1.2.3", f"{national_id}-{start.isoformat()}")
    record = AppointmentRecord(
        identifier=identifier,
        status=status,
        start=start,
        end=start + timedelta(minutes=15),
        created=start - timedelta(hours=2),
        operator=None,
        national_id=national_id,
    )
    appointments.create(rt, EDITOR_ID, record)
    return appointments.appointment_id(identifier)


def booking(
    rt: Runtime, national_id: str, booking_id: str, start: datetime, outcome: str = "confirmed"
) -> None:
    """A booking as the booking capability writes it (the contract indicator 9 reads)."""
    pk = f"BOOKING#{booking_id}"
    table = rt.aws.dynamodb.Table(rt.settings.table_name(ORIENTATIONS))
    table.put_item(
        Item={
            "pk": pk,
            "sk": "META",
            "booking_id": booking_id,
            "outcome": outcome,
            "snp": True,
            "effecteur_pk": effecteur_pk(national_id),
            "at_sk": f"{utc_text(start)}#{pk}",
        }
    )


def test_indicator_9_counts_a_linked_record_and_its_booking_once(
    client: Client, rt: Runtime, year: int
) -> None:
    doctor = doctor_declared(rt, MANUAL, year)
    quarter_start, quarter_end = Quarter(year, 2).bounds(rt.territory.zone)
    day = quarter_start + timedelta(days=10, hours=8)
    linked_start = day + timedelta(days=1)
    for n in range(3):
        appointment(rt, doctor, day + timedelta(hours=n))
    appointment(rt, doctor, day + timedelta(hours=5), AppointmentStatus.FULFILLED)
    appointment(rt, doctor, day + timedelta(hours=6), AppointmentStatus.CANCELLED)
    appointment(rt, doctor, day + timedelta(hours=7), AppointmentStatus.NOSHOW)
    appointment(rt, doctor, day + timedelta(hours=8), AppointmentStatus.PENDING)
    # The platform's booking of a slot and the editor's record of it: linked, one patient.
    record_id = appointment(rt, doctor, linked_start)
    booking(rt, doctor, f"b-{doctor}-1", linked_start)
    assert appointments.booking_made(rt, EDITOR_ID, doctor, linked_start, f"b-{doctor}-1") == record_id
    booking(rt, doctor, f"b-{doctor}-2", day + timedelta(days=2))
    booking(rt, doctor, f"b-{doctor}-3", day + timedelta(days=2, hours=1), "pending")
    booking(rt, doctor, f"b-{doctor}-4", day + timedelta(days=2, hours=2), "cancelled")
    # Outside the quarter: before its first instant, and at its end (the next quarter's first).
    appointment(rt, doctor, quarter_start - timedelta(minutes=1))
    booking(rt, doctor, f"b-{doctor}-5", quarter_end)

    nine = eligibility(client, doctor, year=year, quarter=2).json()["indicator_9"]
    # 4 booked + 1 fulfilled records, 2 confirmed bookings, one of them linked: 6 patients.
    assert nine == {
        "quarter": f"{year}-Q2",
        "count": 6,
        "band": "5-15",
        "amount_eur": 70.0,
        "bookings": 2,
        "records": 5,
        "linked": 1,
    }


@pytest.mark.parametrize(("records", "band", "amount"), [(4, "<5", 0.0), (5, "5-15", 70.0)])
def test_indicator_9_first_band_edge(
    client: Client, rt: Runtime, year: int, records: int, band: str, amount: float
) -> None:
    doctor = doctor_declared(rt, MANUAL, year)
    first = Quarter(year, 3).bounds(rt.territory.zone)[0] + timedelta(days=3, hours=9)
    for n in range(records):
        appointment(rt, doctor, first + timedelta(hours=n))
    nine = eligibility(client, doctor, year=year, quarter=3).json()["indicator_9"]
    assert (nine["count"], nine["band"], nine["amount_eur"]) == (records, band, amount)


# --- who may read it, and bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "sub", "status"),
    [
        ("effecteur", "self", 200),
        ("effecteur", "810000000002", 403),
        ("territory_admin", "admin", 200),
        ("delegate", "d@example.org", 403),
        ("structure_manager", "m", 403),
        ("regulator", "r", 403),
        ("editor", "e", 403),
    ],
)
def test_who_may_read_an_effecteurs_eligibility(
    client: Client, rt: Runtime, role: str, sub: str, status: int
) -> None:
    doctor = new_effecteur(rt, structure_ids=["31CDS0042"])
    claims: dict[str, Any] = {"structure_id": "31CDS0042"} if role == "structure_manager" else {}
    if role == "editor":
        claims["editor_id"] = EDITOR_ID
    token = client.token(role, doctor if sub == "self" else sub, **claims)
    assert eligibility(client, doctor, token=token).status == status


def test_an_unknown_effecteur_is_404(client: Client) -> None:
    response = eligibility(client, "899999999999", token=client.token("territory_admin", "a"))
    assert response.status == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"year": 2100}, "year"),
        ({"year": 2021}, "year"),
        ({"quarter": 5}, "quarter"),
        ({"quarter": 0}, "quarter"),
        ({"quarter": "last"}, "quarter"),
        ({"year": "soon"}, "year"),
    ],
)
def test_bad_periods_are_422_naming_the_parameter(
    client: Client, rt: Runtime, query: dict[str, Any], field: str
) -> None:
    doctor = new_effecteur(rt)
    response = eligibility(client, doctor, **query)
    assert response.status == 422, response.body
    assert response.json()["field"] == field


def test_a_future_year_names_the_rule(client: Client, rt: Runtime) -> None:
    doctor = new_effecteur(rt)
    next_year = datetime.now(rt.territory.zone).year + 1
    answer = eligibility(client, doctor, year=next_year).json()
    assert (answer["field"], answer["rule"]) == ("year", "future_period")


# --- a structure's indicator 8 ---------------------------------------------------------------------------

CENTRE = {
    "kind": "cds",
    "structure_name": "Centre de santé",
    "participates": True,
    "doctors": 2,
    "honour_two_hours_per_doctor": True,
}


def structure_weeks(rt: Runtime, structure_id: str, minutes: dict[dt.date, int]) -> None:
    """A structure's frozen weeks (`STRUCT#<id> / WEEK#…`, as a structure's own agenda will write them)."""
    table = rt.aws.dynamodb.Table(rt.settings.table_name(PARTICIPATIONS))
    for monday, value in minutes.items():
        table.put_item(
            Item={
                "pk": structure_pk(structure_id),
                "sk": f"WEEK#{week_label(monday)}",
                "visible_minutes": value,
            }
        )


def test_a_structures_weeks_need_two_hours_per_doctor(client: Client, rt: Runtime, year: int) -> None:
    structure_id = f"31CDS{year}{new_effecteur(rt)[-4:]}"
    declared_on(rt, structure_pk(structure_id), CENTRE, local(rt, dt.date(year - 1, 12, 1)))
    mondays = q1_mondays(year)
    structure_weeks(rt, structure_id, {monday: 180 if monday == mondays[2] else 240 for monday in mondays})
    token = client.token("structure_manager", "m", structure_id=structure_id)
    response = client.get(f"/structures/{structure_id}/eligibility?year={year}&quarter=1", token=token)
    assert response.status == 200, response.body
    answer = response.json()
    assert answer["participation"] == {
        "participates": True,
        "modality": "cds",
        "source": "manual",
        "required_hours_per_week": 4.0,
    }
    assert answer["indicator_8"]["failing_weeks"] == [week_label(mondays[2])]
    assert answer["indicator_8"]["weeks"][0]["required_hours"] == 4.0

    other = client.token("structure_manager", "m", structure_id="31CDS0000")
    assert client.get(f"/structures/{structure_id}/eligibility", token=other).status == 403
    admin = client.token("territory_admin", "a")
    assert client.get(f"/structures/{structure_id}/eligibility?year={year}", token=admin).status == 200
    assert client.get("/structures/31NODECL/eligibility", token=admin).status == 404
