"""Replacing a source's slots over a window (pattern 6), and the daily materialisation job on moto."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.agenda.materialise import materialise_due
from sas_common.agenda.model import Schedule, Series
from sas_common.effecteurs.model import Position
from sas_common.runtime import Runtime
from sas_common.slots.keys import MANUAL_SOURCE
from sas_common.slots.model import ConsultationType, Slot, SlotMode
from sas_common.stores.effecteurs import SERIES_PREFIX
from sas_common.stores.platform_state import cursor_key
from sas_common.tables import EFFECTEURS, PK, PLATFORM_STATE, SK, SLOTS, effecteur_pk
from support import Client, new_effecteur

PARIS = ZoneInfo("Europe/Paris")
EDITOR = "test-editor"
TOULOUSE = Position(lat=43.6045, lon=1.4440)


@pytest.fixture
def doctor(rt: Runtime) -> str:
    return new_effecteur(rt)


def editor_slot(national_id: str, start: datetime, key: str, **fields: object) -> Slot:
    values: dict[str, object] = {
        "source": EDITOR,
        "national_id": national_id,
        "slot_key": key,
        "start": start,
        "end": start + timedelta(minutes=15),
        "consultation_types": (ConsultationType.CABINET,),
        "position": TOULOUSE,
        "editor_id": EDITOR,
        "editor_level": 2,
        "booking_url": f"https://editor.example/{key}",
    }
    values.update(fields)
    return Slot.model_validate(values)


def test_replace_slots_writes_only_what_changed(rt: Runtime, doctor: str) -> None:
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    end = base + timedelta(days=2)
    first = [editor_slot(doctor, base + timedelta(minutes=15 * i), f"s{i}") for i in range(4)]
    assert rt.slots.replace_slots(EDITOR, doctor, base, end, first).as_dict() == {
        "put": 4,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
    }
    assert rt.slots.replace_slots(EDITOR, doctor, base, end, first).as_dict() == {
        "put": 0,
        "updated": 0,
        "deleted": 0,
        "unchanged": 4,
    }

    # A booking marked on s1 (booking state) survives a change of its content.
    s1_key = first[1].key
    rt.aws.dynamodb.Table(rt.settings.table_name(SLOTS)).update_item(
        Key=s1_key, UpdateExpression="SET booked = :one", ExpressionAttributeValues={":one": 1}
    )
    second = [
        first[0],
        first[1].model_copy(
            update={"consultation_types": (ConsultationType.TELECONSULTATION,), "position": None}
        ),
        first[2],
        editor_slot(doctor, base + timedelta(hours=5), "s9"),
    ]
    assert rt.slots.replace_slots(EDITOR, doctor, base, end, second).as_dict() == {
        "put": 1,
        "updated": 1,
        "deleted": 1,
        "unchanged": 2,
    }
    items = {item["slot_key"]: item for item in rt.slots.window_items(EDITOR, doctor, base, end)}
    assert set(items) == {"s0", "s1", "s2", "s9"}
    assert items["s1"]["booked"] == 1
    assert "cell_day" not in items["s1"]
    assert items["s1"]["tele_day"].startswith("TELE#")


def test_replace_slots_leaves_what_is_outside_the_window(rt: Runtime, doctor: str) -> None:
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    before, inside = (
        editor_slot(doctor, base, "early"),
        editor_slot(doctor, base + timedelta(hours=3), "inside"),
    )
    rt.slots.replace_slots(EDITOR, doctor, base, base + timedelta(days=1), [before, inside])
    rt.slots.replace_slots(EDITOR, doctor, base + timedelta(hours=1), base + timedelta(days=1), [])
    keys = {
        item["slot_key"] for item in rt.slots.window_items(EDITOR, doctor, base, base + timedelta(days=1))
    }
    assert keys == {"early"}
    with pytest.raises(ValueError, match="outside the window"):
        rt.slots.replace_slots(EDITOR, doctor, base + timedelta(hours=1), base + timedelta(days=1), [before])
    with pytest.raises(ValueError, match="is not of"):
        rt.slots.replace_slots(MANUAL_SOURCE, doctor, base, base + timedelta(days=1), [before])


def test_replace_owners_replaces_each_owner_and_fills_batches_across_them(rt: Runtime) -> None:
    base = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    end = base + timedelta(days=2)
    doctors = [new_effecteur(rt) for _ in range(6)]
    before = {
        doctor: [editor_slot(doctor, base + timedelta(minutes=15 * i), f"s{i}") for i in range(4)]
        for doctor in doctors
    }
    requests: list[str] = []
    client = rt.aws.dynamodb_client

    def count(model: Any, **_: Any) -> None:
        requests.append(model.name)

    client.meta.events.register("before-call.dynamodb", count, unique_id="count-requests")
    try:
        first = rt.slots.replace_owners(EDITOR, base, end, before)
        assert {doctor: replaced.put for doctor, replaced in first.items()} == dict.fromkeys(doctors, 4)
        # 24 new items of 6 owners: one BatchWriteItem, and one Query per owner.
        assert sorted(requests) == ["BatchWriteItem"] + ["Query"] * 6

        requests.clear()
        after = {doctor: slots[:2] for doctor, slots in before.items()}  # each lost its last two
        after[doctors[0]] = []  # this one has nothing left
        second = rt.slots.replace_owners(EDITOR, base, end, after)
    finally:
        client.meta.events.unregister("before-call.dynamodb", unique_id="count-requests")
    assert second[doctors[0]].as_dict() == {"put": 0, "updated": 0, "deleted": 4, "unchanged": 0}
    assert second[doctors[1]].as_dict() == {"put": 0, "updated": 0, "deleted": 2, "unchanged": 2}
    assert sorted(requests) == ["BatchWriteItem"] + ["Query"] * 6  # 14 deletes, one batch
    for doctor in doctors:
        kept = sorted(item["slot_key"] for item in rt.slots.window_items(EDITOR, doctor, base, end))
        assert kept == ([] if doctor == doctors[0] else ["s0", "s1"])


def series_for(national_id: str, identifier: str, first: dt.date, **fields: object) -> Series:
    now = datetime.now(UTC)
    values: dict[str, object] = {
        "effective_from": first,
        "start": "10:00",
        "end": "11:00",
        "mode": SlotMode.SLOTS,
        "slot_minutes": 30,
        "consultation_types": (ConsultationType.CABINET,),
    }
    values.update(fields)
    schedule = Schedule.model_validate(values)
    return Series(
        id=identifier,
        national_id=national_id,
        place_id="p1",
        date=first,
        revisions=(schedule,),
        created_at=now,
        updated_at=now,
        updated_by="test",
    )


@pytest.fixture
def fresh_cursor(rt: Runtime) -> Iterator[None]:
    state = rt.aws.dynamodb.Table(rt.settings.table_name(PLATFORM_STATE))
    state.delete_item(Key=cursor_key("materialise-agenda"))
    yield
    state.delete_item(Key=cursor_key("materialise-agenda"))


def manual_count(rt: Runtime, national_id: str) -> int:
    now = datetime.now(UTC)
    return len(
        rt.slots.window_items(MANUAL_SOURCE, national_id, now - timedelta(days=1), now + timedelta(days=8))
    )


def in_index(rt: Runtime, series: Series) -> bool:
    key = {PK: effecteur_pk(series.national_id), SK: SERIES_PREFIX + series.id}
    item = rt.aws.dynamodb.Table(rt.settings.table_name(EFFECTEURS)).get_item(Key=key)["Item"]
    return "agenda_pk" in item


@pytest.mark.usefixtures("fresh_cursor")
def test_the_job_materialises_every_live_agenda_once_a_day(client: Client, rt: Runtime) -> None:
    today = datetime.now(PARIS).date()
    doctor = new_effecteur(rt)
    weekly = series_for(
        doctor, "weekly", today + timedelta(days=1), recurrence_weekdays=(0, 1, 2, 3, 4, 5, 6)
    )
    ended = series_for(doctor, "ended", today - timedelta(days=3))
    rt.effecteurs.create_series(weekly, live=True)  # written without materialising: the job's work
    rt.effecteurs.create_series(ended, live=True)  # in the index, though its day is past
    assert manual_count(rt, doctor) == 0

    # The session's other agendas are due too: under load a run may near its timeout and leave the rest
    # to the next run (tested below), so run it as its schedule would until the day's pass is done.
    runs = []
    for _ in range(10):
        answer = client.post("/_local/jobs/materialise-agenda")
        assert answer.status == 200, answer.body
        runs.append(answer.json())
        if runs[-1]["done"]:
            break
    assert runs[-1]["done"] is True
    assert sum(run["effecteurs"] for run in runs) >= 1
    assert manual_count(rt, doctor) == 3 * 2  # tomorrow to today + 3, two 30-minute slots a day
    assert in_index(rt, weekly)
    assert not in_index(rt, ended)  # retired: the job will not visit it again

    again = client.post("/_local/jobs/materialise-agenda").json()
    assert (again["done"], again["effecteurs"]) == (True, 0)  # the day's pass is done


@pytest.mark.usefixtures("fresh_cursor")
def test_a_run_near_its_timeout_keeps_its_place(rt: Runtime) -> None:
    today = datetime.now(PARIS).date()
    doctors = [new_effecteur(rt) for _ in range(2)]
    for doctor in doctors:
        rt.effecteurs.create_series(series_for(doctor, "s", today + timedelta(days=1)), live=True)
    budget = iter([60.0, 0.0])
    now = datetime.now(UTC)

    stopped = materialise_due(rt, now, lambda: next(budget, 0.0))
    assert (stopped.done, stopped.effecteurs) == (False, 1)
    finished = materialise_due(rt, now, lambda: 60.0)
    assert finished.done
    assert all(manual_count(rt, doctor) == 2 for doctor in doctors)
