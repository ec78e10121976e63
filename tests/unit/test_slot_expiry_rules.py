from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from sas_common.slots.expiry import FIRST_RUN_LOOKBACK, due_buckets, finished_bucket
from sas_common.slots.keys import expiry_attributes, expiry_bucket, utc_text

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 10, 25, tzinfo=UTC)


@pytest.mark.parametrize(
    ("last_done", "expected"),
    [
        ("EXP#2026-11-23T09", ["EXP#2026-11-23T10"]),
        ("EXP#2026-11-23T07", ["EXP#2026-11-23T08", "EXP#2026-11-23T09", "EXP#2026-11-23T10"]),
        ("EXP#2026-11-23T10", []),  # a second run within the hour (the cursor never passes the current hour)
    ],
)
def test_due_buckets_resume_after_the_cursor(last_done: str, expected: list[str]) -> None:
    assert due_buckets(last_done, NOW) == expected


def test_the_first_run_looks_back_a_bounded_span() -> None:
    buckets = due_buckets(None, NOW)
    assert len(buckets) == FIRST_RUN_LOOKBACK // timedelta(hours=1) + 1
    assert buckets[-1] == "EXP#2026-11-23T10"


@pytest.mark.parametrize(
    ("local_end", "bucket"),
    [
        # The night of the October change: 02:30 happens twice in Paris; buckets are UTC so both are distinct.
        (datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=PARIS), "EXP#2026-10-25T00"),
        (datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PARIS), "EXP#2026-10-25T01"),
        # The March change: 03:30 local is 01:30 UTC.
        (datetime(2026, 3, 29, 3, 30, tzinfo=PARIS), "EXP#2026-03-29T01"),
        (datetime(2026, 7, 1, 12, 0, tzinfo=PARIS), "EXP#2026-07-01T10"),
    ],
)
def test_expiry_buckets_are_utc_hours_across_daylight_saving(local_end: datetime, bucket: str) -> None:
    assert expiry_bucket(local_end) == bucket


def test_due_buckets_across_the_october_change_have_no_gap_or_repeat() -> None:
    now = datetime(2026, 10, 25, 4, 0, tzinfo=UTC)
    buckets = due_buckets("EXP#2026-10-24T22", now)
    assert buckets == [
        f"EXP#2026-10-2{d}T{h:02d}" for d, h in [(4, 23), (5, 0), (5, 1), (5, 2), (5, 3), (5, 4)]
    ]


def test_a_slot_carries_its_expiry_attributes_and_ttl_after_its_end() -> None:
    end = datetime(2026, 11, 23, 11, 15, tzinfo=PARIS)
    attributes = expiry_attributes(end)
    assert attributes["expiry_bucket"] == "EXP#2026-11-23T10"
    assert attributes["end_sk"] == "2026-11-23T10:15:00Z"
    assert int(attributes["ttl"]) > end.timestamp()


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        utc_text(datetime(2026, 11, 23, 10, 0))


@pytest.mark.parametrize(
    ("buckets", "last_done", "finished"),
    [
        pytest.param(
            ["EXP#2026-11-23T09", "EXP#2026-11-23T10"], None, "EXP#2026-11-23T09", id="all but current"
        ),
        pytest.param(
            ["EXP#2026-11-23T10"], "EXP#2026-11-23T09", "EXP#2026-11-23T09", id="only the current hour"
        ),
        pytest.param([], None, None, id="nothing due on a first run"),
    ],
)
def test_a_run_finishes_every_due_bucket_but_the_current_hours(
    buckets: list[str], last_done: str | None, finished: str | None
) -> None:
    assert finished_bucket(buckets, last_done) == finished
