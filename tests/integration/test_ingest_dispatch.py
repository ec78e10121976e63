"""The polling plumbing as deployed: per-editor dispatch → SQS (moto) → the poll worker (powertools batch
processing) → the run's record, driven through the local platform's job runner and event source."""

from __future__ import annotations

import importlib
import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sas_common.ingest import breaker, breakers, dispatch, runs
from sas_common.ingest.dispatch import PollMessage
from sas_common.ingest.poll import APPLY_SECONDS, page_seconds
from sas_common.ingest.poll import poll_batch as real_poll
from sas_common.queues import EDITOR_POLLS
from sas_common.runtime import Runtime
from sas_common.stores import platform_state
from sas_common.tables import PK, SK
from sas_common.territory import EditorConfig
from sas_local.event_sources import sqs_event
from sas_local.fhir_editor import FakeEditor, FakePlace
from sas_local.lambdas import LambdaContext
from sas_local.platform import LocalPlatform
from support import TerritoryEditors, declaring

PLACE = FakePlace("3 rue d'Alsace", "31000", "Toulouse", 43.6, 1.44, phone="+33561000003")
_ids = itertools.count(1)  # rate-cap editor ids


def slots_at(now: datetime, *hours: float) -> list[tuple[datetime, datetime]]:
    return [(now + timedelta(hours=h), now + timedelta(hours=h, minutes=20)) for h in hours]


def poll(platform: LocalPlatform, editor: EditorConfig) -> dict[str, Any]:
    """What the editor's schedule triggers, then the queue drained: the run as stored."""
    summary = platform.scheduler.run_now("poll-editors", {"editor_id": editor.id})
    [run] = summary["runs"]
    assert run["editor_id"] == editor.id
    return dict(run)


def stored(rt: Runtime, editor: EditorConfig, national_id: str, now: datetime) -> int:
    return len(
        rt.slots.window_items(editor.id, national_id, now - timedelta(hours=1), now + timedelta(hours=48))
    )


def test_a_scheduled_run_fans_out_by_25_and_brings_every_declared_effecteurs_slots(
    platform: LocalPlatform, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors, now: datetime
) -> None:
    editor = territory_editors.add(fake)
    doctors = [declaring(rt, editor.id) for _ in range(27)]
    for doctor in doctors:
        fake.add_practitioner_slots(doctor, slots_at(now, 2, 3), PLACE)

    run = poll(platform, editor)

    assert (run["due"], run["batches_planned"], run["batches_done"], run["finished"]) == (27, 2, 2, True)
    assert (run["requested"], run["requests"], run["slots_received"], run["accepted"]) == (27, 2, 54, 54)
    assert (run["failed_batches"], run["rejected"], run["breaker_state"]) == (0, 0, "closed")
    assert sorted(len(request.identifiers) for request in fake.requests) == [2, 25]
    assert all(stored(rt, editor, doctor, now) == 2 for doctor in doctors)


def test_a_down_editor_fails_its_run_keeps_its_slots_and_another_editor_proceeds(
    platform: LocalPlatform, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors, now: datetime
) -> None:
    with FakeEditor() as other_fake:
        down, healthy = territory_editors.add(fake), territory_editors.add(other_fake)
        doctor, other = declaring(rt, down.id), declaring(rt, healthy.id)
        fake.add_practitioner_slots(doctor, slots_at(now, 2, 3), PLACE)
        other_fake.add_practitioner_slots(other, slots_at(now, 4), PLACE)
        assert poll(platform, down)["accepted"] == 2

        fake.fail_with(503)
        summary = platform.scheduler.run_now("poll-editors", {})  # every editor, as a catch-up run would
        fake.healthy()

    by_editor = {run["editor_id"]: run for run in summary["runs"]}
    failed, fine = by_editor[down.id], by_editor[healthy.id]
    assert (failed["failed_batches"], failed["accepted"], failed["last_error"]) == (1, 0, "HTTP 503")
    assert stored(rt, down, doctor, now) == 2  # a failed poll wipes nothing
    assert rt.state.load_breaker(down.id).failures == 1
    assert (fine["failed_batches"], fine["accepted"]) == (0, 1)
    assert stored(rt, healthy, other, now) == 1


def test_an_editor_whose_breaker_is_open_is_not_dispatched(
    platform: LocalPlatform, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors, now: datetime
) -> None:
    editor = territory_editors.add(fake)
    fake.add_practitioner_slots(declaring(rt, editor.id), slots_at(now, 2), PLACE)
    for _ in range(breaker.FAILURE_THRESHOLD):
        breakers.record_failure(rt, editor.id, datetime.now(UTC))

    run = poll(platform, editor)

    assert run["run_id"] is None
    assert run["skipped"] == "breaker open: cooling down"
    assert fake.requests == []


def test_the_editors_request_budget_defers_the_batches_past_it(
    platform: LocalPlatform,
    rt: Runtime,
    fake: FakeEditor,
    territory_editors: TerritoryEditors,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # One minute for the whole run, however long it takes (minutes are tested on their own below).
    minute = platform_state.rate_key("x", now)[SK]
    monkeypatch.setattr(
        platform_state, "rate_key", lambda editor_id, _now: {PK: f"EDITOR#{editor_id}", SK: minute}
    )
    editor = territory_editors.add(fake, max_requests_per_minute=1)
    doctors = [declaring(rt, editor.id) for _ in range(26)]
    for doctor in doctors:
        fake.add_practitioner_slots(doctor, slots_at(now, 2), PLACE)

    run = poll(platform, editor)

    assert (run["batches_done"], run["requests"], run["deferred_batches"], run["failed_batches"]) == (
        2,
        1,
        1,
        0,
    )
    assert len(fake.requests) == 1
    assert rt.state.load_breaker(editor.id).failures == 0  # our own cap is not the editor's fault
    assert run["last_error"].startswith("deferred: the budget of 1 requests a minute is spent")


def test_the_rate_cap_counts_per_editor_and_minute(rt: Runtime) -> None:
    minute = datetime(2026, 3, 29, 1, 59, 10, tzinfo=UTC)
    editor_id = f"rate-{next(_ids)}"
    assert [rt.state.take_request(editor_id, minute, 2) for _ in range(3)] == [True, True, False]
    next_minute = minute + timedelta(seconds=50)
    assert rt.state.take_request(editor_id, next_minute, 2)  # the next minute has its own budget
    assert rt.state.take_request(f"{editor_id}-other", minute, 2)


# --- the worker's handling of messages ----------------------------------------------------------------------


def worker(platform: LocalPlatform, *bodies: str, timeout_seconds: int = 120) -> dict[str, Any]:
    messages = [
        {"MessageId": f"m{n}", "ReceiptHandle": f"r{n}", "Body": body, "Attributes": {}}
        for n, body in enumerate(bodies)
    ]
    handler = importlib.import_module("ingest.handler")  # after the platform set the environment
    answer: dict[str, Any] = handler.poll_worker_handler(
        sqs_event(messages, "arn:aws:sqs:::q"), LambdaContext("w", timeout_seconds=timeout_seconds)
    )
    return answer


def message(editor: EditorConfig, ids: list[str], **update: Any) -> str:
    fields: dict[str, Any] = {
        "editor_id": editor.id,
        "run_id": "run-1",
        "batch": 0,
        "ids": ids,
        "dispatched_at": datetime.now(UTC),
        **update,
    }
    return PollMessage.model_validate(fields).model_dump_json() if "raw" not in update else str(update["raw"])


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        json.dumps({"editor_id": "x"}),
        json.dumps(
            {
                "editor_id": "unknown-editor",
                "run_id": "r",
                "batch": 0,
                "ids": ["810000000001"],
                "dispatched_at": datetime.now(UTC).isoformat(),
            }
        ),
        json.dumps(
            {
                "editor_id": "demo-editor",
                "run_id": "r",
                "batch": 0,
                "ids": ["810000000001"],
                "dispatched_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
            }
        ),
    ],
    ids=["not-json", "not-a-poll-message", "unknown-editor", "stale"],
)
def test_a_message_no_retry_can_fix_is_dropped_not_retried(platform: LocalPlatform, body: str) -> None:
    assert worker(platform, body) == {"batchItemFailures": []}


def test_a_crash_fails_only_its_message_and_a_redelivery_counts_once(
    platform: LocalPlatform,
    rt: Runtime,
    fake: FakeEditor,
    territory_editors: TerritoryEditors,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    editor = territory_editors.add(fake)
    doctor = declaring(rt, editor.id)
    fake.add_practitioner_slots(doctor, slots_at(now, 2), PLACE)
    run_id = runs.new_run_id(now)
    runs.start_run(rt, editor.id, run_id, 2, now)
    good = message(editor, [doctor], run_id=run_id, batch=0)
    crashing = message(editor, [declaring(rt, editor.id)], run_id=run_id, batch=1)

    def poll_or_crash(
        runtime: Runtime, editor: EditorConfig, ids: list[str], when: datetime, **kw: Any
    ) -> Any:
        if ids != [doctor]:
            raise RuntimeError("storage down")
        return real_poll(runtime, editor, ids, when, **kw)

    monkeypatch.setattr(dispatch, "poll_batch", poll_or_crash)
    assert worker(platform, good, crashing) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert worker(platform, good) == {"batchItemFailures": []}  # SQS delivered it twice

    stored_run = rt.state.load_run(editor.id, run_id)
    assert stored_run is not None
    assert (stored_run["batches_done"], stored_run["accepted"], stored_run["finished"]) == (1, 1, False)


def test_the_local_queue_has_the_production_redrive_policy(rt: Runtime) -> None:
    sqs = boto3.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=rt.settings.queue_url(EDITOR_POLLS), AttributeNames=["All"]
    )["Attributes"]
    assert int(attributes["VisibilityTimeout"]) == EDITOR_POLLS.visibility_timeout_seconds
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == EDITOR_POLLS.max_receive_count
    assert redrive["deadLetterTargetArn"].endswith(EDITOR_POLLS.dead_letter_name.replace("_", "-"))


def test_a_batch_stops_before_the_invocation_would_time_out(
    platform: LocalPlatform, rt: Runtime, fake: FakeEditor, territory_editors: TerritoryEditors, now: datetime
) -> None:
    editor = territory_editors.add(fake)
    doctor = declaring(rt, editor.id)
    fake.add_practitioner_slots(doctor, slots_at(now, 2), PLACE)
    run_id = runs.new_run_id(now)
    runs.start_run(rt, editor.id, run_id, 1, now)
    too_short = int(page_seconds(editor) + APPLY_SECONDS) - 1

    assert worker(platform, message(editor, [doctor], run_id=run_id), timeout_seconds=too_short) == {
        "batchItemFailures": []
    }

    stored_run = rt.state.load_run(editor.id, run_id)
    assert stored_run is not None
    assert (stored_run["deferred_batches"], stored_run["requests"], stored_run["finished"]) == (1, 0, True)
    assert stored_run["last_error"] == "deferred: too little time left in this invocation for another page"
    assert fake.requests == []
