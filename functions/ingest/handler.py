"""Lambda entry points of the ingest capability: its HTTP routes, its scheduled jobs and its queue worker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest.routes import ROUTERS
from sas_common.api import http_function
from sas_common.entrypoints import job_function
from sas_common.ingest.dispatch import DroppedMessage, dispatch_all, read_message, work
from sas_common.ingest.report import report_batch, report_dispatch
from sas_common.jobs import EXPIRE_SLOTS, POLL_EDITORS
from sas_common.observability import logger, metrics
from sas_common.runtime import Runtime
from sas_common.slots.expiry import expire_slots

app, lambda_handler = http_function(*ROUTERS)
processor = BatchProcessor(event_type=EventType.SQS)


@job_function
def expire_slots_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = expire_slots(rt, datetime.now(UTC))
    metrics.add_metric(name="SlotsExpired", unit="Count", value=summary.expired)
    metrics.add_metric(name="ExpiryItemsRead", unit="Count", value=summary.items_read)
    logger.info("slots expired", extra={"job": EXPIRE_SLOTS.name, **summary.as_dict()})
    return summary.as_dict()


@job_function(flush_metrics=False)
def poll_dispatch_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Each editor's schedule sends `{"editor_id": ...}`; an event without one dispatches every editor."""
    editor_id = event.get("editor_id") if isinstance(event, dict) else None
    runs = dispatch_all(rt, datetime.now(UTC), editor_id)
    for run in runs:
        report_dispatch(run.editor_id, run.batches, skipped=run.skipped is not None)
    summaries = [run.as_dict() for run in runs]
    logger.info("editor polls dispatched", extra={"job": POLL_EDITORS.name, "runs": summaries})
    return {"runs": summaries}


@job_function(flush_metrics=False)
def poll_worker_handler(rt: Runtime, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """SQS worker: one poll batch per message; a crash fails that message only (partial batch response)."""

    def poll_record(record: SQSRecord) -> None:
        now = datetime.now(UTC)
        try:
            message, editor = read_message(record.body, rt.territory, now)
        except DroppedMessage as dropped:
            logger.error(
                "poll message dropped", extra={"message_id": record.message_id, "reason": str(dropped)}
            )
            return
        summary, counted = work(
            rt, message, editor, now, lambda: context.get_remaining_time_in_millis() / 1000
        )
        if counted:
            report_batch(summary, message.run_id)

    return dict(process_partial_response(event, poll_record, processor, context))
