"""Liberal regulators' shifts through the HTTP API: logging, listing and deleting within the month, every
refusal named, the association's statement, and overlaps refused even when two arrive at once.

Shifts are logged in the month in progress (the territory's), on its first weekday that is not a holiday,
so the test holds on any day it runs."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sas_common.eligibility import service
from sas_common.eligibility.holidays import is_public_holiday
from sas_common.eligibility.rules import Month
from sas_common.eligibility.shifts import PaidShift, Shift
from sas_common.errors import RuleViolation
from sas_common.runtime import Runtime
from support import Client

ASSOCIATION = "amrl31"


@pytest.fixture
def regulator() -> str:
    return f"reg-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def workday(rt: Runtime) -> dt.date:
    """The month in progress' first weekday that is no public holiday."""
    day = datetime.now(rt.territory.zone).date().replace(day=1)
    while day.weekday() >= 5 or is_public_holiday(day, rt.territory.departments):
        day += timedelta(days=1)
    return day


def at(rt: Runtime, day: dt.date, clock: str) -> str:
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day, dt.time(hour, minute), tzinfo=rt.territory.zone).isoformat()


def log(client: Client, regulator: str, start: str, end: str, token: str | None = None, **extra: Any) -> Any:
    token = token or client.token("regulator", regulator)
    body = {"start": start, "end": end, "association_id": ASSOCIATION, **extra}
    return client.post(f"/regulators/{regulator}/shifts", json_body=body, token=token)


def test_a_shift_is_logged_listed_and_deleted(
    client: Client, rt: Runtime, regulator: str, workday: dt.date
) -> None:
    logged = log(client, regulator, at(rt, workday, "18:00"), at(rt, workday, "22:00"))
    assert logged.status == 201, logged.body
    shift = logged.json()
    assert (shift["minutes"], shift["paid_minutes"], shift["amount_eur"]) == (240, 120, 180.0)
    assert shift["start"] == at(rt, workday, "18:00")

    token = client.token("regulator", regulator)
    listed = client.get(f"/regulators/{regulator}/shifts", token=token).json()
    assert listed["month"] == Month.of(workday).label
    assert [one["id"] for one in listed["shifts"]] == [shift["id"]]
    assert (listed["paid_minutes"], listed["paid_hours"], listed["amount_eur"]) == (120, 2.0, 180.0)
    admin = client.token("territory_admin", "a")
    assert client.get(f"/regulators/{regulator}/shifts", token=admin).status == 200

    path = f"/regulators/{regulator}/shifts/{shift['id']}"
    assert client.request("DELETE", path, token=token).status == 204
    assert client.request("DELETE", path, token=token).status == 404
    assert client.get(f"/regulators/{regulator}/shifts", token=token).json()["shifts"] == []


def test_a_month_of_shifts_across_the_edges(
    client: Client, rt: Runtime, regulator: str, workday: dt.date
) -> None:
    saturday = workday + timedelta(days=(5 - workday.weekday()) % 7)
    sunday = saturday + timedelta(days=1)
    shifts = [
        (at(rt, workday, "06:00"), at(rt, workday, "09:30")),  # 90 min paid: from 08:00
        (at(rt, workday, "19:00"), at(rt, workday + timedelta(days=1), "09:00")),  # 60 + 60
        (at(rt, saturday, "11:00"), at(rt, saturday, "15:00")),  # 60: Saturday until noon
        (at(rt, sunday, "08:00"), at(rt, sunday, "20:00")),  # 0: Sunday
    ]
    if Month.of(sunday) != Month.of(workday):
        shifts = shifts[:2]
    for start, end in shifts:
        assert log(client, regulator, start, end).status == 201
    listed = client.get(f"/regulators/{regulator}/shifts", token=client.token("regulator", regulator)).json()
    paid = 210 + 60 * (len(shifts) == 4)
    assert (listed["paid_minutes"], listed["amount_eur"]) == (paid, paid * 1.5)


@pytest.mark.parametrize(
    ("start", "end", "rule", "field"),
    [
        ("10:00", "09:00", "shift_ends_before_start", "end"),
        ("10:00", "10:00", "shift_ends_before_start", "end"),
        ("10:00", "+1 10:01", "shift_too_long", "end"),
        ("10:00", "11:00:30", "shift_not_whole_minutes", "end"),
        ("-40 10:00", "-40 11:00", "month_closed", "start"),
        ("+40 10:00", "+40 11:00", "month_closed", "start"),
    ],
)
def test_bad_shifts_are_422_naming_the_rule(
    client: Client, rt: Runtime, regulator: str, workday: dt.date, start: str, end: str, rule: str, field: str
) -> None:
    def instant(text: str) -> str:
        days, _, clock = text.rpartition(" ")
        day = workday + timedelta(days=int(days or 0))
        hour, minute, second = (int(part) for part in f"{clock}:0".split(":")[:3])
        moment = datetime.combine(day, dt.time(hour, minute, second), tzinfo=rt.territory.zone)
        return moment.isoformat()

    response = log(client, regulator, instant(start), instant(end))
    assert response.status == 422, response.body
    assert (response.json()["rule"], response.json()["field"]) == (rule, field)


def test_overlapping_shifts_are_refused_touching_ones_are_not(
    client: Client, rt: Runtime, regulator: str, workday: dt.date
) -> None:
    assert log(client, regulator, at(rt, workday, "10:00"), at(rt, workday, "12:00")).status == 201
    refused = log(client, regulator, at(rt, workday, "11:00"), at(rt, workday, "13:00"))
    assert refused.status == 422
    assert refused.json()["rule"] == "shift_overlaps"
    assert log(client, regulator, at(rt, workday, "12:00"), at(rt, workday, "13:00")).status == 201
    assert log(client, regulator, at(rt, workday, "08:00"), at(rt, workday, "10:00")).status == 201
    # Another regulator's shift at the same time is theirs.
    other = f"{regulator}-b"
    assert log(client, other, at(rt, workday, "10:00"), at(rt, workday, "12:00")).status == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2025-01-01T10:00:00", "end": "2025-01-01T11:00:00+01:00"}, "start"),  # no offset
        ({"start": "tomorrow", "end": "2025-01-01T11:00:00+01:00"}, "start"),
        ({"association_id": "a#b"}, "association_id"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_malformed_shifts_are_422(
    client: Client, rt: Runtime, regulator: str, workday: dt.date, body: dict[str, Any], field: str
) -> None:
    full = {"start": at(rt, workday, "10:00"), "end": at(rt, workday, "11:00"), "association_id": ASSOCIATION}
    response = client.post(
        f"/regulators/{regulator}/shifts",
        json_body={**full, **body},
        token=client.token("regulator", regulator),
    )
    assert response.status == 422
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("role", "sub", "claims"),
    [
        ("regulator", "someone-else", {}),
        ("territory_admin", "a", {}),
        ("effecteur", "810000000001", {}),
        ("structure_manager", "m", {"structure_id": ASSOCIATION}),
    ],
)
def test_only_the_regulator_logs_their_shifts(
    client: Client, regulator: str, role: str, sub: str, claims: dict[str, Any]
) -> None:
    token = client.token(role, sub, **claims)
    # Refused before the body is read: a malformed one does not change the answer.
    response = client.post(f"/regulators/{regulator}/shifts", json_body={"start": "?"}, token=token)
    assert response.status == 403


def test_a_regulator_logs_for_their_own_association(
    client: Client, rt: Runtime, regulator: str, workday: dt.date
) -> None:
    token = client.token("regulator", regulator, structure_id="another-association")
    response = log(client, regulator, at(rt, workday, "10:00"), at(rt, workday, "11:00"), token=token)
    assert response.status == 403


def test_a_closed_months_shift_is_not_deleted(client: Client, rt: Runtime, regulator: str) -> None:
    last_month = datetime.now(rt.territory.zone).replace(day=1) - timedelta(days=20)
    start = last_month.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
    shift = Shift(regulator, ASSOCIATION, start, start + timedelta(hours=1))
    rt.regulation.add(shift, Month.of(last_month.date()).label, {})
    token = client.token("regulator", regulator)
    response = client.request("DELETE", f"/regulators/{regulator}/shifts/{shift.id}", token=token)
    assert (response.status, response.json()["rule"]) == (422, "month_closed")
    assert client.request("DELETE", f"/regulators/{regulator}/shifts/2020", token=token).status == 422


def test_the_associations_statement(client: Client, rt: Runtime, workday: dt.date) -> None:
    association = f"asso{uuid.uuid4().hex[:8]}"
    first, second = "reg-a" + association, "reg-b" + association
    for regulator, (start, end) in (
        (first, ("08:00", "12:00")),
        (first, ("14:00", "15:00")),
        (second, ("19:00", "21:00")),
    ):
        response = log(
            client, regulator, at(rt, workday, start), at(rt, workday, end), association_id=association
        )
        assert response.status == 201
    manager = client.token("structure_manager", "m", structure_id=association)
    statement = client.get(f"/structures/{association}/regulation", token=manager)
    assert statement.status == 200, statement.body
    answer = statement.json()
    assert [
        (line["regulator_id"], line["shifts"], line["paid_minutes"]) for line in answer["regulators"]
    ] == [
        (first, 2, 300),
        (second, 1, 60),
    ]
    assert (answer["paid_hours"], answer["amount_eur"]) == (6.0, 540.0)
    other = client.token("structure_manager", "m", structure_id="elsewhere")
    assert client.get(f"/structures/{association}/regulation", token=other).status == 403
    admin = client.token("territory_admin", "a")
    month = Month.of(workday).label
    assert client.get(f"/structures/{association}/regulation?month={month}", token=admin).status == 200
    future = Month.of(workday).next().label
    assert client.get(f"/structures/{association}/regulation?month={future}", token=admin).status == 422
    # An id that is no association's is refused (a `#` would reach into another's sort keys).
    assert client.get(f"/structures/{association}.x/regulation", token=admin).status == 422


# --- two shifts at once -------------------------------------------------------------------------------------


def racing(
    rt: Runtime, reads_done: threading.Barrier, written: threading.Event, first: bool, writes: list[str]
) -> Runtime:
    """A runtime of its own (its own clients, as another function instance) whose first write waits until
    both writers have read, the second writer's until the first has written: the interleaving in which a
    read-then-write check would let both through."""
    runtime = Runtime(rt.settings)
    original = runtime.regulation.add
    started: list[bool] = []

    def add(shift: Shift, month: str, checked: dict[str, int]) -> None:
        writes.append(shift.id)
        if started:
            return original(shift, month, checked)
        started.append(True)
        reads_done.wait(timeout=10)
        if not first:
            written.wait(timeout=10)
        try:
            return original(shift, month, checked)
        finally:
            written.set()

    runtime.regulation.add = add  # type: ignore[method-assign]
    return runtime


def in_threads(*calls: Callable[[], PaidShift]) -> list[PaidShift | Exception]:
    results: list[PaidShift | Exception] = [RuntimeError("not run")] * len(calls)

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except Exception as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize(
    ("second", "overlap"),
    [(("11:00", "13:00"), True), (("14:00", "15:00"), False)],
    ids=["overlapping", "apart"],
)
def test_two_shifts_logged_at_once(
    rt: Runtime, regulator: str, workday: dt.date, second: tuple[str, str], overlap: bool
) -> None:
    from sas_common.auth import Principal, Role

    reads_done, written = threading.Barrier(2), threading.Event()
    writes: list[list[str]] = [[], []]
    runtimes = [racing(rt, reads_done, written, n == 0, writes[n]) for n in range(2)]
    caller, now = Principal(regulator, Role.REGULATOR), datetime.now(UTC)

    def shift(runtime: Runtime, start: str, end: str) -> Callable[[], PaidShift]:
        begin, finish = (
            datetime.fromisoformat(at(rt, workday, start)),
            datetime.fromisoformat(at(rt, workday, end)),
        )
        return lambda: service.log_shift(runtime, caller, regulator, ASSOCIATION, begin, finish, now)

    results = in_threads(shift(runtimes[0], "10:00", "12:00"), shift(runtimes[1], *second))
    assert isinstance(results[0], PaidShift)
    if overlap:
        assert isinstance(results[1], RuleViolation)
        assert results[1].rule == "shift_overlaps"
    else:
        assert isinstance(results[1], PaidShift)  # it lost the race, read again, and was written
    # The second writer's first transaction failed on the month's version: it read again.
    assert [len(attempts) for attempts in writes] == [1, 1 if overlap else 2]
    stored = service.regulator_month(rt, regulator, Month.of(workday)).shifts
    assert len(stored) == (1 if overlap else 2)
