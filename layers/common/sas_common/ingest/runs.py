"""What each poll run of an editor did, for ops and `POST /_local/jobs/poll-editors`.

A run is recorded by the dispatcher with the number of batches planned (`platform_state`, `EDITOR#<editor
id> / RUN#<run id>`), then added to by each worker as its batch ends — requests, slots received, accepted
and rejected, failed / skipped / deferred batches, the breaker state after it, the last error. A batch is
counted once, whatever SQS redelivers. Runs expire after two days (TTL).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sas_common.ingest.poll import BatchSummary

if TYPE_CHECKING:
    from sas_common.runtime import Runtime

# Every run totals what its batches add (`BatchSummary.counters`).
COUNTERS = tuple(BatchSummary("", 0).counters())


def new_run_id(now: datetime) -> str:
    """Run ids sort by start time; the suffix tells apart runs started in the same second."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + uuid.uuid4().hex[:8]


def start_run(
    rt: Runtime, editor_id: str, run_id: str, batches_planned: int, now: datetime, note: str | None = None
) -> None:
    rt.state.start_run(editor_id, run_id, batches_planned, COUNTERS, now, note)


def record_batch(rt: Runtime, run_id: str, batch: int, summary: BatchSummary) -> bool:
    """Add a finished batch to its run; False when that batch was already counted (a redelivery)."""
    return rt.state.add_batch(
        summary.editor_id, run_id, batch, summary.counters(), summary.breaker_state, summary.error
    )
