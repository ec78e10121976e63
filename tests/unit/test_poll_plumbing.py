"""Plain rules of the polling plumbing: the timetable, batch sizes, what a batch reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sas_common.capabilities import FUNCTIONS
from sas_common.ingest.poll import BatchSummary, batch_size
from sas_common.ingest.report import BREAKER_OPEN, batch_metrics, report_batch, report_dispatch
from sas_common.jobs import (
    EXPIRE_SLOTS,
    EXPORT_ELIGIBILITY,
    JOBS,
    MATERIALISE_AGENDA,
    POLL_EDITORS,
    schedules,
)
from sas_common.queues import QUEUES
from sas_common.settings import METRICS_NAMESPACE, SERVICE_NAME
from sas_common.territory import EditorConfig, EditorKind, load_territory, territory_path
from sas_local.demo_editor import afternoon_slots

DEMO = load_territory(territory_path("demo"))
PARIS = ZoneInfo("Europe/Paris")


def editor(editor_id: str, kind: EditorKind, every: int) -> EditorConfig:
    return EditorConfig.model_validate(
        {
            "id": editor_id,
            "name": editor_id,
            "kind": kind,
            "level": 1,
            "fhir_base_url": f"https://{editor_id}.example/fhir",
            "poll_every_minutes": every,
        }
    )


def test_one_schedule_per_job_and_one_poll_schedule_per_editor_on_its_cadence() -> None:
    territory = DEMO.model_copy(
        update={"editors": [editor("fast", EditorKind.PS, 2), editor("sos", EditorKind.SOS, 15)]}
    )
    timetable = {schedule.label: schedule for schedule in schedules(territory)}
    assert set(timetable) == {
        EXPIRE_SLOTS.name,
        MATERIALISE_AGENDA.name,
        EXPORT_ELIGIBILITY.name,
        "poll-editors-fast",
        "poll-editors-sos",
    }
    assert (timetable["poll-editors-fast"].every_minutes, timetable["poll-editors-fast"].event) == (
        2,
        {"editor_id": "fast"},
    )
    assert timetable["poll-editors-sos"].every_minutes == 15
    assert timetable[EXPIRE_SLOTS.name].event == {}
    assert timetable[EXPIRE_SLOTS.name].every_minutes == EXPIRE_SLOTS.every_minutes
    assert all(schedule.job is JOBS[schedule.job.name] for schedule in timetable.values())


def test_a_territory_without_editors_has_no_poll_schedule() -> None:
    territory = DEMO.model_copy(update={"editors": []})
    assert POLL_EDITORS not in {schedule.job for schedule in schedules(territory)}


@pytest.mark.parametrize(("kind", "size"), [(EditorKind.PS, 25), (EditorKind.CPTS, 25), (EditorKind.SOS, 10)])
def test_batches_follow_the_guides_limits(kind: EditorKind, size: int) -> None:
    assert batch_size(editor("e", kind, 5)) == size


def test_a_queue_hides_a_message_six_times_its_consumers_timeout() -> None:
    for queue in QUEUES:
        assert queue.visibility_timeout_seconds == 6 * FUNCTIONS[queue.consumer].timeout_seconds


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (
            BatchSummary("e", 25, slots_received=40, accepted=38, rejected=2, pages=2),
            {
                "EditorRequests": 2,
                "SlotsReceived": 40,
                "SlotsAccepted": 38,
                "SlotsRejected": 2,
                "BreakerOpen": 0,
            },
        ),
        (
            BatchSummary("e", 25, error="HTTP 503", breaker_state="open", pages=1),
            {"EditorRequests": 1, "PollBatchesFailed": 1, "BreakerOpen": 1},
        ),
        (
            BatchSummary("e", 25, error="skipped: breaker open", skipped=True, breaker_state="open"),
            {"PollBatchesSkipped": 1, "BreakerOpen": 1},
        ),
        (
            BatchSummary("e", 25, error="deferred: budget", deferred=True, breaker_state="half_open"),
            {"PollBatchesDeferred": 1, "BreakerOpen": 1},
        ),
    ],
    ids=["accepted", "failed", "skipped", "deferred"],
)
def test_a_batch_reports_its_metrics(summary: BatchSummary, expected: dict[str, float]) -> None:
    metrics = batch_metrics(summary)
    assert {name: value for name, value in metrics.items() if value} == {
        name: value for name, value in expected.items() if value
    }


@pytest.mark.parametrize(
    ("now", "count"),
    [
        # 10:00 Paris: today's 8 afternoon slots and tomorrow's; the day after's are past 48 h.
        (datetime(2026, 12, 3, 9, 0, tzinfo=UTC), 16),
        # 17:00 Paris: 17:30 today, tomorrow's 8, the day after's 14:00 to 16:30.
        (datetime(2026, 12, 3, 16, 0, tzinfo=UTC), 15),
        # 13:00 Paris on the eve of the spring change: the next afternoon is still 14:00–18:00 Paris.
        (datetime(2027, 3, 27, 12, 0, tzinfo=UTC), 16),
    ],
)
def test_the_demo_editor_serves_afternoon_slots_of_the_next_48_hours(now: datetime, count: int) -> None:
    slots = afternoon_slots(now, PARIS)
    assert len(slots) == count
    assert all(now < slot.start < slot.end for slot in slots)
    assert {slot.start.astimezone(PARIS).strftime("%H:%M") for slot in slots} <= {
        f"{hour}:{minute}" for hour in ("14", "15", "16", "17") for minute in ("00", "30")
    }


def emitted(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]


@pytest.fixture
def metrics_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", SERVICE_NAME)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", METRICS_NAMESPACE)


@pytest.mark.usefixtures("metrics_on")
@pytest.mark.parametrize(("skipped", "breaker_open"), [(True, [1.0]), (False, None)])
def test_a_dispatch_emits_what_the_editors_alarm_watches(
    capsys: pytest.CaptureFixture[str], skipped: bool, breaker_open: list[float] | None
) -> None:
    report_dispatch("doctolib", 0 if skipped else 3, skipped=skipped)
    [emf] = emitted(capsys)
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    # The alarm of infra/constructs/monitoring.py: namespace, metric, dimensions service and editor.
    assert directive["Namespace"] == METRICS_NAMESPACE
    assert sorted(directive["Dimensions"][0]) == ["editor", "service"]
    assert (emf["service"], emf["editor"]) == (SERVICE_NAME, "doctolib")
    assert emf.get(BREAKER_OPEN) == breaker_open
    assert emf["PollBatchesDispatched"] == [0.0 if skipped else 3.0]  # EMF values are lists


@pytest.mark.usefixtures("metrics_on")
def test_a_batch_emits_its_metrics_under_its_editor(capsys: pytest.CaptureFixture[str]) -> None:
    report_batch(BatchSummary("maiia", 25, accepted=12, slots_received=13, rejected=1, pages=1), "run-1")
    [emf] = emitted(capsys)
    assert emf["editor"] == "maiia"
    assert (emf["SlotsAccepted"], emf["SlotsRejected"], emf[BREAKER_OPEN]) == ([12.0], [1.0], [0.0])
