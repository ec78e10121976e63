"""The editor circuit breaker's rules, with an injected `now`; the editor HTTP client's retries (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import HttpUrl

from sas_common.ingest.breaker import (
    CLOSED,
    COOL_DOWN,
    FAILURE_THRESHOLD,
    BreakerState,
    BreakerStatus,
    after_failure,
    after_success,
    allows,
    before_batch,
)
from sas_common.ingest.client import (
    ACCEPT,
    BACKOFF_MAX_SECONDS,
    EditorUnavailable,
    backoff_seconds,
    fetch_bundle,
)
from sas_common.territory import EditorConfig, EditorKind, EditorLevel

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
OPEN = BreakerState(BreakerStatus.OPEN, FAILURE_THRESHOLD, NOW)
HALF_OPEN = BreakerState(BreakerStatus.HALF_OPEN, FAILURE_THRESHOLD, NOW)


@pytest.mark.parametrize(
    ("state", "later", "allowed"),
    [
        (CLOSED, timedelta(0), True),
        (BreakerState(failures=FAILURE_THRESHOLD - 1), timedelta(0), True),
        (OPEN, timedelta(0), False),
        (OPEN, COOL_DOWN - timedelta(seconds=1), False),
        (OPEN, COOL_DOWN, True),
        (HALF_OPEN, timedelta(seconds=30), False),  # the one trial is under way
        (HALF_OPEN, COOL_DOWN, True),  # a trial lost with its worker is given up
    ],
)
def test_allows(state: BreakerState, later: timedelta, allowed: bool) -> None:
    assert allows(state, NOW + later) is allowed


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (CLOSED, BreakerState(BreakerStatus.CLOSED, 1)),
        (BreakerState(failures=FAILURE_THRESHOLD - 2), BreakerState(failures=FAILURE_THRESHOLD - 1)),
        (
            BreakerState(failures=FAILURE_THRESHOLD - 1),
            BreakerState(BreakerStatus.OPEN, FAILURE_THRESHOLD, NOW),
        ),
        (HALF_OPEN, BreakerState(BreakerStatus.OPEN, FAILURE_THRESHOLD + 1, NOW)),
    ],
)
def test_after_failure(state: BreakerState, expected: BreakerState) -> None:
    assert after_failure(state, NOW) == expected


@pytest.mark.parametrize("state", [CLOSED, BreakerState(failures=3), OPEN, HALF_OPEN])
def test_after_success_closes(state: BreakerState) -> None:
    assert after_success(state) == CLOSED


def test_five_failures_open_then_one_trial_after_the_cool_down() -> None:
    state = CLOSED
    for _ in range(FAILURE_THRESHOLD):
        assert allows(state, NOW)
        state = after_failure(state, NOW)
    assert state.status is BreakerStatus.OPEN
    assert not allows(state, NOW + timedelta(minutes=1))
    later = NOW + COOL_DOWN
    trial = before_batch(state, later)
    assert trial.status is BreakerStatus.HALF_OPEN
    assert not allows(trial, later)  # a second worker gets no trial
    assert after_failure(trial, later).opened_at == later  # failed trial: open, cool-down restarted
    assert after_success(trial) == CLOSED


def test_before_batch_leaves_a_closed_breaker() -> None:
    assert before_batch(CLOSED, NOW) is CLOSED


@pytest.mark.parametrize("attempt", [0, 1, 2, 10])
def test_backoff_is_jittered_and_bounded(attempt: int) -> None:
    assert backoff_seconds(attempt, lambda: 0.0) == 0.0
    assert 0 < backoff_seconds(attempt, lambda: 0.999) <= BACKOFF_MAX_SECONDS


# --- the editor HTTP client (httpx.MockTransport) -------------------------------------------------------


def _editor() -> EditorConfig:
    return EditorConfig(
        id="mock-editor",
        name="Mock",
        kind=EditorKind.PS,
        level=EditorLevel.SLOTS_ONLY,
        fhir_base_url=HttpUrl("https://editor.example/fhir"),
        poll_every_minutes=5,
    )


def _fetch(*answers: int | Exception) -> tuple[bytes | EditorUnavailable, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return httpx.Response(answer, content=b'{"resourceType": "Bundle"}')

    try:
        body: bytes | EditorUnavailable = fetch_bundle(
            _editor(),
            "https://editor.example/fhir/Slot?x=1",
            transport=httpx.MockTransport(handler),
            sleep=lambda _: None,
        )
    except EditorUnavailable as exc:
        body = exc
    return body, seen


@pytest.mark.parametrize(
    ("answers", "requests", "reason"),
    [
        ((200,), 1, None),
        ((503, 200), 2, None),
        ((429, 502, 200), 3, None),
        ((503, 503, 503), 3, "HTTP 503"),
        ((404,), 1, "HTTP 404"),
        ((400, 200), 1, "HTTP 400"),
        ((httpx.ReadTimeout("slow"), 200), 2, None),
        ((httpx.ConnectError("refused"),) * 3, 3, "connection error (ConnectError)"),
        ((httpx.ReadTimeout("slow"),) * 3, 3, "timeout (ReadTimeout)"),
    ],
)
def test_fetch_bundle_retries(
    answers: tuple[int | Exception, ...], requests: int, reason: str | None
) -> None:
    body, seen = _fetch(*answers)
    assert len(seen) == requests
    assert all(request.headers["accept"] == ACCEPT for request in seen)
    if reason is None:
        assert body == b'{"resourceType": "Bundle"}'
    else:
        assert isinstance(body, EditorUnavailable)
        assert body.reason == reason
