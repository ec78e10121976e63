"""Planning a replacement (pattern 6) without AWS: what to put, delete and update, and the counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.slots.model import BOOKED, Slot
from sas_common.slots.replacement import (
    Replacement,
    content,
    content_update,
    plan_replacement,
    wanted_items,
)
from sas_common.tables import PK, SK

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WINDOW = (START - timedelta(hours=1), START + timedelta(hours=48))


def item(key: str, **attributes: Any) -> dict[str, Any]:
    return {PK: "SRC#ed#810000000001", SK: key, **attributes}


@pytest.mark.parametrize(
    ("existing", "wanted", "puts", "deletes", "updates", "counts"),
    [
        pytest.param({}, {}, [], [], [], Replacement(), id="nothing either side"),
        pytest.param({}, {"a": item("a", x=1)}, ["a"], [], [], Replacement(put=1), id="new slot is put"),
        pytest.param(
            {"a": item("a", x=1)}, {}, [], ["a"], [], Replacement(deleted=1), id="gone slot is deleted"
        ),
        pytest.param(
            {"a": item("a", x=1)},
            {"a": item("a", x=1)},
            [],
            [],
            [],
            Replacement(unchanged=1),
            id="same: untouched",
        ),
        pytest.param(
            {"a": item("a", x=1)},
            {"a": item("a", x=2)},
            [],
            [],
            ["a"],
            Replacement(updated=1),
            id="changed: updated",
        ),
        pytest.param(
            {"a": item("a", x=1, **{BOOKED: 2, "hold_by": "b-1"})},
            {"a": item("a", x=1, **{BOOKED: 0})},
            [],
            [],
            [],
            Replacement(unchanged=1),
            id="booking state is not content",
        ),
        pytest.param(
            {"a": item("a", **{BOOKED: 1, "hold_b-1": "held"}), "b": item("b", **{BOOKED: 0})},
            {},
            [],
            ["b"],
            [],
            Replacement(deleted=1),
            id="gone but held or booked: kept",
        ),
        pytest.param(
            {"a": item("a"), "b": item("b", x=1), "c": item("c")},
            {"b": item("b", x=2), "c": item("c"), "d": item("d")},
            ["d"],
            ["a"],
            ["b"],
            Replacement(put=1, updated=1, deleted=1, unchanged=1),
            id="all at once",
        ),
    ],
)
def test_a_plan_puts_new_deletes_gone_and_updates_changed_items(
    existing: dict[str, Any],
    wanted: dict[str, Any],
    puts: list[str],
    deletes: list[str],
    updates: list[str],
    counts: Replacement,
) -> None:
    plan = plan_replacement(existing, wanted)
    assert [put[SK] for put in plan.puts] == puts
    assert plan.deletes == deletes
    assert [new[SK] for new, _before in plan.updates] == updates
    assert all(before is existing[new[SK]] for new, before in plan.updates)
    assert plan.counts == counts


def test_an_update_sets_the_content_removes_what_is_gone_and_keeps_booking_state() -> None:
    before = item("a", x=1, old=True, **{BOOKED: 1, "hold_by": "b-1"})
    after = item("a", x=2, **{BOOKED: 0})
    to_set, removed = content_update(after, before)
    assert to_set == {"x": 2}
    assert removed == ["old"]
    assert content(before) == item("a", x=1, old=True)


def slot(**update: Any) -> Slot:
    fields: dict[str, Any] = {
        "source": "ed",
        "national_id": "810000000001",
        "slot_key": "s-1",
        "start": START,
        "end": START + timedelta(minutes=15),
        "consultation_types": ("cabinet",),
    }
    return Slot.model_validate({**fields, **update})


def test_wanted_items_are_keyed_by_sort_key_and_the_last_of_a_slot_given_twice_wins() -> None:
    first, again = slot(walk_in=False), slot(walk_in=True)
    items = wanted_items("ed", "810000000001", *WINDOW, [first, again], PARIS)
    assert list(items) == ["2026-03-10T09:00:00Z#s-1"]
    assert items["2026-03-10T09:00:00Z#s-1"]["walk_in"] is True


@pytest.mark.parametrize(
    ("update", "message"),
    [
        ({"source": "other"}, "is not of ed/810000000001"),
        ({"national_id": "810000000002"}, "is not of ed/810000000001"),
        ({"start": WINDOW[1], "end": WINDOW[1] + timedelta(minutes=15)}, "outside the window"),
        ({"start": WINDOW[0] - timedelta(minutes=1)}, "outside the window"),
    ],
)
def test_a_slot_of_someone_else_or_outside_the_window_is_a_callers_bug(
    update: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        wanted_items("ed", "810000000001", *WINDOW, [slot(**update)], PARIS)


def test_a_slot_starting_at_the_windows_start_is_in_it() -> None:
    assert len(wanted_items("ed", "810000000001", WINDOW[0], WINDOW[1], [slot(start=WINDOW[0])], PARIS)) == 1
