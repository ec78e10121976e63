"""Lambda entry points of the ingest capability: its HTTP routes and its scheduled jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from ingest.routes import ROUTERS
from sas_common.api import http_function
from sas_common.jobs import EXPIRE_SLOTS
from sas_common.observability import logger, metrics
from sas_common.slots.expiry import expire_slots

app, lambda_handler = http_function(*ROUTERS)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def expire_slots_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = expire_slots(datetime.now(UTC))
    metrics.add_metric(name="SlotsExpired", unit="Count", value=summary.expired)
    metrics.add_metric(name="ExpiryItemsRead", unit="Count", value=summary.items_read)
    logger.info("slots expired", extra={"job": EXPIRE_SLOTS.name, **summary.as_dict()})
    return summary.as_dict()
