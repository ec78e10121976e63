"""Polling an editor over real HTTP (the local FakeEditor): batches, replace semantics, faults, breaker.

Each test polls its own editor id (a copy of the demo territory's `demo-editor` pointed at the double), so
its breaker and its declared effecteurs are its own on the session's shared platform.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from polling import poll_editor
from sas_common.errors import StaleWrite
from sas_common.ingest import breaker, breakers
from sas_common.ingest.poll import NO_ASSOCIATION_DUE, SKIPPED_BREAKER_OPEN, batches
from sas_common.runtime import Runtime
from sas_common.territory import EditorConfig, EditorKind
from sas_local.fhir_editor import FakeEditor, FakePlace
from support import declaring, editor_like_demo

pytestmark = pytest.mark.usefixtures("platform")
PLACE = FakePlace("1 rue de Metz", "31000", "Toulouse", 43.6, 1.44, "312345678900011", "+33561000001")
_ids = itertools.count(1)


def editor_for(rt: Runtime, fake: FakeEditor, **update: object) -> EditorConfig:
    return editor_like_demo(rt, fake.base_url, prefix="poll-test", **update)


def stored(rt: Runtime, editor: EditorConfig, national_id: str, now: datetime) -> list[str]:
    items = rt.slots.window_items(editor.id, national_id, now, now + timedelta(hours=48))
    return sorted(str(item["slot_key"]) for item in items)


def at(now: datetime, hours: float) -> tuple[datetime, datetime]:
    start = now + timedelta(hours=hours)
    return start, start + timedelta(minutes=15)


def with_slots(rt: Runtime, fake: FakeEditor, editor: EditorConfig, now: datetime) -> tuple[str, list[str]]:
    national_id = declaring(rt, editor.id)
    return national_id, fake.add_practitioner_slots(national_id, [at(now, 1), at(now, 2), at(now, 3)], PLACE)


def test_a_declared_effecteur_gets_the_editors_slots_and_loses_a_booked_one(
    rt: Runtime, fake: FakeEditor, now: datetime
) -> None:
    editor = editor_for(rt, fake)
    national_id, slot_ids = with_slots(rt, fake, editor, now)

    run = poll_editor(rt, editor, now)

    assert [(b.requested, b.slots_received, b.accepted, b.error) for b in run.batches] == [(1, 3, 3, None)]
    assert stored(rt, editor, national_id, now) == sorted(slot_ids)
    assert fake.requests[0].identifiers == [national_id]
    assert (run.as_dict()["places_created"], run.as_dict()["places_not_geocoded"]) == (1, 0)

    fake.mark_busy(slot_ids[1])
    second = poll_editor(rt, editor, now)
    assert second.batches[0].accepted == 2
    assert second.batches[0].places_created == 0  # the place made by the first poll is found
    assert stored(rt, editor, national_id, now) == sorted([slot_ids[0], slot_ids[2]])


@pytest.mark.parametrize("fault", ["503", "garbage", "wrong_type", "broken_references", "timeout"])
def test_a_failed_poll_keeps_the_stored_slots_and_counts_for_the_breaker(
    rt: Runtime, fake: FakeEditor, now: datetime, fault: str
) -> None:
    editor = editor_for(rt, fake, read_timeout_seconds=0.2)
    national_id, slot_ids = with_slots(rt, fake, editor, now)
    assert poll_editor(rt, editor, now).batches[0].accepted == 3

    if fault == "503":
        fake.fail_with(503)
    elif fault == "garbage":
        fake.garbage()
    elif fault == "wrong_type":
        fake.wrong_resource_type()
    elif fault == "broken_references":
        fake.broken_references()
    else:
        fake.delay(1.0)
    fake.mark_busy(slot_ids[0])  # would go, were the answer applied
    run = poll_editor(rt, editor, now)
    fake.healthy()

    (batch,) = run.batches
    assert batch.error is not None
    assert not batch.skipped
    assert batch.accepted == 0
    assert stored(rt, editor, national_id, now) == sorted(slot_ids)
    assert rt.state.load_breaker(editor.id).failures == 1
    assert run.as_dict()["failed_batches"] == 1


def test_five_failed_polls_open_the_breaker_and_the_next_poll_sends_nothing(
    rt: Runtime, fake: FakeEditor, now: datetime
) -> None:
    editor = editor_for(rt, fake)
    with_slots(rt, fake, editor, now)
    fake.fail_with(503)
    for _ in range(breaker.FAILURE_THRESHOLD):
        run = poll_editor(rt, editor, now)
    assert run.breaker_state == breaker.BreakerStatus.OPEN.value

    sent = len(fake.requests)
    skipped = poll_editor(rt, editor, now + timedelta(seconds=30))
    assert len(fake.requests) == sent
    assert skipped.batches[0].skipped
    assert skipped.batches[0].error == SKIPPED_BREAKER_OPEN
    assert skipped.as_dict()["skipped_batches"] == 1

    fake.healthy()  # after the cool-down, one trial; it succeeds: closed
    trial = poll_editor(rt, editor, now + breaker.COOL_DOWN)
    assert trial.batches[0].error is None
    assert trial.breaker_state == breaker.BreakerStatus.CLOSED.value
    assert rt.state.load_breaker(editor.id).failures == 0


def test_thirty_effecteurs_are_asked_in_two_requests(rt: Runtime, fake: FakeEditor, now: datetime) -> None:
    editor = editor_for(rt, fake)
    national_ids = [declaring(rt, editor.id) for _ in range(30)]
    for national_id in national_ids[::10]:
        fake.add_practitioner_slots(national_id, [at(now, 1)], PLACE)

    run = poll_editor(rt, editor, now)

    assert [batch.requested for batch in run.batches] == [25, 5]
    assert len(fake.requests) == 2
    assert sorted(len(request.identifiers) for request in fake.requests) == [5, 25]
    assert sorted(value for r in fake.requests for value in r.identifiers) == sorted(national_ids)
    assert run.as_dict()["accepted"] == 3


def test_an_sos_editor_asks_about_associations_only(rt: Runtime, fake: FakeEditor, now: datetime) -> None:
    # An effecteur's own declaration naming an SOS editor files them under it; the editor is asked about
    # associations (tests/integration/test_ingest_sos.py), never about them.
    editor = editor_for(rt, fake, kind=EditorKind.SOS)
    declaring(rt, editor.id)
    run = poll_editor(rt, editor, now)
    assert [(batch.requested, batch.error) for batch in run.batches] == [(0, NO_ASSOCIATION_DUE)]
    assert fake.requests == []


def test_batches_are_distinct_ids_by_25() -> None:
    ids = [f"8{n:011d}" for n in range(60)]
    assert [len(batch) for batch in batches(ids + ids[:5])] == [25, 25, 10]


def test_a_breaker_write_from_a_stale_read_is_refused(rt: Runtime, now: datetime) -> None:
    editor_id = f"breaker-test-{datetime.now(UTC):%H%M%S%f}"
    read_by_both = rt.state.load_breaker(editor_id)
    rt.state.save_breaker(editor_id, read_by_both, breaker.after_failure(read_by_both, now))
    with pytest.raises(StaleWrite):
        rt.state.save_breaker(editor_id, read_by_both, breaker.after_failure(read_by_both, now))
    assert breakers.record_failure(rt, editor_id, now).failures == 2  # reloads, applies on the latest
    assert rt.state.load_breaker(editor_id).version == 2
