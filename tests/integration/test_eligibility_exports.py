"""The exports: the territory's quarter of effecteurs and month of regulators' shifts as CSV, downloaded
by territory admins and written to the territory's bucket by the scheduled job, the same when recomputed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest

from sas_common.eligibility import service
from sas_common.eligibility.csv_export import EFFECTEUR_COLUMNS, SHIFT_COLUMNS
from sas_common.eligibility.holidays import is_public_holiday
from sas_common.eligibility.rules import Month, Quarter, week_label, year_weeks
from sas_common.jobs import EXPORT_ELIGIBILITY
from sas_common.participation.versions import Saved
from sas_common.runtime import Runtime
from sas_common.slots.keys import utc_text
from sas_common.stores import exports
from sas_local.functions import job_function_name
from sas_local.platform import LocalPlatform
from support import Client, new_effecteur

MANUAL = {
    "participates": True,
    "modality": "individual",
    "uses_interfaced_software": False,
    "honour_two_hours": True,
}


@pytest.fixture
def year(rt: Runtime) -> int:
    return datetime.now(rt.territory.zone).year - 1


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def declared_doctor(rt: Runtime, year: int, *, hours_every_week: bool, last_name: str) -> str:
    """A doctor declared before `year`, with 2 h in every first-quarter week, or one week short."""
    doctor = new_effecteur(rt, last_name=last_name)
    when = datetime(year - 1, 12, 1, 12, tzinfo=rt.territory.zone)
    saved = Saved(f"EFF#{doctor}", 1, MANUAL, utc_text(when), "test")
    rt.participations.save(None, saved, editors=frozenset(), declared=frozenset())
    quarter = Quarter(year, 1)
    for number, monday in enumerate(year_weeks(year, quarter.last_day, quarter.closing_day)):
        minutes = 0 if number == 2 and not hours_every_week else 120
        rt.participations.save_week(doctor, week_label(monday), monday, minutes, when)
    return doctor


def test_the_quarters_effecteurs_download(client: Client, rt: Runtime, year: int) -> None:
    met = declared_doctor(rt, year, hours_every_week=True, last_name="=CMD()")
    short = declared_doctor(rt, year, hours_every_week=False, last_name="Le Goff, Anne")
    admin = client.token("territory_admin", "a")
    response = client.get(f"/eligibility/exports/effecteurs?year={year}&quarter=1", token=admin)
    assert response.status == 200, response.body
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="effecteurs-{year}-Q1.csv"' in response.headers["content-disposition"]
    text = response.body.decode()
    assert text.splitlines()[0] == ",".join(EFFECTEUR_COLUMNS)
    by_id = {row["national_id"]: row for row in rows(text)}
    assert by_id[met]["indicator_8"] == "met"
    assert by_id[met]["last_name"] == "'=CMD()"  # never a formula
    assert by_id[short]["last_name"] == "Le Goff, Anne"
    week = week_label(year_weeks(year, Quarter(year, 1).last_day, Quarter(year, 1).closing_day)[2])
    assert (by_id[short]["indicator_8"], by_id[short]["indicator_8_failing_weeks"]) == ("not_met", week)
    assert by_id[met]["indicator_9_band"] == "<5"
    # The demo's effecteurs declared through the seed are in it too; structures' declarations are not.
    assert "810000000001" in by_id
    assert all(row["national_id"].startswith(("8", "0")) for row in by_id.values())


def test_the_download_in_pages_is_the_whole_file(client: Client, rt: Runtime, year: int) -> None:
    declared_doctor(rt, year, hours_every_week=True, last_name="PAGED")
    admin = client.token("territory_admin", "a")
    path = f"/eligibility/exports/effecteurs?year={year}&quarter=1"
    whole = client.get(path, token=admin).body.decode()
    pages, cursor = [], None
    while True:
        response = client.get(path + "&limit=3" + (f"&cursor={quote(cursor)}" if cursor else ""), token=admin)
        assert response.status == 200, response.body
        pages.append(response.body.decode())
        cursor = response.headers.get("x-next-cursor")
        if cursor is None:
            break
        assert response.headers["link"].endswith('>; rel="next"')
        assert len(pages) < 1000
    assert len(pages) > 1
    assert "".join(pages) == whole  # the header on the first page only, every line once, in order


@pytest.mark.parametrize(
    ("role", "claims"),
    [("effecteur", {}), ("regulator", {}), ("structure_manager", {"structure_id": "x"}), ("delegate", {})],
)
def test_only_territory_admins_download_exports(client: Client, role: str, claims: dict[str, Any]) -> None:
    token = client.token(role, "someone", **claims)
    assert client.get("/eligibility/exports/effecteurs", token=token).status == 403
    assert client.get("/eligibility/exports/regulation", token=token).status == 403


@pytest.mark.parametrize(
    "query", ["year=2100", "year=2021", "quarter=9", "year=next"], ids=["future", "before", "quarter", "text"]
)
def test_bad_periods(client: Client, query: str) -> None:
    response = client.get(
        f"/eligibility/exports/effecteurs?{query}", token=client.token("territory_admin", "a")
    )
    assert response.status == 422
    assert response.json()["field"] in ("year", "quarter")


def workday(rt: Runtime) -> dt.date:
    day = datetime.now(rt.territory.zone).date().replace(day=1)
    while day.weekday() >= 5 or is_public_holiday(day, rt.territory.departments):
        day += timedelta(days=1)
    return day


def test_the_months_regulation_download(client: Client, rt: Runtime) -> None:
    regulator, day = f"reg-{uuid.uuid4().hex[:8]}", workday(rt)
    start = datetime.combine(day, dt.time(19), tzinfo=rt.territory.zone)
    body = {
        "start": start.isoformat(),
        "end": (start + timedelta(hours=3)).isoformat(),
        "association_id": "amrl",
    }
    token = client.token("regulator", regulator)
    assert client.post(f"/regulators/{regulator}/shifts", json_body=body, token=token).status == 201
    month = Month.of(day).label
    admin = client.token("territory_admin", "a")
    response = client.get(f"/eligibility/exports/regulation?month={month}", token=admin)
    assert response.status == 200, response.body
    text = response.body.decode()
    assert text.splitlines()[0] == ",".join(SHIFT_COLUMNS)
    [row] = [row for row in rows(text) if row["regulator_id"] == regulator]
    assert (row["month"], row["minutes"], row["paid_minutes"], row["amount_eur"]) == (
        month,
        "180",
        "60",
        "90.00",
    )
    assert row["start"] == start.isoformat()
    assert client.get("/eligibility/exports/regulation?month=2026-1", token=admin).status == 422


# --- the scheduled job ------------------------------------------------------------------------------------


def run_export(platform: LocalPlatform, event: dict[str, Any] | None = None) -> dict[str, Any]:
    if event is None:
        return platform.run_job(EXPORT_ELIGIBILITY.name)
    summary: dict[str, Any] = platform.invoke(job_function_name(EXPORT_ELIGIBILITY.name), event)
    return summary


def test_the_job_writes_a_period_asked_and_recomputing_writes_the_same(
    platform: LocalPlatform, rt: Runtime, year: int
) -> None:
    doctor = declared_doctor(rt, year, hours_every_week=True, last_name="EXPORT")
    summary = run_export(platform, {"quarter": f"{year}-Q1"})
    assert summary["exported"] == [f"effecteurs/{year}-Q1.csv"]
    first = rt.exports.read(f"effecteurs/{year}-Q1.csv")
    [row] = [row for row in rows(first.decode()) if row["national_id"] == doctor]
    assert row["indicator_8"] == "met"
    run_export(platform, {"quarter": f"{year}-Q1"})
    assert rt.exports.read(f"effecteurs/{year}-Q1.csv") == first  # replaced, never added to


def test_the_scheduled_run_writes_the_closed_periods_once(platform: LocalPlatform, rt: Runtime) -> None:
    rt.state.save_cursor(EXPORT_ELIGIBILITY.name, {})
    today = datetime.now(rt.territory.zone).date()
    quarter, month = service.closed_quarter(today), Month.of(today).previous()
    summary = run_export(platform)
    assert summary["exported"] == [f"effecteurs/{quarter.label}.csv", f"regulation/{month.label}.csv"]
    assert rt.exports.read(f"regulation/{month.label}.csv").decode().startswith(",".join(SHIFT_COLUMNS))
    assert run_export(platform)["exported"] == []  # already written: the next run writes nothing


def test_a_large_export_is_sent_in_parts(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports, "PART_BYTES", 5 * 1024 * 1024)  # S3's smallest part
    line = "x" * 1023 + "\n"
    written = rt.exports.write("test/large.csv", (line for _ in range(11 * 1024)))
    assert written == 11 * 1024 * 1024
    assert rt.exports.read("test/large.csv") == line.encode() * (11 * 1024)
