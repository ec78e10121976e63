"""Planning a replacement at its edges (issue 17): the local day of a slot near midnight, the window's
bounds, the counts and their defaults.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.slots.model import Slot
from sas_common.slots.replacement import OwnerPlan, Replacement, plan_replacement, wanted_items

PARIS = ZoneInfo("Europe/Paris")
LATE = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)  # 00:30 on 11 March in Paris


def slot(**update: Any) -> Slot:
    fields: dict[str, Any] = {
        "source": "ed",
        "national_id": "810000000001",
        "slot_key": "s-1",
        "start": LATE,
        "end": LATE + timedelta(minutes=15),
        "consultation_types": ("teleconsultation",),
    }
    return Slot.model_validate({**fields, **update})


def test_an_item_is_filed_under_the_territorys_local_day() -> None:
    [item] = wanted_items("ed", "810000000001", LATE, LATE + timedelta(hours=1), [slot()], PARIS).values()
    assert item["tele_day"] == "TELE#2026-03-11"


@pytest.mark.parametrize(
    ("start", "inside"),
    [
        (LATE - timedelta(seconds=1), False),
        (LATE, True),
        (LATE + timedelta(hours=1) - timedelta(seconds=1), True),
        (LATE + timedelta(hours=1), False),
    ],
)
def test_the_window_includes_its_start_not_its_end(start: datetime, inside: bool) -> None:
    wanted = [slot(start=start, end=start + timedelta(minutes=15))]
    if inside:
        assert len(wanted_items("ed", "810000000001", LATE, LATE + timedelta(hours=1), wanted, PARIS)) == 1
    else:
        with pytest.raises(ValueError, match="outside the window"):
            wanted_items("ed", "810000000001", LATE, LATE + timedelta(hours=1), wanted, PARIS)


def test_counts_start_at_zero_and_read_as_a_dict() -> None:
    assert Replacement().as_dict() == {"put": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    assert Replacement(1, 2, 3, 4).as_dict() == {"put": 1, "updated": 2, "deleted": 3, "unchanged": 4}
    assert OwnerPlan().counts == Replacement()
    assert OwnerPlan().unchanged == 0


def test_a_plan_counts_each_kind_of_write() -> None:
    existing = {k: {"pk": "p", "sk": k, "v": 1} for k in ("a", "b", "c", "d")}
    wanted = {
        "a": {"pk": "p", "sk": "a", "v": 1},  # unchanged
        "b": {"pk": "p", "sk": "b", "v": 2},  # updated
        "c": {"pk": "p", "sk": "c", "v": 3},  # updated
        "e": {"pk": "p", "sk": "e", "v": 1},  # put
    }
    plan = plan_replacement(existing, wanted)
    assert plan.counts == Replacement(put=1, updated=2, deleted=1, unchanged=1)
    assert plan.counts.as_dict() == {"put": 1, "updated": 2, "deleted": 1, "unchanged": 1}
