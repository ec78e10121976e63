"""Issue 3's "done when", as one journey through the HTTP API: an admin imports an extract; the effecteur
declares participation, opens a recurring availability across the March daylight-saving change, edits one
occurrence, declares an unavailability; the card and the agenda show the result."""

from __future__ import annotations

from datetime import date, timedelta

from sas_local.extract_sample import HEADER, doctor_line
from support import Client

RPPS = "30000000077"
DOCTOR = "8" + RPPS


def next_spring_change(today: date) -> date:
    """The next last Sunday of March (02:00 → 03:00 in Paris) at least a week away: the test never ages."""
    for year in (today.year, today.year + 1):
        last_day = date(year, 3, 31)
        sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
        if sunday - timedelta(days=7) > today:
            return sunday
    raise AssertionError("unreachable")


CHANGE = next_spring_change(date.today())
MONDAY_BEFORE = CHANGE - timedelta(days=6)


def test_the_effecteur_journey(client: Client) -> None:
    admin = client.token("territory_admin", "admin")
    extract = "\n".join([HEADER, doctor_line(RPPS, site=0), doctor_line(RPPS, site=1)]) + "\n"
    imported = client.post(
        "/directory/imports", body=extract.encode(), headers={"content-type": "text/plain"}, token=admin
    )
    assert imported.status == 200, imported.body
    assert imported.json()["imported"] == 2

    own = client.token("effecteur", DOCTOR)
    card = client.get(f"/effecteurs/{DOCTOR}", token=own).json()
    place = card["places"][0]["id"]

    declaration = {
        "participates": True,
        "modality": "individual",
        "uses_interfaced_software": False,
        "honour_two_hours": True,
    }
    declared = client.request("PUT", f"/effecteurs/{DOCTOR}/participation", json_body=declaration, token=own)
    assert declared.status == 200

    weekly = {
        "place_id": place,
        "date": str(MONDAY_BEFORE),
        "start": "10:00",
        "end": "12:00",
        "mode": "slots",
        "slot_minutes": 15,
        "consultation_types": ["cabinet"],
        "recurrence_weekdays": [0],
    }
    created = client.post(f"/effecteurs/{DOCTOR}/availabilities", json_body=weekly, token=own)
    assert created.status == 201, created.body
    series = created.json()["id"]

    moved = {"start": "14:00", "end": "15:00"}
    third_monday = MONDAY_BEFORE + timedelta(days=14)
    edited = client.request(
        "PATCH",
        f"/effecteurs/{DOCTOR}/availabilities/{series}?scope=occurrence&date={third_monday}",
        json_body=moved,
        token=own,
    )
    assert edited.status == 200, edited.body

    week = timedelta(days=7)
    fifth_monday = MONDAY_BEFORE + 4 * week
    period = {
        "indefinite": False,
        "periods": [{"from": str(fifth_monday), "to": str(fifth_monday + timedelta(6))}],
    }
    unavailable = client.request(
        "PUT", f"/effecteurs/{DOCTOR}/places/{place}/unavailability", json_body=period, token=own
    )
    assert unavailable.status == 200, unavailable.body

    span = f"from={MONDAY_BEFORE}&to={MONDAY_BEFORE + 5 * week}"
    agenda = client.get(f"/effecteurs/{DOCTOR}/agenda?{span}", token=own).json()
    starts = {occurrence["start"]: occurrence["active"] for occurrence in agenda["occurrences"]}
    monday = [MONDAY_BEFORE + n * week for n in range(6)]
    assert starts == {
        f"{monday[0]}T10:00:00+01:00": True,  # winter time
        f"{monday[1]}T10:00:00+02:00": True,  # summer time: still 10:00 on the wall
        f"{monday[2]}T14:00:00+02:00": True,  # the edited occurrence
        f"{monday[3]}T10:00:00+02:00": True,
        f"{monday[4]}T10:00:00+02:00": False,  # inside the unavailability
        f"{monday[5]}T10:00:00+02:00": True,  # reactivated after it, with no one doing anything
    }

    card = client.get(f"/effecteurs/{DOCTOR}", token=client.token("regulator", "r")).json()
    assert card["participation"]["honour_two_hours"] is True
    assert [u["place_id"] for u in card["unavailabilities"]] == [place]
    assert len(card["places"]) == 2
