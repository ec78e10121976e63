"""Per-editor metrics and logs of a poll batch (powertools EMF, dimension `editor`)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from sas_common.ingest.breaker import BreakerStatus
from sas_common.ingest.poll import BatchSummary
from sas_common.observability import logger

# 1 while the editor's breaker is not closed: what the editor's alarm in the stack watches.
BREAKER_OPEN = "BreakerOpen"
METRIC_NAMES = {
    "requests": "EditorRequests",
    "slots_received": "SlotsReceived",
    "accepted": "SlotsAccepted",
    "rejected": "SlotsRejected",
    "failed_batches": "PollBatchesFailed",
    "skipped_batches": "PollBatchesSkipped",
    "deferred_batches": "PollBatchesDeferred",
}


def batch_metrics(summary: BatchSummary) -> dict[str, float]:
    """The batch's metrics by name (BreakerOpen is 1 while the editor's breaker is not closed)."""
    counters = summary.counters()
    values: dict[str, float] = {metric: counters[counter] for counter, metric in METRIC_NAMES.items()}
    values[BREAKER_OPEN] = float(summary.breaker_state != BreakerStatus.CLOSED.value)
    return values


def report_dispatch(editor_id: str, batches: int, skipped: bool) -> None:
    """A run dispatched (its batches), or skipped because the editor's breaker is open (BreakerOpen 1, so
    the editor's alarm stays raised while no batch runs)."""
    metrics = EphemeralMetrics()
    metrics.add_dimension(name="editor", value=editor_id)
    metrics.add_metric(name="PollBatchesDispatched", unit=MetricUnit.Count, value=batches)
    if skipped:
        metrics.add_metric(name=BREAKER_OPEN, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def report_batch(summary: BatchSummary, run_id: str) -> None:
    """Flush the batch's metrics under the editor's dimension and log one line of it."""
    metrics = EphemeralMetrics()
    metrics.add_dimension(name="editor", value=summary.editor_id)
    for name, value in batch_metrics(summary).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
    log = logger.warning if summary.error and not summary.skipped else logger.info
    log("editor poll batch", extra={"run_id": run_id, **summary.as_dict()})
